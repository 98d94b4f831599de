using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;

namespace SyncEngine.Connectors.Files.Transports;

/// <summary>
/// Files on an FTP server with explicit TLS (FTPS), through our own small client (<see cref="FtpsSession"/>): FtpWebRequest's
/// TLS data channel is broken on .NET 10 (it hands back raw TLS records: listings of garbage, downloads that hang, uploads
/// answered 426; dotnet/runtime#123135, #134130). One control connection serves the run; one that failed is replaced.
/// </summary>
internal sealed class FtpsFileStore(RemoteOptions options, string? certificateSha256) : IFileStore
{
    private readonly CertificateCheck _certificate = new(certificateSha256);
    private readonly HashSet<string> _folders = new(StringComparer.Ordinal);
    private FtpsSession? _session;

    public string Display => options.Display;

    public Task<IReadOnlyList<FileEntry>> ListAsync(string folder, string pattern, CancellationToken cancellationToken) =>
        RunAsync("list", folder, true, async (session, ct) =>
        {
            var entries = new List<FileEntry>();
            foreach (var entry in await ListCoreAsync(session, folder, pattern, ct))
            {
                var path = FileNames.Combine(folder, entry.Name);
                var stamp = await session.ExpectAsync("MDTM " + Absolute(session, path), ct, 213);
                var modified = FtpListing.ParseModified(stamp.Text) ?? throw new IOException($"MDTM of '{path}' answered '{stamp}', which is no time");
                entries.Add(new FileEntry(path, entry.Name, entry.Length, modified));
            }
            return (IReadOnlyList<FileEntry>)entries.OrderBy(e => e.Modified).ThenBy(e => e.Name, StringComparer.Ordinal).ToList();
        }, cancellationToken);

    public Task<IReadOnlyList<string>> ListNamesAsync(string folder, string pattern, CancellationToken cancellationToken) =>
        RunAsync("list", folder, true, async (session, ct) =>
            (IReadOnlyList<string>)(await ListCoreAsync(session, folder, pattern, ct)).Select(e => e.Name).ToList(), cancellationToken);

    /// <summary>The regular files of a folder from a Unix-style LIST, temporary names left out.</summary>
    private async Task<List<(string Name, long Length)>> ListCoreAsync(FtpsSession session, string folder, string pattern, CancellationToken cancellationToken)
    {
        var glob = FileNames.Glob(pattern);
        // LIST of a folder that does not exist answers with an empty listing on some servers (vsftpd): change into it first.
        await session.ExpectAsync("CWD " + Absolute(session, folder), cancellationToken, 250);
        var entries = new List<(string Name, long Length)>();
        var data = await session.OpenDataAsync("LIST", cancellationToken);
        await using var buffer = new MemoryStream();
        await session.CopyAsync(data, buffer, cancellationToken);
        await session.FinishAsync(data, upload: false, "LIST", cancellationToken);
        buffer.Position = 0;
        using var reader = new StreamReader(buffer, Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (FtpListing.ParseListLine(line) is { } entry && FileNames.IsListed(entry.Name, pattern) && glob.IsMatch(entry.Name))
                entries.Add(entry);
        }
        return entries;
    }

    public Task<bool> ExistsAsync(string path, CancellationToken cancellationToken) =>
        RunAsync("check", path, false, (session, ct) => ExistsCoreAsync(session, path, ct), cancellationToken);

