using SyncEngine.Core.Model;
using SyncEngine.Core.State;
using SyncEngine.Testing.ShopRenter;
using Xunit.Abstractions;

namespace SyncEngine.Connectors.ShopRenter.Tests;

/// <summary>Customers, products, payment and shipping methods and coupons into the ERP; and what an import of N orders costs.</summary>
public sealed class CatalogTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ShopRenterSimulator _simulator = null!;
    private SimulatedShop _shop = null!;
    private Engine _engine = null!;

    public Task InitializeAsync()
    {
        _simulator = ShopRenterSimulator.Start();
        _shop = _simulator.AddShop("kovacsbolt");
        var settings = _simulator.Settings("shop", _shop);
        foreach (var (key, value) in Engine.Flow("customers", "shop/customers", "erp/customers")) settings[key] = value;
        foreach (var (key, value) in Engine.Flow("products", "shop/products", "erp/articles")) settings[key] = value;
        foreach (var (key, value) in Engine.Flow("payments", "shop/paymentMethods", "erp/articles")) settings[key] = value;
        foreach (var (key, value) in Engine.Flow("shippings", "shop/shippingMethods", "erp/articles")) settings[key] = value;
        foreach (var (key, value) in Engine.Flow("coupons", "shop/coupons", "erp/articles")) settings[key] = value;
        foreach (var (key, value) in Engine.Flow("orders", "shop/orders", "erp/orders")) settings[key] = value;
        _engine = Engine.Start(settings);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task Registered_customers_arrive_with_name_group_and_default_address()
    {
        _shop.AddCustomer(new Buyer("Kovács", "Éva", "kovacs.eva@example.hu", 101), "Váci utca 1.", "1052", "Budapest");
        _shop.AddCustomer(new Buyer("Tóth", "Ágnes", "toth.agnes@example.hu", 102), "Piac utca 20.", "4025", "Debrecen", company: "Tóth és Társa Kft.");

        var run = await _engine.RunAsync("customers");

        Assert.Equal((RunStatus.Succeeded, 2L), (run.Status, run.Written));
        var customers = _engine.Written<Customer>("customers");
        var eva = customers[0];
        Assert.Equal((SimulatedShop.Id("customer-customer_id", 101), false, "Éva", "Kovács", "kovacs.eva@example.hu", "Vásárló"),
            (eva.Id, eva.IsGuest, eva.FirstName, eva.LastName, eva.Email, eva.CustomerGroup));
        Assert.Equal(("Váci utca 1.", "1052", "Budapest", "HU"), (eva.BillingAddress!.Street, eva.BillingAddress.PostalCode, eva.BillingAddress.City, eva.BillingAddress.CountryCode));
        Assert.Equal(("Tóth és Társa Kft.", "12345678-2-42"), (customers[1].Company, customers[1].VatId));
        Assert.Equal("101", eva.Attributes["innerId"]);
    }

    [Fact]
    public async Task Products_arrive_keyed_by_SKU_with_names_net_and_gross_price_tax_class_and_stock()
    {
        var run = await _engine.RunAsync("products");

        Assert.Equal((RunStatus.Succeeded, 12L), (run.Status, run.Written));
        var product = _engine.Written<Product>("articles").Single(p => p.Sku == "HU-1002");
        Assert.Equal(("HU-1002", "Kávéfőző Ékes", "db", true), (product.Id, product.Name, product.Unit, product.Active));
        Assert.Equal((1250m, 1588m, "HUF"), (product.Prices.Base, product.Prices.BaseGross, product.Prices.Currency));
        Assert.Equal(("27 %", 27m), (product.TaxClass, product.TaxRate));
        Assert.Equal(new WarehouseStock("stock1", 11), product.Stock[0]);
        Assert.Equal(["hu", "en"], product.Translations.Select(t => t.Language));
        Assert.Equal("Kávéfőző Ékes (EN)", product.Translations[1].Name);
    }

    [Fact]
    public async Task Payment_and_shipping_methods_and_coupons_arrive_as_code_lists_matching_the_orders_codes()
    {
        Assert.Equal(RunStatus.Succeeded, (await _engine.RunAsync("payments")).Status);
        Assert.Equal(RunStatus.Succeeded, (await _engine.RunAsync("shippings")).Status);
        Assert.Equal(RunStatus.Succeeded, (await _engine.RunAsync("coupons")).Status);

        var written = _engine.Written<Product>("articles");
        Assert.Equal([("cod", "Utánvét"), ("bank_transfer", "Banki átutalás")], written.Take(2).Select(p => (p.Sku, p.Name)));
        Assert.Equal([("18", "GLS futárszolgálat", "GLSPARCELPOINT"), ("3", "Személyes átvétel (1025 Budapest, Szépvölgyi út 25.)", "WSESHIP")],
            written.Skip(2).Take(2).Select(p => (p.Sku, p.Name, p.Attributes["extension"])));
        var coupons = written.Skip(4).ToList();
        Assert.Equal([("10wevb", "free_delivery"), ("NYAR10", "Nyári kedvezmény")], coupons.Select(c => (c.Sku, c.Name)));
        Assert.Equal(("PERCENT", "10.0000"), (coupons[1].Attributes["discountType"], coupons[1].Attributes["percentDiscountValue"]));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(100)]
    [InlineData(600)]
    public async Task An_import_of_N_orders_takes_one_request_per_page_and_one_batch_per_200_look_ups(int n)
    {
        _shop.AddOrders(n);

        var run = await _engine.RunAsync("orders");

        Assert.Equal((RunStatus.Succeeded, (long)n), (run.Status, run.Written));
        var calls = _shop.ApiCalls;
        var subRequests = _shop.Requests.Count(r => r.InBatch);
        var pages = (n + 199) / 200;
        // Per page: its lines' options and its orders' add-ons; the first page also the status, the shipping mode and the
        // products whose 27 % rate two tax classes share (12 products).
        var lookups = Enumerable.Range(0, pages).Select(p =>
        {
            var orders = Math.Min(200, n - p * 200);
            var lines = Enumerable.Range(p * 200, orders).Sum(i => 1 + i % 3);
            return lines + orders + (p == 0 ? 2 + Math.Min(12, Enumerable.Range(0, orders).SelectMany(i => Enumerable.Range(0, 1 + i % 3).Select(k => (i + k * 5) % 12)).Distinct().Count()) : 0);
        }).ToList();
        Assert.Equal(lookups.Sum(), subRequests);
        Assert.Equal(1 + pages + lookups.Sum(l => (l + 199) / 200), calls.Count);
        Assert.Equal(0, _shop.Throttled);
        output.WriteLine($"N = {n}: {calls.Count} HTTP requests ({pages} pages, {calls.Count(c => c.Path == "batch")} batches, 1 tax classes), {subRequests} batch sub-requests, {(calls[^1].ArrivedUtc - calls[0].ArrivedUtc).TotalSeconds:0.0} s");
    }
}
