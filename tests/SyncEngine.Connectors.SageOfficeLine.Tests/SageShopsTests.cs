using SyncEngine.Core.Model;
using SyncEngine.Core.State;
using SyncEngine.Testing;
using static SyncEngine.Connectors.SageOfficeLine.Tests.ShopOrders;

namespace SyncEngine.Connectors.SageOfficeLine.Tests;

/// <summary>Several shops in one Sage database: a connection each, with its own number range, customer numbers, warehouse and ids.</summary>
public sealed class SageShopsTests : IAsyncLifetime
{
    private readonly TempDirectory _folder = new();
    private readonly MemoryShops _shops = new();
    private SageEngine? _engine;
    private TestDatabase? _database;

    private async Task<SageEngine> StartAsync(string provider)
    {
        _database = await TestDatabase.CreateAsync(provider, _folder, "sage.db", midnightAsDay: true);
        _engine = SageEngine.Start(_folder, _shops, Config.Merge(
            Config.Shop("shop1"),
            Config.Shop("shop2"),
            Config.Sage("sage1", _database, "SR1", 500000, 599999, warehouse: "BP", customersFrom: 200000, customersTo: 249999),
            Config.Sage("sage2", _database, "SR2", 600000, 699999, warehouse: "DEB", customersFrom: 250000, customersTo: 299999),
            Config.Flow("orders1", "shop1/orders", "sage1/orders", Config.Mapping("shoprenter", "orders.json"), batchSize: 1),
            Config.Flow("orders2", "shop2/orders", "sage2/orders", Config.Mapping("shoprenter", "orders.json"), batchSize: 1),
            Config.Flow("stock1", "sage1/stock", "shop1/stock", Config.Mapping("shoprenter", "stock.json")),
            Config.Flow("stock2", "sage2/stock", "shop2/stock", Config.Mapping("shoprenter", "stock.json"))));
        Assert.Empty(_engine.Validator.Validate());
        return _engine;
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task Two_shops_write_with_their_own_number_ranges_and_ids_and_read_only_their_own_warehouse(string provider)
    {
        // Both shops have an order 1001 and a customer 34; they are different orders and different people.
        foreach (var (shop, name, guest) in new[] { ("shop1", "Kiss", Guest("Kiss", "Anna", "anna.kiss@example.hu")), ("shop2", "Nagy", Guest("Nagy", "Béla", "bela.nagy@example.hu")) })
        {
            _shops[shop].Records.Add(Create("1001", Line("SD-64", "SD kártya 64 GB", 1, 3149.61m)).For(Registered("34", name, "Anna", $"anna.{name.ToLowerInvariant()}@example.hu")));
            _shops[shop].Records.Add(Create("1002", Line("KE-100", "Fényképezőgép-táska", 1, 7874.02m)).For(guest));
            _shops[shop].Records.Add(Create("1003", Line("OB-2", "Objektív 50 mm", 1, 78740.16m)).For(guest));
        }
        var engine = await StartAsync(provider);

        var runs = await Task.WhenAll(engine.RunAsync("orders1"), engine.RunAsync("orders2"));

        Assert.All(runs, r => Assert.Equal((RunStatus.Succeeded, 3L), (r.Status, r.Written)));
        Assert.Equal(
        [
            "500000|SR-1001|100002|SR1:1001",
            "500001|SR-1002|200000|SR1:1002",
            "500002|SR-1003|200000|SR1:1003",
            "600000|SR-1001|250000|SR2:1001",
            "600001|SR-1002|250001|SR2:1002",
            "600002|SR-1003|250001|SR2:1003",
        ], await _database!.RowsAsync("SELECT Belegnummer, Referenznummer, A0Empfaenger, USER_ShopOrderId FROM KHKVKBelege ORDER BY Belegnummer"));
        Assert.Equal("6|6", await _database.ScalarAsync("SELECT COUNT(DISTINCT BelID), COUNT(*) FROM KHKVKBelege"));
        Assert.Equal(["200000|KISS, ANNA|null", "250000|NAGY, ANNA|SR2:34", "250001|NAGY, BÉLA|null"],
            await _database.RowsAsync("SELECT Kto, Matchcode, USER_ShopCustomerId FROM KHKKontokorrent WHERE Mandant = 1 AND Kto >= '200000' ORDER BY Kto"));

        await Task.WhenAll(engine.RunAsync("stock1"), engine.RunAsync("stock2"));

        Assert.Equal(["BP|KE-100|12", "BP|KV-5|25", "BP|OB-2|2", "BP|SD-64|140"], Stock(_shops["shop1"]));
        Assert.Equal(["DEB|KE-100|3", "DEB|OB-2|5"], Stock(_shops["shop2"]));
    }

    private static List<string> Stock(MemorySystem shop) =>
        shop.Take<StockLevel>().Select(s => $"{s.Warehouse}|{s.Sku}|{s.Quantity:0.##}").Order(StringComparer.Ordinal).ToList();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_engine is not null) await _engine.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        _folder.Dispose();
    }
}
