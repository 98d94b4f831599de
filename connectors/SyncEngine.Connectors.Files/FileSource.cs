using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using SyncEngine.Core.Connectors;

namespace SyncEngine.Connectors.Files;

/// <summary>
/// Reads the stream's files oldest first, record by record, never a whole file at once. The cursor is <c>file@size@time|record</c>,
/// so a run that stopped inside a file goes on after its last committed record; a file leaves the folder only when all of its
/// records are committed. A file that cannot be read at all goes to the error folder with the reason beside it; one that
/// breaks after its first record keeps what was read, and the unread rest becomes one dead letter. Works the same on every
/// <see cref="IFileStore"/>; a remote file is downloaded whole before it is read, and the store's connection is closed with the source.
/// </summary>
internal sealed partial class FileSource(IFileStore folder, FileStreamOptions options, FileLayout layout, StreamContext context, ILogger logger)
    : IRecordSource, ICommitAwareSource, IAsyncDisposable
{
    /// <summary>The most of a broken file's unread rest kept in its dead letter.</summary>
    private const int MaxRemainderChars = 1024 * 1024;

    private readonly string _folder = options.Folder ?? string.Empty;
    private readonly RecordFormat? _format = layout.Mapping is null ? null : layout.CreateFormat();
    private readonly Dictionary<string, int> _fileOrder = new(StringComparer.Ordinal);
    private readonly List<(FileEntry File, (int File, int Record) End)> _finished = [];
    private (int File, int Record) _committed = (-1, -1);
    // The engine reads ahead from a local folder: the files finished and committed are shared with OnCommittedAsync.
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async IAsyncEnumerable<SourceRecord> ReadAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (resumeFile, resumeAfter) = ParseCursor(cursor);
        var files = await folder.ListAsync(_folder, layout.Pattern, cancellationToken);
        // Done files are looked up in one listing, not file by file: on a server every question is a round trip.
        var names = options.DoneFile is null || files.Count == 0
            ? null
            : (await folder.ListNamesAsync(_folder, "*", cancellationToken)).ToHashSet(StringComparer.Ordinal);
        foreach (var file in files)
        {
            if (!Ready(file, names)) continue;
            // Name, size and time: a new file that reuses an archived file's name is never mistaken for it.
            var identity = $"{file.Name}@{file.Length}@{file.Modified.UtcTicks}";
            int order;
            await _gate.WaitAsync(cancellationToken);
            try
            {
                order = _fileOrder[identity] = _fileOrder.Count;
            }
            finally
            {
                _gate.Release();
            }
            var skip = identity == resumeFile ? resumeAfter : 0;
            var index = 0;
            var yielded = 0;
            BrokenFileException? broken = null;
            await using (var reader = await OpenAsync(file, cancellationToken))
            {
                while (true)
                {
                    ReadItem? item;
                    try
                    {
                        item = await reader.NextAsync(cancellationToken);
                    }
                    catch (BrokenFileException ex)
                    {
                        broken = ex;
                        break;
                    }
                    if (item is null) break;
                    index++;
                    if (index <= skip) continue;
                    yielded++;
                    yield return Record(item, identity, index);
                }
            }
            if (broken is not null && index == 0)
            {
                // Nothing of the file could be read: it is no file of this stream's format.
                var reason = $"{file.Name}: {broken.Message}";
                await MoveToErrorAsync(file, reason, cancellationToken);
                LogMovedToError(context.Flow, file.Name, options.ErrorFolder, reason);
                continue;
            }
            if (broken is not null && ++index > skip)
            {
                yielded++;
                var rest = await RemainderAsync(file, broken.Line, cancellationToken);
                var where = broken.Line > 0 ? $", line {broken.Line}" : string.Empty;
                yield return SourceRecord.Unreadable($"{identity}#{index}", rest,
                    $"{file.Name}{where}: {broken.Message}; the rest of the file from record {index} on could not be read", $"{identity}|{index}");
            }
            // A file with nothing left to commit (empty, or committed before a restart) is done at once.
            await _gate.WaitAsync(cancellationToken);
            try
            {
                _finished.Add((file, yielded == 0 ? (-1, -1) : (order, index)));
                await FinishAsync(cancellationToken);
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    private async Task<IRecordReader> OpenAsync(FileEntry file, CancellationToken cancellationToken)
    {
        var stream = await folder.OpenReadAsync(file.Path, cancellationToken);
        var text = new StreamReader(stream, layout.ReadEncoding, detectEncodingFromByteOrderMarks: true, bufferSize: 64 * 1024);
        var reader = _format is null
            ? JsonRecordFormat.OpenReader(text, context.RecordType, file.Name, layout.ReadEncoding)
            : new MappedRecordReader(_format.OpenReader(text, file.Name), layout.Mapping!, file.Name, layout.Format is FileFormat.Csv or FileFormat.Txt);
        return new OwningReader(reader, text);
    }

    private static SourceRecord Record(ReadItem item, string identity, int index)
    {
        var position = $"{identity}|{index}";
        return item.Record is null
            ? SourceRecord.Unreadable($"{identity}#{index}", item.Raw, item.Error ?? "the record could not be read", position)
            : SourceRecord.Ok(item.Record, position);
    }

    /// <summary>The text of a broken file from the line where reading stopped, for its dead letter; read again line by line.</summary>
    private async Task<string?> RemainderAsync(FileEntry file, int line, CancellationToken cancellationToken)
    {
        if (line <= 0) return null;
        await using var stream = await folder.OpenReadAsync(file.Path, cancellationToken);
        using var text = new StreamReader(stream, layout.ReadEncoding, detectEncodingFromByteOrderMarks: true);
        for (var i = 1; i < line; i++)
            if (await text.ReadLineAsync(cancellationToken) is null) return null;
        var buffer = new char[MaxRemainderChars];
        var length = await text.ReadBlockAsync(buffer, cancellationToken);
        var rest = new string(buffer, 0, length);
        return text.Peek() >= 0 ? rest + $"{Environment.NewLine}... (cut after {MaxRemainderChars} characters)" : rest;
    }

    public async Task OnCommittedAsync(string? cursor, CancellationToken cancellationToken)
    {
        var (file, record) = ParseCursor(cursor);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (file is not null && _fileOrder.TryGetValue(file, out var order) && (order, record).CompareTo(_committed) > 0) _committed = (order, record);
            await FinishAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A local folder can archive one file while the next is read; a server session does one thing at a time.</summary>
    public bool CommitsWhileReading => folder is LocalFolder;

    public async ValueTask DisposeAsync()
    {
        await folder.DisposeAsync();
        _gate.Dispose();
    }

    private async Task FinishAsync(CancellationToken cancellationToken)
    {
        foreach (var done in _finished.Where(f => f.End.CompareTo(_committed) <= 0).ToList())
        {
            _finished.Remove(done);
            switch (options.AfterRead)
            {
                case AfterRead.Archive:
                    await folder.MoveToAsync(done.File.Path, options.ArchiveFolder, cancellationToken);
                    break;
                case AfterRead.Delete:
                    await folder.DeleteAsync(done.File.Path, cancellationToken);
                    break;
            }
            if (options.DoneFile is not null && options.AfterRead != AfterRead.Keep)
                await folder.DeleteAsync(FileNames.Combine(_folder, DoneName(done.File.Name)), cancellationToken);
        }
    }

    private bool Ready(FileEntry file, HashSet<string>? names)
    {
        if (names is not null) return names.Contains(DoneName(file.Name));
        return DateTimeOffset.UtcNow - file.Modified >= options.MinimumAge;
    }

    private string DoneName(string fileName) => options.DoneFile!.Replace("{File}", fileName, StringComparison.OrdinalIgnoreCase);

    private async Task MoveToErrorAsync(FileEntry file, string reason, CancellationToken cancellationToken)
    {
        var moved = await folder.MoveToAsync(file.Path, options.ErrorFolder, cancellationToken);
        await folder.WriteTextAsync(moved + ".error.txt", reason + Environment.NewLine, cancellationToken);
    }

    private static (string? File, int After) ParseCursor(string? cursor)
    {
        if (cursor is null) return (null, 0);
        var bar = cursor.LastIndexOf('|');
        return bar < 0 || !int.TryParse(cursor[(bar + 1)..], out var after) ? (null, 0) : (cursor[..bar], after);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Flow {Flow}: file {File} cannot be read and was moved to {ErrorFolder}: {Reason}")]
    private partial void LogMovedToError(string flow, string file, string errorFolder, string reason);

    /// <summary>A record reader that closes the file it reads when it is done.</summary>
    private sealed class OwningReader(IRecordReader reader, TextReader text) : IRecordReader
    {
        public ValueTask<ReadItem?> NextAsync(CancellationToken cancellationToken) => reader.NextAsync(cancellationToken);

        public async ValueTask DisposeAsync()
        {
            await reader.DisposeAsync();
            text.Dispose();
        }
    }
}
