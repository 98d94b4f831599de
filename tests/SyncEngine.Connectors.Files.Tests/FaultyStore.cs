namespace SyncEngine.Connectors.Files.Tests;

/// <summary>
/// A store that fails one chosen operation, once, the way a crash at that instant would leave things: what was done before
/// it stays done, nothing after it happens.
/// </summary>
internal sealed class FaultyStore(IFileStore inner, Func<string, string, bool> crashAt, Action? crashed = null) : IFileStore
{
    public string Display => inner.Display;

    private void Check(string operation, string path)
    {
        if (!crashAt(operation, path)) return;
        crashed?.Invoke();
        throw new IOException($"simulated crash at {operation} '{path}'");
    }

    public Task<IReadOnlyList<FileEntry>> ListAsync(string folder, string pattern, CancellationToken cancellationToken)
    {
        Check("list", folder);
        return inner.ListAsync(folder, pattern, cancellationToken);
    }

    public Task<IReadOnlyList<string>> ListNamesAsync(string folder, string pattern, CancellationToken cancellationToken)
    {
        Check("list", folder);
        return inner.ListNamesAsync(folder, pattern, cancellationToken);
    }

    public Task<bool> ExistsAsync(string path, CancellationToken cancellationToken) => inner.ExistsAsync(path, cancellationToken);

    public Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken)
    {
        Check("read", path);
        return inner.OpenReadAsync(path, cancellationToken);
    }

    public Task WriteAtomicAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        Check("write", path);
        return inner.WriteAtomicAsync(path, write, cancellationToken);
    }

    public Task RenameAsync(string path, string newPath, CancellationToken cancellationToken)
    {
        Check("rename", path);
        return inner.RenameAsync(path, newPath, cancellationToken);
    }

    public Task<string> MoveToAsync(string path, string folder, CancellationToken cancellationToken)
    {
        Check("move", path);
        return inner.MoveToAsync(path, folder, cancellationToken);
    }

    public Task DeleteAsync(string path, CancellationToken cancellationToken)
    {
        Check("delete", path);
        return inner.DeleteAsync(path, cancellationToken);
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
