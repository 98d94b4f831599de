using System.Text.RegularExpressions;

namespace SyncEngine.Connectors.Files;

/// <summary>
/// Where a connection's files live: a local folder, an FTP or FTPS server, an SFTP server. Paths are relative to the
/// connection's location and use <c>/</c>. A store serves one run: a remote one keeps its connection for the run and
/// closes it when disposed.
/// </summary>
public interface IFileStore : IAsyncDisposable
{
    /// <summary>The location without credentials, for messages and logs.</summary>
    string Display { get; }

    /// <summary>
    /// Regular files in <paramref name="folder"/> whose names match <paramref name="pattern"/> (<c>*.csv</c>), oldest first;
    /// files being written (<see cref="FileNames.TempPrefix"/>) are listed only to a pattern starting with that prefix. A remote folder that does not exist is an
    /// error (<see cref="FileStoreException.NotFound"/>); a local one holds no files yet.
    /// </summary>
    Task<IReadOnlyList<FileEntry>> ListAsync(string folder, string pattern, CancellationToken cancellationToken);

    /// <summary>
    /// The names of the regular files in <paramref name="folder"/> matching <paramref name="pattern"/>, without sizes and times:
    /// one request on any server. Temporary upload names are left out; a missing folder is as for <see cref="ListAsync"/>.
    /// </summary>
    Task<IReadOnlyList<string>> ListNamesAsync(string folder, string pattern, CancellationToken cancellationToken);

    Task<bool> ExistsAsync(string path, CancellationToken cancellationToken);

    /// <summary>Opens a file for reading. A remote file is downloaded whole first, so slow processing never holds a transfer open.</summary>
    Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a file under a temporary name in its folder and renames it to <paramref name="path"/> (replacing a file of that
    /// name) only once it is complete, so nobody ever sees half a file under its name. Creates missing folders.
    /// </summary>
    Task WriteAtomicAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken);

    /// <summary>Renames a file, replacing a file of the new name; the folders may differ. Creates the new name's folder.</summary>
    Task RenameAsync(string path, string newPath, CancellationToken cancellationToken);

    /// <summary>Moves a file into a sibling folder (archive, error), suffixing it when the name is taken; returns its new path.</summary>
    Task<string> MoveToAsync(string path, string folder, CancellationToken cancellationToken);

    /// <summary>Deletes a file; a file that is not there is no error.</summary>
    Task DeleteAsync(string path, CancellationToken cancellationToken);
}

/// <param name="Path">Relative to the store's location, with <c>/</c>.</param>
public sealed record FileEntry(string Path, string Name, long Length, DateTimeOffset Modified);

/// <summary>A store could not do what was asked; the message names the connection, the location and the path, never a secret.</summary>
public sealed class FileStoreException(string message, Exception? inner = null, bool notFound = false) : IOException(message, inner)
{
    /// <summary>The file or folder does not exist.</summary>
    public bool NotFound { get; } = notFound;
}

/// <summary>Store-relative paths: <c>/</c>-separated, relative to the location.</summary>
public static class FileNames
{
    /// <summary>Files being written carry this prefix; they are never listed and so never picked up.</summary>
    public const string TempPrefix = ".syncengine-tmp-";

    /// <summary>Whether a listing by <paramref name="pattern"/> shows the file: temporary names only to a pattern asking for them (clean-up).</summary>
    public static bool IsListed(string name, string pattern) =>
        !name.StartsWith(TempPrefix, StringComparison.Ordinal) || pattern.StartsWith(TempPrefix, StringComparison.Ordinal);

    /// <summary>A fresh temporary name beside <paramref name="path"/>.</summary>
    public static string TempNameFor(string path) =>
        Combine(ParentOf(path), TempPrefix + NameOf(path) + "." + Guid.NewGuid().ToString("N")[..8]);

    public static string Combine(string folder, string name)
    {
        folder = Normalize(folder).TrimEnd('/');
        name = Normalize(name).TrimStart('/');
        return folder.Length == 0 ? name : name.Length == 0 ? folder : folder + "/" + name;
    }

    public static string Combine(string folder, string folder2, string name) => Combine(Combine(folder, folder2), name);

    public static string ParentOf(string path)
    {
        path = Normalize(path);
        var slash = path.LastIndexOf('/');
        return slash < 0 ? string.Empty : path[..slash];
    }

    public static string NameOf(string path)
    {
        path = Normalize(path);
        return path[(path.LastIndexOf('/') + 1)..];
    }

    public static string Normalize(string path) => path.Replace('\\', '/');

    /// <summary>A name for a file moved into a folder that already holds one of its name: <c>orders.20261123081500123.csv</c>.</summary>
    public static string Suffixed(string name, DateTime utcNow) =>
        $"{Path.GetFileNameWithoutExtension(name)}.{utcNow:yyyyMMddHHmmssfff}{Path.GetExtension(name)}";

    /// <summary>A glob (<c>*.csv</c>, <c>ORD??.TXT</c>) as a case-insensitive regular expression, for remote listings.</summary>
    public static Regex Glob(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
}

public static class FileStoreExtensions
{
    /// <summary>Writes a small UTF-8 text file (a done marker, an error reason) atomically.</summary>
    public static Task WriteTextAsync(this IFileStore store, string path, string text, CancellationToken cancellationToken) =>
        store.WriteAtomicAsync(path, (stream, ct) => stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text), ct).AsTask(), cancellationToken);
}
