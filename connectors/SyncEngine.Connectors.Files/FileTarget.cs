using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;
using SyncEngine.Core.Model;

namespace SyncEngine.Connectors.Files;

/// <summary>
/// Writes one file per record (name from its fields) or one per batch, each atomically. With a mapping every record is mapped
/// and checked first: one that cannot be mapped, or whose value the file cannot hold, fails alone and the others are written.
/// </summary>
internal sealed class FileTarget(LocalFolder folder, FileStreamOptions options, FileLayout layout, FileNameTemplate template, StreamContext context) : IRecordTarget
{
    private readonly DateTimeOffset _runTime = DateTimeOffset.Now;
    private readonly RecordFormat? _format = layout.Mapping is null ? null : layout.CreateFormat();
    private readonly MappingContext _mappingContext = MappingContext.For(context);
    private int _batch;

    public async Task<WriteResult> WriteAsync(IReadOnlyList<WriteItem> batch, CancellationToken cancellationToken)
    {
        _batch++;
        var outcomes = new List<RecordOutcome>(batch.Count);
        var ready = new List<(WriteItem Item, MappedRow? Row)>(batch.Count);
        foreach (var item in batch)
        {
            if (_format is null)
            {
                ready.Add((item, null));
                continue;
            }
            try
            {
                var row = await layout.Mapping!.ToRowAsync(item.Record, _mappingContext, cancellationToken);
                ready.Add((item, _format.Prepare(row)));
            }
            catch (RecordException ex)
            {
                outcomes.Add(RecordOutcome.Failed(item.Key, $"{RecordTypes.NameOf(item.Record.GetType())} {item.Key}: {ex.Message}"));
            }
        }

        if (template.PerRecord)
        {
            foreach (var (item, row) in ready)
            {
                var name = Path.Combine(options.Folder ?? string.Empty, template.Render(item.Record, _runTime, _batch));
                await WriteFileAsync(name, [item.Record], row is null ? [] : [row], single: true, cancellationToken);
                outcomes.Add(RecordOutcome.Written(item.Key, name));
            }
            return new WriteResult(outcomes);
        }
        if (ready.Count == 0) return new WriteResult(outcomes);
        var file = Path.Combine(options.Folder ?? string.Empty, template.Render(null, _runTime, _batch));
        await WriteFileAsync(file, ready.Select(r => r.Item.Record).ToList(), ready.Where(r => r.Row is not null).Select(r => r.Row!).ToList(), single: false, cancellationToken);
        outcomes.AddRange(ready.Select(r => RecordOutcome.Written(r.Item.Key)));
        return new WriteResult(outcomes);
    }

    private async Task WriteFileAsync(string name, IReadOnlyList<Entity> records, IReadOnlyList<MappedRow> rows, bool single, CancellationToken cancellationToken)
    {
        await folder.WriteAtomicAsync(name, (stream, ct) => _format is null
            ? JsonRecordFormat.WriteAsync(stream, records, single, layout.WriteEncoding, ct)
            : _format.WriteAsync(stream, rows, single, ct), cancellationToken);
        if (options.DoneFile is not null)
        {
            var marker = Path.Combine(Path.GetDirectoryName(name) ?? string.Empty, options.DoneFile.Replace("{File}", Path.GetFileName(name), StringComparison.OrdinalIgnoreCase));
            await folder.WriteTextAsync(marker, string.Empty, cancellationToken);
        }
    }
}
