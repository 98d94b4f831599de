using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Model;
using SyncEngine.Core.State;

namespace SyncEngine.Connectors.Files.Tests;

/// <summary>
/// One file per run (a FileName with neither a record field nor {Batch}): every batch staged as a part beside the target,
/// one file published when the run completes; nothing committed lost, nothing published twice, whenever the process dies.
/// </summary>
public sealed class RunFileTests : IAsyncDisposable
{
    private static readonly Encoding Utf8 = new UTF8Encoding(false);
    private readonly FilesEngine _engine = new();

    static RunFileTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    private static Order Numbered(int n) => Orders.Nagy with { Id = $"{1000 + n}", OrderNumber = $"SR-{1000 + n}" };

    private static readonly Order[] Five = [Orders.Kovacs, Orders.Nagy, Numbered(3), Numbered(4), Numbered(5)];

    private const string CsvHeader = "K;Belegnummer;Datum;Kunde;Betrag\r\nP;Pos;Artikel;Menge;Preis\r\n";

    private static string CsvLines(Order order) => order.Id == "1001"
        ? "K;SR-1001;2026-11-20T09:15:00+01:00;Kovács;25500,5\r\nP;1;KE-100;2;7874,02\r\nP;2;SD-64;1;3149,61\r\n"
        : $"K;{order.OrderNumber};2026-11-21T16:40:00+01:00;Nagy;1234,56\r\nP;1;AB-1;3;10\r\n";

    private static Dictionary<string, string?> CsvStream(string fileName) => new()
    {
        ["Format"] = "csv", ["Delimiter"] = ";", ["FileName"] = fileName,
    };

    private string Out => _engine["out"];

    /// <summary>The published files in out/ (not the staging folder), by name.</summary>
    private string[] Published(string pattern = "*.csv") => Directory.GetFiles(Out, pattern).Select(Path.GetFileName).Order().ToArray()!;

    private string[] Staged() =>
        Directory.Exists(Path.Combine(Out, RunFile.StagingFolder))
            ? Directory.GetFiles(Path.Combine(Out, RunFile.StagingFolder), "*", SearchOption.AllDirectories)
            : [];

    [Fact]
    public async Task One_file_per_run_holds_one_header_and_every_batch_in_order()
    {
        _engine.DropOrders(Five);
        _engine.Connection("erp", "out", CsvStream("stock-{RunTime:yyyyMMdd-HHmmss}.csv"))
            .Flow("export", "shop/orders", "erp/orders", _engine.Mapping("export.json", Orders.WriteMapping("""{ "recordTypes": { "header": "K", "positionen": "P" } }""")), batchSize: 2);

        var run = await _engine.RunAsync("export");

        Assert.Equal((RunStatus.Succeeded, 5L), (run.Status, run.Written));
        var file = Assert.Single(Published());
        Assert.Matches(new Regex(@"^stock-\d{8}-\d{6}\.csv$"), file);
        var expected = CsvHeader + string.Concat(Five.Select(CsvLines));
        Assert.Equal(expected, Utf8.GetString(File.ReadAllBytes(Path.Combine(Out, file))));
        Assert.Equal(Utf8.GetBytes(expected), File.ReadAllBytes(Path.Combine(Out, file)));
        Assert.Empty(Staged());
        Assert.Empty(Directory.GetFiles(Out, FileNames.TempPrefix + "*", SearchOption.AllDirectories));
    }

