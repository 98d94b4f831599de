using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace SyncEngine.Connectors.Files.Transports;

/// <summary>
/// One logged-in FTPS control connection with explicit TLS (RFC 4217): AUTH TLS, then USER/PASS inside TLS, PBSZ 0 and
/// PROT P so every data connection is encrypted too, binary type, passive mode. Every read and write gives up after the
/// timeout. A session that failed in any way is not used again: the store opens a new one.
/// </summary>
internal sealed class FtpsSession : IAsyncDisposable
{
    private readonly RemoteOptions _options;
    private readonly CertificateCheck _certificate;
    private readonly Socket _socket;
    private Stream _stream;
    private readonly byte[] _buffer = new byte[8192];
    private int _start;
    private int _end;

    private FtpsSession(RemoteOptions options, CertificateCheck certificate, Socket socket)
    {
        _options = options;
        _certificate = certificate;
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
    }

    /// <summary>The folder the login starts in, absolute.</summary>
    public string Home { get; private set; } = "/";

    public static async Task<FtpsSession> OpenAsync(RemoteOptions options, CertificateCheck certificate, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        FtpsSession? session = null;
        try
        {
            using (var within = Transient.Within(options.Timeout, cancellationToken))
                await Timed(socket.ConnectAsync(options.Host, options.Port, within.Token), within, cancellationToken, options, "connecting");
            session = new FtpsSession(options, certificate, socket);
            var greeting = await session.ReadReplyAsync(cancellationToken);
            while (greeting.Code == 120) greeting = await session.ReadReplyAsync(cancellationToken);
            if (greeting.Code != 220) throw new FtpReplyException("connect", greeting);

            await session.ExpectAsync("AUTH TLS", cancellationToken, 234);
            session._stream = await session.SecureAsync(session._stream, cancellationToken);

            var user = await session.CommandAsync("USER " + options.User, cancellationToken);
            if (user.Code == 331)
                user = await session.CommandAsync("PASS " + (options.Password.Reveal() ?? string.Empty), cancellationToken);
            if (user.Code == 530) throw FtpErrors.LoginRefused(options, user.ToString(), null);
            if (user.Code != 230) throw new FtpReplyException("login", user);

            await session.ExpectAsync("PBSZ 0", cancellationToken, 200);
            await session.ExpectAsync("PROT P", cancellationToken, 200);
            await session.ExpectAsync("TYPE I", cancellationToken, 200);
            // Names in UTF-8 where the server offers it; a server that does not know the command is no problem.
            await session.CommandAsync("OPTS UTF8 ON", cancellationToken);
            var pwd = await session.ExpectAsync("PWD", cancellationToken, 257);
            session.Home = FtpListing.ParseQuotedPath(pwd.Text) ?? "/";
            return session;
        }
        catch
        {
            if (session is not null) await session.DisposeAsync();
            else socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends a command and reads its final answer, whatever its code.</summary>
    public async Task<FtpReply> CommandAsync(string command, CancellationToken cancellationToken)
    {
        await SendAsync(command, cancellationToken);
        return await ReadReplyAsync(cancellationToken);
    }

    /// <summary>Sends a command; an answer with another code than <paramref name="expected"/> throws <see cref="FtpReplyException"/>.</summary>
    public async Task<FtpReply> ExpectAsync(string command, CancellationToken cancellationToken, params int[] expected)
    {
        var reply = await CommandAsync(command, cancellationToken);
        return reply.Is(expected) ? reply : throw new FtpReplyException(Masked(command), reply);
    }

    /// <summary>
    /// Opens a passive data connection and sends <paramref name="command"/> (RETR, STOR, LIST) over the control connection; once
    /// the server says 150 the data connection is secured. Finish with <see cref="FinishAsync"/>.
    /// </summary>
    public async Task<Stream> OpenDataAsync(string command, CancellationToken cancellationToken)
    {
        var pasv = await ExpectAsync("PASV", cancellationToken, 227);
        // The address in the answer is ignored: data goes to the host of the control connection (no FTP bounce, works behind NAT).
        var port = ParsePassivePort(pasv.Text) ?? throw new FtpReplyException("PASV", pasv);
        var address = ((IPEndPoint)_socket.RemoteEndPoint!).Address;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using (var within = Transient.Within(_options.Timeout, cancellationToken))
                await Timed(socket.ConnectAsync(address, port, within.Token), within, cancellationToken, _options, "opening a data connection");
            var reply = await CommandAsync(command, cancellationToken);
            if (reply.Code is not (125 or 150)) throw new FtpReplyException(command, reply);
            return await SecureAsync(new NetworkStream(socket, ownsSocket: true), cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Ends a transfer: an upload with a TLS close_notify, so the server knows the file is complete (vsftpd answers 426 to an
    /// upload whose data connection just closes); then the server's final answer must be 226 or 250.
    /// </summary>
    public async Task FinishAsync(Stream data, bool upload, string command, CancellationToken cancellationToken)
    {
        if (upload && data is SslStream ssl)
        {
            using var within = Transient.Within(_options.Timeout, cancellationToken);
            await Timed(ssl.ShutdownAsync(), within, cancellationToken, _options, "closing the upload");
        }
        await data.DisposeAsync();
        var reply = await ReadReplyAsync(cancellationToken);
        if (reply.Code is not (226 or 250)) throw new FtpReplyException(command, reply);
    }

    /// <summary>Copies with the timeout on every read and write, so a stalled transfer fails instead of hanging.</summary>
    public async Task CopyAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            int read;
            using (var within = Transient.Within(_options.Timeout, cancellationToken))
                read = await Timed(from.ReadAsync(buffer, within.Token).AsTask(), within, cancellationToken, _options, "transferring");
            if (read == 0) return;
            using (var within = Transient.Within(_options.Timeout, cancellationToken))
                await Timed(to.WriteAsync(buffer.AsMemory(0, read), within.Token).AsTask(), within, cancellationToken, _options, "transferring");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var within = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await SendAsync("QUIT", within.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or TimeoutException)
        {
            // Closing anyway.
        }
        try
        {
            await _stream.DisposeAsync();
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // Closing anyway.
        }
        _socket.Dispose();
    }

    private async Task<Stream> SecureAsync(Stream inner, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false);
        try
        {
            using var within = Transient.Within(_options.Timeout, cancellationToken);
            await Timed(ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = _options.Host,
                RemoteCertificateValidationCallback = _certificate.Validate,
                EnabledSslProtocols = SslProtocols.None,
            }, within.Token), within, cancellationToken, _options, "the TLS handshake");
            return ssl;
        }
        catch (AuthenticationException ex) when (_certificate.Rejected)
        {
            await ssl.DisposeAsync();
            throw _certificate.Refusal(_options, ex);
        }
        catch
        {
            await ssl.DisposeAsync();
            throw;
        }
    }

    private async Task SendAsync(string command, CancellationToken cancellationToken)
    {
        if (command.AsSpan().IndexOfAny('\r', '\n') >= 0) throw new ArgumentException("an FTP command cannot hold a line break", nameof(command));
        var bytes = Encoding.UTF8.GetBytes(command + "\r\n");
        using var within = Transient.Within(_options.Timeout, cancellationToken);
        await Timed(_stream.WriteAsync(bytes, within.Token).AsTask(), within, cancellationToken, _options, Masked(command));
        await Timed(_stream.FlushAsync(within.Token), within, cancellationToken, _options, Masked(command));
    }

    /// <summary>Reads one answer; a multi-line answer (<c>211-...</c> up to <c>211 ...</c>) comes back as one, with its last line's text.</summary>
    private async Task<FtpReply> ReadReplyAsync(CancellationToken cancellationToken)
    {
        var line = await ReadLineAsync(cancellationToken);
        if (line.Length < 3 || !int.TryParse(line.AsSpan(0, 3), out var code)) throw new IOException($"the server sent '{line}', which is no FTP answer");
        if (line.Length > 3 && line[3] == '-')
        {
            var end = line[..3] + " ";
            do line = await ReadLineAsync(cancellationToken);
            while (!line.StartsWith(end, StringComparison.Ordinal) && line != end.TrimEnd());
        }
        return new FtpReply(code, line.Length > 4 ? line[4..] : string.Empty);
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new List<byte>(128);
        while (true)
        {
            if (_start == _end)
            {
                using var within = Transient.Within(_options.Timeout, cancellationToken);
                _end = await Timed(_stream.ReadAsync(_buffer, within.Token).AsTask(), within, cancellationToken, _options, "waiting for the server's answer");
                _start = 0;
                if (_end == 0) throw new IOException($"{_options.Host}:{_options.Port} closed the connection");
            }
            var b = _buffer[_start++];
            if (b == '\n') return Encoding.UTF8.GetString([.. line]).TrimEnd('\r');
            if (line.Count > 64 * 1024) throw new IOException("the server's answer is longer than 64 KiB");
            line.Add(b);
        }
    }

    /// <summary>Turns the expiry of a per-call timeout into a <see cref="TimeoutException"/> that says what was waited for.</summary>
    private static async Task Timed(Task task, CancellationTokenSource within, CancellationToken cancellationToken, RemoteOptions options, string what)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException ex) when (within.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{options.Host}:{options.Port} did not respond within {options.Timeout.TotalSeconds:0.#} s ({what})", ex);
        }
    }

