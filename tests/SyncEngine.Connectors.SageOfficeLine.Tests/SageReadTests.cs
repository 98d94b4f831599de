using SyncEngine.Core.Model;
using SyncEngine.Core.State;
using SyncEngine.Testing;

namespace SyncEngine.Connectors.SageOfficeLine.Tests;

/// <summary>
/// Articles, stock and prices read out of Sage incrementally by its Timestamp rowversion (emulated on SQLite and
/// PostgreSQL), within the connection's Mandant, warehouse and price list: a second run hands over only what changed.
/// </summary>
public sealed class SageReadTests : IAsyncLifetime
{
    private readonly TempDirectory _folder = new();
    private readonly MemoryShops _shops = new();
    private SageEngine? _engine;
    private TestDatabase? _database;

    private TestDatabase Database => _database!;

    private MemorySystem Shop => _shops["shop1"];

    private async Task<SageEngine> StartAsync(string provider)
    {
        _database = await TestDatabase.CreateAsync(provider, _folder, "sage.db", midnightAsDay: true);
        _engine = SageEngine.Start(_folder, _shops, Config.Merge(
            Config.Shop("shop1"),
            Config.Sage("sage1", _database, "SR1", 500000, 599999, warehouse: "BP", priceList: 1),
            Config.Flow("stock", "sage1/stock", "shop1/stock", Config.Mapping("shoprenter", "stock.json")),
            Config.Flow("prices", "sage1/prices", "shop1/products", Config.Mapping("shoprenter", "prices.json")),
            Config.Flow("articles", "sage1/articles", "shop1/products", null)));
        Assert.Empty(_engine.Validator.Validate());
        return _engine;
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task Stock_of_the_shops_warehouse_is_read_and_then_only_what_changed(string provider)
    {
        var engine = await StartAsync(provider);

        var first = await engine.RunAsync("stock");

        Assert.Equal(RunStatus.Succeeded, first.Status);
        Assert.Equal(["BP|KE-100|12|0", "BP|KV-5|25|0", "BP|OB-2|2|0", "BP|SD-64|140|2"], Stock());

        Assert.Equal(RunStatus.Succeeded, (await engine.RunAsync("stock")).Status);
        Assert.Empty(Stock());

        // A change in the shop's warehouse, one in another warehouse, one in another Mandant: only the first is the shop's.
        await Database.ExecAsync("UPDATE KHKLagerplatzbestaende SET Bestand = 5, Verfuegbarkeit = 4 WHERE Mandant = 1 AND PlatzID = 2 AND Artikelnummer = 'KE-100'");
        await Database.ExecAsync("UPDATE KHKLagerplatzbestaende SET Bestand = 9, Verfuegbarkeit = 9 WHERE Mandant = 1 AND PlatzID = 3 AND Artikelnummer = 'OB-2'");
        await Database.ExecAsync("UPDATE KHKLagerplatzbestaende SET Bestand = 1, Verfuegbarkeit = 1 WHERE Mandant = 2 AND PlatzID = 1 AND Artikelnummer = 'KE-100'");
        Assert.Equal(RunStatus.Succeeded, (await engine.RunAsync("stock")).Status);

        Assert.Equal(["BP|KE-100|15|1"], Stock());
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task Sale_prices_come_from_the_shops_price_list_and_then_only_what_changed(string provider)
    {
        var engine = await StartAsync(provider);

        await engine.RunAsync("prices");

        Assert.Equal(["KE-100|7874.02|HUF", "KV-5|4761.9|HUF", "OB-2|78740.16|HUF", "SD-64|3149.61|HUF"], Prices());

        // Another price list, a quantity tier and another Mandant change; then the shop's own list.
        await Database.ExecAsync("UPDATE KHKPreislistenArtikel SET Einzelpreis = 6400 WHERE Mandant = 1 AND ListeID = 2 AND Artikelnummer = 'KE-100'");
        await Database.ExecAsync("UPDATE KHKPreislistenArtikel SET Einzelpreis = 6900 WHERE Mandant = 1 AND ListeID = 1 AND Artikelnummer = 'KE-100' AND AbMenge = 10");
        await Database.ExecAsync("UPDATE KHKPreislistenArtikel SET Einzelpreis = 41.5 WHERE Mandant = 2");
        await engine.RunAsync("prices");
        Assert.Empty(Prices());

        await Database.ExecAsync("UPDATE KHKPreislistenArtikel SET Einzelpreis = 74990 WHERE Mandant = 1 AND ListeID = 1 AND Artikelnummer = 'OB-2' AND AbMenge = 0");
        await engine.RunAsync("prices");
        Assert.Equal(["OB-2|74990|HUF"], Prices());
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task Articles_of_the_Mandant_are_read_through_the_connections_default_mapping_and_then_only_those_that_changed(string provider)
    {
        var engine = await StartAsync(provider);

        Assert.Equal(RunStatus.Succeeded, (await engine.RunAsync("articles")).Status);

        Assert.Equal(
        [
            "KE-100|Fényképezőgép-táska|vízálló, fekete|5999100000104|db|True",
            "KV-5|Könyv: Fotózás őszintén||9789630000057|db|True",
            "OB-2|Objektív 50 mm|f/1.8||db|True",
            "SD-64|SD kártya 64 GB||5999100000647|db|True",
            "SZALL|Szállítási díj|||db|True",
            "UTANVET|Utánvételi díj|||db|True",
        ], Products());

        await Database.ExecAsync("UPDATE KHKArtikel SET Bezeichnung1 = 'Könyv: Fotózás őszintén (2. kiadás)', Aktiv = 0 WHERE Mandant = 1 AND Artikelnummer = 'KV-5'");
        await Database.ExecAsync("UPDATE KHKArtikel SET Bezeichnung1 = 'Kameratasche, braun' WHERE Mandant = 2 AND Artikelnummer = 'KE-100'");
        await engine.RunAsync("articles");

        Assert.Equal(["KV-5|Könyv: Fotózás őszintén (2. kiadás)||9789630000057|db|False"], Products());
    }

    private List<string> Stock() =>
        Shop.Take<StockLevel>().Select(s => FormattableString.Invariant($"{s.Warehouse}|{s.Sku}|{s.Quantity:0.##}|{s.Reserved:0.##}")).Order(StringComparer.Ordinal).ToList();

    private List<string> Prices() =>
        Shop.Take<Product>().Select(p => FormattableString.Invariant($"{p.Sku}|{p.Prices.Base:0.##}|{p.Prices.Currency}")).Order(StringComparer.Ordinal).ToList();

    private List<string> Products() =>
        Shop.Take<Product>().Select(p => string.Join("|", p.Sku, p.Name, p.ShortDescription, p.Ean, p.Unit, p.Active)).Order(StringComparer.Ordinal).ToList();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_engine is not null) await _engine.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        _folder.Dispose();
    }
}
