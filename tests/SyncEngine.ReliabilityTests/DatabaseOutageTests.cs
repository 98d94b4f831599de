using System.Text.Json;
using SyncEngine.Testing;
using SyncEngine.Testing.ShopRenter;
using Xunit.Abstractions;

namespace SyncEngine.ReliabilityTests;

/// <summary>
/// The Sage database (PostgreSQL, a server of this test's own) is shut down while the real program imports orders into it,
/// and stays down for another scheduled run: the runs fail saying so once, nothing is half-written, nothing is
/// dead-lettered or skipped, the flow shows as failing since the first failure, and the run after the database is back
/// brings every order exactly once.
/// </summary>
public sealed class DatabaseOutageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Orders = 600;
    private readonly List<ShopRenterSage> _setups = [];
    private PostgresServer? _server;

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task The_ERP_database_stopping_mid_run_fails_the_run_clearly_and_the_run_after_it_is_back_completes_exactly_once()
    {
        var reference = await StartAsync(provider: "Sqlite");
        await reference.SyncOkAsync("sr1-orders");
        _server = await PostgresServer.StartAsync();
        var setup = await StartAsync("PostgreSql", _server.ConnectionString);

        using var process = setup.StartProcess("sync", "sr1-orders", "--json");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var before = await WaitForDocumentsAsync(setup, 100);
        await _server.StopAsync();
        var stoppedAt = DateTimeOffset.UtcNow;
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(90))) await process.WaitForExitAsync(limit.Token);
        var failed = new SyncResult(process.ExitCode, await stdout, await stderr);
        var secondFailure = await setup.RunProcessAsync("sync", "sr1-orders", "--json");
        var flowsWhileDown = JsonDocument.Parse((await setup.RunProcessAsync("flows", "--json")).Out).RootElement
            .EnumerateArray().Single(f => f.GetProperty("name").GetString() == "sr1-orders");
        output.WriteLine($"{before} documents when the database stopped.\nFailed run: {failed}\nNext run, database still down: {secondFailure}\nflows: {flowsWhileDown}");

        Assert.Equal((1, "failed"), (failed.ExitCode, failed.Status));
        var error = failed.Json.GetProperty("error").GetString()!;
        Assert.Contains("sage-sr1", error);
        Assert.Equal(0L, failed.DeadLettered);
        // Said once per run, not once per order.
        Assert.Single(failed.Error.Split('\n'), line => line.Contains(" ERR] ", StringComparison.Ordinal) || line.Contains(" FTL] ", StringComparison.Ordinal));
        Assert.DoesNotContain("dead-lettered", failed.Error);
        Assert.Equal((1, "failed"), (secondFailure.ExitCode, secondFailure.Status));
        Assert.Contains("sage-sr1", secondFailure.Json.GetProperty("error").GetString());
        Assert.Equal(0L, secondFailure.Written);
        Assert.StartsWith("failing since", flowsWhileDown.GetProperty("status").GetString());
        Assert.Contains("(2 runs)", flowsWhileDown.GetProperty("status").GetString());
        Assert.True(flowsWhileDown.GetProperty("failingSince").GetDateTimeOffset() < stoppedAt);

        await _server.StartAgainAsync();
        // Nothing half-written: every document in Sage has its positions, and only whole batches are there.
        Assert.Equal("0", await setup.Sage.ScalarAsync(
            "SELECT COUNT(*) FROM KHKVKBelege b WHERE NOT EXISTS (SELECT 1 FROM KHKVKBelegePositionen p WHERE p.Mandant = b.Mandant AND p.BelID = b.BelID)"));
        Assert.Equal("0", await setup.Sage.ScalarAsync("SELECT COUNT(*) % 25 FROM KHKVKBelege"));
        var after = await setup.RunProcessAsync("sync", "sr1-orders", "--json");
        Assert.True(after.ExitCode == 0 && after.Status == "succeeded", after.ToString());
        Assert.Equal(0L, after.DeadLettered);
        foreach (var query in new[] { SageSql.DocumentsByOrder, SageSql.PositionsByOrder, SageSql.CustomersByOrder })
            Assert.Equal(await reference.Sage.RowsAsync(query), await setup.Sage.RowsAsync(query));
        var flows = JsonDocument.Parse((await setup.RunProcessAsync("flows", "--json")).Out).RootElement.EnumerateArray().Single(f => f.GetProperty("name").GetString() == "sr1-orders");
        Assert.Equal("succeeded", flows.GetProperty("status").GetString());
    }

    private static async Task<long> WaitForDocumentsAsync(ShopRenterSage setup, int at)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var count = long.Parse(await setup.Sage.ScalarAsync("SELECT COUNT(*) FROM KHKVKBelege"));
                if (count >= at) return count;
            }
            catch (Npgsql.PostgresException ex) when (ex.SqlState == "42P01")
            {
                // The program has not yet created the Sage tables (its Setup, at first use).
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"fewer than {at} documents in Sage after 120 s");
    }

    private async Task<ShopRenterSage> StartAsync(string provider, string? server = null)
    {
        var setup = await ShopRenterSage.StartAsync(provider, server);
        _setups.Add(setup);
        setup.Engine["Flows"]!["sr1-orders"]!["BatchSize"] = 25;
        await setup.SaveConfigurationAsync();
        setup.Shop1.AddOrders(Orders);
        return setup;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            // A failed assertion may leave it stopped; the test's schema on it is dropped with the setup.
            try
            {
                await _server.StartAgainAsync();
            }
            catch (InvalidOperationException)
            {
                // Running already.
            }
        }
        foreach (var setup in _setups) await setup.DisposeAsync();
        if (_server is not null) await _server.DisposeAsync();
    }
}
