using System.Globalization;
using System.Text.Json;
using SyncEngine.Core.Connectors;

namespace SyncEngine.Connectors.Files;

/// <summary>
/// Files of one record or one batch, delivered exactly once even when the process is killed at any moment. A batch's files
/// are written into the flow's hidden staging folder (<c>.syncengine-parts/{flow}/</c>) with a list naming their final
/// names, and the batch counts as written; only after the engine committed the batch (its receipt stored with the cursor)
/// are they renamed to their final names. A run finds what a killed run left there: batches whose receipt was committed are
/// published, the others (their records are read and written again) thrown away with any half-uploaded file, so a receiver
/// never gets the same records twice under two names, nor half a file.
/// </summary>
internal sealed class StagedBatches(IFileStore store, string folder, StreamContext context, DateTimeOffset runTime)
{
    private const string ListExtension = ".batch";
    private const string FileExtension = ".file";

    private readonly string _staging = FileNames.Combine(folder, RunFile.StagingFolder, RunFile.SafeName(context.Flow));
    private readonly string _stamp = runTime.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfffffff'Z'", CultureInfo.InvariantCulture);
    private readonly Dictionary<string, IReadOnlyList<StagedFile>> _pending = new(StringComparer.Ordinal);
    private bool _recovered;

    /// <summary>Stages the files of batch <paramref name="batch"/>: each written by its writer, then the list; returns the receipt.</summary>
    public async Task<string> StageAsync(int batch, IReadOnlyList<(string File, string? DoneFile, Func<Stream, CancellationToken, Task> Write)> files,
        CancellationToken cancellationToken)
    {
        await RecoverAsync(cancellationToken);
        var receipt = $"{_stamp}-{batch.ToString("D6", CultureInfo.InvariantCulture)}";
        var staged = new List<StagedFile>(files.Count);
        for (var i = 0; i < files.Count; i++)
        {
            var path = FileNames.Combine(_staging, $"{receipt}-{i.ToString("D6", CultureInfo.InvariantCulture)}{FileExtension}");
            await store.WriteAtomicAsync(path, files[i].Write, cancellationToken);
            staged.Add(new StagedFile(path, files[i].File, files[i].DoneFile));
        }
        await store.WriteAtomicAsync(ListPath(receipt), (stream, ct) => JsonSerializer.SerializeAsync(stream, staged, cancellationToken: ct), cancellationToken);
        _pending[receipt] = staged;
        return receipt;
    }

    /// <summary>The batch is committed: its files take their final names.</summary>
    public async Task PublishAsync(string receipt, CancellationToken cancellationToken)
    {
        if (!_pending.Remove(receipt, out var staged)) return;
        var names = staged.Select(f => FileNames.NameOf(f.Staged)).ToHashSet(StringComparer.Ordinal);
        await FinishAsync(receipt, staged, names, cancellationToken);
    }

    /// <summary>Publishes what killed runs left committed and removes the rest, once per run, before anything new is staged.</summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        if (_recovered) return;
        _recovered = true;
        var names = (await ListAsync("*", cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var lists = names.Where(n => n.EndsWith(ListExtension, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        var committed = await context.Receipts.GetCommittedAsync(context.Flow, lists.Select(n => n[..^ListExtension.Length]).ToList(), cancellationToken);
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var list in lists)
        {
            var receipt = list[..^ListExtension.Length];
            IReadOnlyList<StagedFile> staged;
            await using (var stream = await store.OpenReadAsync(FileNames.Combine(_staging, list), cancellationToken))
            {
                staged = await JsonSerializer.DeserializeAsync<List<StagedFile>>(stream, cancellationToken: cancellationToken)
                    ?? throw new InvalidDataException($"'{list}' in {_staging} on {store.Display} is empty");
            }
            listed.UnionWith(staged.Select(f => FileNames.NameOf(f.Staged)));
            if (committed.Contains(receipt))
            {
                await FinishAsync(receipt, staged, names, cancellationToken);
            }
            else
            {
                foreach (var file in staged.Where(f => names.Contains(FileNames.NameOf(f.Staged)))) await store.DeleteAsync(file.Staged, cancellationToken);
                await store.DeleteAsync(ListPath(receipt), cancellationToken);
            }
        }
        // Files staged before their list was written, and uploads cut off half-way.
        foreach (var name in names.Where(n => n.EndsWith(FileExtension, StringComparison.Ordinal) && !listed.Contains(n)))
            await store.DeleteAsync(FileNames.Combine(_staging, name), cancellationToken);
        foreach (var name in await ListAsync(FileNames.TempPrefix + "*", cancellationToken))
            await store.DeleteAsync(FileNames.Combine(_staging, name), cancellationToken);
    }

    /// <param name="present">Names in the staging folder: a staged file no longer there was renamed already.</param>
    private async Task FinishAsync(string receipt, IReadOnlyList<StagedFile> staged, IReadOnlySet<string> present, CancellationToken cancellationToken)
    {
        foreach (var file in staged)
        {
            var there = present.Contains(FileNames.NameOf(file.Staged));
            if (there) await store.RenameAsync(file.Staged, file.File, cancellationToken);
            // After a crash the receiver may have taken the file already; a done file then marks nothing.
            if (file.DoneFile is not null && (there || await store.ExistsAsync(file.File, cancellationToken)))
                await store.WriteTextAsync(file.DoneFile, string.Empty, cancellationToken);
        }
        await store.DeleteAsync(ListPath(receipt), cancellationToken);
        await context.Receipts.ForgetAsync(context.Flow, [receipt], cancellationToken);
    }

    private async Task<IReadOnlyList<string>> ListAsync(string pattern, CancellationToken cancellationToken)
    {
        try
        {
            return await store.ListNamesAsync(_staging, pattern, cancellationToken);
        }
        catch (FileStoreException ex) when (ex.NotFound)
        {
            return [];
        }
    }

    private string ListPath(string receipt) => FileNames.Combine(_staging, receipt + ListExtension);

    private sealed record StagedFile(string Staged, string File, string? DoneFile);
}
