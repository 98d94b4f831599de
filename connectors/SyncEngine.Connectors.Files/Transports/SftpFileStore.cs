using System.Net.Sockets;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace SyncEngine.Connectors.Files.Transports;

/// <summary>
/// Files on an SFTP server (SSH.NET). The server must present the host key pinned by its SHA-256 fingerprint; an unknown or
/// changed key refuses the connection before anything is sent. One connection serves the run and is closed after it; a broken
/// one is opened again.
/// </summary>
internal sealed class SftpFileStore(RemoteOptions options, string hostKey, string? privateKeyFile, Secret passphrase) : IFileStore
{
    private readonly string _pinned = Fingerprint(hostKey);
    private readonly HashSet<string> _folders = new(StringComparer.Ordinal);
    private SftpClient? _client;

    public string Display => options.Display;

    public Task<IReadOnlyList<FileEntry>> ListAsync(string folder, string pattern, CancellationToken cancellationToken)
    {
        var glob = FileNames.Glob(pattern);
        return RunAsync("list", folder, true, async (client, ct) =>
        {
            var entries = new List<FileEntry>();
            await foreach (var file in client.ListDirectoryAsync(Remote(folder), ct))
            {
                if (!file.IsRegularFile || !FileNames.IsListed(file.Name, pattern) || !glob.IsMatch(file.Name)) continue;
                entries.Add(new FileEntry(FileNames.Combine(folder, file.Name), file.Name, file.Length, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero)));
            }
            return (IReadOnlyList<FileEntry>)entries.OrderBy(e => e.Modified).ThenBy(e => e.Name, StringComparer.Ordinal).ToList();
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> ListNamesAsync(string folder, string pattern, CancellationToken cancellationToken) =>
        (await ListAsync(folder, pattern, cancellationToken)).Select(f => f.Name).ToList();

    public Task<bool> ExistsAsync(string path, CancellationToken cancellationToken) =>
        RunAsync("check", path, false, (client, ct) => client.ExistsAsync(Remote(path), ct), cancellationToken);

    public Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken) =>
        RunAsync("download", path, false, async (client, ct) =>
        {
            // A failed try leaves nothing behind: the next one starts a new local file from the first byte.
            var local = LocalTemp.Create();
            try
            {
                await client.DownloadFileAsync(Remote(path), local, ct);
                local.Position = 0;
                return (Stream)local;
            }
            catch
            {
                await local.DisposeAsync();
                throw;
            }
        }, cancellationToken);

    public async Task WriteAtomicAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        // Written locally first: a writer that fails never leaves anything on the server, and a retry sends the same bytes.
        await using var local = LocalTemp.Create();
        await write(local, cancellationToken);
        await local.FlushAsync(cancellationToken);
        var length = local.Length;
        await RunAsync("upload", path, false, async (client, ct) =>
        {
            await EnsureFolderAsync(client, FileNames.ParentOf(path), ct);
            var temp = FileNames.TempNameFor(path);
            try
            {
                local.Position = 0;
                var source = options.UploadFilter?.Invoke(local) ?? local;
                await client.UploadFileAsync(source, Remote(temp), ct);
                // A transfer cut short must never get the final name.
                var written = (await client.GetAttributesAsync(Remote(temp), ct)).Size;
                if (written != length)
                    throw new IOException($"the upload of '{path}' stored {written} of {length} bytes");
                Rename(client, Remote(temp), Remote(path));
            }
            catch
            {
                await TryDeleteAsync(client, Remote(temp));
                throw;
            }
            return true;
        }, cancellationToken);
    }

    public Task RenameAsync(string path, string newPath, CancellationToken cancellationToken) =>
        RunAsync("rename", path, false, async (client, ct) =>
        {
            await EnsureFolderAsync(client, FileNames.ParentOf(newPath), ct);
            Rename(client, Remote(path), Remote(newPath));
            return true;
        }, cancellationToken);

