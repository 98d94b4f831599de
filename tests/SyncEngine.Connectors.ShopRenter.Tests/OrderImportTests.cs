using SyncEngine.Core.Model;
using SyncEngine.Core.State;
using SyncEngine.Testing.ShopRenter;

namespace SyncEngine.Connectors.ShopRenter.Tests;

/// <summary>Orders from the shop into the ERP, mapped field by field from data shaped as the official fixtures.</summary>
public sealed class OrderImportTests : IAsyncLifetime
{
    private ShopRenterSimulator _simulator = null!;
    private SimulatedShop _shop = null!;
    private Engine _engine = null!;

    public Task InitializeAsync()
    {
        _simulator = ShopRenterSimulator.Start();
        _shop = _simulator.AddShop("kovacsbolt");
        _shop.AddCustomer(new Buyer("Kovács", "Éva", "kovacs.eva@example.hu", 101), "Váci utca 1.", "1052", "Budapest");
        _engine = Start();
        return Task.CompletedTask;
    }

    private Engine Start(IDictionary<string, string?>? more = null)
    {
        var settings = _simulator.Settings("shop", _shop, more);
        foreach (var (key, value) in Engine.Flow("orders", "shop/orders", "erp/orders")) settings[key] = value;
        return Engine.Start(settings);
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task An_order_arrives_in_the_ERP_with_customer_addresses_lines_shipping_coupon_totals_and_comment()
    {
        var id = _shop.AddOrder(new OrderSpec(new Buyer("Kovács", "Éva", "kovacs.eva@example.hu", 101),
            new Item("HU-1002", 2, ("Szín", "Piros"), ("Méret", "XL")),
            new Item("HU-1004", 1))
        {
            Comment = "Kérem, délután szállítsák ki!",
            CouponCode = "NYAR10",
            LoyaltyPoints = 150,
            Recipient = new Buyer("Szőke", "Ödön", "szoke.odon@example.hu"),
            ShipTo = ("Kossuth tér 7.", "4024", "Debrecen"),
        });

        var run = await _engine.RunAsync("orders");

        Assert.Equal((RunStatus.Succeeded, 1L, 1L), (run.Status, run.Read, run.Written));
        var order = Assert.Single(_engine.Written<Order>("orders"));
        Assert.Equal((id, id, "kovacsbolt", "HUF", "hu", "Függőben"), (order.Id, order.OrderNumber, order.Channel, order.Currency, order.Language, order.Status));
        Assert.Equal("Kérem, délután szállítsák ki!", order.CustomerComment);
        Assert.Equal(TimeSpan.FromHours(1), order.OrderedAt.Offset);

        var customer = order.Customer!;
        Assert.Equal(("Éva", "Kovács", "kovacs.eva@example.hu", false), (customer.FirstName, customer.LastName, customer.Email, customer.IsGuest));
        Assert.Equal(SimulatedShop.Id("customer-customer_id", 101), customer.Id);
        Assert.Equal(("Éva", "Kovács", "Petőfi Sándor utca 3.", "4025", "Debrecen", "HU"),
            (order.BillingAddress!.FirstName, order.BillingAddress.LastName, order.BillingAddress.Street, order.BillingAddress.PostalCode, order.BillingAddress.City, order.BillingAddress.CountryCode));
        Assert.Equal(("Ödön", "Szőke", "Kossuth tér 7.", "4024", "Debrecen", "Hajdú-Bihar"),
            (order.ShippingAddress!.FirstName, order.ShippingAddress.LastName, order.ShippingAddress.Street, order.ShippingAddress.PostalCode, order.ShippingAddress.City, order.ShippingAddress.Region));

        Assert.Equal(2, order.Lines.Count);
        var first = order.Lines[0];
        Assert.Equal(("HU-1002", "Kávéfőző Ékes", 2m, 1250m, 1588m, 27m, "27 %"), (first.Sku, first.Name, first.Quantity, first.UnitPriceNet, first.UnitPriceGross, first.TaxRate, first.TaxKey));
        Assert.Equal(new Dictionary<string, string> { ["Szín"] = "Piros", ["Méret"] = "XL" }, first.Options);
        Assert.Equal(("HU-1004", 1m, 1750m, 2222m), (order.Lines[1].Sku, order.Lines[1].Quantity, order.Lines[1].UnitPriceNet, order.Lines[1].UnitPriceGross));
        Assert.Empty(order.Lines[1].Options);

        // Shipping and the cash-on-delivery fee are services named as the shop's totals name them.
        Assert.Equal(("18", "GLS futárszolgálat", 1490m, 1173.2283m, 27m), (order.Shipping!.Code, order.Shipping.Name, order.Shipping.CostGross, order.Shipping.CostNet, order.Shipping.TaxRate));
        Assert.Equal(("cod", "Utánvét", 390m), (order.Payment!.Code, order.Payment.Name, order.Payment.FeeGross));
        Assert.Equal(["GLS futárszolgálat", "Utánvét kezelési díja"], order.Services.Select(s => s.Name));
        Assert.Equal([1490m, 390m], order.Services.Select(s => s.Gross));

        // Lines: 2 x 1588 + 2222 = 5398 gross; coupon 10 % = 540; points 150; shipping 1490; payment 390.
        var coupon = Assert.Single(order.Coupons);
        Assert.Equal(("NYAR10", "Kupon (NYAR10)", 540m), (coupon.Code, coupon.Description, coupon.Amount));
        Assert.Equal(6588m, order.Totals.Gross);
        Assert.Equal(1148m, order.Totals.Tax);
        Assert.Equal(6588m - 1148m, order.Totals.Net);
        Assert.Equal((540m, 150m, 150m), (order.Totals.Discount, order.Totals.LoyaltyPointsUsed, order.Totals.LoyaltyPointsValue));
    }

    [Fact]
    public async Task A_guest_is_keyed_by_name_and_email_and_a_registered_customer_by_customer_id()
    {
        _shop.AddOrder(new OrderSpec(new Buyer("Szőke", "Ödön", "Szoke.Odon@Example.hu"), new Item("HU-1001", 1)));
        _shop.AddOrder(new OrderSpec(new Buyer("Tóth", "Ágnes", "toth.agnes@example.hu", 102), new Item("HU-1001", 1)));

        await _engine.RunAsync("orders");

        var customers = _engine.Written<Order>("orders").Select(o => o.Customer!).ToList();
        Assert.Equal(("guest:szoke.odon@example.hu|szőke ödön", true), (customers[0].Id, customers[0].IsGuest));
        Assert.Equal((SimulatedShop.Id("customer-customer_id", 102), false, "Ágnes", "Tóth"), (customers[1].Id, customers[1].IsGuest, customers[1].FirstName, customers[1].LastName));
    }

    [Fact]
    public async Task The_official_fixture_order_is_read_as_it_is()
    {
        _shop.AddFixtureOrder();

        var run = await _engine.RunAsync("orders");

        Assert.Equal(RunStatus.Succeeded, run.Status);
        var order = Assert.Single(_engine.Written<Order>("orders"));
        Assert.Equal(("172", "Comment", "HUF", "Függőben"), (order.Id, order.CustomerComment, order.Currency, order.Status));
        Assert.Equal(("Test", "Test", "test@test.com"), (order.Customer!.FirstName, order.Customer.LastName, order.Customer.Email));
        Assert.Equal(("Mini Tündér karkötő", "997000004", 1m, 400m, 508m, 27m), (order.Lines[0].Name, order.Lines[0].Sku, order.Lines[0].Quantity, order.Lines[0].UnitPriceNet, order.Lines[0].UnitPriceGross, order.Lines[0].TaxRate));
        // The deposit fee add-on is a line of its own: 3 x 50 at 0 %.
        var deposit = order.Lines[^1];
        Assert.Equal(("BETETDIJ01", "1L Üveg Betétdíj", 3m, 50m, 0m, "0 %"), (deposit.Sku, deposit.Name, deposit.Quantity, deposit.UnitPriceNet, deposit.TaxRate, deposit.TaxKey));
        Assert.Equal(8128m, order.Totals.Gross);
        Assert.Equal(1728m, order.Totals.Tax);
        Assert.Equal(("Personal pickup (1025 Budapest, Test u. 25)", 0m), (order.Services[0].Name, order.Services[0].Gross));
        Assert.Equal(("18", "cod", "123456789"), (order.Shipping!.Code, order.Payment!.Code, order.Payment.TransactionId));
        Assert.Equal("COUPONCODE", order.Coupons[0].Code);
        Assert.Equal(("b3JkZXItb3JkZXJfaWQ9MTcy", "172"), (order.Attributes["id"], order.Attributes["innerId"]));
    }

    [Fact]
    public async Task Orders_are_read_across_several_pages()
    {
        await _engine.DisposeAsync();
        _engine = Start(new Dictionary<string, string?> { ["PageSize"] = "4" });
        var ids = _shop.AddOrders(10);

        var run = await _engine.RunAsync("orders");

        Assert.Equal((RunStatus.Succeeded, 10L, 10L), (run.Status, run.Read, run.Written));
        Assert.Equal(ids, _engine.Written<Order>("orders").Select(o => o.Id));
        var pages = _shop.ApiCalls.Where(r => r.Resource == "orderExtend").ToList();
        Assert.Equal(["0", "1", "2"], pages.Select(p => p["page"]));
        Assert.All(pages, p => Assert.Equal(("1", "4", "1"), (p["full"], p["limit"], p["excludeAbandonedCart"])));
        Assert.All(_shop.ApiCalls, r => Assert.Equal("application/json", r.Accept));
    }

    [Fact]
    public async Task A_time_stamp_that_states_an_offset_is_that_instant_on_the_shops_clock_whatever_the_machines_zone()
    {
        var utc = _shop.AddOrder(new OrderSpec(new Buyer("Kovács", "Éva", "kovacs.eva@example.hu"), new Item("HU-1002", 1)));
        var tokyo = _shop.AddOrder(new OrderSpec(new Buyer("Kovács", "Éva", "kovacs.eva@example.hu"), new Item("HU-1002", 1)));
        _shop.UpdateOrder(utc, o => o["dateCreated"] = "2026-12-31T23:30:00Z");
        _shop.UpdateOrder(tokyo, o => o["dateCreated"] = "2026-07-01T08:00:00+09:00");

        await _engine.RunAsync("orders");

        var orders = _engine.Written<Order>("orders").ToDictionary(o => o.Id);
        // Budapest is an hour ahead of UTC in winter: the shop's new year, not the machine's old one.
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 30, 0, TimeSpan.FromHours(1)), orders[utc].OrderedAt);
        Assert.Equal(TimeSpan.FromHours(1), orders[utc].OrderedAt.Offset);
        Assert.Equal(new DateTimeOffset(2026, 7, 1, 1, 0, 0, TimeSpan.FromHours(2)), orders[tokyo].OrderedAt);
        Assert.Equal(TimeSpan.FromHours(2), orders[tokyo].OrderedAt.Offset);
    }
}
