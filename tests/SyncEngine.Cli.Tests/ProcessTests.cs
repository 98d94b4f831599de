using SyncEngine.Testing;

namespace SyncEngine.Cli.Tests;

/// <summary>Runs syncengine as a real process: killed mid-run, or started twice at once.</summary>
public sealed class ProcessTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    private string Store => _folder["store.db"];

    [Fact]
    public async Task A_flow_killed_mid_run_and_run_again_writes_every_record_exactly_once()
    {
        // Enough that three runs killed after 10 to 50 more rows each cannot finish it, even when the first run's rows
        // appear a hundred and more at once (the first poll often sees them only after the engine has started up and run on).
        const int products = 1000;
        var config = TestCli.WriteConfig(_folder, batchSize: 10, delayMs: 40);
        await TestStore.CreateAsync(Store);
        await TestStore.AddProductsAsync(Store, 1, products);
        var seed = Environment.TickCount;
        var random = new Random(seed);

        var kills = 0;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            using var process = TestCli.Start("sync", "copy", "--config", config);
            var before = await TestStore.ScalarAsync(Store, "SELECT COUNT(*) FROM target");
            var goal = before + 10 + random.Next(40);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!process.HasExited && await TestStore.ScalarAsync(Store, "SELECT COUNT(*) FROM target") < goal && DateTime.UtcNow < deadline)
            {
                await Task.Delay(random.Next(5, 25));
            }
            if (process.HasExited) break;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            kills++;
        }

        var final = await TestCli.RunProcessAsync("sync", "copy", "--json", "--config", config);

        Assert.True(kills >= 2, $"the run should have been killed at least twice (seed {seed}); it was killed {kills} times");
        Assert.True(final.ExitCode == 0, $"seed {seed}: exit {final.ExitCode}: {final.Out} {final.Error}");
        var rows = await TestStore.TargetRowsAsync(Store);
        Assert.Equal(products, rows.Count);
        Assert.Equal(Enumerable.Range(1, products).Select(i => $"P{i}").Order(StringComparer.Ordinal), rows.Select(r => r.Id));
        Assert.All(rows, r => Assert.Equal($"Árvíztűrő tükörfúrógép {r.Id[1..]}", r.Name));
        var runs = (await TestCli.RunAsync("runs", "--json", "--config", config)).Json.EnumerateArray().ToList();
        Assert.Equal("succeeded", runs[0].GetProperty("status").GetString());
        // Every killed run is recorded as interrupted, not left "running" for ever.
        Assert.All(runs.Skip(1), r => Assert.Contains("Interrupted: process", r.GetProperty("error").GetString()));
        Assert.Equal(kills, runs.Count - 1);
        Assert.Equal(products, await TestStore.ScalarAsync(Store, "SELECT COUNT(DISTINCT id) FROM target"));
    }

    [Fact]
    public async Task Two_sync_calls_for_one_flow_at_the_same_moment_run_it_once()
    {
        // The run takes 4 s, so the second process still starts while it runs on a slow machine.
        var config = TestCli.WriteConfig(_folder, batchSize: 5, delayMs: 1000);
        await TestStore.CreateAsync(Store);
        await TestStore.AddProductsAsync(Store, 1, 20);

        var results = await Task.WhenAll(
            TestCli.RunProcessAsync("sync", "copy", "--json", "--config", config),
            TestCli.RunProcessAsync("sync", "copy", "--json", "--config", config));

        var ran = Assert.Single(results, r => r.ExitCode == 0);
        var refused = Assert.Single(results, r => r.ExitCode == 1);
        Assert.Equal(20, ran.Json.GetProperty("written").GetInt64());
        Assert.Equal("alreadyRunning", refused.Json.GetProperty("status").GetString());
        Assert.Contains("already running", refused.Json.GetProperty("error").GetString());
        Assert.All(await TestStore.TargetRowsAsync(Store), r => Assert.Equal(1, r.Writes));
    }

    [Fact]
    public async Task Environment_variables_override_the_configuration_file()
    {
        var config = TestCli.WriteConfig(_folder);
        await TestStore.CreateAsync(Store);
        var environment = new Dictionary<string, string>
        {
            ["SyncEngine__Flows__copy__Schedule"] = "0 0 3 * * ?",
            ["SyncEngine__Flows__copy__Enabled"] = "false",
        };

        var result = await TestCli.RunProcessAsync(environment, "flows", "--json", "--config", config);

        Assert.Equal(0, result.ExitCode);
        var flow = Assert.Single(result.Json.EnumerateArray());
        Assert.Equal(("0 0 3 * * ?", false), (flow.GetProperty("schedule").GetString(), flow.GetProperty("enabled").GetBoolean()));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