    public Task<string> MoveToAsync(string path, string folder, CancellationToken cancellationToken) =>
        RunAsync("move", path, false, async (client, ct) =>
        {
            var targetFolder = FileNames.Combine(FileNames.ParentOf(path), folder);
            await EnsureFolderAsync(client, targetFolder, ct);
            var target = FileNames.Combine(targetFolder, FileNames.NameOf(path));
            if (await client.ExistsAsync(Remote(target), ct)) target = FileNames.Combine(targetFolder, FileNames.Suffixed(FileNames.NameOf(path), DateTime.UtcNow));
            Rename(client, Remote(path), Remote(target));
            return target;
        }, cancellationToken);

    public Task DeleteAsync(string path, CancellationToken cancellationToken) =>
        RunAsync("delete", path, false, async (client, ct) =>
        {
            try
            {
                await client.DeleteFileAsync(Remote(path), ct);
            }
            catch (SftpPathNotFoundException)
            {
                // Gone already.
            }
            return true;
        }, cancellationToken);

    public ValueTask DisposeAsync() => Reset();

    private async Task<T> RunAsync<T>(string operation, string path, bool folder, Func<SftpClient, CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        try
        {
            return await Transient.RetryAsync(options, $"{operation} '{path}'", async ct => await attempt(await ConnectAsync(ct), ct), IsTransient, Reset, cancellationToken);
        }
        catch (SftpPathNotFoundException ex)
        {
            throw new FileStoreException($"Connection '{options.Connection}': {(folder ? "folder" : "file")} '{Where(path)}' does not exist on {Display}.", ex, notFound: true);
        }
        catch (SftpPermissionDeniedException ex)
        {
            throw new FileStoreException($"Connection '{options.Connection}': {operation} '{Where(path)}' on {Display}: permission denied for user '{options.User}'.", ex);
        }
        catch (Exception ex) when (ex is SshException or SocketException or IOException && ex is not FileStoreException && !cancellationToken.IsCancellationRequested)
        {
            throw new FileStoreException($"Connection '{options.Connection}': {operation} '{Where(path)}' on {Display} failed" +
                (Transient.Tries(ex) > 1 ? $" {Transient.Tries(ex)} times: {ex.Message}" : $": {ex.Message}"), ex);
        }
    }