    private static async Task<T> Timed<T>(Task<T> task, CancellationTokenSource within, CancellationToken cancellationToken, RemoteOptions options, string what)
    {
        try
        {
            return await task;
        }
        catch (OperationCanceledException ex) when (within.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{options.Host}:{options.Port} did not respond within {options.Timeout.TotalSeconds:0.#} s ({what})", ex);
        }
    }

    private static async ValueTask Timed(ValueTask task, CancellationTokenSource within, CancellationToken cancellationToken, RemoteOptions options, string what) =>
        await Timed(task.AsTask(), within, cancellationToken, options, what);

    /// <summary>The port of a 227 answer: <c>Entering Passive Mode (127,0,0,1,82,8)</c>.</summary>
    internal static int? ParsePassivePort(string text)
    {
        var open = text.IndexOf('(');
        var close = open < 0 ? -1 : text.IndexOf(')', open);
        var numbers = (open >= 0 && close > open ? text[(open + 1)..close] : text).Split(',', StringSplitOptions.TrimEntries);
        if (numbers.Length < 6) return null;
        if (!int.TryParse(numbers[^2].Split(' ')[^1], out var high) || !int.TryParse(numbers[^1].Split(' ')[0], out var low)) return null;
        return high is >= 0 and <= 255 && low is >= 0 and <= 255 ? high * 256 + low : null;
    }

    private static string Masked(string command) => command.StartsWith("PASS ", StringComparison.OrdinalIgnoreCase) ? "PASS ***" : command;
}

/// <summary>
/// Checks an FTPS server's certificate: by normal chain and name validation, or, when one is pinned, only by its SHA-256
/// fingerprint (for a server with a self-signed certificate). Remembers what the server presented, for the message.
/// </summary>
internal sealed class CertificateCheck(string? pinnedSha256)
{
    private readonly string? _pinned = pinnedSha256 is null ? null : Normalize(pinnedSha256);
    private string? _presented;
    private string? _subject;
    private SslPolicyErrors _errors;

