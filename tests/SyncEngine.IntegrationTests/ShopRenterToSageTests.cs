using System.Text.Json.Nodes;
using SyncEngine.Testing.ShopRenter;

namespace SyncEngine.IntegrationTests;

/// <summary>
/// ShopRenter to Sage Office Line, end to end through <c>syncengine sync</c>: the simulated shops' orders become Sage
/// sales documents with their positions, customers and articles, matched or created, in each shop's number range.
/// </summary>
public sealed class ShopRenterToSageTests : IAsyncLifetime
{
    private static readonly Buyer Guest = new("Szőke", "Ödön", "szoke.odon@example.hu");
    private static readonly Buyer Registered = new("Kovács", "Éva", "kovacs.eva@example.hu", 101);
    /// <summary>A guest who is already a Sage customer (seed data: account 100002, same name and e-mail).</summary>
    private static readonly Buyer SageCustomer = new("Szabó", "Éva", "eva.szabo@example.hu");

    private ShopRenterSage _setup = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task Sync_of_the_orders_writes_exactly_these_Sage_documents_positions_customers_and_articles(string provider)
    {
        _setup = await ShopRenterSage.StartAsync(provider);
        var shop = _setup.Shop1;
        shop.AddOrder(new OrderSpec(Guest, new Item("KE-100", 1), new Item("HU-1003", 2)) { Comment = "Kérem, délután szállítsák ki!" });
        shop.AddOrder(new OrderSpec(Registered, new Item("SD-64", 3)) { PaymentCode = "bank_transfer" });
        shop.AddOrder(new OrderSpec(Registered, new Item("OB-2", 1)) { PaymentCode = "bank_transfer" });
        shop.AddOrder(new OrderSpec(SageCustomer, new Item("KV-5", 1)) { PaymentCode = "bank_transfer" });
        var day = SimulatedShop.Str(shop.Order("1001"), "dateCreated")![..10];
        var year = day[..4];

        var validate = await _setup.CliAsync("validate");
        var run = await _setup.SyncOkAsync("sr1-orders");

        Assert.True(validate.ExitCode == 0, validate.ToString());
        Assert.Equal((4L, 4L), (run.Read, run.Written));
        var sage = _setup.Sage;
        const string Billing = "Petőfi Sándor utca 3.|4025|Debrecen|HU";
        const string Shipping = "Fő utca 12.|1051|Budapest|HU";
        Assert.Equal(
        [
            // Guest: a new customer (200000, the first of shop 1's customer numbers); cash on delivery (NN), GLS; the customer's comment as Memo.
            $"500000|VVA|{year}|{day}|Auftragsbestätigung|1001|Webshop 1001|Webshop-Bestellung 1001|200000|3|Szőke Ödön|{Billing}|Szőke Ödön|{Shipping}|NN|GLS|HUF|12754.02|2935.98|15690|Kérem, délután szállítsák ki!|SR1:1001",
            // Registered customer's first order: a new customer holding the shop's customer id.
            $"500001|VVA|{year}|{day}|Auftragsbestätigung|1002|Webshop 1002|Webshop-Bestellung 1002|200001|4|Kovács Éva|{Billing}|Kovács Éva|{Shipping}|VK|GLS|HUF|10938.83|2551.17|13490|null|SR1:1002",
            // Her second order: the same customer, found by the shop's customer id.
            $"500002|VVA|{year}|{day}|Auftragsbestätigung|1003|Webshop 1003|Webshop-Bestellung 1003|200001|4|Kovács Éva|{Billing}|Kovács Éva|{Shipping}|VK|GLS|HUF|80230.16|21259.84|101490|null|SR1:1003",
            // A guest Sage knows: its customer 100002, found by name and e-mail.
            $"500003|VVA|{year}|{day}|Auftragsbestätigung|1004|Webshop 1004|Webshop-Bestellung 1004|100002|2|Szabó Éva|{Billing}|Szabó Éva|{Shipping}|VK|GLS|HUF|6251.9|1286.1|7538|null|SR1:1004",
        ], await sage.RowsAsync(SageSql.Documents));
        Assert.Equal(
        [
            "500000|1|KE-100|0|Fényképezőgép-táska|1|db|7874.02|0|7874.02|1",
            "500000|2|HU-1003|0|Őszi bögre|2|db|1500|0|3000|1",
            "500000|3|SZALL|0|GLS futárszolgálat|1|db|1173.2283|0|1173.2283|1",
            "500000|4|UTANVET|0|Utánvét kezelési díja|1|db|307.0866|0|307.0866|1",
            "500001|1|SD-64|0|SD kártya 64 GB|3|db|3149.61|0|9448.83|1",
            "500001|2|SZALL|0|GLS futárszolgálat|1|db|1173.2283|0|1173.2283|1",
            "500002|1|OB-2|0|Objektív 50 mm|1|db|78740.16|0|78740.16|1",
            "500002|2|SZALL|0|GLS futárszolgálat|1|db|1173.2283|0|1173.2283|1",
            "500003|1|KV-5|0|Könyv: Fotózás őszintén|1|db|4761.9|0|4761.9|1",
            "500003|2|SZALL|0|GLS futárszolgálat|1|db|1173.2283|0|1173.2283|1",
        ], await sage.RowsAsync(SageSql.Positions));
        Assert.Equal(
        [
            "100001|D|KOVÁCS ÉS TÁRSA KFT|HUF|B2B|null|1|Kovács és Társa Kft.|Váci út 12.|1132|Budapest|HU|+36 1 555 0101|rendeles@kovacs-tarsa.hu|null|null|null|null|null",
            // Found by name and e-mail for order 1004, and left as it was.
            "100002|D|SZABÓ, ÉVA|HUF|WEB|SR1:34|2|Szabó Éva|Kossuth Lajos utca 3.|4024|Debrecen|HU|+36 30 555 0202|eva.szabo@example.hu|null|null|null|null|null",
            $"200000|D|SZŐKE, ÖDÖN|HUF|WEB|null|3|Szőke Ödön|{Billing}|+36301234567|szoke.odon@example.hu|{Shipping}|Neu aus Webshop-Bestellung 1001",
            $"200001|D|KOVÁCS, ÉVA|HUF|WEB|SR1:{SimulatedShop.Id("customer-customer_id", 101)}|4|Kovács Éva|{Billing}|+36301234567|kovacs.eva@example.hu|{Shipping}|Neu aus Webshop-Bestellung 1002",
        ], await sage.RowsAsync(SageSql.Customers));
        Assert.Equal(
        [
            // The SKU Sage lacked: a minimal article, saying where it came from. The others are Sage's, matched by SKU and unchanged.
            "HU-1003|Őszi bögre|ŐSZI BÖGRE|db|Angelegt aus Shop-Bestellung 1001 (SR1) durch SyncEngine",
            "KE-100|Fényképezőgép-táska|FENYKEPEZOGEP-TASKA|db|null",
            "KV-5|Könyv: Fotózás őszintén|KONYV FOTOZAS|db|null",
            "OB-2|Objektív 50 mm|OBJEKTIV 50 MM|db|null",
            "SD-64|SD kártya 64 GB|SD KARTYA 64 GB|db|null",
            "SZALL|Szállítási díj|SZALLITAS|db|null",
            "UTANVET|Utánvételi díj|UTANVET|db|null",
        ], await sage.RowsAsync(SageSql.Articles));

        // Nothing new in the shop: the next run writes nothing.
        var again = await _setup.SyncOkAsync("sr1-orders");
        Assert.Equal(0, again.Written);
        Assert.Equal("4|10", await sage.ScalarAsync("SELECT (SELECT COUNT(*) FROM KHKVKBelege), (SELECT COUNT(*) FROM KHKVKBelegePositionen)"));
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task Two_shops_write_into_one_Sage_database_each_in_its_own_number_range_and_never_the_same_number(string provider)
    {
        _setup = await ShopRenterSage.StartAsync(provider);
        var (shop1, shop2) = (_setup.Shop1, _setup.Shop2);
        var kiss = new Buyer("Kiss", "Anna", "anna.kiss@example.hu");
        var nagy = new Buyer("Nagy", "Béla", "bela.nagy@example.hu");
        var toth = new Buyer("Tóth", "Ágnes", "agnes.toth@example.hu");
        // Both shops number their orders from 1001: same numbers, different orders.
        shop1.AddOrder(new OrderSpec(kiss, new Item("KE-100", 1)));
        shop1.AddOrder(new OrderSpec(nagy, new Item("SD-64", 1)));
        shop2.AddOrder(new OrderSpec(toth, new Item("SD-64", 2)));
        // The same person buys in both shops: one Sage customer (found by name and e-mail).
        shop2.AddOrder(new OrderSpec(nagy, new Item("KE-100", 1)));

        await _setup.SyncOkAsync("sr1-orders");
        await _setup.SyncOkAsync("sr2-orders");
        shop2.AddOrder(new OrderSpec(toth, new Item("OB-2", 1)));
        shop1.AddOrder(new OrderSpec(kiss, new Item("OB-2", 1)));
        await _setup.SyncOkAsync("sr2-orders");
        await _setup.SyncOkAsync("sr1-orders");

        Assert.Equal(
        [
            "500000|1001|SR1:1001|200000",
            "500001|1002|SR1:1002|200001",
            "500002|1003|SR1:1003|200000",
            "600000|1001|SR2:1001|250000",
            "600001|1002|SR2:1002|200001",
            "600002|1003|SR2:1003|250000",
        ], await _setup.Sage.RowsAsync("SELECT Belegnummer, Referenznummer, USER_ShopOrderId, A0Empfaenger FROM KHKVKBelege ORDER BY Belegnummer"));
        Assert.Equal("6|6|6", await _setup.Sage.ScalarAsync("SELECT COUNT(*), COUNT(DISTINCT Belegnummer), COUNT(DISTINCT BelID) FROM KHKVKBelege"));
        Assert.Equal(["200000|KISS, ANNA", "200001|NAGY, BÉLA", "250000|TÓTH, ÁGNES"],
            await _setup.Sage.RowsAsync("SELECT Kto, Matchcode FROM KHKKontokorrent WHERE Mandant = 1 AND Kto >= '200000' ORDER BY Kto"));
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task An_order_changed_in_the_shop_after_import_updates_its_document_under_the_same_number_and_replaces_its_positions(string provider)
    {
        _setup = await ShopRenterSage.StartAsync(provider);
        var shop = _setup.Shop1;
        shop.AddOrder(new OrderSpec(Guest, new Item("KE-100", 1), new Item("HU-1003", 2)) { Comment = "Kérem, délután szállítsák ki!" });
        shop.AddOrder(new OrderSpec(Registered, new Item("SD-64", 3)) { PaymentCode = "bank_transfer" });
        await _setup.SyncOkAsync("sr1-orders");
        var before = await _setup.Sage.RowsAsync("SELECT BelID, Belegnummer FROM KHKVKBelege WHERE USER_ShopOrderId = 'SR1:1001'");
        var positionIds = await _setup.Sage.RowsAsync("SELECT BelPosID FROM KHKVKBelegePositionen ORDER BY BelPosID");

        // The customer calls: two bags instead of one, no mugs, and in the morning.
        shop.UpdateOrder("1001", order =>
        {
            var lines = order["orderProducts"]!.AsArray();
            lines[0]!["stock1"] = "2";
            lines[0]!["total"] = "15748.0400";
            lines.RemoveAt(1);
            order["comment"] = "Inkább délelőtt!";
        });
        var run = await _setup.SyncOkAsync("sr1-orders");

        Assert.Equal(1, run.Written);
        Assert.Equal(before, await _setup.Sage.RowsAsync("SELECT BelID, Belegnummer FROM KHKVKBelege WHERE USER_ShopOrderId = 'SR1:1001'"));
        Assert.Equal(["500000|1001|Inkább délelőtt!", "500001|1002|null"],
            await _setup.Sage.RowsAsync("SELECT Belegnummer, Referenznummer, Memo FROM KHKVKBelege ORDER BY Belegnummer"));
        Assert.Equal(
        [
            "500000|1|KE-100|0|Fényképezőgép-táska|2|db|7874.02|0|15748.04|1",
            "500000|2|SZALL|0|GLS futárszolgálat|1|db|1173.2283|0|1173.2283|1",
            "500000|3|UTANVET|0|Utánvét kezelési díja|1|db|307.0866|0|307.0866|1",
            "500001|1|SD-64|0|SD kártya 64 GB|3|db|3149.61|0|9448.83|1",
            "500001|2|SZALL|0|GLS futárszolgálat|1|db|1173.2283|0|1173.2283|1",
        ], await _setup.Sage.RowsAsync(SageSql.Positions));
        // The old positions of 1001 are gone, not kept beside the new ones.
        var after = await _setup.Sage.RowsAsync("SELECT p.BelPosID FROM KHKVKBelegePositionen p JOIN KHKVKBelege b ON b.BelID = p.BelID AND b.Mandant = p.Mandant WHERE b.Belegnummer = 500000");
        Assert.Empty(after.Intersect(positionIds));
        Assert.Equal("2|5", await _setup.Sage.ScalarAsync("SELECT (SELECT COUNT(*) FROM KHKVKBelege), (SELECT COUNT(*) FROM KHKVKBelegePositionen)"));
        // Same customer as before: the change made no second guest account.
        Assert.Equal(["200000", "200001"], await _setup.Sage.RowsAsync("SELECT Kto FROM KHKKontokorrent WHERE Mandant = 1 AND Kto >= '200000' ORDER BY Kto"));
    }

    [Fact]
    public async Task Customers_synced_first_are_the_customers_of_their_later_orders()
    {
        _setup = await ShopRenterSage.StartAsync("Sqlite");
        var shop = _setup.Shop1;
        shop.AddCustomer(Registered, "Andrássy út 1.", "1061", "Budapest");

        var customers = await _setup.SyncOkAsync("sr1-customers");
        shop.AddOrder(new OrderSpec(Registered, new Item("KE-100", 1)) { PaymentCode = "bank_transfer" });
        await _setup.SyncOkAsync("sr1-orders");

        Assert.Equal(1, customers.Written);
        Assert.Equal([$"200000|KOVÁCS, ÉVA|SR1:{SimulatedShop.Id("customer-customer_id", 101)}|Kovács Éva|Andrássy út 1.|1061|Budapest|kovacs.eva@example.hu"],
            await _setup.Sage.RowsAsync(
                "SELECT k.Kto, k.Matchcode, k.USER_ShopCustomerId, a.Name1, a.Strasse, a.PLZ, a.Ort, a.EMail FROM KHKKontokorrent k " +
                "JOIN KHKAdressen a ON a.Mandant = k.Mandant AND a.Adresse = k.Adresse WHERE k.Mandant = 1 AND k.Kto >= '200000'"));
        Assert.Equal(["500000|200000"], await _setup.Sage.RowsAsync("SELECT Belegnummer, A0Empfaenger FROM KHKVKBelege"));
    }

    public async Task DisposeAsync()
    {
        if (_setup is not null) await _setup.DisposeAsync();
    }
}
