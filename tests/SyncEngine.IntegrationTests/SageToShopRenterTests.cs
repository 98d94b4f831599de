using SyncEngine.Testing.ShopRenter;

namespace SyncEngine.IntegrationTests;

/// <summary>
/// Sage Office Line to ShopRenter, end to end through <c>syncengine sync</c>: each shop gets the stock of its own
/// warehouse and the prices of its own price list, changed ones only, as exactly these product updates.
/// </summary>
public sealed class SageToShopRenterTests : IAsyncLifetime
{
    private ShopRenterSage _setup = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task Stock_sync_sends_each_shop_only_the_changed_stock_of_its_own_warehouse(string provider)
    {
        _setup = await ShopRenterSage.StartAsync(provider);
        var (shop1, shop2) = (_setup.Shop1, _setup.Shop2);

        // First run: every article of shop 1's price list with stock in BP, on hand less reserved (SD-64: 140 - 2).
        var first = await _setup.SyncOkAsync("sr1-stock");
        Assert.Equal((4L, 4L), (first.Read, first.Written));
        Assert.Equal(["KE-100 {\"stock1\":12}", "KV-5 {\"stock1\":25}", "OB-2 {\"stock1\":2}", "SD-64 {\"stock1\":138}"], Updates(shop1));
        // One batch finds the products by SKU, one updates them.
        Assert.Equal(["POST batch", "POST batch"], Http(shop1));
        Assert.Equal(8, InBatch(shop1).Count);
        Assert.Equal(["GET products?sku=KE-100", "GET products?sku=KV-5", "GET products?sku=OB-2", "GET products?sku=SD-64"], InBatch(shop1).Take(4).Order(StringComparer.Ordinal));
        Assert.Empty(shop2.ProductUpdates);
        shop1.ClearLog();

        // Sage: KE-100 and OB-2 change in BP (shop 1's warehouse); KE-100 also in DEB (shop 2's).
        await _setup.Sage.ExecAsync("UPDATE KHKLagerplatzbestaende SET Bestand = 7, Verfuegbarkeit = 7 WHERE Mandant = 1 AND PlatzID = 1 AND Artikelnummer = 'KE-100'");
        await _setup.Sage.ExecAsync("UPDATE KHKLagerplatzbestaende SET Bestand = 20, Verfuegbarkeit = 18 WHERE Mandant = 1 AND PlatzID = 1 AND Artikelnummer = 'OB-2'");
        await _setup.Sage.ExecAsync("UPDATE KHKLagerplatzbestaende SET Bestand = 8, Verfuegbarkeit = 8 WHERE Mandant = 1 AND PlatzID = 3 AND Artikelnummer = 'KE-100'");
        var second = await _setup.SyncOkAsync("sr1-stock");

        // KE-100: 7 on place A01 + 2 on A02; OB-2: 20 less 2 reserved. Nothing for KV-5 and SD-64, nothing from DEB.
        // The product ids are the engine's from the first run: no look-up, one batch with the two updates.
        Assert.Equal(2, second.Written);
        Assert.Equal(["KE-100 {\"stock1\":9}", "OB-2 {\"stock1\":18}"], Updates(shop1));
        Assert.Equal(["POST batch"], Http(shop1));
        Assert.Equal([$"POST products/{Id(shop1, "KE-100")} {{\"stock1\":9}}", $"POST products/{Id(shop1, "OB-2")} {{\"stock1\":18}}"], InBatch(shop1));
        Assert.Equal("9", SimulatedShop.Str(shop1.Product("KE-100"), "stock1"));
        Assert.Empty(shop2.ProductUpdates);

        // Shop 2 gets DEB's stock of its price list (KE-100, SD-64; SD-64 has none in DEB), and the change made there.
        await _setup.SyncOkAsync("sr2-stock");
        Assert.Equal(["KE-100 {\"stock1\":8}"], Updates(shop2));
        Assert.Equal(["KE-100 {\"stock1\":9}", "OB-2 {\"stock1\":18}"], Updates(shop1));

        // Nothing changed since: the next run sends nothing at all.
        shop1.ClearLog();
        var third = await _setup.SyncOkAsync("sr1-stock");
        Assert.Equal(0, third.Written);
        Assert.Empty(shop1.ProductUpdates);
        Assert.Empty(Http(shop1));
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task Price_sync_sends_only_the_changed_normal_price_of_the_shops_own_price_list(string provider)
    {
        _setup = await ShopRenterSage.StartAsync(provider);
        var (shop1, shop2) = (_setup.Shop1, _setup.Shop2);
        // The shop sells OB-2 for less than Sage's price list says.
        shop1.UpdateProduct("OB-2", p => p["price"] = "70000.0000");

        var first = await _setup.SyncOkAsync("sr1-prices");
        // Price list 1 has the four articles; the shop holds three of them at that price already, so only OB-2 is sent.
        Assert.Equal((4L, 1L, 3L), (first.Read, first.Written, first.Skipped));
        Assert.Equal(["OB-2 {\"price\":78740.16}"], Updates(shop1));
        shop1.ClearLog();

        // Sage: SD-64's price in list 1 (shop 1's), KE-100's quantity price (from 10, not the shop's normal price),
        // and SD-64 in list 2 (shop 2's).
        await _setup.Sage.ExecAsync("UPDATE KHKPreislistenArtikel SET Einzelpreis = 2990 WHERE Mandant = 1 AND ListeID = 1 AND Artikelnummer = 'SD-64' AND AbMenge = 0");
        await _setup.Sage.ExecAsync("UPDATE KHKPreislistenArtikel SET Einzelpreis = 6900 WHERE Mandant = 1 AND ListeID = 1 AND Artikelnummer = 'KE-100' AND AbMenge = 10");
        await _setup.Sage.ExecAsync("UPDATE KHKPreislistenArtikel SET Einzelpreis = 2500 WHERE Mandant = 1 AND ListeID = 2 AND Artikelnummer = 'SD-64'");
        var second = await _setup.SyncOkAsync("sr1-prices");

        Assert.Equal(1, second.Written);
        Assert.Equal(["SD-64 {\"price\":2990}"], Updates(shop1));
        Assert.Equal(["POST batch"], Http(shop1));
        Assert.Equal([$"POST products/{Id(shop1, "SD-64")} {{\"price\":2990}}"], InBatch(shop1));
        Assert.Equal("2990.0000", SimulatedShop.Str(shop1.Product("SD-64"), "price"));
        Assert.Empty(shop2.ProductUpdates);

        shop1.ClearLog();
        var third = await _setup.SyncOkAsync("sr1-prices");
        Assert.Equal(0, third.Written);
        Assert.Empty(shop1.ProductUpdates);
        Assert.Empty(Http(shop1));
    }

    /// <summary>
    /// The API calls the shop received (a batch once), in order. Token requests are left out: the runs share this
    /// process and with it the connector's token, which a real <c>syncengine sync</c> process fetches once per run.
    /// </summary>
    private static List<string> Http(SimulatedShop shop) => shop.ApiCalls.Select(r => $"{r.Method} {r.Path}").ToList();

    /// <summary>The sub-requests of the batches the shop received, with their bodies, in order.</summary>
    private static List<string> InBatch(SimulatedShop shop) => shop.Requests.Where(r => r.InBatch).Select(r => $"{r.Method} {r.Path}{(r["sku"] is { } sku ? "?sku=" + sku : string.Empty)} {r.Body}".TrimEnd()).ToList();

    private static string Id(SimulatedShop shop, string sku) => SimulatedShop.Str(shop.Product(sku), "id")!;

    /// <summary>The product updates the shop received: SKU and the exact JSON of the fields sent, by SKU.</summary>
    private static List<string> Updates(SimulatedShop shop) =>
        shop.ProductUpdates.Select(u => $"{u.Sku} {u.Data}").Order(StringComparer.Ordinal).ToList();

    public async Task DisposeAsync()
    {
        if (_setup is not null) await _setup.DisposeAsync();
    }
}
