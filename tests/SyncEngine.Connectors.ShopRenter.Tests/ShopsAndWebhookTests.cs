using SyncEngine.Core.Connectors;
using SyncEngine.Core.Model;
using SyncEngine.Core.State;
using SyncEngine.Testing.ShopRenter;

namespace SyncEngine.Connectors.ShopRenter.Tests;

/// <summary>Several shops at once, and the order webhook.</summary>
public sealed class ShopsAndWebhookTests : IAsyncLifetime
{
    private ShopRenterSimulator _simulator = null!;

    public Task InitializeAsync()
    {
        _simulator = ShopRenterSimulator.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task Two_shops_run_at_once_with_their_own_tokens_rate_limits_data_and_warehouses()
    {
        var pest = _simulator.AddShop("pestibolt");
        var debrecen = _simulator.AddShop("debrecenibolt");
        pest.AddOrders(30);
        debrecen.AddOrder(new OrderSpec(new Buyer("Szőke", "Ödön", "szoke.odon@example.hu"), new Item("HU-1005", 4)));
        var settings = _simulator.Settings("pest", pest, new Dictionary<string, string?> { ["PageSize"] = "5", ["Warehouse"] = "BP" });
        foreach (var (key, value) in _simulator.Settings("debrecen", debrecen, new Dictionary<string, string?> { ["PageSize"] = "5", ["Warehouse"] = "DEB" })) settings[key] = value;
        foreach (var (key, value) in Engine.Flow("pest-orders", "pest/orders", "erp/orders")) settings[key] = value;
        foreach (var (key, value) in Engine.Flow("debrecen-orders", "debrecen/orders", "erp/orders")) settings[key] = value;
        foreach (var (key, value) in Engine.Flow("pest-stock", "erp/stock", "pest/stock")) settings[key] = value;
        foreach (var (key, value) in Engine.Flow("debrecen-stock", "erp/stock", "debrecen/stock")) settings[key] = value;
        await using var engine = Engine.Start(settings);
        engine.ErpSystem.Records("stock").AddRange([
            new StockLevel { Id = "BP|HU-1001", Sku = "HU-1001", Warehouse = "BP", Quantity = 40 },
            new StockLevel { Id = "DEB|HU-1001", Sku = "HU-1001", Warehouse = "DEB", Quantity = 4 },
        ]);

        var runs = await Task.WhenAll(engine.RunAsync("pest-orders"), engine.RunAsync("debrecen-orders"), engine.RunAsync("pest-stock"), engine.RunAsync("debrecen-stock"));

        Assert.All(runs, r => Assert.True(r.Status == RunStatus.Succeeded, $"{r.Flow}: {r.Status} {r.Error}"));
        var orders = engine.Written<Order>("orders");
        Assert.Equal(30, orders.Count(o => o.Channel == "pestibolt"));
        var other = Assert.Single(orders, o => o.Channel == "debrecenibolt");
        Assert.Equal(("Ödön", "Szőke", 4m), (other.Customer!.FirstName, other.Customer.LastName, other.Lines[0].Quantity));
        Assert.Equal([("HU-1001", """{"stock1":40}""")], pest.ProductUpdates.Select(u => (u.Sku, u.Data)));
        Assert.Equal([("HU-1001", """{"stock1":4}""")], debrecen.ProductUpdates.Select(u => (u.Sku, u.Data)));
        foreach (var shop in new[] { pest, debrecen })
        {
            Assert.Equal(0, shop.Throttled);
            Assert.Single(shop.TokenCalls);
            // Each shop only ever saw the token it issued.
            Assert.Single(shop.ApiCalls.Select(c => c.Token).Distinct());
        }
        Assert.NotEqual(pest.ApiCalls[0].Token, debrecen.ApiCalls[0].Token);
    }

    [Fact]
    public void The_order_confirm_webhook_names_the_shop_and_the_orders()
    {
        var payload = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "synthetic", "webhook_order_confirm.json"));

        var notice = ShopRenterWebhook.Parse(payload);

