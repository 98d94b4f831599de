using SyncEngine.Core.Model;
using SyncEngine.Core.State;
using SyncEngine.Testing;

namespace SyncEngine.Connectors.SageOfficeLine.Tests;

/// <summary>New shop products written as Sage articles; the articles Sage has already stay Sage's.</summary>
public sealed class SageArticleTests : IAsyncLifetime
{
    private readonly TempDirectory _folder = new();
    private readonly MemoryShops _shops = new();
    private SageEngine? _engine;
    private TestDatabase? _database;

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task New_shop_products_become_articles_and_those_sage_has_are_left_as_they_are(string provider)
    {
        var shop = _shops["shop1"];
        shop.Records.Add(new Product { Id = "KE-100", Sku = "KE-100", Name = "Táska (a shop neve)", Active = true });
        shop.Records.Add(new Product
        {
            Id = "ÁLL-3", Sku = "ÁLL-3", Name = "Állvány, háromlábú", ShortDescription = "alumínium", Description = "<p>Könnyű, 1,2 kg.</p>",
            Ean = "5999100000302", Weight = 1.2m, Unit = "db", Active = true,
        });
        shop.Records.Add(new Product { Id = "RÉGI-1", Sku = "RÉGI-1", Name = "Kifutott termék", Active = false });
        _database = await TestDatabase.CreateAsync(provider, _folder, "sage.db", midnightAsDay: true);
        _engine = SageEngine.Start(_folder, _shops, Config.Merge(
            Config.Shop("shop1"),
            Config.Sage("sage1", _database, "SR1", 500000, 599999),
            Config.Flow("products", "shop1/products", "sage1/articles", Config.Mapping("shoprenter", "products.json"))));
        Assert.Empty(_engine.Validator.Validate());

        var run = await _engine.RunAsync("products");

        Assert.Equal((RunStatus.Succeeded, 2L, 1L), (run.Status, run.Written, run.Skipped));
        Assert.Equal(
        [
            "KE-100|1|Fényképezőgép-táska|vízálló, fekete|5999100000104|-1|null|null",
            "RÉGI-1|1|Kifutott termék|null|null|0|null|Angelegt aus Shop-Artikel RÉGI-1 (SR1) durch SyncEngine",
            "ÁLL-3|1|Állvány, háromlábú|alumínium|5999100000302|-1|<p>Könnyű, 1,2 kg.</p>|Angelegt aus Shop-Artikel ÁLL-3 (SR1) durch SyncEngine",
        ], await _database.RowsAsync(
            "SELECT Artikelnummer, Mandant, Bezeichnung1, Bezeichnung2, EANNummer, Aktiv, Langtext, Memo FROM KHKArtikel " +
            "WHERE Mandant = 1 AND Artikelnummer IN ('KE-100', 'ÁLL-3', 'RÉGI-1') ORDER BY Artikelnummer"));
        Assert.Equal("1.2|db|ÁLLVÁNY, HÁROMLÁBÚ", await _database.ScalarAsync("SELECT Gewicht, Mengeneinheit, Matchcode FROM KHKArtikel WHERE Artikelnummer = 'ÁLL-3'"));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_engine is not null) await _engine.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        _folder.Dispose();
    }
}
