using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SyncEngine.Core;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Model;

namespace SyncEngine.Connectors.Files;

public static class FilesServiceCollectionExtensions
{
    /// <summary>Connections of <c>"Type": "Files"</c>: records as files in a folder.</summary>
    public static IServiceCollection AddFilesConnector(this IServiceCollection services) => services.AddConnector<FilesConnectorFactory>();
}

public sealed class FilesConnectorFactory : IConnectorFactory
{
    public string Type => "Files";

    public IConnector Create(ConnectionContext connection)
    {
        var key = connection.Settings.Path;
        FilesOptions options;
        try
        {
            options = connection.Settings.Get<FilesOptions>() ?? new FilesOptions();
        }
        catch (InvalidOperationException ex)
        {
            throw new ConfigurationException(key, ex.Message);
        }
        var errors = new List<ConfigError>();
        if (string.IsNullOrWhiteSpace(options.Location)) errors.Add(new ConfigError(key + ":Location", "missing: the folder the files are in"));
        if (options.Streams.Count == 0) errors.Add(new ConfigError(key + ":Streams", "missing: name at least one stream"));
        var streams = new List<(StreamInfo Info, FileStreamOptions Options)>();
        foreach (var (name, stream) in options.Streams)
        {
            var streamKey = $"{key}:Streams:{name}";
            var type = stream.RecordType is null ? null : RecordTypes.Find(stream.RecordType);
            if (type is null)
            {
                errors.Add(new ConfigError(streamKey + ":RecordType",
                    $"'{stream.RecordType}' is not a record type; use one of {string.Join(", ", RecordTypes.All.Select(t => t.Name))}"));
                continue;
            }
            if (!string.Equals(stream.Format, "json", StringComparison.OrdinalIgnoreCase))
                errors.Add(new ConfigError(streamKey + ":Format", $"'{stream.Format}' is not a supported format (json)"));
            streams.Add((new StreamInfo(name, type, StreamAccess.ReadWrite), stream));
        }
        if (errors.Count > 0) throw new ConfigurationException(errors);
        return new FilesConnector(connection.Name, new LocalFolder(connection.ResolvePath(options.Location!)), streams);
    }
}

public sealed class FilesConnector(string name, LocalFolder folder, IReadOnlyList<(StreamInfo Info, FileStreamOptions Options)> streams) : IConnector
{
    public string Name => name;

    public IReadOnlyList<StreamInfo> Streams { get; } = streams.Select(s => s.Info).ToList();

    public IRecordSource OpenSource(StreamContext context) => new FileSource(folder, Options(context), context.RecordType);

    public IRecordTarget OpenTarget(StreamContext context)
    {
        var options = Options(context);
        if (string.IsNullOrWhiteSpace(options.FileName))
            throw new ConfigurationException($"SyncEngine:Connections:{name}:Streams:{context.Stream}:FileName", "missing: the name of the files to write");
        return new FileTarget(folder, options, new FileNameTemplate(options.FileName));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private FileStreamOptions Options(StreamContext context) =>
        streams.First(s => string.Equals(s.Info.Name, context.Stream, StringComparison.OrdinalIgnoreCase)).Options;
}

/// <summary>
/// Reads the stream's files oldest first. The cursor is <c>file@size@time|record</c>, so a run that stopped inside a file
/// goes on after its last committed record; a file leaves the folder only when all of its records are committed.
/// </summary>
internal sealed class FileSource(LocalFolder folder, FileStreamOptions options, Type recordType) : IRecordSource, ICommitAwareSource
{
    private readonly string _folder = options.Folder ?? string.Empty;
    private readonly Dictionary<string, int> _fileOrder = new(StringComparer.Ordinal);
    private readonly List<(FileEntry File, (int File, int Record) End)> _finished = [];
    private (int File, int Record) _committed = (-1, -1);

    public async IAsyncEnumerable<SourceRecord> ReadAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (resumeFile, resumeAfter) = ParseCursor(cursor);
        foreach (var file in folder.List(_folder, options.Pattern))
        {
            if (!Ready(file)) continue;
            // Name, size and time: a new file that reuses an archived file's name is never mistaken for it.
            var identity = $"{file.Name}@{file.Length}@{file.Modified.UtcTicks}";
            var order = _fileOrder[identity] = _fileOrder.Count;
            var skip = identity == resumeFile ? resumeAfter : 0;
            var count = 0;
            var records = new List<SourceRecord>();
            try
            {
                await using var stream = folder.OpenRead(file.Path);
                await foreach (var (index, record, raw, error) in JsonRecordFormat.ReadAsync(stream, recordType, file.Name, cancellationToken))
                {
                    count = index;
                    if (index <= skip) continue;
                    var position = $"{identity}|{index}";
                    records.Add(record is null ? SourceRecord.Unreadable($"{identity}#{index}", raw, error!, position) : SourceRecord.Ok(record, position));
                }
            }
            catch (InvalidDataException ex)
            {
                // The whole file cannot be parsed: it goes to the error folder with the reason beside it.
                await MoveToErrorAsync(file, ex.Message, cancellationToken);
                continue;
            }
            foreach (var record in records) yield return record;
            // A file with nothing left to commit (empty, or committed before a restart) is done at once.
            _finished.Add((file, records.Count == 0 ? (-1, -1) : (order, count)));
            Finish();
        }
    }