        Assert.Equal("demo", notice.StoreName);
        Assert.False(notice.IsNewsletter);
        Assert.Equal([new WebhookOrder("190", "b3JkZXItb3JkZXJfaWQ9MTkw")], notice.Orders);
    }

    [Fact]
    public void A_webhook_with_one_order_as_an_object_a_newsletter_webhook_and_malformed_ones_are_told_apart()
    {
        var single = ShopRenterWebhook.Parse("""{"orders":{"order":{"storeName":"kovacsbolt","innerId":1001,"innerResourceId":"orders\/b3JkZXItb3JkZXJfaWQ9MTAwMQ=="}}}""");
        Assert.Equal([new WebhookOrder("1001", "b3JkZXItb3JkZXJfaWQ9MTAwMQ==")], single.Orders);

        var newsletter = ShopRenterWebhook.Parse("""{"newsletter":{"subscriber":[{"id":"1","firstname":"Éva","lastname":"Kovács","email":"kovacs.eva@example.hu"}]}}""");
        Assert.True(newsletter.IsNewsletter);

        Assert.Contains("not valid JSON", Assert.Throws<FormatException>(() => ShopRenterWebhook.Parse("""{"orders":{"order":[{"innerId":"1""")).Message);
        Assert.Contains("neither 'orders' nor 'newsletter'", Assert.Throws<FormatException>(() => ShopRenterWebhook.Parse("""{"foo":1}""")).Message);
        Assert.Contains("names no 'order'", Assert.Throws<FormatException>(() => ShopRenterWebhook.Parse("""{"orders":{"order":[]}}""")).Message);
    }

    [Fact]
    public async Task The_connector_asks_for_its_orders_and_customers_flows_on_its_own_shops_order_webhook_only()
    {
        var shop = _simulator.AddShop("kovacsbolt");
        var id = shop.AddOrder(new OrderSpec(new Buyer("Kovács", "Éva", "kovacs.eva@example.hu", 101), new Item("HU-1001", 1)));
        var settings = _simulator.Settings("shop", shop);
        foreach (var (key, value) in Engine.Flow("orders", "shop/orders", "erp/orders")) settings[key] = value;
        await using var engine = Engine.Start(settings);
        var connector = (IWebhookConnector)engine.Registry.GetConnector("shop");

        Assert.Equal(["orders", "customers"], connector.StreamsChangedBy(shop.WebhookPayload(id)));
        Assert.Empty(connector.StreamsChangedBy(shop.WebhookPayload(id).Replace("kovacsbolt", "masikbolt", StringComparison.Ordinal)));
        Assert.Empty(connector.StreamsChangedBy("""{"newsletter":{"subscriber":[]}}"""));
        Assert.Throws<FormatException>(() => connector.StreamsChangedBy("nem json"));

        // The flow the host then runs reads the order through the API, as a hint only.
        var run = await engine.RunAsync("orders");
        Assert.Equal(id, Assert.Single(engine.Written<Order>("orders")).Id);
        Assert.Equal(RunStatus.Succeeded, run.Status);
    }

    [Fact]
    public async Task Validation_names_the_missing_settings()
    {
        var shop = _simulator.AddShop("kovacsbolt");
        var settings = _simulator.Settings("shop", shop, new Dictionary<string, string?> { ["PageSize"] = "500", ["ClientSecret"] = "" });
        foreach (var (key, value) in Engine.Flow("stock", "erp/stock", "shop/stock")) settings[key] = value;
        await using var engine = Engine.Start(settings);

        var errors = engine.Validator.Validate().Select(e => e.ToString()).ToList();

        Assert.Contains(errors, e => e.StartsWith("SyncEngine:Connections:shop:ClientSecret: missing", StringComparison.Ordinal));
        Assert.Contains("SyncEngine:Connections:shop:PageSize: '500' must be 1 to 200 (the API's maximum)", errors);

        settings["SyncEngine:Connections:shop:PageSize"] = "200";
        settings["SyncEngine:Connections:shop:ClientSecret"] = "x";
        await using var second = Engine.Start(settings);
        Assert.Equal(["SyncEngine:Connections:shop:Warehouse: missing: flow 'stock' writes stock to this shop; name the ERP warehouse whose stock it receives"],
            second.Validator.Validate().Select(e => e.ToString()));
    }
}
