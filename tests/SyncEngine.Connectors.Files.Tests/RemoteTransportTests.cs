using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SyncEngine.Core.Model;
using SyncEngine.Core.State;
using SyncEngine.Testing;

namespace SyncEngine.Connectors.Files.Tests;

/// <summary>
/// The Files connector over real servers on loopback (./test.sh starts them): vsftpd for FTP and FTPS (explicit TLS, pinned
/// self-signed certificate), OpenSSH for SFTP (key login, pinned host key). What the server holds is checked on its disk.
/// </summary>
public abstract class RemoteTransportTests : IAsyncDisposable
{
    private readonly FilesEngine _engine = new();

    static RemoteTransportTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary><c>ftp</c>, <c>ftps</c> or <c>sftp</c>: each transport is a test class of its own, so the three run side by side.</summary>
    protected abstract string Scheme { get; }

    private protected static readonly Order[] Expected =
    [
        Orders.Kovacs with { Customer = null, Totals = new OrderTotals { Gross = 25500.5m } },
        Orders.Nagy with { Customer = null },
    ];

    /// <summary>Stream settings and the mapping's "file" section of each format.</summary>
    private static (Dictionary<string, string?> Stream, string File) Layout(string format) => format switch
    {
        "csv" => (new() { ["Format"] = "csv", ["Delimiter"] = ";", ["Encoding"] = "windows-1250" }, """{ "recordTypes": { "header": "K", "positionen": "P" } }"""),
        "xml" => (new() { ["Format"] = "xml", ["Namespace"] = "urn:example:erp", ["RootElement"] = "Auftraege", ["RecordElement"] = "Auftrag" },
            """{ "children": { "positionen": { "element": "Position" } } }"""),
        "json" => (new() { ["Format"] = "json" }, "{}"),
        _ => (new() { ["Encoding"] = "iso-8859-2" }, FileReaderTests.FixedWidth),
    };

    /// <summary>
    /// csv is written one file per run, from two batches staged on the server (<c>orders.csv</c>); the others one file per
    /// batch (<c>orders-1.xml</c>).
    /// </summary>
    [Theory]
    [InlineData("csv")]
    [InlineData("xml")]
    [InlineData("json")]
    [InlineData("txt")]
    public async Task Orders_make_the_round_trip_through_the_server_whole_and_the_read_file_is_archived_there(string format)
    {
        var server = RemoteServer.Get(Scheme);
        var folder = server.NewFolder();
        var (stream, file) = Layout(format);
        var perRun = format == "csv";
        var name = perRun ? $"orders.{format}" : $"orders-1.{format}";
        var remote = server.Settings(folder);
        _engine.DropOrders(Expected);
        _engine.Set("SyncEngine:Connections:shop:Streams:orders:AfterRead", "Keep")
            // The per-run file also gets a done file, and the reader waits for it.
            .Connection("erp", remote, new Dictionary<string, string?>(stream) { ["Folder"] = "out", ["FileName"] = perRun ? name : $"orders-{{Batch}}.{format}", ["DoneFile"] = perRun ? "{File}.ok" : null })
            .Connection("reference", "reference", new Dictionary<string, string?>(stream) { ["FileName"] = name })
            .Connection("erpin", remote, new Dictionary<string, string?>(stream) { ["Folder"] = "out", ["MinimumAge"] = "00:00:00", ["DoneFile"] = perRun ? "{File}.ok" : null })
            .Connection("back", "back", new Dictionary<string, string?> { ["FileName"] = "order-{Id}.json" })
            .Flow("export", "shop/orders", "erp/orders", _engine.Mapping("write.json", FileReaderTests.Mapping("write", file)), batchSize: perRun ? 1 : 100)
            .Flow("reference", "shop/orders", "reference/orders", "mappings/write.json")
            .Flow("import", "erpin/orders", "back/orders", _engine.Mapping("read.json", FileReaderTests.Mapping("read", file)));

        var exported = await _engine.RunAsync("export");
        await _engine.RunAsync("reference");

        Assert.True(exported.Error is null, exported.Error);
        Assert.Equal((RunStatus.Succeeded, 2L), (exported.Status, exported.Written));
        var onServer = server.Disk($"{folder}/out/{name}");
        Assert.Equal(File.ReadAllBytes(_engine[$"reference/{name}"]), File.ReadAllBytes(onServer));
        Assert.Equal(perRun ? [name, name + ".ok"] : [name], Directory.GetFiles(server.Disk($"{folder}/out")).Select(Path.GetFileName).Order());
        if (perRun) Assert.Empty(Directory.GetFiles(server.Disk($"{folder}/out/{RunFile.StagingFolder}"), "*", SearchOption.AllDirectories));

        var imported = await _engine.RunAsync("import");

        Assert.True(imported.Error is null, imported.Error);
        Assert.Equal((RunStatus.Succeeded, 2L), (imported.Status, imported.Written));
        foreach (var order in Expected)
        {
            var back = CanonicalJson.Deserialize(File.ReadAllText(_engine[$"back/order-{order.Id}.json"]), typeof(Order));
            Assert.Equal(CanonicalJson.Serialize(order), CanonicalJson.Serialize(back));
        }
        Assert.Empty(Directory.GetFiles(server.Disk($"{folder}/out")));
        Assert.True(File.Exists(server.Disk($"{folder}/out/archive/{name}")));
    }