    public Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken) =>
        RunAsync("download", path, false, async (session, ct) =>
        {
            // A failed try leaves nothing behind: the next one starts a new local file from the first byte.
            var local = LocalTemp.Create();
            try
            {
                var command = "RETR " + Absolute(session, path);
                var data = await session.OpenDataAsync(command, ct);
                await session.CopyAsync(data, local, ct);
                await session.FinishAsync(data, upload: false, command, ct);
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
        await RunAsync("upload", path, false, async (session, ct) =>
        {
            await EnsureFolderAsync(session, FileNames.ParentOf(path), ct);
            var temp = FileNames.TempNameFor(path);
            try
            {
                var command = "STOR " + Absolute(session, temp);
                var data = await session.OpenDataAsync(command, ct);
                try
                {
                    local.Position = 0;
                    await session.CopyAsync(options.UploadFilter?.Invoke(local) ?? local, data, ct);
                }
                catch
                {
                    // No close_notify: the server takes the transfer as failed. The session is dropped with it.
                    await data.DisposeAsync();
                    throw;
                }
                await session.FinishAsync(data, upload: true, command, ct);
                var size = await session.ExpectAsync("SIZE " + Absolute(session, temp), ct, 213);
                if (size.Text.Trim() != length.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    throw new IOException($"the upload of '{path}' stored {size.Text.Trim()} of {length} bytes");
                await RenameCoreAsync(session, temp, path, ct);
            }
            catch (Exception ex) when (ex is not FileStoreException)
            {
                await TryDeleteAsync(temp);
                throw;
            }
            return true;
        }, cancellationToken);
    }

    public Task RenameAsync(string path, string newPath, CancellationToken cancellationToken) =>
        RunAsync("rename", path, false, async (session, ct) =>
        {
            await EnsureFolderAsync(session, FileNames.ParentOf(newPath), ct);
            await RenameCoreAsync(session, path, newPath, ct);
            return true;
        }, cancellationToken);

    public Task<string> MoveToAsync(string path, string folder, CancellationToken cancellationToken) =>
        RunAsync("move", path, false, async (session, ct) =>
        {
            var targetFolder = FileNames.Combine(FileNames.ParentOf(path), folder);
            await EnsureFolderAsync(session, targetFolder, ct);
            var target = FileNames.Combine(targetFolder, FileNames.NameOf(path));
            if (await ExistsCoreAsync(session, target, ct)) target = FileNames.Combine(targetFolder, FileNames.Suffixed(FileNames.NameOf(path), DateTime.UtcNow));
            await session.ExpectAsync("RNFR " + Absolute(session, path), ct, 350);
            await session.ExpectAsync("RNTO " + Absolute(session, target), ct, 250);
            return target;
        }, cancellationToken);

    public Task DeleteAsync(string path, CancellationToken cancellationToken) =>
        RunAsync("delete", path, false, async (session, ct) =>
        {
            var reply = await session.CommandAsync("DELE " + Absolute(session, path), ct);
            if (reply.Code == 250 || (reply.Code == 550 && !await ExistsCoreAsync(session, path, ct))) return true;
            throw new FtpReplyException("DELE", reply);
        }, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        var session = _session;
        _session = null;
        if (session is not null) await session.DisposeAsync();
    }

    private async Task<T> RunAsync<T>(string operation, string path, bool folder, Func<FtpsSession, CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        try
        {
            return await Transient.RetryAsync(options, $"{operation} '{path}'", async ct =>
            {
                var session = _session ??= await FtpsSession.OpenAsync(options, _certificate, ct);
                try
                {
                    return await attempt(session, ct);
                }
                catch (Exception ex) when (ex is not FtpReplyException { Reply.Code: 550 or 553 } and not FileStoreException)
                {
                    // Whatever broke may have left the control connection out of step: the next operation logs in afresh.
                    await DisposeAsync();
                    throw;
                }
            }, IsTransient, null, cancellationToken);
        }
        catch (FtpReplyException ex) when (ex.Reply.Code == 530)
        {
            throw FtpErrors.LoginRefused(options, ex.Reply.ToString(), ex);
        }
        catch (FtpReplyException ex) when (ex.Reply.Code == 550)
        {
            throw FtpErrors.NotFound(options, operation, path, folder, ex.Reply.ToString(), ex);
        }
        catch (Exception ex) when (ex is IOException or SocketException or TimeoutException or AuthenticationException && ex is not FileStoreException && !cancellationToken.IsCancellationRequested)
        {
            throw FtpErrors.Failed(options, operation, path, ex.Message, ex);
        }
    }

    private async Task<bool> ExistsCoreAsync(FtpsSession session, string path, CancellationToken cancellationToken)
    {
        var reply = await session.CommandAsync("SIZE " + Absolute(session, path), cancellationToken);
        return reply.Code switch
        {
            213 => true,
            550 => false,
            _ => throw new FtpReplyException("SIZE", reply),
        };
    }

    /// <summary>RNFR/RNTO; a server that will not rename onto an existing file gets that file deleted first.</summary>
    private async Task RenameCoreAsync(FtpsSession session, string path, string newPath, CancellationToken cancellationToken)
    {
        await session.ExpectAsync("RNFR " + Absolute(session, path), cancellationToken, 350);
        var reply = await session.CommandAsync("RNTO " + Absolute(session, newPath), cancellationToken);
        if (reply.Code == 250) return;
        if (reply.Code is 550 or 553 && await ExistsCoreAsync(session, newPath, cancellationToken))
        {
            await session.ExpectAsync("DELE " + Absolute(session, newPath), cancellationToken, 250);
            await session.ExpectAsync("RNFR " + Absolute(session, path), cancellationToken, 350);
            await session.ExpectAsync("RNTO " + Absolute(session, newPath), cancellationToken, 250);
            return;
        }
        throw new FtpReplyException("RNTO", reply);
    }

    private async Task EnsureFolderAsync(FtpsSession session, string folder, CancellationToken cancellationToken)
    {
        var path = string.Empty;
        foreach (var segment in FileNames.Normalize(folder).Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            path = FileNames.Combine(path, segment);
            if (_folders.Contains(path)) continue;
            // 257 made; 550 there already (or not allowed: then the upload into it says so).
            var reply = await session.CommandAsync("MKD " + Absolute(session, path), cancellationToken);
            if (reply.Code is not (257 or 550 or 521)) throw new FtpReplyException("MKD", reply);
            _folders.Add(path);
        }
    }

    /// <summary>Deletes what a failed upload left, on a fresh session: the failed one may still owe an answer to the transfer.</summary>
    private async Task TryDeleteAsync(string path)
    {
        await DisposeAsync();
        try
        {
            using var within = new CancellationTokenSource(options.Timeout);
            var session = _session = await FtpsSession.OpenAsync(options, _certificate, within.Token);
            await session.CommandAsync("DELE " + Absolute(session, path), within.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or TimeoutException or OperationCanceledException or AuthenticationException)
        {
            // The server is gone: a temporary name is never picked up, and the next try uploads under a new one.
            await DisposeAsync();
        }
    }

    private static bool IsTransient(Exception ex) => ex switch
    {
        FileStoreException => false,
        FtpReplyException reply => FtpErrors.IsTransient(reply.Reply.Code),
        AuthenticationException => false,
        TimeoutException or SocketException or IOException => true,
        _ => false,
    };

    private string Absolute(FtpsSession session, string path) => FtpListing.Absolute(session.Home, options.Root, path);
}
