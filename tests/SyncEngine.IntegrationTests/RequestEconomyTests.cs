using SyncEngine.Testing.ShopRenter;
using Xunit.Abstractions;

namespace SyncEngine.IntegrationTests;

/// <summary>What an import of N orders costs in requests to the shop, whose limit is 3 requests per second.</summary>
public sealed class RequestEconomyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ShopRenterSage _setup = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Importing_100_orders_takes_fewer_than_one_request_per_ten_orders_and_never_hits_the_rate_limit()
    {
        const int N = 100;
        _setup = await ShopRenterSage.StartAsync("Sqlite");
        var shop = _setup.Shop1;
        // One to three lines each (12 products), options, coupons, cash on delivery and transfer; two registered buyers and a guest.
        shop.AddOrders(N);

        var run = await _setup.SyncOkAsync("sr1-orders");

        Assert.Equal(((long)N, (long)N), (run.Read, run.Written));
        Assert.Equal($"{N}", await _setup.Sage.ScalarAsync("SELECT COUNT(*) FROM KHKVKBelege WHERE USER_ShopOrderId LIKE 'SR1:%'"));
        var requests = shop.HttpRequests;
        var report = string.Join(", ", requests.GroupBy(r => $"{r.Method} {r.Resource}").Select(g => $"{g.Key} x{g.Count()}"));
        var lookups = string.Join(", ", shop.Requests.Where(r => r.InBatch).GroupBy(r => $"{r.Method} {r.Resource}").Select(g => $"{g.Key} x{g.Count()}"));
        output.WriteLine($"{N} orders: {requests.Count} HTTP requests ({report}); inside the batches: {lookups}");
        Assert.True(requests.Count < N / 10, $"{requests.Count} requests for {N} orders: {report}");
        Assert.DoesNotContain(requests, r => r.Status == 429);
        Assert.Equal(0, shop.Throttled);
        Assert.Single(shop.TokenCalls);
    }

    public async Task DisposeAsync()
    {
        if (_setup is not null) await _setup.DisposeAsync();
    }
}
