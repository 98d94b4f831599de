using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;
using SyncEngine.Core.Model;

namespace SyncEngine.Connectors.Files;

/// <summary>
/// Writes one file per record (name from its fields) or one per batch (see <see cref="StagedBatches"/>), or one per run (see
/// <see cref="RunFile"/>): staged first, published under the final name only once the engine committed the batch.
/// With a mapping every record is mapped and checked first: one that cannot be mapped, or whose value the file cannot hold,
/// fails alone and the others are written. A batch counts as written only once its file, or its staged part, is on the store.
/// </summary>
internal sealed class FileTarget : IRecordTarget, ICommitAwareTarget, ICompletableTarget, IAsyncDisposable
{
    private readonly IFileStore _folder;
    private readonly FileStreamOptions _options;
    private readonly FileLayout _layout;
    private readonly FileNameTemplate _template;
    private readonly DateTimeOffset _runTime = DateTimeOffset.Now;
    private readonly RecordFormat? _format;
    private readonly MappingContext _mappingContext;
    private readonly RunFile? _runFile;
    private readonly StagedBatches? _staged;
    private int _batch;

    public FileTarget(IFileStore folder, FileStreamOptions options, FileLayout layout, FileNameTemplate template, StreamContext context)
    {
        _folder = folder;
        _options = options;
        _layout = layout;
        _template = template;
        _format = layout.Mapping is null ? null : layout.CreateFormat();
        _mappingContext = MappingContext.For(context);
        if (template.PerRun) _runFile = new RunFile(folder, options.Folder ?? string.Empty, context, _runTime);
        else _staged = new StagedBatches(folder, options.Folder ?? string.Empty, context, _runTime);
    }

    public async Task<WriteResult> WriteAsync(IReadOnlyList<WriteItem> batch, CancellationToken cancellationToken)
    {
        _batch++;
        var outcomes = new List<RecordOutcome>(batch.Count);
        var ready = new List<(WriteItem Item, MappedRow? Row)>(batch.Count);
        if (_format is not null && !_layout.Mapping!.LooksUpLinks && batch.Count >= ParallelFrom)
        {
            MapInParallel(batch, ready, outcomes, cancellationToken);
        }
        else
        {
            foreach (var item in batch)
            {
                if (_format is null)
                {
                    ready.Add((item, null));
                    continue;
                }
                try
                {
                    var row = await _layout.Mapping!.ToRowAsync(item.Record, _mappingContext, cancellationToken);
                    ready.Add((item, _format.Prepare(row)));
                }
                catch (RecordException ex)
                {
                    outcomes.Add(Failed(item, ex));
                }
            }
        }

        if (ready.Count == 0) return new WriteResult(outcomes);
        string receipt;
        if (_runFile is not null)
        {
            receipt = _format is null
                ? await _runFile.AddRecordsAsync(_batch, ready.Select(r => r.Item.Record).ToList(), cancellationToken)
                : await _runFile.AddRowsAsync(_batch, ready.Select(r => r.Row!).ToList(), _format, cancellationToken);
            outcomes.AddRange(ready.Select(r => RecordOutcome.Written(r.Item.Key)));
        }
        else if (_template.PerRecord)
        {
            var files = new List<(string, string?, Func<Stream, CancellationToken, Task>)>(ready.Count);
            foreach (var (item, row) in ready)
            {
                var name = FileNames.Combine(_options.Folder ?? string.Empty, _template.Render(item.Record, _runTime, _batch));
                files.Add((name, DoneFileFor(name), Writer([item.Record], row is null ? [] : [row], single: true)));
                outcomes.Add(RecordOutcome.Written(item.Key, name));
            }
            receipt = await _staged!.StageAsync(_batch, files, cancellationToken);
        }
        else
        {
            var file = FileNames.Combine(_options.Folder ?? string.Empty, _template.Render(null, _runTime, _batch));
            var writer = Writer(ready.Select(r => r.Item.Record).ToList(), ready.Where(r => r.Row is not null).Select(r => r.Row!).ToList(), single: false);
            receipt = await _staged!.StageAsync(_batch, [(file, DoneFileFor(file), writer)], cancellationToken);
            outcomes.AddRange(ready.Select(r => RecordOutcome.Written(r.Item.Key)));
        }
        return new WriteResult(outcomes) { Receipt = receipt };
    }

