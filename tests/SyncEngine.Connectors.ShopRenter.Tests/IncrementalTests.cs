using SyncEngine.Core.Model;
using SyncEngine.Core.State;
using SyncEngine.Testing.ShopRenter;

namespace SyncEngine.Connectors.ShopRenter.Tests;

/// <summary>Orders read incrementally by update time: nothing read twice into the ERP, nothing missed.</summary>
public sealed class IncrementalTests : IAsyncLifetime
{
    private ShopRenterSimulator _simulator = null!;
    private SimulatedShop _shop = null!;
    private Engine _engine = null!;

    public Task InitializeAsync()
    {
        _simulator = ShopRenterSimulator.Start();
        _shop = _simulator.AddShop("kovacsbolt");
        var settings = _simulator.Settings("shop", _shop, new Dictionary<string, string?> { ["PageSize"] = "3", ["OverlapSeconds"] = "60" });
        foreach (var (key, value) in Engine.Flow("orders", "shop/orders", "erp/orders", batchSize: 2)) settings[key] = value;
        _engine = Engine.Start(settings);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task A_second_run_reads_only_orders_changed_or_added_since_the_first()
    {
        // Placed 50, 40, 30, 20 and 10 minutes ago.
        var ids = new List<string>();
        for (var i = 5; i >= 1; i--)
        {
            _shop.ClockOffset = TimeSpan.FromMinutes(-10 * i);
            ids.AddRange(_shop.AddOrders(1));
        }
        _shop.ClockOffset = TimeSpan.Zero;
        var first = await _engine.RunAsync("orders");
        Assert.Equal((RunStatus.Succeeded, 5L), (first.Status, first.Written));
        var cursor = await _engine.State.GetCursorAsync("orders", default);
        Assert.NotNull(cursor);

        // Now order 2 is changed and a new one placed.
        _shop.UpdateOrder(ids[1], o => o["comment"] = "Mégis csak délelőtt!");
        var added = _shop.AddOrder(new OrderSpec(new Buyer("Tóth", "Ágnes", "toth.agnes@example.hu", 102), new Item("HU-1003", 1)));
        _shop.ClearLog();

        var second = await _engine.RunAsync("orders");

        // Read: the two, and the last order of the first run, again, from the overlap window (skipped as unchanged).
        Assert.Equal((RunStatus.Succeeded, 3L, 2L, 1L), (second.Status, second.Read, second.Written, second.Skipped));
        Assert.Equal([ids[1], added], _engine.Written<Order>("orders").Skip(5).Select(o => o.Id));
        Assert.Equal("Mégis csak délelőtt!", _engine.Written<Order>("orders")[5].CustomerComment);
        var page = _shop.ApiCalls.First(r => r.Resource == "orderExtend");
        // The next run starts OverlapSeconds before the stored cursor.
        Assert.Equal(DateTime.Parse(cursor!, System.Globalization.CultureInfo.InvariantCulture).AddSeconds(-60).ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), page["updatedAtMin"]);
    }

    [Fact]
    public async Task An_order_updated_during_a_run_after_its_page_was_read_is_read_by_the_next_run()
    {
        var ids = _shop.AddOrders(9);
        // While the run reads page 1, order 1 (on page 0, already read) changes; while it reads page 2, order 9 (on page 2) changes later still.
        _shop.OnRequest = request =>
        {
            if (request.Resource != "orderExtend") return Task.CompletedTask;
            if (request["page"] == "1")
            {
                _shop.ClockOffset += TimeSpan.FromMinutes(10);
                _shop.UpdateOrder(ids[0], o => o["comment"] = "Változott futás közben");
            }
            if (request["page"] == "2")
            {
                _shop.ClockOffset += TimeSpan.FromMinutes(10);
                _shop.UpdateOrder(ids[8], o => o["comment"] = "Ez is");
            }
            return Task.CompletedTask;
        };

        var first = await _engine.RunAsync("orders");
        _shop.OnRequest = null;
        Assert.Equal((RunStatus.Succeeded, 9L), (first.Status, first.Written));
        Assert.NotEqual("Változott futás közben", _engine.Written<Order>("orders")[0].CustomerComment);

        var second = await _engine.RunAsync("orders");

        // The latest update time read (order 9's, 20 minutes on) would have stepped over order 1's change (10 minutes on).
        Assert.Equal(RunStatus.Succeeded, second.Status);
        Assert.Contains(_engine.Written<Order>("orders").Skip(9), o => o.Id == ids[0] && o.CustomerComment == "Változott futás közben");
        var third = await _engine.RunAsync("orders");
        Assert.Equal(0L, third.Written);
    }

    [Fact]
    public async Task A_run_that_finds_nothing_new_writes_nothing_and_keeps_the_cursor()
    {
        _shop.AddOrders(2);
        await _engine.RunAsync("orders");
        var cursor = await _engine.State.GetCursorAsync("orders", default);

        var again = await _engine.RunAsync("orders");

        Assert.Equal(0L, again.Written);
        Assert.Equal(cursor, await _engine.State.GetCursorAsync("orders", default));
    }
}
