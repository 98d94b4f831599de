using Microsoft.Data.Sqlite;
using SyncEngine.Testing.ShopRenter;
using Xunit.Abstractions;

namespace SyncEngine.ReliabilityTests;

/// <summary>
/// The real <c>syncengine</c> program, SIGKILLed again and again at random moments while it imports orders from the
/// simulated shop into the Sage database, then run to the end: every order must be there once and whole, exactly as an
/// import that was never interrupted writes it.
/// </summary>
public sealed class CrashLoopTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Orders = 1000;
    private readonly List<ShopRenterSage> _setups = [];

    public Task InitializeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task Orders_imported_by_a_process_killed_at_random_moments_arrive_exactly_once_and_whole(string provider)
    {
        var seed = Reliability.Seed();
        output.WriteLine($"seed {seed} (replay with SYNCENGINE_TEST_SEED={seed})");
        var random = new Random(seed);

        // What an import that was never interrupted writes: the expectation, row for row.
        var reference = await StartAsync(provider);
        await reference.SyncOkAsync("sr1-orders");
        var expected = await SageContentAsync(reference);
        Assert.Equal(Orders, expected.Documents.Count);

        var setup = await StartAsync(provider);
        var kills = new List<string>();
        for (var attempt = 0; kills.Count < Reliability.Kills && attempt < Reliability.Kills * 3; attempt++)
        {
            using var process = setup.StartProcess("sync", "sr1-orders", "--json");
            // From right after the start (configuration, token) to deep into the import (pages, lookups, Sage batches).
            var delay = TimeSpan.FromMilliseconds(random.Next(300, 6000));
            var exited = process.WaitForExit(delay);
            if (exited)
            {
                output.WriteLine($"attempt {attempt}: the run ended by itself within {delay.TotalMilliseconds} ms: exit {process.ExitCode}");
                continue;
            }
            process.Kill(); // SIGKILL: no clean-up, no finally blocks.
            await process.WaitForExitAsync();
            kills.Add($"{delay.TotalMilliseconds:F0} ms: {await DocumentsAsync(setup)}");
        }
        output.WriteLine($"{kills.Count} kills (after: documents in Sage): {string.Join("; ", kills)}");

        var final = await setup.RunProcessAsync("sync", "sr1-orders", "--json");
        var rerun = await setup.RunProcessAsync("sync", "sr1-orders", "--json");

        Assert.True(kills.Count >= Reliability.Kills, $"seed {seed}: only {kills.Count} of {Reliability.Kills} kills landed while the import ran");
        Assert.True(final.ExitCode == 0 && final.Status == "succeeded", $"seed {seed}: {final}");
        var actual = await SageContentAsync(setup);
        // Every order once, with all its positions and its customer, numbered as if nothing had happened.
        Assert.Equal(expected.Documents, actual.Documents);
        Assert.Equal(expected.Positions, actual.Positions);
        Assert.Equal(expected.Customers, actual.Customers);
        Assert.Equal(expected.Articles, actual.Articles);
        Assert.Empty(await setup.Sage.RowsAsync("SELECT USER_ShopOrderId FROM KHKVKBelege GROUP BY USER_ShopOrderId HAVING COUNT(*) > 1"));
        Assert.Empty(await setup.Sage.RowsAsync(
            "SELECT b.Belegnummer FROM KHKVKBelege b WHERE NOT EXISTS (SELECT 1 FROM KHKVKBelegePositionen p WHERE p.Mandant = b.Mandant AND p.BelID = b.BelID)"));
        // Nothing left half-done: the cursor at the end of the shop's orders, nothing read again is written again,
        // no dead letters, every killed run recorded as interrupted, none left "running".
        Assert.Equal((0L, 0L), (rerun.Written, rerun.DeadLettered));
        Assert.Equal(setup.Shop1.LatestOrderUpdate, await CursorAsync(setup));
        Assert.Equal("[]", (await setup.CliAsync("deadletters", "list", "--json")).Out.Trim());
        var runs = (await setup.CliAsync("runs", "--flow", "sr1-orders", "--last", "200", "--json")).Out;
        Assert.DoesNotContain("\"running\"", runs);
    }

    private async Task<ShopRenterSage> StartAsync(string provider)
    {
        var setup = await ShopRenterSage.StartAsync(provider);
        _setups.Add(setup);
        // Small batches: many Sage transactions and state commits for a kill to fall between.
        setup.Engine["Flows"]!["sr1-orders"]!["BatchSize"] = 25;
        await setup.SaveConfigurationAsync();
        setup.Shop1.AddOrders(Orders);
        return setup;
    }

    /// <summary>How many shop documents Sage holds; "none" before the first run created Sage's tables (killed that early).</summary>
    private static async Task<string> DocumentsAsync(ShopRenterSage setup)
    {
        try
        {
            return await setup.Sage.ScalarAsync("SELECT COUNT(*) FROM KHKVKBelege WHERE USER_ShopOrderId LIKE 'SR1:%'");
        }
        catch (System.Data.Common.DbException ex) when (ex.Message.Contains("khkvkbelege", StringComparison.OrdinalIgnoreCase))
        {
            return "none";
        }
    }

    private sealed record SageContent(List<string> Documents, List<string> Positions, List<string> Customers, List<string> Articles);

    private static async Task<SageContent> SageContentAsync(ShopRenterSage setup) => new(
        await setup.Sage.RowsAsync(SageSql.Documents), await setup.Sage.RowsAsync(SageSql.Positions),
        await setup.Sage.RowsAsync(SageSql.Customers), await setup.Sage.RowsAsync(SageSql.Articles));

    private static async Task<string?> CursorAsync(ShopRenterSage setup)
    {
        await using var connection = new SqliteConnection($"Data Source={setup.Folder["data/state.db"]}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT cursor_value FROM cursors WHERE flow = 'sr1-orders'";
        return await command.ExecuteScalarAsync() as string;
    }

    public async Task DisposeAsync()
    {
        foreach (var setup in _setups) await setup.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }
}