    /// <summary>Batches from this size are mapped on every core: the flow reads the next batch meanwhile, but mapping is the slower side.</summary>
    private const int ParallelFrom = 1000;

    /// <summary>Maps and prepares the batch in slices on every core, then takes the results in the batch's order.</summary>
    private void MapInParallel(IReadOnlyList<WriteItem> batch, List<(WriteItem Item, MappedRow? Row)> ready, List<RecordOutcome> outcomes,
        CancellationToken cancellationToken)
    {
        var mapping = _layout.Mapping!;
        var rows = new MappedRow?[batch.Count];
        var failures = new RecordException?[batch.Count];
        OnEveryCore.ForSlices(batch.Count, 4 * Environment.ProcessorCount, (_, from, to) =>
        {
            for (var i = from; i < to; i++)
            {
                try
                {
                    rows[i] = _format!.Prepare(mapping.ToRow(batch[i].Record));
                }
                catch (RecordException ex)
                {
                    failures[i] = ex;
                }
            }
        }, cancellationToken);
        for (var i = 0; i < batch.Count; i++)
        {
            if (failures[i] is { } failure) outcomes.Add(Failed(batch[i], failure));
            else ready.Add((batch[i], rows[i]));
        }
    }

    private static RecordOutcome Failed(WriteItem item, RecordException ex) =>
        RecordOutcome.Failed(item.Key, $"{RecordTypes.NameOf(item.Record.GetType())} {item.Key}: {ex.Message}");

    public Task OnCommittedAsync(string receipt, CancellationToken cancellationToken) =>
        _staged?.PublishAsync(receipt, cancellationToken) ?? Task.CompletedTask;

    /// <summary>
    /// One file per run: publishes what the run's batches (and any a killed earlier run left) staged; no records, no file.
    /// Per record or batch: delivers what a killed run left committed, also when this run had nothing new.
    /// </summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        if (_staged is not null)
        {
            // A run with nothing new still delivers what a killed run left committed.
            await _staged.RecoverAsync(cancellationToken);
            return;
        }
        if (_runFile is null) return;
        var file = FileNames.Combine(_options.Folder ?? string.Empty, _template.Render(null, _runTime, _batch));
        await _runFile.PublishAsync(file, DoneFileFor(file), (stream, parts, ct) => _format is null
            ? JsonRecordFormat.WriteAsync(stream, _runFile.ReadRecordsAsync(parts, ct), single: false, _layout.WriteEncoding, ct)
            : _format.Concatenates
                ? _runFile.WriteLinesAsync(stream, parts, _format, ct)
                : _format.WriteAsync(stream, _runFile.ReadRowsAsync(parts, ct), single: false, ct), cancellationToken);
    }

    public ValueTask DisposeAsync() => _folder.DisposeAsync();

    private Func<Stream, CancellationToken, Task> Writer(IReadOnlyList<Entity> records, IReadOnlyList<MappedRow> rows, bool single) =>
        (stream, ct) => _format is null
            ? JsonRecordFormat.WriteAsync(stream, records.ToAsyncEnumerable(), single, _layout.WriteEncoding, ct)
            : _format.WriteAsync(stream, rows.ToAsyncEnumerable(), single, ct);

    private string? DoneFileFor(string name) => _options.DoneFile is null
        ? null
        : FileNames.Combine(FileNames.ParentOf(name), _options.DoneFile.Replace("{File}", FileNames.NameOf(name), StringComparison.OrdinalIgnoreCase));
}
