using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using SyncEngine.Core.State;

namespace SyncEngine.Connectors.Files.Tests;

/// <summary>Remote locations in config: checked at start naming the key, never repeating a password; and servers that do not answer.</summary>
public sealed class RemoteConfigTests : IAsyncDisposable
{
    private readonly FilesEngine _engine = new();

    private IReadOnlyList<Core.Connectors.ConfigError> Validate(Dictionary<string, string?> connection)
    {
        _engine.Connection("erp", connection, new Dictionary<string, string?> { ["FileName"] = "order-{Id}.json" })
            .Flow("export", "shop/orders", "erp/orders");
        // The engine adds that flows cannot use the connection; the connection's own errors are what is checked here.
        return _engine.Validate().Where(e => e.Key.StartsWith("SyncEngine:Connections:erp:", StringComparison.Ordinal)).ToList();
    }

    [Fact]
    public void A_password_in_the_location_is_refused_without_repeating_it()
    {
        var errors = Validate(new() { ["Location"] = "ftp://edi:S3cret-pw@ftp.example.com:21/out" });

        var error = Assert.Single(errors);
        Assert.Equal("SyncEngine:Connections:erp:Location", error.Key);
        Assert.Contains("holds a password", error.Message);
        Assert.Contains("SyncEngine__Connections__erp__Password", error.Message);
        Assert.DoesNotContain("S3cret-pw", error.ToString());
    }

    [Fact]
    public void An_sftp_location_without_a_host_key_says_how_to_get_it()
    {
        File.WriteAllText(_engine["id_ed25519"], "not read before the first connection");

        var errors = Validate(new() { ["Location"] = "sftp://edi@sftp.example.com:2222/in", ["PrivateKeyFile"] = "id_ed25519" });

        var error = Assert.Single(errors);
        Assert.Equal("SyncEngine:Connections:erp:HostKey", error.Key);
        Assert.Contains("ssh-keyscan -p 2222 sftp.example.com | ssh-keygen -lf - -E sha256", error.Message);
    }

    [Fact]
    public void Every_wrong_remote_setting_is_named_by_its_key()
    {
        Assert.Equal(
            [
                "SyncEngine:Connections:erp:HostKey: is only for sftp:// locations, not ftp://",
                "SyncEngine:Connections:erp:Password: missing: the password of user 'edi' on ftp://ftp.example.com; set Password, PasswordFile, or the environment variable SyncEngine__Connections__erp__Password",
            ],
            Validate(new() { ["Location"] = "ftp://edi@ftp.example.com", ["HostKey"] = "SHA256:" + new string('A', 43) }).Select(e => e.ToString()).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("ftps://ftp.example.com/out", "CertificateSha256", "AB:CD", "is no SHA-256 fingerprint")]
    [InlineData("sftp://edi@sftp.example.com/in", "HostKey", "ssh-ed25519 AAAA", "is no SHA-256 host key fingerprint")]
    [InlineData("data/out", "User", "edi", "is only for ftp://, ftps:// and sftp:// locations")]
    [InlineData("ftp://ftp.example.com:port/out", "Location", null, "is no port number")]
    [InlineData("http://example.com/out", "Location", null, "no location the Files connector knows")]
    [InlineData("ftp://ftp.example.com/out", "Timeout", "00:00:00", "must be longer than zero")]
    public void A_wrong_remote_setting_is_named_by_its_key(string location, string key, string? value, string message)
    {
        var settings = new Dictionary<string, string?> { ["Location"] = location, ["User"] = location.StartsWith("ftp", StringComparison.Ordinal) ? "edi" : null, ["Password"] = location.StartsWith("ftp", StringComparison.Ordinal) ? "x" : null };
        if (location.StartsWith("sftp", StringComparison.Ordinal)) settings["Password"] = "x";
        if (value is not null) settings[key] = value;

        var error = Assert.Single(Validate(settings));

        Assert.Equal("SyncEngine:Connections:erp:" + key, error.Key);
        Assert.Contains(message, error.Message);
    }

    /// <summary>
    /// A server that takes the connection and then says nothing, or one that never takes it (its queue is full, so the
    /// connection attempt goes unanswered as with a host that drops packets): every try times out, and the run fails after
    /// the retries.
    /// </summary>
    [Theory]
    [InlineData("ftp", false)]
    [InlineData("ftps", false)]
    [InlineData("sftp", false)]
    [InlineData("ftp", true)]
    [InlineData("ftps", true)]
    [InlineData("sftp", true)]
    public async Task A_server_that_never_answers_times_out_and_is_tried_again_before_the_run_fails(string scheme, bool neverTakesTheConnection)
    {
        using var listener = new SilentServer(neverTakesTheConnection);
        _engine.Services(s => s.AddSingleton(new FileTransferHooks { RetryDelay = TimeSpan.FromMilliseconds(10) }));
        _engine.Connection("erpin", new Dictionary<string, string?>
            {
                ["Location"] = $"{scheme}://edi@127.0.0.1:{listener.Port}/in",
                ["Password"] = "secret-password",
                ["HostKey"] = scheme == "sftp" ? "SHA256:" + new string('A', 43) : null,
                ["Timeout"] = "00:00:01",
                ["Retries"] = "1",
            }, new Dictionary<string, string?> { ["MinimumAge"] = "00:00:00" })
            .Connection("back", "back", new Dictionary<string, string?> { ["FileName"] = "order-{Id}.json" })
            .Flow("import", "erpin/orders", "back/orders");
        var stopwatch = Stopwatch.StartNew();

        var run = await _engine.RunAsync("import");

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains("Connection 'erpin'", run.Error);
        Assert.Contains("2 times", run.Error);
        Assert.DoesNotContain("secret-password", run.Error);
        Assert.Contains($"127.0.0.1:{listener.Port}", run.Error);
        Assert.Equal(neverTakesTheConnection ? 0 : 2, listener.Accepted);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(20), $"took {stopwatch.Elapsed}");
    }

    public ValueTask DisposeAsync() => _engine.DisposeAsync();

    private sealed class SilentServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly List<Socket> _sockets = [];
        private int _accepted;

        public SilentServer(bool neverTakesTheConnection)
        {
            if (!neverTakesTheConnection)
            {
                _listener.Start();
                _ = AcceptAsync();
                return;
            }
            // Connections that nobody accepts fill the listen queue; then the kernel leaves every new attempt unanswered.
            _listener.Start(0);
            for (var i = 0; i < 64; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                _sockets.Add(socket);
                if (!socket.ConnectAsync(_listener.LocalEndpoint).Wait(TimeSpan.FromMilliseconds(500))) return;
            }
            throw new InvalidOperationException("the listen queue did not fill up");
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Accepted => Volatile.Read(ref _accepted);

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var socket = await _listener.AcceptSocketAsync();
                    lock (_sockets) _sockets.Add(socket);
                    Interlocked.Increment(ref _accepted);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            lock (_sockets) foreach (var socket in _sockets) socket.Dispose();
        }
    }
}