    public bool Rejected { get; private set; }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            Rejected = true;
            return false;
        }
        _presented = Convert.ToHexString(SHA256.HashData(certificate.GetRawCertData()));
        _subject = certificate.Subject;
        _errors = errors;
        var ok = _pinned is null ? errors == SslPolicyErrors.None : string.Equals(_presented, _pinned, StringComparison.Ordinal);
        Rejected = !ok;
        return ok;
    }

    public FileStoreException Refusal(RemoteOptions options, Exception inner)
    {
        var why = _pinned is null
            ? $"that is not trusted ({_errors})"
            : $"that is not the one SyncEngine:Connections:{options.Connection}:CertificateSha256 pins ({_pinned})";
        return new FileStoreException(
            $"Connection '{options.Connection}': the FTPS server {options.Host}:{options.Port} presented a certificate ({_subject ?? "none"}, SHA-256 {_presented ?? "-"}) {why}; " +
            "refused to connect, nothing was sent. If it is the server's own self-signed certificate, check it with its administrator and pin its fingerprint in CertificateSha256 " +
            $"(openssl s_client -starttls ftp -connect {options.Host}:{options.Port} </dev/null | openssl x509 -noout -fingerprint -sha256).", inner);
    }

    /// <summary>Upper-case hex without colons or spaces, as <c>openssl x509 -fingerprint -sha256</c> prints it less the colons.</summary>
    public static string Normalize(string fingerprint) =>
        fingerprint.Replace(":", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal).Trim().ToUpperInvariant();
}
