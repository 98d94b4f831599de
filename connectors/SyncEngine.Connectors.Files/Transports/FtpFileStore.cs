// FtpWebRequest is obsolete (SYSLIB0014) but it is .NET's own FTP client, and FluentFTP cannot be obtained here; plain FTP
// uses it, behind IFileStore, so it can be swapped without touching the connector. FTPS does not: its TLS data channel is
// broken on .NET 10 (see FtpsFileStore).
#pragma warning disable SYSLIB0014
using System.Net;
using System.Net.Sockets;

namespace SyncEngine.Connectors.Files.Transports;

/// <summary>
/// Files on a plain FTP server through <see cref="FtpWebRequest"/>: passive mode, binary transfers. On .NET 10 every request
/// logs in on a control connection of its own (FtpWebRequest no longer pools them); the store is still opened once per run.
/// </summary>
internal sealed class FtpFileStore(RemoteOptions options) : IFileStore
{
    // Every request is a login of its own here, so folders known to exist are remembered for the run.
    private readonly HashSet<string> _folders = new(StringComparer.Ordinal);
    private string? _home;

    public string Display => options.Display;

    public Task<IReadOnlyList<FileEntry>> ListAsync(string folder, string pattern, CancellationToken cancellationToken) =>
        RunAsync("list", folder, true, async ct =>
        {
            var names = await ListCoreAsync(folder, pattern, ct);
            var entries = new List<FileEntry>(names.Count);
            foreach (var (name, length) in names)
            {
                var path = FileNames.Combine(folder, name);
                using var stamp = await SendAsync(FileUri(path), WebRequestMethods.Ftp.GetDateTimestamp, ct);
                entries.Add(new FileEntry(path, name, length, new DateTimeOffset(stamp.LastModified.ToUniversalTime(), TimeSpan.Zero)));
            }
            return (IReadOnlyList<FileEntry>)entries.OrderBy(e => e.Modified).ThenBy(e => e.Name, StringComparer.Ordinal).ToList();
        }, cancellationToken);

    public Task<IReadOnlyList<string>> ListNamesAsync(string folder, string pattern, CancellationToken cancellationToken) =>
        RunAsync("list", folder, true, async ct => (IReadOnlyList<string>)(await ListCoreAsync(folder, pattern, ct)).Select(e => e.Name).ToList(), cancellationToken);

