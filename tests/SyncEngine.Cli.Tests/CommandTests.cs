using SyncEngine.Testing;

namespace SyncEngine.Cli.Tests;

public sealed class CommandTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    private string Store => _folder["store.db"];

    [Fact]
    public async Task Sync_json_prints_one_object_with_the_counts_and_exits_0_when_every_record_is_written()
    {
        var config = TestCli.WriteConfig(_folder);
        await TestStore.CreateAsync(Store);
        await TestStore.AddProductsAsync(Store, 1, 12);

        var result = await TestCli.RunAsync("sync", "copy", "--json", "--config", config);

        Assert.Equal(0, result.ExitCode);
        var json = result.Json;
        Assert.Equal("copy", json.GetProperty("flow").GetString());
        Assert.Equal("succeeded", json.GetProperty("status").GetString());
        Assert.Equal(12, json.GetProperty("read").GetInt64());
        Assert.Equal(12, json.GetProperty("written").GetInt64());
        Assert.Equal(0, json.GetProperty("skipped").GetInt64());
        Assert.Equal(0, json.GetProperty("deadLettered").GetInt64());
        Assert.True(json.GetProperty("durationMs").GetInt64() >= 0);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, json.GetProperty("error").ValueKind);
        Assert.Equal(12, (await TestStore.TargetRowsAsync(Store)).Count);
    }

    [Fact]
    public async Task Sync_with_a_dead_letter_exits_3_and_deadletters_retry_writes_it_once_the_cause_is_gone()
    {
        var config = TestCli.WriteConfig(_folder);
        await TestStore.CreateAsync(Store);
        await TestStore.AddProductsAsync(Store, 1, 5);
        await TestStore.ExecAsync(Store, "INSERT INTO fail VALUES ('P4', 'Kunde 10042 gesperrt')");

        var sync = await TestCli.RunAsync("sync", "copy", "--config", config);

        Assert.Equal(3, sync.ExitCode);
        Assert.Contains("dead-lettered 1", sync.Out);
        var list = await TestCli.RunAsync("deadletters", "list", "--config", config);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("P4", list.Out);
        Assert.Contains("Kunde 10042 gesperrt", list.Out);

        var stillBroken = await TestCli.RunAsync("deadletters", "retry", "--flow", "copy", "--config", config);
        Assert.Equal(3, stillBroken.ExitCode);

        await TestStore.ExecAsync(Store, "DELETE FROM fail");
        var retry = await TestCli.RunAsync("deadletters", "retry", "--flow", "copy", "--json", "--config", config);

        Assert.Equal(0, retry.ExitCode);
        Assert.Equal(1, retry.Json[0].GetProperty("written").GetInt64());
        Assert.Contains(await TestStore.TargetRowsAsync(Store), r => r.Id == "P4" && r.Writes == 1);
        var after = await TestCli.RunAsync("deadletters", "list", "--json", "--config", config);
        Assert.Equal(0, after.Json.GetArrayLength());
    }

    [Fact]
    public async Task Sync_all_runs_every_enabled_flow_in_name_order_and_reports_the_worst_outcome()
    {
        var config = TestCli.WriteConfig(_folder, extraFlows: """
            "b-second": { "From": "store/products", "To": "store/products" },
            "off": { "From": "store/products", "To": "store/products", "Enabled": false },
            """);
        await TestStore.CreateAsync(Store);
        await TestStore.AddProductsAsync(Store, 1, 3);
        await TestStore.ExecAsync(Store, "INSERT INTO fail VALUES ('P2', 'gesperrt')");

        var result = await TestCli.RunAsync("sync", "--all", "--json", "--config", config);
        var neither = await TestCli.RunAsync("sync", "--config", config);

        Assert.Equal(3, result.ExitCode);
        var reports = result.Json.EnumerateArray().ToList();
        Assert.Equal(["b-second", "copy"], reports.Select(r => r.GetProperty("flow").GetString()));
        Assert.Equal(("completedWithErrors", 2L), (reports[0].GetProperty("status").GetString(), reports[0].GetProperty("written").GetInt64()));
        Assert.Equal(2, neither.ExitCode);
        Assert.Contains("Name one flow, or use --all.", neither.Error);
    }

    [Fact]
    public async Task Deadletters_drop_needs_a_selection_and_then_deletes_only_that()
    {
        var config = TestCli.WriteConfig(_folder);
        await TestStore.CreateAsync(Store);
        await TestStore.AddProductsAsync(Store, 1, 3);
        await TestStore.ExecAsync(Store, "INSERT INTO fail VALUES ('P1', 'x'), ('P2', 'y')");
        await TestCli.RunAsync("sync", "copy", "--config", config);
        var letters = (await TestCli.RunAsync("deadletters", "list", "--json", "--config", config)).Json;
        var firstId = letters[0].GetProperty("id").GetInt64();

        var unselected = await TestCli.RunAsync("deadletters", "drop", "--config", config);
        var dropped = await TestCli.RunAsync("deadletters", "drop", "--id", firstId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--config", config);

        Assert.Equal(2, unselected.ExitCode);
        Assert.Contains("--flow F, --id N, or --all", unselected.Error);
        Assert.Equal(0, dropped.ExitCode);
        Assert.Contains("Dropped 1 dead letter", dropped.Out);
        var left = (await TestCli.RunAsync("deadletters", "list", "--json", "--config", config)).Json;
        Assert.Equal("P2", Assert.Single(left.EnumerateArray()).GetProperty("recordKey").GetString());
    }

    [Fact]
    public async Task A_flow_naming_a_missing_connection_exits_2_with_a_message_naming_the_key()
    {
        var config = TestCli.WriteConfig(_folder, extraFlows: """ "orders": { "From": "shop/orders", "To": "store/products" }, """);

        var result = await TestCli.RunAsync("sync", "copy", "--config", config);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("SyncEngine:Flows:orders:From: connection 'shop' is not defined", result.Error);
    }

    [Fact]
    public async Task Validate_lists_every_error_with_its_key_and_exits_2()
    {
        var path = _folder["appsettings.json"];
        File.WriteAllText(path, """
            {
              "SyncEngine": {
                "Connections": {
                  "store": { "Type": "TestStore", "Path": "store.db" },
                  "erp": { "Type": "Sage200" },
                  "nameless": { }
                },
                "Flows": {
                  "a": { "From": "store/products", "To": "store/orders", "Schedule": "every five minutes" },
                  "b": { "From": "store", "To": "store/products", "Mapping": "mappings/missing.json", "BatchSize": 0 }
                }
              }
            }
            """);

        var result = await TestCli.RunAsync("validate", "--config", path);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("SyncEngine:Connections:erp:Type: unknown connector type 'Sage200'; known types: Database, Files, SageOfficeLine, ShopRenter, TestStore", result.Error);
        Assert.Contains("SyncEngine:Connections:nameless:Type: missing", result.Error);
        Assert.Contains("SyncEngine:Flows:a:To: connection 'store' has no stream 'orders'; it has: products", result.Error);
        Assert.Contains("SyncEngine:Flows:a:Schedule: 'every five minutes' is not a valid cron expression", result.Error);
        Assert.Contains("SyncEngine:Flows:b:From: 'store' is not of the form 'connection/stream'", result.Error);
        Assert.Contains("SyncEngine:Flows:b:BatchSize: '0' must be at least 1", result.Error);
        Assert.Contains("SyncEngine:Flows:b:Mapping: mapping file 'mappings/missing.json' not found", result.Error);
        Assert.Contains("7 configuration errors", result.Error);
    }

    [Fact]
    public async Task Validate_prints_three_mistakes_of_one_mapping_each_with_file_line_and_field()
    {
        Directory.CreateDirectory(_folder["mappings"]);
        File.WriteAllText(_folder["mappings/products.json"], """
            {
              "record": "Product",
              "valueMaps": { "units": { "Stk": "PCE" } },
              "fields": {
                "Artikelnummer": "Skuu",
                "Einheit": { "path": "Unit", "map": "unit" },
                "Preis": { "path": "Prices.Base", "rnd": 2 }
              }
            }
            """);
        var config = TestCli.WriteConfig(_folder);
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"BatchSize\": 10", "\"BatchSize\": 10, \"Mapping\": \"mappings/products.json\""));

        var result = await TestCli.RunAsync("validate", "--config", config);

        Assert.Equal(2, result.ExitCode);
        var mapping = _folder["mappings/products.json"];
        Assert.Contains("3 configuration errors", result.Error);
        Assert.Contains($"{mapping}:5: fields.Artikelnummer: 'Skuu' is not a field of Product", result.Error);
        Assert.Contains($"{mapping}:6: fields.Einheit.map: no value map 'unit' under valueMaps (known: units)", result.Error);
        Assert.Contains($"{mapping}:7: fields.Preis.rnd: unknown option", result.Error);
    }

    [Fact]
    public async Task Validate_accepts_a_good_configuration()
    {
        var config = TestCli.WriteConfig(_folder);

        var result = await TestCli.RunAsync("validate", "--config", config);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("valid (1 connections, 1 flows, 0 mappings)", result.Out);
    }

    [Fact]
    public async Task A_setting_of_the_wrong_type_exits_2_naming_the_key()
    {
        var config = TestCli.WriteConfig(_folder);
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"BatchSize\": 10", "\"BatchSize\": \"ten\""));

        var result = await TestCli.RunAsync("flows", "--config", config);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("SyncEngine:Flows:copy:BatchSize", result.Error);
    }

    [Fact]
    public async Task A_missing_config_file_and_an_unknown_command_exit_2()
    {
        var missing = await TestCli.RunAsync("flows", "--config", _folder["nope.json"]);
        var unknown = await TestCli.RunAsync("synchronise", "copy");

        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("nope.json' not found", missing.Error);
        Assert.Equal(2, unknown.ExitCode);
    }

    [Fact]
    public async Task Flows_shows_each_flow_with_its_last_run_and_a_failing_flow_says_since_when()
    {
        var config = TestCli.WriteConfig(_folder, extraFlows: """ "nightly": { "From": "store/products", "To": "store/products", "Schedule": "0 0 2 * * ?", "Enabled": false }, """);
        await TestStore.CreateAsync(Store);
        await TestStore.AddProductsAsync(Store, 1, 2);
        await TestCli.RunAsync("sync", "copy", "--config", config);
        await TestStore.ExecAsync(Store, "ALTER TABLE target RENAME TO gone");
        await TestStore.AddProductsAsync(Store, 3, 1);
        await TestCli.RunAsync("sync", "nightly", "--config", config);
        await TestCli.RunAsync("sync", "nightly", "--config", config);

        var text = await TestCli.RunAsync("flows", "--config", config);
        var json = await TestCli.RunAsync("flows", "--json", "--config", config);

        Assert.Equal(0, text.ExitCode);
        var lines = text.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("FLOW", lines[0]);
        Assert.Matches(@"^copy\s+store/products\s+store/products\s+manual\s+yes\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d succeeded\s+succeeded$", lines[1]);
        Assert.Matches(@"^nightly\s+store/products\s+store/products\s+0 0 2 \* \* \?\s+no\s+.* failed\s+failing since .* \(2 runs\): .*no such table: target", lines[2]);
        var nightly = json.Json.EnumerateArray().Single(f => f.GetProperty("name").GetString() == "nightly");
        Assert.Equal("failed", nightly.GetProperty("lastRun").GetProperty("status").GetString());
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, nightly.GetProperty("failingSince").ValueKind);
    }

    [Fact]
    public async Task Runs_shows_the_history_newest_first_and_filters_by_flow()
    {
        var config = TestCli.WriteConfig(_folder, extraFlows: """ "other": { "From": "store/products", "To": "store/products" }, """);
        await TestStore.CreateAsync(Store);
        await TestStore.AddProductsAsync(Store, 1, 4);
        await TestCli.RunAsync("sync", "copy", "--config", config);
        await TestStore.AddProductsAsync(Store, 5, 2);
        await TestCli.RunAsync("sync", "copy", "--config", config);
        await TestCli.RunAsync("sync", "other", "--config", config);

        var copy = await TestCli.RunAsync("runs", "--flow", "copy", "--json", "--config", config);
        var lastOne = await TestCli.RunAsync("runs", "--last", "1", "--config", config);

        Assert.Equal(0, copy.ExitCode);
        var runs = copy.Json.EnumerateArray().ToList();
        Assert.Equal([2L, 4L], runs.Select(r => r.GetProperty("written").GetInt64()));
        Assert.All(runs, r => Assert.Equal("copy", r.GetProperty("flow").GetString()));
        Assert.All(runs, r => Assert.Equal("manual", r.GetProperty("trigger").GetString()));
        var rows = lastOne.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, rows.Length);
        Assert.Matches(@"^3\s+other\s+succeeded\s", rows[1]);
    }

    [Fact]
    public async Task Sync_goes_through_the_running_service_when_its_control_api_answers()
    {
        var port = Ports.Free();
        var config = TestCli.WriteConfig(_folder, controlPort: port);
        await TestStore.CreateAsync(Store);
        await TestStore.AddProductsAsync(Store, 1, 3);
        var app = Host.ServiceHost.Build(Host.EngineConfiguration.Load(config), TestCli.AddConnectors);
        await app.StartAsync();
        try
        {
            var result = await TestCli.RunAsync("sync", "copy", "--json", "--config", config);

            Assert.Equal(0, result.ExitCode);
            Assert.Equal(3, result.Json.GetProperty("written").GetInt64());
            var runs = (await TestCli.RunAsync("runs", "--json", "--config", config)).Json;
            Assert.Equal("control-api", runs[0].GetProperty("trigger").GetString());
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
