using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SyncEngine.Core;
using SyncEngine.Core.Flows;
using SyncEngine.Core.State;
using SyncEngine.Testing;

namespace SyncEngine.Connectors.Files.Tests;

public sealed class FilesFlowTests : IAsyncDisposable
{
    private readonly TempDirectory _folder = new();
    private ServiceProvider? _services;

    private string Inbox => _folder["inbox"];
    private string Outbox => _folder["out"];

    private const string Order1001 = """
        {
          "id": "1001", "orderNumber": "SR-1001", "orderedAt": "2026-11-20T09:15:00+01:00", "currency": "HUF",
          "customer": { "id": "C-77", "email": "kovacs.eva@example.hu", "firstName": "Éva", "lastName": "Kovács" },
          "lines": [ { "lineNumber": 1, "sku": "KE-100", "name": "Fényképező táska", "quantity": 2, "unitPriceNet": 7874.02, "unitPriceGross": 10000, "taxRate": 27 } ],
          "totals": { "net": 15748.04, "tax": 4251.96, "gross": 20000 }
        }
        """;

    private FlowRunner Runner(string afterRead = "Archive", string fileName = "order-{Id}.json", string? doneFile = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["SyncEngine:Connections:shop:Type"] = "Files",
            ["SyncEngine:Connections:shop:Location"] = "inbox",
            ["SyncEngine:Connections:shop:Streams:orders:RecordType"] = "Order",
            ["SyncEngine:Connections:shop:Streams:orders:AfterRead"] = afterRead,
            ["SyncEngine:Connections:shop:Streams:orders:MinimumAge"] = "00:00:00",
            ["SyncEngine:Connections:shop:Streams:orders:DoneFile"] = doneFile,
            ["SyncEngine:Connections:erp:Type"] = "Files",
            ["SyncEngine:Connections:erp:Location"] = "out",
            ["SyncEngine:Connections:erp:Streams:orders:RecordType"] = "Order",
            ["SyncEngine:Connections:erp:Streams:orders:FileName"] = fileName,
            ["SyncEngine:Connections:erp:Streams:orders:DoneFile"] = doneFile,
            ["SyncEngine:Flows:orders:From"] = "shop/orders",
            ["SyncEngine:Flows:orders:To"] = "erp/orders",
            ["SyncEngine:Flows:orders:BatchSize"] = "2",
        };
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSyncEngineCore(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), new EngineEnvironment(_folder.Path, _folder["data"]));
        services.AddFilesConnector();
        services.AddSingleton<IStateStore>(new AdoStateStore(SqliteFactory.Instance.CreateDataSource($"Data Source={_folder["state.db"]}"), StateDialect.Sqlite));
        _services = services.BuildServiceProvider();
        Assert.Empty(_services.GetRequiredService<EngineValidator>().Validate());
        return _services.GetRequiredService<FlowRunner>();
    }

    private Task<RunRecord> RunAsync(FlowRunner runner) => runner.RunAsync("orders", new RunOptions(), CancellationToken.None);

    private void Drop(string name, string content, DateTime? modified = null)
    {
        Directory.CreateDirectory(Inbox);
        var path = Path.Combine(Inbox, name);
        File.WriteAllText(path, content);
        File.SetLastWriteTimeUtc(path, modified ?? DateTime.UtcNow.AddMinutes(-1));
    }

    [Fact]
    public async Task Orders_in_a_folder_are_written_one_file_each_and_the_inbox_file_is_archived_after_commit()
    {
        Drop("orders-a.json", $"[{Order1001}, {Order1001.Replace("1001", "1002")}, {Order1001.Replace("1001", "1003")}]");
        var runner = Runner();

        var run = await RunAsync(runner);

        Assert.Equal((RunStatus.Succeeded, 3L), (run.Status, run.Written));
        Assert.Equal(["order-1001.json", "order-1002.json", "order-1003.json"], Directory.GetFiles(Outbox).Select(Path.GetFileName).Order());
        var written = File.ReadAllText(Path.Combine(Outbox, "order-1002.json"));
        Assert.Contains("\"orderNumber\": \"SR-1002\"", written);
        Assert.Contains("\"lastName\": \"Kovács\"", written);
        Assert.Contains("\"unitPriceGross\": 10000", written);
        Assert.False(File.Exists(Path.Combine(Inbox, "orders-a.json")));
        Assert.True(File.Exists(Path.Combine(Inbox, "archive", "orders-a.json")));
        Assert.Empty(Directory.GetFiles(Outbox, ".syncengine-tmp-*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_file_that_is_not_json_goes_to_the_error_folder_with_its_reason_and_the_others_are_read()
    {
        Drop("a-broken.json", "[{\"id\": \"1\",", DateTime.UtcNow.AddMinutes(-2));
        Drop("b-good.json", Order1001);

        var run = await RunAsync(Runner());

        Assert.Equal((RunStatus.Succeeded, 1L), (run.Status, run.Written));
        Assert.True(File.Exists(Path.Combine(Inbox, "error", "a-broken.json")));
        var reason = File.ReadAllText(Path.Combine(Inbox, "error", "a-broken.json.error.txt"));
        Assert.StartsWith("a-broken.json: not valid JSON", reason);
        Assert.True(File.Exists(Path.Combine(Inbox, "archive", "b-good.json")));
    }

    [Fact]
    public async Task A_bad_record_is_dead_lettered_naming_file_record_and_field_while_the_file_is_read_on()
    {
        Drop("orders.json", $"[{Order1001}, {Order1001.Replace("\"quantity\": 2", "\"quantity\": \"két darab\"").Replace("1001", "1002")}, {Order1001.Replace("1001", "1003")}]");
        var runner = Runner();

        var run = await RunAsync(runner);

        Assert.Equal((RunStatus.CompletedWithErrors, 2L, 1L), (run.Status, run.Written, run.DeadLettered));
        var letter = Assert.Single(await _services!.GetRequiredService<IStateStore>().GetDeadLettersAsync("orders", null, default));
        Assert.StartsWith("orders.json@", letter.RecordKey);
        Assert.EndsWith("#2", letter.RecordKey);
        Assert.Contains("orders.json, record 2: field 'lines[0].quantity'", letter.Error);
        Assert.Contains("két darab", letter.Payload);
        Assert.True(File.Exists(Path.Combine(Inbox, "archive", "orders.json")));
    }

    [Fact]
    public async Task A_rerun_overwrites_a_record_file_instead_of_writing_a_second_one()
    {
        Drop("one.json", Order1001);
        await RunAsync(Runner());
        Drop("two.json", Order1001.Replace("SR-1001", "SR-1001-B"));

        var run = await RunAsync(Runner());

        Assert.Equal(1L, run.Written);
        var file = Assert.Single(Directory.GetFiles(Outbox));
        Assert.Contains("SR-1001-B", File.ReadAllText(file));
    }

    [Fact]
    public async Task Snapshot_files_kept_in_place_write_only_changed_records_on_the_next_run()
    {
        Drop("snapshot.json", $"[{Order1001}, {Order1001.Replace("1001", "1002")}]");
        await RunAsync(Runner(afterRead: "Keep"));
        Drop("snapshot.json", $"[{Order1001}, {Order1001.Replace("1001", "1002").Replace("Kovács", "Kovácsné")}]");

        var run = await RunAsync(Runner(afterRead: "Keep"));

        Assert.Equal((2L, 1L, 1L), (run.Read, run.Written, run.Skipped));
        Assert.True(File.Exists(Path.Combine(Inbox, "snapshot.json")));
        Assert.Contains("Kovácsné", File.ReadAllText(Path.Combine(Outbox, "order-1002.json")));
    }

    [Fact]
    public async Task A_new_file_reusing_an_archived_name_is_read_whole()
    {
        Drop("export.json", $"[{Order1001}, {Order1001.Replace("1001", "1002")}]", DateTime.UtcNow.AddMinutes(-5));
        await RunAsync(Runner());
        Drop("export.json", $"[{Order1001.Replace("1001", "2001")}, {Order1001.Replace("1001", "2002")}]");

        var run = await RunAsync(Runner());

        Assert.Equal(2L, run.Written);
        Assert.Equal(4, Directory.GetFiles(Outbox).Length);
    }

    [Fact]
    public async Task With_a_done_file_only_finished_files_are_read_and_each_written_file_gets_its_marker()
    {
        Drop("ready.json", Order1001);
        Drop("ready.json.done", "");
        Drop("half.json", Order1001.Replace("1001", "1002"));

        var run = await RunAsync(Runner(doneFile: "{File}.done"));

        Assert.Equal(1L, run.Written);
        Assert.True(File.Exists(Path.Combine(Inbox, "half.json")));
        Assert.False(File.Exists(Path.Combine(Inbox, "ready.json.done")));
        Assert.Equal(["order-1001.json", "order-1001.json.done"], Directory.GetFiles(Outbox).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task One_file_per_batch_is_named_from_the_run_time_and_batch_number()
    {
        Drop("orders.json", $"[{Order1001}, {Order1001.Replace("1001", "1002")}, {Order1001.Replace("1001", "1003")}]");

        await RunAsync(Runner(fileName: "orders-{RunTime:yyyyMMdd}-{Batch}.json"));

        var today = DateTimeOffset.Now.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal([$"orders-{today}-1.json", $"orders-{today}-2.json"], Directory.GetFiles(Outbox).Select(Path.GetFileName).Order());
        var first = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Outbox, $"orders-{today}-1.json")));
        Assert.Equal(["1001", "1002"], first.RootElement.EnumerateArray().Select(e => e.GetProperty("id").GetString()));
    }

    public async ValueTask DisposeAsync()
    {
        if (_services is not null) await _services.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