    public Task OnCommittedAsync(string? cursor, CancellationToken cancellationToken)
    {
        var (file, record) = ParseCursor(cursor);
        if (file is not null && _fileOrder.TryGetValue(file, out var order) && (order, record).CompareTo(_committed) > 0) _committed = (order, record);
        Finish();
        return Task.CompletedTask;
    }

    private void Finish()
    {
        foreach (var done in _finished.Where(f => f.End.CompareTo(_committed) <= 0).ToList())
        {
            _finished.Remove(done);
            switch (options.AfterRead)
            {
                case AfterRead.Archive:
                    folder.MoveTo(done.File.Path, options.ArchiveFolder);
                    break;
                case AfterRead.Delete:
                    folder.Delete(done.File.Path);
                    break;
            }
            if (options.DoneFile is not null && options.AfterRead != AfterRead.Keep)
            {
                var marker = Path.Combine(_folder, DoneName(done.File.Name));
                if (folder.Exists(marker)) folder.Delete(marker);
            }
        }
    }

    private bool Ready(FileEntry file)
    {
        if (options.DoneFile is not null) return folder.Exists(Path.Combine(_folder, DoneName(file.Name)));
        return DateTimeOffset.UtcNow - file.Modified >= options.MinimumAge;
    }

    private string DoneName(string fileName) => options.DoneFile!.Replace("{File}", fileName, StringComparison.OrdinalIgnoreCase);

    private async Task MoveToErrorAsync(FileEntry file, string reason, CancellationToken cancellationToken)
    {
        var moved = folder.MoveTo(file.Path, options.ErrorFolder);
        var reasonFile = Path.GetRelativePath(folder.Root, moved) + ".error.txt";
        await folder.WriteTextAsync(reasonFile, reason + Environment.NewLine, cancellationToken);
    }

    private static (string? File, int After) ParseCursor(string? cursor)
    {
        if (cursor is null) return (null, 0);
        var bar = cursor.LastIndexOf('|');
        return bar < 0 || !int.TryParse(cursor[(bar + 1)..], out var after) ? (null, 0) : (cursor[..bar], after);
    }
}

/// <summary>Writes one file per record (name from its fields) or one per batch, each atomically.</summary>
internal sealed class FileTarget(LocalFolder folder, FileStreamOptions options, FileNameTemplate template) : IRecordTarget
{
    private readonly DateTimeOffset _runTime = DateTimeOffset.Now;
    private int _batch;

    public async Task<WriteResult> WriteAsync(IReadOnlyList<WriteItem> batch, CancellationToken cancellationToken)
    {
        _batch++;
        var written = new List<RecordOutcome>(batch.Count);
        if (template.PerRecord)
        {
            foreach (var item in batch)
            {
                var name = Path.Combine(options.Folder ?? string.Empty, template.Render(item.Record, _runTime, _batch));
                await WriteFileAsync(name, [item.Record], single: true, cancellationToken);
                written.Add(RecordOutcome.Written(item.Key, name));
            }
            return new WriteResult(written);
        }
        var file = Path.Combine(options.Folder ?? string.Empty, template.Render(null, _runTime, _batch));
        await WriteFileAsync(file, batch.Select(i => i.Record).ToList(), single: false, cancellationToken);
        return new WriteResult(batch.Select(i => RecordOutcome.Written(i.Key, file)).ToList());
    }

    private async Task WriteFileAsync(string name, IReadOnlyList<Entity> records, bool single, CancellationToken cancellationToken)
    {
        await folder.WriteAtomicAsync(name, (stream, ct) => JsonRecordFormat.WriteAsync(stream, records, single, ct), cancellationToken);
        if (options.DoneFile is not null)
        {
            var marker = Path.Combine(Path.GetDirectoryName(name) ?? string.Empty, options.DoneFile.Replace("{File}", Path.GetFileName(name), StringComparison.OrdinalIgnoreCase));
            await folder.WriteTextAsync(marker, string.Empty, cancellationToken);
        }
    }
}