    public static TheoryData<string, string?, string> Formats => new()
    {
        { "csv", Orders.WriteMapping("""{ "recordTypes": { "header": "K", "positionen": "P" } }"""), "Format=csv;Delimiter=|" },
        { "csv", Orders.WriteMapping("""{ "recordTypes": { "header": "K", "positionen": "P" } }"""), "Format=csv;BOM=true" },
        { "csv", Orders.WriteMapping("""{ "recordTypes": { "header": "K", "positionen": "P" } }"""), "Format=csv;Header=false;BOM=true" },
        { "csv", Orders.WriteMapping("""{ "recordTypes": { "header": "K", "positionen": "P" } }"""), "Format=csv;Encoding=iso-8859-2;QuoteAll=true" },
        { "xml", Orders.WriteMapping("""{ "children": { "positionen": { "element": "Position" } } }""", culture: "en-US"), "Format=xml;Namespace=urn:example:erp" },
        { "xml", Orders.WriteMapping("""{ "attributes": true, "children": { "positionen": { "element": "Position" } } }""", culture: "en-US"), "Format=xml;Indent=false;Encoding=iso-8859-2" },
        { "xml", Orders.WriteMapping("""{ "children": { "positionen": { "element": "Position" } } }""", culture: "en-US"), "Format=xml;Indent=false;Namespace=urn:example:erp;BOM=true" },
        { "xml", Orders.WriteMapping("""{ "children": { "positionen": { "element": "Position" } } }""", culture: "en-US"), "Format=xml;Indent=false;Encoding=us-ascii" },
        { "json", Orders.WriteMapping("""{ "format": "json" }"""), "Format=json;BOM=true" },
        { "json", Orders.WriteMapping("""{ "format": "json" }"""), "Format=json;Indent=false" },
        { "json", Orders.WriteMapping("""{ "format": "json" }"""), "Format=json;Lines=ndjson" },
        { "json", Orders.WriteMapping("""{ "format": "json" }"""), "Format=json;Indent=false;BOM=true" },
        { "json", Orders.WriteMapping("""{ "format": "json" }"""), "Format=json;Lines=ndjson;Encoding=windows-1250" },
        { "txt", FileWriterTests.FixedWidthMapping, "Encoding=windows-1250" },
        { "json", null, "Format=json" },
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task A_file_gathered_over_three_batches_is_byte_for_byte_the_file_one_batch_writes(string extension, string? mapping, string settings)
    {
        var (whole, run) = await OneFileAndRunFileAsync(extension, mapping, settings, Five, wholeBatch: 100, runBatch: 2);

        Assert.Equal(RunStatus.Succeeded, whole.Status);
        Assert.Equal((RunStatus.Succeeded, 5L), (run.Status, run.Written));
        Assert.Equal(File.ReadAllBytes(_engine[$"out/one/orders-1.{extension}"]), File.ReadAllBytes(_engine[$"out/run/orders.{extension}"]));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task A_large_batch_staged_in_slices_is_byte_for_byte_the_file_one_batch_writes(string extension, string? mapping, string settings)
    {
        // 2,500 orders in one batch: its lines are written in slices on every core, then joined.
        var orders = Enumerable.Range(0, 500).SelectMany(n => Five.Select(o => o with { Id = $"{n}-{o.Id}", OrderNumber = $"{n}/{o.OrderNumber![3..]}" })).ToArray();

        var (whole, run) = await OneFileAndRunFileAsync(extension, mapping, settings, orders, wholeBatch: 5000, runBatch: 5000);

        Assert.Equal((RunStatus.Succeeded, 2500L), (whole.Status, whole.Written));
        Assert.Equal((RunStatus.Succeeded, 2500L), (run.Status, run.Written));
        Assert.Equal(File.ReadAllBytes(_engine[$"out/one/orders-1.{extension}"]), File.ReadAllBytes(_engine[$"out/run/orders.{extension}"]));
    }

    /// <summary>The orders exported twice with the same stream settings: as a file per batch ("whole"), then as a file per run ("parts").</summary>
    private async Task<(RunRecord Whole, RunRecord Parts)> OneFileAndRunFileAsync(string extension, string? mapping, string settings, Order[] orders,
        int wholeBatch, int runBatch)
    {
        var stream = settings.Split(';').Select(s => s.Split('=', 2)).ToDictionary(p => p[0], p => (string?)p[1]);
        if (mapping is not null) stream["Mapping"] = _engine.Mapping("export.json", mapping);
        _engine.DropOrders(orders);
        _engine.Set("SyncEngine:Connections:shop:Streams:orders:AfterRead", "Keep")
            .Connection("one", "out/one", new Dictionary<string, string?>(stream) { ["FileName"] = $"orders-{{Batch}}.{extension}" })
            .Connection("run", "out/run", new Dictionary<string, string?>(stream) { ["FileName"] = $"orders.{extension}" })
            .Flow("whole", "shop/orders", "one/orders", batchSize: wholeBatch)
            .Flow("parts", "shop/orders", "run/orders", batchSize: runBatch);
        return (await _engine.RunAsync("whole"), await _engine.RunAsync("parts"));
    }

    [Fact]
    public async Task A_run_killed_after_two_committed_batches_is_published_whole_with_the_next_run_and_every_row_once()
    {
        var connector = await KilledAfterTwoBatchesAsync();
        Assert.Empty(Published());
        Assert.Equal(2, Staged().Length);

        await NextRunAsync(connector);

        Assert.Equal(["stock.csv"], Published());
        Assert.Equal(Utf8.GetBytes(CsvHeader + string.Concat(Five.Select(CsvLines))), File.ReadAllBytes(Path.Combine(Out, "stock.csv")));
        Assert.Empty(Staged());
    }

    /// <summary>A csv run's batches are staged as the file's own lines; a part an earlier version staged as rows still joins them.</summary>
    [Fact]
    public async Task A_batch_an_earlier_version_staged_as_rows_is_published_in_its_place_byte_for_byte()
    {
        var connector = await KilledAfterTwoBatchesAsync();
        var first = Staged().Where(p => p.EndsWith(".part", StringComparison.Ordinal)).Order(StringComparer.Ordinal).First();
        Assert.Equal("#syncengine-part 3 lines csv utf-8", File.ReadLines(first).First()[..34]);
        Assert.EndsWith(CsvLines(Five[0]) + CsvLines(Five[1]), File.ReadAllText(first), StringComparison.Ordinal);

        // The first batch as the previous version staged it: typed rows, not lines.
        var rows = new System.Buffers.ArrayBufferWriter<byte>();
        Encoding.ASCII.GetBytes("#syncengine-part 2 rows\n", rows);
        new BinaryRows(rows).Write([
            Row(["SR-1001", "2026-11-20T09:15:00+01:00", "Kovács", "25500,5"], ["1", "KE-100", "2", "7874,02"], ["2", "SD-64", "1", "3149,61"]),
            Row(["SR-1002", "2026-11-21T16:40:00+01:00", "Nagy", "1234,56"], ["1", "AB-1", "3", "10"]),
        ]);
        File.WriteAllBytes(first, rows.WrittenSpan.ToArray());

        await NextRunAsync(connector);

        Assert.Equal(Utf8.GetBytes(CsvHeader + string.Concat(Five.Select(CsvLines))), File.ReadAllBytes(Path.Combine(Out, "stock.csv")));
        Assert.Empty(Staged());

        static Core.Mapping.MappedRow Row(string?[] header, params string?[][] lines)
        {
            static KeyValuePair<string, object?>[] Fields(string[] names, string?[] values) => names.Select((n, i) => new KeyValuePair<string, object?>(n, values[i])).ToArray();
            var children = new Dictionary<string, IReadOnlyList<Core.Mapping.MappedRow>>(StringComparer.OrdinalIgnoreCase)
            {
                ["positionen"] = lines.Select(l => new Core.Mapping.MappedRow(Fields(["Pos", "Artikel", "Menge", "Preis"], l), Core.Mapping.MappedRow.NoChildren)).ToList(),
            };
            return new Core.Mapping.MappedRow(Fields(["Belegnummer", "Datum", "Kunde", "Betrag"], header), children);
        }
    }

    /// <summary>Lines staged with another delimiter cannot be joined into this run's file: the run says which part, and publishes nothing mixed.</summary>
    [Fact]
    public async Task Lines_staged_with_another_delimiter_are_not_joined_and_the_error_names_the_part()
    {
        var mapping = _engine.Mapping("export.json", Orders.WriteMapping("""{ "recordTypes": { "header": "K", "positionen": "P" } }"""));
        _engine.Connection("erp", "out", new Dictionary<string, string?>(CsvStream("stock.csv")) { ["Mapping"] = mapping });
        var killed = _engine.Connector("erp").OpenTarget(FilesEngine.Context("export"));
        await killed.WriteAsync([Item(Five[0])], CancellationToken.None);
        await ((IAsyncDisposable)killed).DisposeAsync();
        var part = Path.GetFileName(Assert.Single(Staged()));

        // The administrator changed the delimiter before the next run.
        await using var changed = new FilesEngine();
        changed.Connection("erp", Out, new Dictionary<string, string?>(CsvStream("stock.csv"))
        {
            ["Mapping"] = changed.Mapping("export.json", Orders.WriteMapping("""{ "recordTypes": { "header": "K", "positionen": "P" } }""")), ["Delimiter"] = "|",
        });
        var next = changed.Connector("erp").OpenTarget(FilesEngine.Context("export"));
        await next.WriteAsync([Item(Five[1])], CancellationToken.None);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ((ICompletableTarget)next).CompleteAsync(CancellationToken.None));
        await ((IAsyncDisposable)next).DisposeAsync();

        Assert.Contains(part, error.Message, StringComparison.Ordinal);
        Assert.Contains("file settings", error.Message, StringComparison.Ordinal);
        Assert.Empty(Published());
    }

    /// <summary>Where a run can die while it publishes: before its manifest, before the rename, after it, at the very end.</summary>
    [Theory]
    [InlineData("write", "manifest.json")]
    [InlineData("rename", "publish.staged")]
    [InlineData("delete", ".part")]
    [InlineData("delete", "manifest.json")]
    public async Task A_crash_while_publishing_leaves_every_row_published_exactly_once_after_the_next_run(string operation, string pathEnd)
    {
        var crash = true;
        _engine.Services(s => s.AddSingleton(new FileTransferHooks
        {
            WrapStore = store => new FaultyStore(store, (op, path) => crash && op == operation && path.EndsWith(pathEnd, StringComparison.Ordinal), () => crash = false),
        }));
        var mapping = _engine.Mapping("export.json", Orders.WriteMapping("""{ "recordTypes": { "header": "K", "positionen": "P" } }"""));
        _engine.Connection("erp", "out", new Dictionary<string, string?>(CsvStream("stock-{RunTime:HHmmssfff}.csv")) { ["Mapping"] = mapping, ["DoneFile"] = "{File}.ok" });
        var connector = _engine.Connector("erp");

        var first = connector.OpenTarget(FilesEngine.Context("export"));
        await first.WriteAsync([Item(Five[0]), Item(Five[1])], CancellationToken.None);
        await first.WriteAsync([Item(Five[2])], CancellationToken.None);
        await Assert.ThrowsAsync<IOException>(() => ((ICompletableTarget)first).CompleteAsync(CancellationToken.None));
        await ((IAsyncDisposable)first).DisposeAsync();
        Assert.False(crash);
        await Task.Delay(5);

        var second = connector.OpenTarget(FilesEngine.Context("export"));
        await second.WriteAsync([Item(Five[3]), Item(Five[4])], CancellationToken.None);
        await ((ICompletableTarget)second).CompleteAsync(CancellationToken.None);
        await ((IAsyncDisposable)second).DisposeAsync();

        var files = Published();
        Assert.NotEmpty(files);
        var rows = new StringBuilder();
        foreach (var file in files)
        {
            var text = Utf8.GetString(File.ReadAllBytes(Path.Combine(Out, file)));
            Assert.StartsWith(CsvHeader, text);
            rows.Append(text[CsvHeader.Length..]);
            Assert.True(File.Exists(Path.Combine(Out, file + ".ok")), $"{file} has no done file");
        }
        Assert.Equal(string.Concat(Five.Select(CsvLines)), rows.ToString());
        Assert.Empty(Staged());
    }

    [Fact]
    public async Task A_crash_after_the_rename_does_not_publish_the_parts_again_even_when_the_receiver_took_the_file()
    {
        var crash = true;
        _engine.Services(s => s.AddSingleton(new FileTransferHooks
        {
            WrapStore = store => new FaultyStore(store, (op, path) => crash && op == "delete" && path.EndsWith(".part", StringComparison.Ordinal), () => crash = false),
        }));
        var mapping = _engine.Mapping("export.json", Orders.WriteMapping("""{ "recordTypes": { "header": "K", "positionen": "P" } }"""));
        _engine.Connection("erp", "out", new Dictionary<string, string?>(CsvStream("stock-{RunTime:HHmmssfff}.csv")) { ["Mapping"] = mapping });
        var connector = _engine.Connector("erp");
        var first = connector.OpenTarget(FilesEngine.Context("export"));
        await first.WriteAsync([Item(Five[0])], CancellationToken.None);
        await Assert.ThrowsAsync<IOException>(() => ((ICompletableTarget)first).CompleteAsync(CancellationToken.None));
        await ((IAsyncDisposable)first).DisposeAsync();
        // The ERP picks the file up before the next run.
        var taken = Assert.Single(Published());
        File.Delete(Path.Combine(Out, taken));
        await Task.Delay(5);

        var second = connector.OpenTarget(FilesEngine.Context("export"));
        await second.WriteAsync([Item(Five[1])], CancellationToken.None);
        await ((ICompletableTarget)second).CompleteAsync(CancellationToken.None);
        await ((IAsyncDisposable)second).DisposeAsync();

        var file = Assert.Single(Published());
        Assert.Equal(CsvHeader + CsvLines(Five[1]), Utf8.GetString(File.ReadAllBytes(Path.Combine(Out, file))));
        Assert.Empty(Staged());
    }

    [Fact]
    public async Task A_run_that_fails_after_committed_batches_publishes_them_and_the_next_run_writes_the_rest()
    {
        var crash = true;
        _engine.Services(s => s.AddSingleton(new FileTransferHooks
        {
            WrapStore = store => new FaultyStore(store, (op, path) => crash && op == "write" && path.EndsWith("-000002.part", StringComparison.Ordinal), () => crash = false),
        }));
        _engine.DropOrders(Five);
        _engine.Connection("erp", "out", CsvStream("stock-{RunTime:HHmmssfff}.csv"))
            .Flow("export", "shop/orders", "erp/orders", _engine.Mapping("export.json", Orders.WriteMapping("""{ "recordTypes": { "header": "K", "positionen": "P" } }""")), batchSize: 2);

        var failed = await _engine.RunAsync("export");
        var published = Assert.Single(Published());
        await Task.Delay(5);
        var next = await _engine.RunAsync("export");

        Assert.Equal((RunStatus.Failed, 2L), (failed.Status, failed.Written));
        Assert.Contains("simulated crash", failed.Error);
        Assert.Equal(CsvHeader + CsvLines(Five[0]) + CsvLines(Five[1]), Utf8.GetString(File.ReadAllBytes(Path.Combine(Out, published))));
        Assert.Equal((RunStatus.Succeeded, 3L), (next.Status, next.Written));
        var second = Assert.Single(Published().Except([published]));
        Assert.Equal(CsvHeader + string.Concat(Five.Skip(2).Select(CsvLines)), Utf8.GetString(File.ReadAllBytes(Path.Combine(Out, second))));
        Assert.Empty(Staged());
    }

    [Fact]
    public async Task A_run_whose_file_cannot_be_published_fails_saying_so_and_the_next_run_publishes_it()
    {
        var crash = true;
        _engine.Services(s => s.AddSingleton(new FileTransferHooks
        {
            WrapStore = store => new FaultyStore(store, (op, path) => crash && op == "rename" && path.EndsWith("publish.staged", StringComparison.Ordinal), () => crash = false),
        }));
        _engine.DropOrders(Five);
        _engine.Connection("erp", "out", CsvStream("stock.csv"))
            .Flow("export", "shop/orders", "erp/orders", _engine.Mapping("export.json", Orders.WriteMapping("""{ "recordTypes": { "header": "K", "positionen": "P" } }""")), batchSize: 2);

        var failed = await _engine.RunAsync("export");
        var next = await _engine.RunAsync("export");

        Assert.Equal((RunStatus.Failed, 5L), (failed.Status, failed.Written));
        Assert.StartsWith("Flow 'export': every batch was written and committed, but the target could not complete the run's output: simulated crash", failed.Error);
        Assert.Equal((RunStatus.Succeeded, 0L), (next.Status, next.Read));
        Assert.Equal(Utf8.GetBytes(CsvHeader + string.Concat(Five.Select(CsvLines))), File.ReadAllBytes(Path.Combine(Out, "stock.csv")));
        Assert.Empty(Staged());
    }

    /// <summary>The process dies after a part is staged and before the engine committed its batch: those records come again.</summary>
    [Fact]
    public async Task A_part_whose_batch_was_never_committed_is_thrown_away_and_its_records_are_published_once()
    {
        var mapping = _engine.Mapping("export.json", Orders.WriteMapping("""{ "recordTypes": { "header": "K", "positionen": "P" } }"""));
        _engine.Connection("erp", "out", new Dictionary<string, string?>(CsvStream("stock.csv")) { ["Mapping"] = mapping });
        var connector = _engine.Connector("erp");
        var receipts = new TestReceipts();

        var killed = connector.OpenTarget(FilesEngine.Context("export", receipts: receipts));
        receipts.Commit((await killed.WriteAsync([Item(Five[0]), Item(Five[1])], CancellationToken.None)).Receipt!);
        await killed.WriteAsync([Item(Five[2])], CancellationToken.None);
        await ((IAsyncDisposable)killed).DisposeAsync();

        var next = connector.OpenTarget(FilesEngine.Context("export", receipts: receipts));
        receipts.Commit((await next.WriteAsync([Item(Five[2]), Item(Five[3])], CancellationToken.None)).Receipt!);
        await ((ICompletableTarget)next).CompleteAsync(CancellationToken.None);
        await ((IAsyncDisposable)next).DisposeAsync();

        Assert.Equal(Utf8.GetBytes(CsvHeader + string.Concat(Five[..4].Select(CsvLines))), File.ReadAllBytes(Path.Combine(Out, "stock.csv")));
        Assert.Empty(Staged());
    }

    /// <summary>
    /// One file per batch: killed after the engine committed batch 1 but before its file was renamed, and after batch 2 was
    /// staged but not committed. The next run publishes batch 1's file as it was, drops batch 2's, and writes those records anew.
    /// </summary>
    [Fact]
    public async Task A_batch_file_is_published_only_once_its_batch_is_committed_whenever_the_process_dies()
    {
        var mapping = _engine.Mapping("export.json", Orders.WriteMapping("""{ "recordTypes": { "header": "K", "positionen": "P" } }"""));
        _engine.Connection("erp", "out", new Dictionary<string, string?>(CsvStream("stock-{Batch}-{RunTime:HHmmssfff}.csv")) { ["Mapping"] = mapping, ["DoneFile"] = "{File}.ok" });
        var connector = _engine.Connector("erp");
        var receipts = new TestReceipts();

        var killed = connector.OpenTarget(FilesEngine.Context("export", receipts: receipts));
        receipts.Commit((await killed.WriteAsync([Item(Five[0]), Item(Five[1])], CancellationToken.None)).Receipt!);
        await killed.WriteAsync([Item(Five[2])], CancellationToken.None);
        await ((IAsyncDisposable)killed).DisposeAsync();
        Assert.Empty(Published());
        await Task.Delay(5);

        var next = connector.OpenTarget(FilesEngine.Context("export", receipts: receipts));
        var written = await next.WriteAsync([Item(Five[2])], CancellationToken.None);
        receipts.Commit(written.Receipt!);
        await ((ICommitAwareTarget)next).OnCommittedAsync(written.Receipt!, CancellationToken.None);
        await ((ICompletableTarget)next).CompleteAsync(CancellationToken.None);
        await ((IAsyncDisposable)next).DisposeAsync();

        var files = Published();
        Assert.Equal(2, files.Length);
        Assert.Equal(Utf8.GetBytes(CsvHeader + CsvLines(Five[0]) + CsvLines(Five[1])), File.ReadAllBytes(Path.Combine(Out, files[0])));
        Assert.Equal(Utf8.GetBytes(CsvHeader + CsvLines(Five[2])), File.ReadAllBytes(Path.Combine(Out, files[1])));
        Assert.Equal(files.Select(f => f + ".ok"), Published("*.ok"));
        Assert.Empty(Staged());
    }

    [Fact]
    public async Task A_run_that_wrote_no_records_writes_no_file()
    {
        _engine.Connection("erp", "out", CsvStream("stock-{RunTime:yyyyMMdd-HHmmss}.csv"))
            .Flow("export", "shop/orders", "erp/orders", _engine.Mapping("export.json", Orders.WriteMapping("""{ "recordTypes": { "header": "K", "positionen": "P" } }""")));

        var run = await _engine.RunAsync("export");

        Assert.Equal((RunStatus.Succeeded, 0L), (run.Status, run.Written));
        Assert.False(Directory.Exists(Out) && Published().Length > 0);
    }

    private static WriteItem Item(Order order) => new(order.Id, order, null);

    /// <summary>A csv run that wrote two batches (committed by the engine) and died before completing: no file, two parts.</summary>
    private async Task<IConnector> KilledAfterTwoBatchesAsync()
    {
        var mapping = _engine.Mapping("export.json", Orders.WriteMapping("""{ "recordTypes": { "header": "K", "positionen": "P" } }"""));
        _engine.Connection("erp", "out", new Dictionary<string, string?>(CsvStream("stock.csv")) { ["Mapping"] = mapping });
        var connector = _engine.Connector("erp");
        var killed = connector.OpenTarget(FilesEngine.Context("export"));
        await killed.WriteAsync([Item(Five[0]), Item(Five[1])], CancellationToken.None);
        await killed.WriteAsync([Item(Five[2])], CancellationToken.None);
        await ((IAsyncDisposable)killed).DisposeAsync();
        return connector;
    }

    /// <summary>The run after it writes the last two orders and completes.</summary>
    private static async Task NextRunAsync(IConnector connector)
    {
        var next = connector.OpenTarget(FilesEngine.Context("export"));
        await next.WriteAsync([Item(Five[3]), Item(Five[4])], CancellationToken.None);
        await ((ICompletableTarget)next).CompleteAsync(CancellationToken.None);
        await ((IAsyncDisposable)next).DisposeAsync();
    }

    public ValueTask DisposeAsync() => _engine.DisposeAsync();
}