    [Fact]
    public async Task An_upload_killed_half_way_leaves_no_file_under_its_name_and_the_next_run_delivers_it_whole()
    {
        var server = RemoteServer.Get(Scheme);
        var folder = server.NewFolder();
        var uploads = 0;
        _engine.Services(s => s.AddSingleton(new FileTransferHooks
        {
            UploadFilter = source => Interlocked.Increment(ref uploads) == 1 ? new BreakingStream(source, breakAfter: 1500) : source,
        }));
        var orders = Enumerable.Range(1, 60).Select(n => Orders.Nagy with { Id = $"{5000 + n}", OrderNumber = $"SR-{5000 + n}" }).ToArray();
        _engine.DropOrders(orders);
        var stream = new Dictionary<string, string?> { ["Format"] = "csv", ["Delimiter"] = ";", ["FileName"] = "orders-{Batch}.csv" };
        _engine.Set("SyncEngine:Connections:shop:Streams:orders:AfterRead", "Keep")
            .Connection("erp", server.Settings(folder), new Dictionary<string, string?>(stream) { ["Folder"] = "out" })
            .Connection("reference", "reference", stream)
            .Flow("export", "shop/orders", "erp/orders", _engine.Mapping("write.json", Orders.WriteMapping("""{ "recordTypes": { "header": "K", "positionen": "P" } }""")))
            .Flow("reference", "shop/orders", "reference/orders", "mappings/write.json");
        await _engine.RunAsync("reference");
        var whole = File.ReadAllBytes(_engine["reference/orders-1.csv"]);
        Assert.True(whole.Length > 3000);

        var killed = await _engine.RunAsync("export");

        Assert.Equal(RunStatus.Failed, killed.Status);
        Assert.Contains("simulated kill", killed.Error);
        Assert.Null(await _engine.State.GetCursorAsync("export", CancellationToken.None));
        var outbox = server.Disk($"{folder}/out");
        Assert.False(File.Exists(Path.Combine(outbox, "orders-1.csv")));
        Assert.DoesNotContain(Directory.GetFiles(outbox).Select(Path.GetFileName), n => !n!.StartsWith(FileNames.TempPrefix, StringComparison.Ordinal));

        var next = await _engine.RunAsync("export");

        Assert.Equal((RunStatus.Succeeded, 60L), (next.Status, next.Written));
        Assert.Equal(whole, File.ReadAllBytes(Path.Combine(outbox, "orders-1.csv")));
        Assert.Equal(["orders-1.csv"], Directory.GetFiles(outbox).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_half_written_temporary_file_a_killed_process_left_is_never_read()
    {
        var server = RemoteServer.Get(Scheme);
        var folder = server.NewFolder();
        server.Drop($"{folder}/in/orders.json", Encoding.UTF8.GetBytes("[" + CanonicalJson.Serialize(Orders.Kovacs) + "]"));
        server.Drop($"{folder}/in/{FileNames.TempPrefix}orders2.json.1a2b3c4d", Encoding.UTF8.GetBytes("[" + CanonicalJson.Serialize(Orders.Nagy)[..40]));
        _engine.Connection("erpin", server.Settings(folder), new Dictionary<string, string?> { ["Folder"] = "in", ["MinimumAge"] = "00:00:00" })
            .Connection("back", "back", new Dictionary<string, string?> { ["FileName"] = "order-{Id}.json" })
            .Flow("import", "erpin/orders", "back/orders");

        var run = await _engine.RunAsync("import");

        Assert.Equal((RunStatus.Succeeded, 1L, 1L), (run.Status, run.Read, run.Written));
        Assert.True(File.Exists(server.Disk($"{folder}/in/{FileNames.TempPrefix}orders2.json.1a2b3c4d")));
        Assert.True(File.Exists(server.Disk($"{folder}/in/archive/orders.json")));
    }

    protected async Task A_changed_host_key_refuses_the_connection_naming_the_presented_key_and_nothing_is_read()
    {
        var server = RemoteServer.Get("sftp");
        var folder = server.NewFolder();
        server.Drop($"{folder}/in/orders.json", Encoding.UTF8.GetBytes("[" + CanonicalJson.Serialize(Orders.Kovacs) + "]"));
        var settings = server.Settings(folder);
        var pinned = "SHA256:" + new string('Q', 43);
        settings["HostKey"] = pinned;
        _engine.Connection("supplier", settings, new Dictionary<string, string?> { ["Folder"] = "in", ["MinimumAge"] = "00:00:00" })
            .Connection("back", "back", new Dictionary<string, string?> { ["FileName"] = "order-{Id}.json" })
            .Flow("import", "supplier/orders", "back/orders");

        var run = await _engine.RunAsync("import");

        Assert.Equal((RunStatus.Failed, 0L), (run.Status, run.Read));
        var presented = RemoteServer.Env("SYNCENGINE_TEST_SFTP_HOSTKEY_SHA256").TrimEnd('=');
        Assert.Contains("Connection 'supplier'", run.Error);
        Assert.Contains($"presented host key {presented}", run.Error);
        Assert.Contains(pinned, run.Error);
        Assert.Contains("SyncEngine:Connections:supplier:HostKey", run.Error);
        Assert.True(File.Exists(server.Disk($"{folder}/in/orders.json")));
        Assert.False(Directory.Exists(server.Disk($"{folder}/in/archive")));
        Assert.False(Directory.Exists(_engine["back"]));
    }

    /// <summary>FTP and FTPS only: an SFTP login here is by key.</summary>
    protected async Task A_wrong_password_fails_the_run_naming_connection_host_and_user_but_never_the_password()
    {
        var server = RemoteServer.Get(Scheme);
        var folder = server.NewFolder();
        var settings = server.Settings(folder);
        var wrong = "wrong-" + Guid.NewGuid().ToString("N");
        settings["Password"] = wrong;
        _engine.DropOrders(Expected);
        _engine.Connection("erp", settings, new Dictionary<string, string?> { ["Folder"] = "out", ["FileName"] = "order-{Id}.json" })
            .Flow("export", "shop/orders", "erp/orders");

        var run = await _engine.RunAsync("export");

        Assert.Equal((RunStatus.Failed, 0L), (run.Status, run.Written));
        Assert.Contains("Connection 'erp'", run.Error);
        Assert.Contains($"{server.Host}:{server.Port}", run.Error);
        Assert.Contains($"user '{server.User}'", run.Error);
        Assert.Contains("refused the login", run.Error);
        Assert.DoesNotContain(wrong, run.Error);
        Assert.DoesNotContain(server.Password!, run.Error);
        // Nothing was taken from the source: the inbox file is where it was, nothing is committed.
        Assert.True(File.Exists(_engine["inbox/orders.json"]));
        Assert.False(Directory.Exists(_engine["inbox/archive"]));
        Assert.Null(await _engine.State.GetCursorAsync("export", CancellationToken.None));
        Assert.Empty(Directory.GetFileSystemEntries(server.Disk(folder)));
    }

    [Fact]
    public async Task A_missing_remote_folder_fails_the_run_naming_connection_and_path()
    {
        var server = RemoteServer.Get(Scheme);
        var folder = server.NewFolder();
        _engine.Connection("erpin", server.Settings(folder), new Dictionary<string, string?> { ["Folder"] = "no-such-folder", ["MinimumAge"] = "00:00:00" })
            .Connection("back", "back", new Dictionary<string, string?> { ["FileName"] = "order-{Id}.json" })
            .Flow("import", "erpin/orders", "back/orders");

        var run = await _engine.RunAsync("import");

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains("Connection 'erpin'", run.Error);
        Assert.Contains($"folder '{folder}/no-such-folder' does not exist", run.Error);
    }

    [Fact]
    public async Task A_file_that_cannot_be_read_goes_to_the_error_folder_on_the_server_with_its_reason()
    {
        var server = RemoteServer.Get(Scheme);
        var folder = server.NewFolder();
        server.Drop($"{folder}/in/a-broken.json", Encoding.UTF8.GetBytes("[{\"id\": \"1\","));
        server.Drop($"{folder}/in/b-good.json", Encoding.UTF8.GetBytes(CanonicalJson.Serialize(Orders.Kovacs)));
        File.SetLastWriteTimeUtc(server.Disk($"{folder}/in/a-broken.json"), DateTime.UtcNow.AddMinutes(-2));
        _engine.Connection("erpin", server.Settings(folder), new Dictionary<string, string?> { ["Folder"] = "in", ["MinimumAge"] = "00:00:00" })
            .Connection("back", "back", new Dictionary<string, string?> { ["FileName"] = "order-{Id}.json" })
            .Flow("import", "erpin/orders", "back/orders");

        var run = await _engine.RunAsync("import");

        Assert.Equal((RunStatus.Succeeded, 1L), (run.Status, run.Written));
        Assert.True(File.Exists(server.Disk($"{folder}/in/error/a-broken.json")));
        Assert.StartsWith("a-broken.json: not valid JSON", File.ReadAllText(server.Disk($"{folder}/in/error/a-broken.json.error.txt")));
        Assert.True(File.Exists(server.Disk($"{folder}/in/archive/b-good.json")));
        Assert.Empty(Directory.GetFiles(server.Disk($"{folder}/in")));
    }

    protected async Task A_login_with_an_rsa_key_in_pem_format_and_an_absolute_path_works_too()
    {
        var server = RemoteServer.Get("sftp");
        var folder = server.NewFolder();
        server.Drop($"{folder}/in/orders.json", Encoding.UTF8.GetBytes("[" + CanonicalJson.Serialize(Orders.Kovacs) + "]"));
        var settings = server.Settings(folder);
        settings["PrivateKeyFile"] = RemoteServer.Env("SYNCENGINE_TEST_SFTP_KEY_RSA");
        // An absolute server path: two slashes after the host.
        settings["Location"] = $"sftp://{server.Host}:{server.Port}/{server.Disk(folder)}";
        _engine.Connection("erpin", settings, new Dictionary<string, string?> { ["Folder"] = "in", ["MinimumAge"] = "00:00:00", ["AfterRead"] = "Delete" })
            .Connection("back", "back", new Dictionary<string, string?> { ["FileName"] = "order-{Id}.json" })
            .Flow("import", "erpin/orders", "back/orders");

        var run = await _engine.RunAsync("import");

        Assert.Equal((RunStatus.Succeeded, 1L, null), (run.Status, run.Written, run.Error));
        Assert.False(File.Exists(server.Disk($"{folder}/in/orders.json")));
        Assert.True(File.Exists(_engine["back/order-1001.json"]));
    }

    public ValueTask DisposeAsync() => _engine.DisposeAsync();
}

/// <summary>Plain FTP (FtpWebRequest) against vsftpd.</summary>
public sealed class FtpTransportTests : RemoteTransportTests
{
    protected override string Scheme => "ftp";

    [Fact]
    public Task A_wrong_ftp_password_fails_the_run_naming_connection_host_and_user_but_never_the_password() =>
        A_wrong_password_fails_the_run_naming_connection_host_and_user_but_never_the_password();
}

/// <summary>FTPS, explicit TLS with a pinned self-signed certificate, against vsftpd.</summary>
public sealed class FtpsTransportTests : RemoteTransportTests
{
    protected override string Scheme => "ftps";

    [Fact]
    public Task A_wrong_ftps_password_fails_the_run_naming_connection_host_and_user_but_never_the_password() =>
        A_wrong_password_fails_the_run_naming_connection_host_and_user_but_never_the_password();

    [Theory]
    [InlineData(null, "that is not trusted (RemoteCertificateChainErrors)")]
    [InlineData("00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF", "that is not the one SyncEngine:Connections:erp:CertificateSha256 pins")]
    public async Task A_certificate_that_is_neither_trusted_nor_pinned_is_refused_before_the_login(string? pin, string why)
    {
        await using var engine = new FilesEngine();
        var server = RemoteServer.Get("ftps");
        var folder = server.NewFolder();
        var settings = server.Settings(folder);
        settings["CertificateSha256"] = pin;
        engine.DropOrders(Expected);
        engine.Connection("erp", settings, new Dictionary<string, string?> { ["Folder"] = "out", ["FileName"] = "order-{Id}.json" })
            .Flow("export", "shop/orders", "erp/orders");

        var run = await engine.RunAsync("export");

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains($"Connection 'erp': the FTPS server {server.Host}:{server.Port} presented a certificate (CN=127.0.0.1, SHA-256 {RemoteServer.Env("SYNCENGINE_TEST_FTP_CERT_SHA256")})", run.Error);
        Assert.Contains(why, run.Error);
        Assert.True(File.Exists(engine["inbox/orders.json"]));
        Assert.Empty(Directory.GetFileSystemEntries(server.Disk(folder)));
    }
}

/// <summary>SFTP with a pinned host key and key login, against OpenSSH.</summary>
public sealed class SftpTransportTests : RemoteTransportTests
{
    protected override string Scheme => "sftp";

    [Fact]
    public Task A_changed_sftp_host_key_refuses_the_connection_naming_the_presented_key_and_nothing_is_read() =>
        A_changed_host_key_refuses_the_connection_naming_the_presented_key_and_nothing_is_read();

    [Fact]
    public Task Sftp_logs_in_with_an_rsa_key_in_pem_format_and_takes_an_absolute_server_path() =>
        A_login_with_an_rsa_key_in_pem_format_and_an_absolute_path_works_too();
}

/// <summary>Hands out a stream in small pieces and fails after some bytes, as if the process died in the middle of the transfer.</summary>
internal sealed class BreakingStream(Stream inner, long breakAfter) : Stream
{
    private long _read;

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_read >= breakAfter) throw new InvalidOperationException($"simulated kill after {_read} bytes of the upload");
        var n = inner.Read(buffer, offset, (int)Math.Min(Math.Min(count, 256), breakAfter - _read));
        _read += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer, offset, count));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var array = new byte[Math.Min(buffer.Length, 256)];
        var n = Read(array, 0, array.Length);
        array.AsSpan(0, n).CopyTo(buffer.Span);
        return ValueTask.FromResult(n);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => inner.Length;
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