    private async Task<SftpClient> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_client is { IsConnected: true }) return _client;
        await Reset();
        var methods = new List<AuthenticationMethod>();
        if (privateKeyFile is not null) methods.Add(new PrivateKeyAuthenticationMethod(options.User, LoadKey()));
        if (options.Password.Reveal() is { } password) methods.Add(new PasswordAuthenticationMethod(options.User, password));
        var connection = new ConnectionInfo(options.Host, options.Port, options.User, [.. methods]) { Timeout = options.Timeout };
        var client = new SftpClient(connection) { OperationTimeout = options.Timeout };
        string? presented = null;
        client.HostKeyReceived += (_, e) =>
        {
            presented = Fingerprint(e.FingerPrintSHA256);
            e.CanTrust = string.Equals(presented, _pinned, StringComparison.Ordinal);
        };
        try
        {
            await client.ConnectAsync(cancellationToken);
        }
        catch (Exception ex) when (presented is not null && presented != _pinned)
        {
            client.Dispose();
            throw new FileStoreException(
                $"Connection '{options.Connection}': the SFTP server {options.Host}:{options.Port} presented host key SHA256:{presented}, but SyncEngine:Connections:{options.Connection}:HostKey " +
                $"pins SHA256:{_pinned}; refused to connect, nothing was sent. If the server's key was changed on purpose, check the new key with its administrator " +
                $"(ssh-keyscan -p {options.Port} {options.Host} | ssh-keygen -lf - -E sha256) and pin it.", ex);
        }
        catch (SshAuthenticationException ex)
        {
            client.Dispose();
            var with = privateKeyFile is not null ? $"the key in '{privateKeyFile}'" : "the password";
            throw new FileStoreException(
                $"Connection '{options.Connection}': the SFTP server {options.Host}:{options.Port} refused the login of user '{options.User}' with {with} ({ex.Message}); " +
                $"check SyncEngine:Connections:{options.Connection}:User, PrivateKeyFile and Password.", ex);
        }
        catch
        {
            client.Dispose();
            throw;
        }
        _client = client;
        return client;
    }

    private PrivateKeyFile LoadKey()
    {
        try
        {
            return new PrivateKeyFile(privateKeyFile!, passphrase.Reveal());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SshException or ArgumentException or InvalidOperationException && ex is not FileStoreException)
        {
            throw new FileStoreException(
                $"Connection '{options.Connection}': cannot load the private key '{privateKeyFile}' (SyncEngine:Connections:{options.Connection}:PrivateKeyFile): {ex.Message}" +
                (passphrase.IsSet ? string.Empty : "; if the key has a passphrase, set PrivateKeyPassphrase"), ex);
        }
    }

    private ValueTask Reset()
    {
        var client = _client;
        _client = null;
        if (client is not null)
        {
            try
            {
                if (client.IsConnected) client.Disconnect();
            }
            catch (Exception ex) when (ex is SshException or SocketException or IOException or ObjectDisposedException)
            {
                // Closing a broken connection.
            }
            client.Dispose();
        }
        return ValueTask.CompletedTask;
    }

    private static bool IsTransient(Exception ex) => ex switch
    {
        FileStoreException or SshAuthenticationException or SftpPathNotFoundException or SftpPermissionDeniedException or SshPassPhraseNullOrEmptyException => false,
        SshOperationTimeoutException or SshConnectionException or ProxyException or SocketException or TimeoutException or IOException => true,
        OperationCanceledException => false,
        SshException => true,
        _ => false,
    };

    /// <summary>The server path of a store path: relative paths resolve against the folder the login starts in.</summary>
    private string Remote(string path)
    {
        var relative = FileNames.Normalize(path).Trim('/');
        var root = options.Root.TrimEnd('/');
        if (root.Length == 0) return relative.Length == 0 ? "." : relative;
        return relative.Length == 0 ? root : root + "/" + relative;
    }

    private string Where(string path) => FileNames.Combine(options.Root, path);

    private async Task EnsureFolderAsync(SftpClient client, string folder, CancellationToken cancellationToken)
    {
        if (folder.Length == 0 || _folders.Contains(folder)) return;
        if (!await client.ExistsAsync(Remote(folder), cancellationToken))
        {
            await EnsureFolderAsync(client, FileNames.ParentOf(folder), cancellationToken);
            await client.CreateDirectoryAsync(Remote(folder), cancellationToken);
        }
        _folders.Add(folder);
    }

    /// <summary>Renames in one step, replacing a file of the new name (OpenSSH's posix-rename); plain SFTP rename refuses to replace.</summary>
    private static void Rename(SftpClient client, string from, string to)
    {
        try
        {
            client.RenameFile(from, to, isPosix: true);
        }
        catch (NotSupportedException)
        {
            if (client.Exists(to)) client.DeleteFile(to);
            client.RenameFile(from, to);
        }
    }

    private static async Task TryDeleteAsync(SftpClient client, string path)
    {
        try
        {
            if (client.IsConnected) await client.DeleteFileAsync(path, CancellationToken.None);
        }
        catch (Exception ex) when (ex is SshException or IOException or SocketException or ObjectDisposedException)
        {
            // Gone, or the connection is: a temporary name is never picked up, and the next try uploads under a new one.
        }
    }

    /// <summary>A SHA-256 fingerprint as OpenSSH prints it, without the <c>SHA256:</c> prefix and the base64 padding.</summary>
    internal static string Fingerprint(string value)
    {
        var text = value.Trim();
        if (text.StartsWith("SHA256:", StringComparison.OrdinalIgnoreCase)) text = text[7..];
        return text.TrimEnd('=');
    }
}
