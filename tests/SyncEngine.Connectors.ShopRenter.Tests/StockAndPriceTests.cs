using System.Text.Json.Nodes;
using SyncEngine.Core.Model;
using SyncEngine.Core.State;
using SyncEngine.Testing.ShopRenter;

namespace SyncEngine.Connectors.ShopRenter.Tests;

/// <summary>Stock and normal prices from the ERP to the shop: only what changed, in batches of at most 200, exactly as asserted here.</summary>
public sealed class StockAndPriceTests : IAsyncLifetime
{
    private ShopRenterSimulator _simulator = null!;
    private SimulatedShop _shop = null!;
    private Engine _engine = null!;

    public Task InitializeAsync()
    {
        _simulator = ShopRenterSimulator.Start();
        _shop = _simulator.AddShop("kovacsbolt");
        var settings = _simulator.Settings("shop", _shop, new Dictionary<string, string?> { ["Warehouse"] = "BP" });
        foreach (var (key, value) in Engine.Flow("stock", "erp/stock", "shop/stock", batchSize: 500)) settings[key] = value;
        foreach (var (key, value) in Engine.Flow("prices", "erp/articles", "shop/prices", batchSize: 500)) settings[key] = value;
        _engine = Engine.Start(settings);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    private static StockLevel Level(string warehouse, string sku, decimal quantity, decimal reserved = 0) =>
        new() { Id = StockLevel.KeyOf(warehouse, sku), Sku = sku, Warehouse = warehouse, Quantity = quantity, Reserved = reserved };

    [Fact]
    public async Task Stock_of_the_shops_warehouse_is_sent_in_one_batch_with_exactly_the_changed_quantities()
    {
        var stock = _engine.ErpSystem.Records("stock");
        stock.AddRange([Level("BP", "HU-1001", 25), Level("BP", "HU-1002", 7, reserved: 2), Level("DEB", "HU-1001", 99), Level("BP", "HU-1003", 12)]);

        var run = await _engine.RunAsync("stock");

        // HU-1003 already has 12 in the shop (the lookup shows it): not written again. The DEB warehouse is not this shop's.
        Assert.Equal((RunStatus.Succeeded, 4L, 2L, 2L), (run.Status, run.Read, run.Written, run.Skipped));
        var calls = _shop.ApiCalls;
        Assert.Equal(["batch", "batch"], calls.Select(c => c.Path));
        var lookups = JsonNode.Parse(calls[0].Body!)!["data"]!["requests"]!.AsArray();
        Assert.Equal(["GET"], lookups.Select(r => r!["method"]!.ToString()).Distinct());
        Assert.Equal(3, lookups.Count);
        Assert.Equal(
            $$$"""{"data":{"requests":[{"method":"POST","uri":"{{{_shop.ApiBase}}}/products/{{{Id("HU-1001")}}}","data":{"stock1":25}},{"method":"POST","uri":"{{{_shop.ApiBase}}}/products/{{{Id("HU-1002")}}}","data":{"stock1":5}}]}}""",
            calls[1].Body);
        Assert.Equal([("HU-1001", """{"stock1":25}"""), ("HU-1002", """{"stock1":5}""")], _shop.ProductUpdates.Select(u => (u.Sku, u.Data)));
        Assert.Equal("25", SimulatedShop.Str(_shop.Product("HU-1001"), "stock1"));

        // Next run: only HU-1002 changed; its product id is known from the first run, so no look-up.
        _shop.ClearLog();
        stock[1] = Level("BP", "HU-1002", 3);
        var second = await _engine.RunAsync("stock");

        Assert.Equal((3L, 1L), (second.Skipped, second.Written));
        var only = Assert.Single(_shop.ApiCalls);
        Assert.Equal($$$"""{"data":{"requests":[{"method":"POST","uri":"{{{_shop.ApiBase}}}/products/{{{Id("HU-1002")}}}","data":{"stock1":3}}]}}""", only.Body);
    }

    [Fact]
    public async Task A_SKU_the_shop_does_not_have_is_dead_lettered_naming_it_and_the_others_are_written()
    {
        _engine.ErpSystem.Records("stock").AddRange([Level("BP", "HU-1001", 1), Level("BP", "NINCS-ILYEN", 5), Level("BP", "HU-1002", 2)]);

        var run = await _engine.RunAsync("stock");

        Assert.Equal((RunStatus.CompletedWithErrors, 2L, 1L), (run.Status, run.Written, run.DeadLettered));
        var letter = Assert.Single(await _engine.State.GetDeadLettersAsync("stock", null, default));
        Assert.Equal(("BP|NINCS-ILYEN", "SKU 'NINCS-ILYEN' is not in shop 'kovacsbolt'"), (letter.RecordKey, letter.Error));
        Assert.Equal(["HU-1001", "HU-1002"], _shop.ProductUpdates.Select(u => u.Sku));
    }

    [Fact]
    public async Task A_sub_request_the_shop_refuses_fails_only_its_record_with_the_shops_message()
    {
        _engine.ErpSystem.Records("articles").AddRange([
            new Product { Id = "HU-1001", Sku = "HU-1001", Prices = new ProductPrices { Base = 1234.5m } },
            new Product { Id = "HU-1002", Sku = "HU-1002", Prices = new ProductPrices { Base = -5m } },
            new Product { Id = "HU-1003", Sku = "HU-1003", Prices = new ProductPrices { BaseGross = 2540m }, TaxRate = 27m },
            // Gross only and no rate, as a gross price list gives it: the shop product's tax class (27 %) makes it net.
            new Product { Id = "HU-1005", Sku = "HU-1005", Prices = new ProductPrices { BaseGross = 3175m } },
        ]);

        var run = await _engine.RunAsync("prices");

        Assert.Equal((RunStatus.CompletedWithErrors, 3L, 1L), (run.Status, run.Written, run.DeadLettered));
        Assert.Equal([("HU-1001", """{"price":1234.5}"""), ("HU-1003", """{"price":2000}"""), ("HU-1005", """{"price":2500}""")],
            _shop.ProductUpdates.Select(u => (u.Sku, u.Data)));
        Assert.Equal("1234.5000", SimulatedShop.Str(_shop.Product("HU-1001"), "price"));
        var letter = Assert.Single(await _engine.State.GetDeadLettersAsync("prices", null, default));
        Assert.Equal("SKU 'HU-1002': price -5 is negative", letter.Error);
    }

    [Fact]
    public async Task The_shops_error_for_an_update_is_the_dead_letters_reason()
    {
        _shop.AddProduct("HU-9999", "Hibás termék", 100m, 1);
        _engine.ErpSystem.Records("articles").Add(new Product { Id = "HU-9999", Sku = "HU-9999", Prices = new ProductPrices { Base = 150m } });
        _shop.FailNextProductUpdate = "The given data is wrong!";

        var run = await _engine.RunAsync("prices");

        Assert.Equal((RunStatus.CompletedWithErrors, 1L), (run.Status, run.DeadLettered));
        var letter = Assert.Single(await _engine.State.GetDeadLettersAsync("prices", null, default));
        Assert.Equal($"SKU 'HU-9999': shop 'kovacsbolt' refused price = 150 for product {Id("HU-9999")}: HTTP 400: 40005: The given data is wrong!", letter.Error);
    }

    [Fact]
    public async Task Four_hundred_and_ten_changed_products_go_out_in_batches_of_at_most_200()
    {
        var stock = _engine.ErpSystem.Records("stock");
        for (var i = 0; i < 410; i++)
        {
            var sku = $"T-{i:D4}";
            _shop.AddProduct(sku, $"Tömeges termék {i}", 500m, 0);
            stock.Add(Level("BP", sku, i + 1));
        }

        var run = await _engine.RunAsync("stock");

        Assert.Equal((RunStatus.Succeeded, 410L), (run.Status, run.Written));
        var sizes = _shop.ApiCalls.Select(c => JsonNode.Parse(c.Body!)!["data"]!["requests"]!.AsArray().Count).ToList();
        Assert.Equal([200, 200, 10, 200, 200, 10], sizes);
        Assert.Equal(410, _shop.ProductUpdates.Count);
        Assert.Equal(0, _shop.Throttled);
    }

    private string Id(string sku) => SimulatedShop.Str(_shop.Product(sku), "id")!;
}
