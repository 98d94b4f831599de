namespace SyncEngine.Connectors.Files;

/// <summary>A folder on a local or mounted disk.</summary>
public sealed class LocalFolder(string root) : IFileStore
{
    public string Root { get; } = root;

    public string Display => Root;

    public Task<IReadOnlyList<FileEntry>> ListAsync(string folder, string pattern, CancellationToken cancellationToken)
    {
        var path = Full(folder);
        if (!Directory.Exists(path)) return Task.FromResult<IReadOnlyList<FileEntry>>([]);
        IReadOnlyList<FileEntry> files = new DirectoryInfo(path).EnumerateFiles(pattern, SearchOption.TopDirectoryOnly)
            .Where(f => FileNames.IsListed(f.Name, pattern))
            .Select(f => new FileEntry(FileNames.Combine(folder, f.Name), f.Name, f.Length, new DateTimeOffset(f.LastWriteTimeUtc, TimeSpan.Zero)))
            .OrderBy(f => f.Modified).ThenBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
        return Task.FromResult(files);
    }

    public async Task<IReadOnlyList<string>> ListNamesAsync(string folder, string pattern, CancellationToken cancellationToken) =>
        (await ListAsync(folder, pattern, cancellationToken)).Select(f => f.Name).ToList();

    public Task<bool> ExistsAsync(string path, CancellationToken cancellationToken) => Task.FromResult(File.Exists(Full(path)));

    public Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken) =>
        Task.FromResult<Stream>(new FileStream(Full(path), FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan));

    public async Task WriteAtomicAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var target = Full(path);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temp = Full(FileNames.TempNameFor(path));
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous))
            {
                await write(stream, cancellationToken);
                await stream.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, target, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    public Task RenameAsync(string path, string newPath, CancellationToken cancellationToken)
    {
        var target = Full(newPath);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(Full(path), target, overwrite: true);
        return Task.CompletedTask;
    }

    public Task<string> MoveToAsync(string path, string folder, CancellationToken cancellationToken)
    {
        var targetFolder = FileNames.Combine(FileNames.ParentOf(path), folder);
        Directory.CreateDirectory(Full(targetFolder));
        var target = FileNames.Combine(targetFolder, FileNames.NameOf(path));
        if (File.Exists(Full(target))) target = FileNames.Combine(targetFolder, FileNames.Suffixed(FileNames.NameOf(path), DateTime.UtcNow));
        File.Move(Full(path), Full(target));
        return Task.FromResult(target);
    }

    public Task DeleteAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            File.Delete(Full(path));
        }
        catch (DirectoryNotFoundException)
        {
            // Not there, nor its folder.
        }
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private string Full(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));
}
