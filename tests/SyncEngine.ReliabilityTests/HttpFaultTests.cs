using SyncEngine.Testing;
using SyncEngine.Testing.ShopRenter;
using Xunit.Abstractions;

namespace SyncEngine.ReliabilityTests;

/// <summary>
/// The shop's API misbehaving as real ones do, on a third of all requests: 429 with Retry-After, 500/502/503,
/// answers slower than the time-out, dropped connections, truncated and malformed JSON. The real program imports the orders
/// into Sage all the same, each exactly once, honouring Retry-After, under the rate limit, without a retry storm.
/// </summary>
public sealed class HttpFaultTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Orders = 400;
    private readonly List<ShopRenterSage> _setups = [];

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Orders_arrive_exactly_once_through_every_kind_of_HTTP_fault_with_Retry_After_honoured_and_requests_bounded()
    {
        var seed = Reliability.Seed();
        output.WriteLine($"seed {seed} (replay with SYNCENGINE_TEST_SEED={seed})");
        var reference = await StartAsync();
        await reference.SyncOkAsync("sr1-orders");
        var cleanRequests = reference.Shop1.HttpRequests.Count;

        var setup = await StartAsync();
        var shop = setup.Shop1;
        shop.Faults = new Faults
        {
            Seed = seed, Throttles = 0.06, ThrottleRetryAfter = 2, ServerErrors = 0.08, Timeouts = 0.04, SlowAnswer = TimeSpan.FromSeconds(3),
            Drops = 0.05, Truncations = 0.05, Malformed = 0.05,
        };
        SyncResult run;
        var runs = 0;
        // Where each run's requests begin: pacing and Retry-After are kept by one process, not handed to the next.
        var runStarts = new List<int>();
        // A page that stays broken through all retries is dead-lettered and read again by the next run, as a schedule would.
        do
        {
            runStarts.Add(shop.HttpRequests.Count);
            run = await setup.RunProcessAsync("sync", "sr1-orders", "--json");
        }
        while (++runs < 5 && run.Status != "succeeded");

        var received = shop.HttpRequests;
        var runOf = received.Select((r, i) => (r, runStarts.FindLastIndex(start => start <= i))).ToDictionary<(SimRequest r, int), SimRequest, int>(x => x.r, x => x.Item2, ReferenceEqualityComparer.Instance);
        var requests = received.OrderBy(r => r.ArrivedUtc).ToList();
        var faults = requests.Where(r => r.Fault is not null).GroupBy(r => r.Fault!).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine($"{runs} run(s), {requests.Count} requests ({cleanRequests} without faults); faults injected: " +
            string.Join(", ", faults.Select(f => $"{f.Key} x{f.Value}")));
        Assert.True(run.Status == "succeeded", $"seed {seed}: {run}");
        // What an import without faults writes, order for order; a page given up in one run comes in the next, so document
        // and customer numbers may be handed out in another order.
        foreach (var query in new[] { SageSql.DocumentsByOrder, SageSql.PositionsByOrder, SageSql.CustomersByOrder })
            Assert.Equal(await reference.Sage.RowsAsync(query), await setup.Sage.RowsAsync(query));
        Assert.True(faults.Values.Sum() >= 5, $"seed {seed}: too few faults injected to mean anything: {faults.Values.Sum()}");
        // Retry-After: nothing reaches the shop until the time it asked for has passed.
        for (var i = 0; i < requests.Count - 1; i++)
        {
            if (requests[i].Fault != "429" || runOf[requests[i]] != runOf[requests[i + 1]]) continue;
            var waited = requests[i + 1].ArrivedUtc - requests[i].ArrivedUtc;
            Assert.True(waited >= TimeSpan.FromSeconds(1.95), $"seed {seed}: the request after a 429 with Retry-After: 2 came {waited.TotalSeconds:F2} s later");
        }
        // Its own pacing never trips the rate limit, and faults cost about one retry each, not a storm.
        // (A run's first requests may meet the rate limit with the last ones of the run before: another process.)
        var calls = requests.Where(r => r.Path != "token").ToList();
        var throttled = calls.Where(t => t.Status == 429 && t.Fault is null &&
            calls.All(r => runOf[r] == runOf[t] || r.ArrivedUtc > t.ArrivedUtc || t.ArrivedUtc - r.ArrivedUtc >= TimeSpan.FromSeconds(1))).ToList();
        Assert.True(throttled.Count == 0, $"seed {seed}: the shop's rate limit refused {throttled.Count} request(s) of the engine's own pacing; the second before each: " +
            string.Join("; ", throttled.Select(t => SimRequest.SecondBefore(calls, t))));
        Assert.True(requests.Count <= 2 * cleanRequests + 2 * faults.Values.Sum(), $"seed {seed}: {requests.Count} requests for {cleanRequests} without faults");
    }

    private async Task<ShopRenterSage> StartAsync()
    {
        var setup = await ShopRenterSage.StartAsync("Sqlite");
        _setups.Add(setup);
        var shop = setup.Engine["Connections"]!["shop1"]!;
        shop["PageSize"] = 20;
        shop["RequestTimeoutSeconds"] = 1;
        shop["MaxRetries"] = 8;
        await setup.SaveConfigurationAsync();
        setup.Shop1.AddOrders(Orders);
        return setup;
    }

    public async Task DisposeAsync()
    {
        foreach (var setup in _setups) await setup.DisposeAsync();
    }
}