    /// <summary>The regular files of a folder from a Unix-style LIST (FtpWebRequest changes into the folder first: 550 when it is missing).</summary>
    private async Task<List<(string Name, long Length)>> ListCoreAsync(string folder, string pattern, CancellationToken cancellationToken)
    {
        var glob = FileNames.Glob(pattern);
        var names = new List<(string Name, long Length)>();
        await using var listing = new MemoryStream();
        using (await SendAsync(FolderUri(folder), WebRequestMethods.Ftp.ListDirectoryDetails, cancellationToken, download: listing)) { }
        listing.Position = 0;
        using var reader = new StreamReader(listing);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (FtpListing.ParseListLine(line) is { } entry && FileNames.IsListed(entry.Name, pattern) && glob.IsMatch(entry.Name))
                names.Add(entry);
        }
        return names;
    }

    public Task<bool> ExistsAsync(string path, CancellationToken cancellationToken) =>
        RunAsync("check", path, false, ct => ExistsCoreAsync(path, ct), cancellationToken);

    public Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken) =>
        RunAsync("download", path, false, async ct =>
        {
            // A failed try leaves nothing behind: the next one starts a new local file from the first byte.
            var local = LocalTemp.Create();
            try
            {
                using (await SendAsync(FileUri(path), WebRequestMethods.Ftp.DownloadFile, ct, download: local)) { }
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
        await RunAsync("upload", path, false, async ct =>
        {
            var folder = FileNames.ParentOf(path);
            var temp = FileNames.TempNameFor(path);
            try
            {
                local.Position = 0;
                var source = options.UploadFilter?.Invoke(local) ?? local;
                try
                {
                    using (await SendAsync(FileUri(temp), WebRequestMethods.Ftp.UploadFile, ct, upload: source)) { }
                }
                catch (WebException ex) when (Code(ex) is FtpStatusCode.ActionNotTakenFileUnavailable or FtpStatusCode.ActionNotTakenFilenameNotAllowed
                    && folder.Length > 0 && !_folders.Contains(folder))
                {
                    // The folder is missing (the server refused the file before any byte was sent): make it, send again.
                    await EnsureFolderAsync(folder, ct);
                    local.Position = 0;
                    using (await SendAsync(FileUri(temp), WebRequestMethods.Ftp.UploadFile, ct, upload: source)) { }
                }
                _folders.Add(folder);
                // In stream mode a connection that drops looks like the end of the file to the server: check before renaming.
                using (var size = await SendAsync(FileUri(temp), WebRequestMethods.Ftp.GetFileSize, ct))
                {
                    if (size.ContentLength != length) throw new IOException($"the upload of '{path}' stored {size.ContentLength} of {length} bytes");
                }
                await RenameCoreAsync(temp, path, ct);
            }
            catch (Exception ex) when (!(ex is WebException web && Code(web) == FtpStatusCode.NotLoggedIn))
            {
                await TryDeleteAsync(temp);
                throw;
            }
            return true;
        }, cancellationToken);
    }

    public Task RenameAsync(string path, string newPath, CancellationToken cancellationToken) =>
        RunAsync("rename", path, false, async ct =>
        {
            await EnsureFolderAsync(FileNames.ParentOf(newPath), ct);
            await RenameCoreAsync(path, newPath, ct);
            return true;
        }, cancellationToken);

    public Task<string> MoveToAsync(string path, string folder, CancellationToken cancellationToken) =>
        RunAsync("move", path, false, async ct =>
        {
            var targetFolder = FileNames.Combine(FileNames.ParentOf(path), folder);
            await EnsureFolderAsync(targetFolder, ct);
            var target = FileNames.Combine(targetFolder, FileNames.NameOf(path));
            if (await ExistsCoreAsync(target, ct)) target = FileNames.Combine(targetFolder, FileNames.Suffixed(FileNames.NameOf(path), DateTime.UtcNow));
            using (await SendAsync(FileUri(path), WebRequestMethods.Ftp.Rename, ct, renameTo: await AbsoluteAsync(target, ct))) { }
            return target;
        }, cancellationToken);

    public Task DeleteAsync(string path, CancellationToken cancellationToken) =>
        RunAsync("delete", path, false, async ct =>
        {
            try
            {
                using (await SendAsync(FileUri(path), WebRequestMethods.Ftp.DeleteFile, ct)) { }
            }
            catch (WebException ex) when (Code(ex) == FtpStatusCode.ActionNotTakenFileUnavailable)
            {
                // Gone already, or not deletable: then it is still there.
                if (await ExistsCoreAsync(path, ct)) throw;
            }
            return true;
        }, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<T> RunAsync<T>(string operation, string path, bool folder, Func<CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        try
        {
            return await Transient.RetryAsync(options, $"{operation} '{path}'", attempt, IsTransient, null, cancellationToken);
        }
        catch (WebException ex) when (Code(ex) == FtpStatusCode.NotLoggedIn)
        {
            throw FtpErrors.LoginRefused(options, Reply(ex), ex);
        }
        catch (WebException ex) when (Code(ex) == FtpStatusCode.ActionNotTakenFileUnavailable)
        {
            throw FtpErrors.NotFound(options, operation, path, folder, Reply(ex), ex);
        }
        catch (Exception ex) when (ex is WebException or IOException or SocketException or TimeoutException && ex is not FileStoreException && !cancellationToken.IsCancellationRequested)
        {
            throw FtpErrors.Failed(options, operation, path, ex is WebException web && Reply(web) is { } reply ? reply : ex.Message, ex);
        }
    }

    /// <summary>
    /// One request: a login, a command, and the transfer of <paramref name="upload"/> or into <paramref name="download"/>.
    /// FtpWebRequest's own timeouts do not apply to asynchronous calls, so a timer aborts the request when the server has been
    /// silent for the timeout; every chunk transferred starts it again. The abort does not end a connection attempt still
    /// under way (FtpWebRequest connects without a cancellation token, and a host that drops packets leaves it to the
    /// operating system for minutes), so the request is also no longer waited for once the timer ran out.
    /// </summary>
    private async Task<FtpWebResponse> SendAsync(Uri uri, string method, CancellationToken cancellationToken, Stream? upload = null, string? renameTo = null, Stream? download = null)
    {
        var request = (FtpWebRequest)WebRequest.Create(uri);
        request.Method = method;
        request.Credentials = new NetworkCredential(options.User, options.Password.Reveal() ?? string.Empty);
        request.Proxy = null;
        request.UsePassive = true;
        request.UseBinary = true;
        request.KeepAlive = false;
        request.Timeout = (int)options.Timeout.TotalMilliseconds;
        request.ReadWriteTimeout = (int)options.Timeout.TotalMilliseconds;
        if (renameTo is not null) request.RenameTo = renameTo;
        using var silence = Transient.Within(options.Timeout, cancellationToken);
        await using var abort = silence.Token.Register(request.Abort);
        try
        {
            if (upload is not null)
            {
                var target = await Abandonable(request.GetRequestStreamAsync(), silence.Token);
                try
                {
                    await CopyAsync(upload, target, silence);
                }
                catch
                {
                    // Closing the data connection would end the upload on the server as if it were complete: abort first.
                    request.Abort();
                    try
                    {
                        await target.DisposeAsync();
                    }
                    catch (Exception ex) when (ex is WebException or IOException or ObjectDisposedException)
                    {
                        // The aborted transfer.
                    }
                    throw;
                }
                await target.DisposeAsync();
                silence.CancelAfter(options.Timeout);
            }
            var response = (FtpWebResponse)await Abandonable(request.GetResponseAsync(), silence.Token);
            if (download is not null)
            {
                try
                {
                    await using var source = response.GetResponseStream();
                    await CopyAsync(source, download, silence);
                }
                catch
                {
                    response.Dispose();
                    throw;
                }
            }
            return response;
        }
        catch (Exception ex) when (ex is WebException or IOException or ObjectDisposedException or OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (Exception ex) when (ex is WebException or IOException or ObjectDisposedException or OperationCanceledException && silence.IsCancellationRequested)
        {
            throw new TimeoutException($"{options.Host}:{options.Port} did not respond within {options.Timeout.TotalSeconds:0.#} s ({method})", ex);
        }
    }

    /// <summary>The step's result, or cancellation once <paramref name="silence"/> ends; the abandoned step's own failure, whenever it comes, is dropped.</summary>
    private static async Task<T> Abandonable<T>(Task<T> step, CancellationToken silence)
    {
        try
        {
            return await step.WaitAsync(silence);
        }
        catch (OperationCanceledException)
        {
            _ = step.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
    }

    private async Task CopyAsync(Stream from, Stream to, CancellationTokenSource silence)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer, silence.Token)) > 0)
        {
            await to.WriteAsync(buffer.AsMemory(0, read), silence.Token);
            silence.CancelAfter(options.Timeout);
        }
    }

    private async Task<bool> ExistsCoreAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            using (await SendAsync(FileUri(path), WebRequestMethods.Ftp.GetFileSize, cancellationToken)) { }
            return true;
        }
        catch (WebException ex) when (Code(ex) == FtpStatusCode.ActionNotTakenFileUnavailable)
        {
            return false;
        }
    }

    /// <summary>RNFR/RNTO; a server that will not rename onto an existing file gets that file deleted first.</summary>
    private async Task RenameCoreAsync(string path, string newPath, CancellationToken cancellationToken)
    {
        var to = await AbsoluteAsync(newPath, cancellationToken);
        try
        {
            using (await SendAsync(FileUri(path), WebRequestMethods.Ftp.Rename, cancellationToken, renameTo: to)) { }
        }
        catch (WebException ex) when (Code(ex) is FtpStatusCode.ActionNotTakenFileUnavailable or FtpStatusCode.ActionNotTakenFilenameNotAllowed)
        {
            if (!await ExistsCoreAsync(path, cancellationToken) || !await ExistsCoreAsync(newPath, cancellationToken)) throw;
            using (await SendAsync(FileUri(newPath), WebRequestMethods.Ftp.DeleteFile, cancellationToken)) { }
            using (await SendAsync(FileUri(path), WebRequestMethods.Ftp.Rename, cancellationToken, renameTo: to)) { }
        }
    }

    private async Task EnsureFolderAsync(string folder, CancellationToken cancellationToken)
    {
        if (folder.Length == 0) return;
        var path = string.Empty;
        foreach (var segment in FileNames.Normalize(folder).Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            path = FileNames.Combine(path, segment);
            if (_folders.Contains(path)) continue;
            try
            {
                using (await SendAsync(FolderUri(path), WebRequestMethods.Ftp.MakeDirectory, cancellationToken)) { }
            }
            catch (WebException ex) when (Code(ex) == FtpStatusCode.ActionNotTakenFileUnavailable)
            {
                // It exists (or cannot be made: then the upload into it says so).
            }
            _folders.Add(path);
        }
    }

    private async Task TryDeleteAsync(string path)
    {
        try
        {
            using (await SendAsync(FileUri(path), WebRequestMethods.Ftp.DeleteFile, CancellationToken.None)) { }
        }
        catch (Exception ex) when (ex is WebException or IOException or SocketException)
        {
            // Gone, or the server is: a temporary name is never picked up, and the next try uploads under a new one.
        }
    }

    /// <summary>The server path for RNTO, which FtpWebRequest sends as given: absolute, from the folder the login starts in.</summary>
    private async Task<string> AbsoluteAsync(string path, CancellationToken cancellationToken)
    {
        if (_home is null)
        {
            using var response = await SendAsync(BuildUri(string.Empty, folder: true, fromLogin: true), WebRequestMethods.Ftp.PrintWorkingDirectory, cancellationToken);
            _home = FtpListing.ParseQuotedPath(response.StatusDescription ?? string.Empty) ?? "/";
        }
        return FtpListing.Absolute(_home, options.Root, path);
    }

    private static bool IsTransient(Exception ex) => ex switch
    {
        WebException { Response: FtpWebResponse response } when response.StatusCode != 0 => FtpErrors.IsTransient((int)response.StatusCode),
        WebException web => web.Status is WebExceptionStatus.ConnectFailure or WebExceptionStatus.Timeout or WebExceptionStatus.ReceiveFailure
            or WebExceptionStatus.SendFailure or WebExceptionStatus.ConnectionClosed or WebExceptionStatus.KeepAliveFailure or WebExceptionStatus.PipelineFailure
            or WebExceptionStatus.UnknownError or WebExceptionStatus.NameResolutionFailure,
        FileStoreException => false,
        IOException or SocketException or TimeoutException => true,
        _ => false,
    };

    private static FtpStatusCode Code(WebException ex) => ex.Response is FtpWebResponse response ? response.StatusCode : 0;

    private static string? Reply(WebException ex) => ex.Response is FtpWebResponse { StatusDescription: { } text } ? text.Trim() : null;

    private Uri FolderUri(string folder) => BuildUri(folder, folder: true);

    private Uri FileUri(string path) => BuildUri(path, folder: false);

    /// <summary>
    /// ftp://host:port/ plus the path relative to the folder the login starts in (FtpWebRequest changes into it); an absolute
    /// root starts with %2F, which FtpWebRequest takes as the server's root.
    /// </summary>
    private Uri BuildUri(string path, bool folder, bool fromLogin = false)
    {
        var root = fromLogin ? string.Empty : options.Root.Trim('/');
        var full = FileNames.Combine(root, path);
        if (full.AsSpan().IndexOfAny('\r', '\n') >= 0) throw new ArgumentException($"'{full}' holds a line break, which FTP cannot carry", nameof(path));
        var escaped = string.Join('/', full.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.EscapeDataString));
        if (!fromLogin && options.Root.StartsWith('/')) escaped = "%2F" + escaped;
        if (folder && escaped.Length > 0) escaped += "/";
        return new Uri($"ftp://{options.Host}:{options.Port}/{escaped}");
    }
}
