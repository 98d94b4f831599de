namespace SyncEngine.Connectors.Files;

/// <summary>A folder on a local or mounted disk.</summary>
public sealed class LocalFolder(string root)
{
    public string Root { get; } = root;

    public IReadOnlyList<FileEntry> List(string folder, string pattern)
    {
        var path = Path.Combine(Root, folder);
        if (!Directory.Exists(path)) return [];
        return new DirectoryInfo(path).EnumerateFiles(pattern, SearchOption.TopDirectoryOnly)
            .Where(f => !f.Name.StartsWith(TempPrefix, StringComparison.Ordinal))
            .Select(f => new FileEntry(Path.Combine(folder, f.Name), f.Name, f.Length, new DateTimeOffset(f.LastWriteTimeUtc, TimeSpan.Zero)))
            .OrderBy(f => f.Modified).ThenBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
    }

    public bool Exists(string relative) => File.Exists(Path.Combine(Root, relative));

    public Stream OpenRead(string relative) =>
        new FileStream(Path.Combine(Root, relative), FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);

    /// <summary>Writes under a temporary name and renames, so a reader never sees half a file.</summary>
    public async Task WriteAtomicAsync(string relative, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var target = Path.Combine(Root, relative);
        var directory = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, TempPrefix + Path.GetFileName(target) + "." + Guid.NewGuid().ToString("N")[..8]);
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

    /// <summary>Moves a file into a sibling folder, keeping an older file of the same name by suffixing the new one.</summary>
    public string MoveTo(string relative, string folder)
    {
        var source = Path.Combine(Root, relative);
        var directory = Path.Combine(Path.GetDirectoryName(source)!, folder);
        Directory.CreateDirectory(directory);
        var target = Path.Combine(directory, Path.GetFileName(source));
        if (File.Exists(target))
            target = Path.Combine(directory, $"{Path.GetFileNameWithoutExtension(source)}.{DateTime.UtcNow:yyyyMMddHHmmssfff}{Path.GetExtension(source)}");
        File.Move(source, target);
        return target;
    }

    public void Delete(string relative) => File.Delete(Path.Combine(Root, relative));

    public Task WriteTextAsync(string relative, string text, CancellationToken cancellationToken) =>
        WriteAtomicAsync(relative, (s, ct) => s.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text), ct).AsTask(), cancellationToken);

    /// <summary>Files being written carry this prefix; they are never picked up.</summary>
    public const string TempPrefix = ".syncengine-tmp-";
}

public sealed record FileEntry(string Path, string Name, long Length, DateTimeOffset Modified);
