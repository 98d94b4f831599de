using SyncEngine.Core.Model;
using SyncEngine.Core.State;
using SyncEngine.Testing;
using static SyncEngine.Connectors.SageOfficeLine.Tests.ShopOrders;

namespace SyncEngine.Connectors.SageOfficeLine.Tests;

/// <summary>
/// Shop orders written into the Sage-shaped database through the shipped ShopRenter mapping, on SQLite and on a real
/// PostgreSQL: the rows an ERP user would see, customers and articles matched or created, numbers and idempotency.
/// </summary>
public sealed class SageOrderTests : IAsyncLifetime
{
    private const string Headers =
        "SELECT BelID, Mandant, Belegkennzeichen, Belegjahr, Belegnummer, Belegdatum, Referenznummer, Matchcode, Kopftext, A0Empfaenger, A0AdressNr, A0Name1, A0Ort, " +
        "Zahlungskond, Versand, WKz, NettoBetrag, BruttoBetrag, Memo, USER_ShopOrderId FROM KHKVKBelege ORDER BY BelID";

    private const string Positions =
        "SELECT BelPosID, BelID, Position, Artikelnummer, AuspraegungID, Bezeichnung1, Menge, Mengeneinheit, Einzelpreis, Rabatt, Gesamtpreis, Steuercode " +
        "FROM KHKVKBelegePositionen ORDER BY BelID, Position";

    private const string NewAddresses = "SELECT Adresse, Mandant, Matchcode, Name1, Strasse, PLZ, Ort, Land, EMail, Memo FROM KHKAdressen WHERE Mandant = 1 AND Adresse > 2 ORDER BY Adresse";

    private const string NewAccounts =
        "SELECT Kto, KtoArt, Mandant, Matchcode, Adresse, WKz, Kundengruppe, USER_ShopCustomerId FROM KHKKontokorrent WHERE Mandant = 1 AND Kto >= '200000' ORDER BY Kto";

    private readonly TempDirectory _folder = new();
    private readonly MemoryShops _shops = new();
    private readonly List<SageEngine> _engines = [];
    private TestDatabase? _database;

    private TestDatabase Database => _database!;

    private MemorySystem Shop1 => _shops["shop1"];

    private async Task<SageEngine> StartAsync(string provider, int batchSize = 10, string state = "state.db", long from = 500000, long to = 599999)
    {
        _database ??= await TestDatabase.CreateAsync(provider, _folder, "sage.db", midnightAsDay: true);
        var engine = SageEngine.Start(_folder, _shops, Config.Merge(
            Config.Shop("shop1"),
            Config.Sage("sage1", Database, "SR1", from, to),
            Config.Flow("orders", "shop1/orders", "sage1/orders", Config.Mapping("shoprenter", "orders.json"), batchSize)), state);
        _engines.Add(engine);
        Assert.Empty(engine.Validator.Validate());
        return engine;
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task An_order_becomes_a_document_with_its_lines_and_services_as_positions_and_a_new_guest_gets_an_address_and_an_account(string provider)
    {
        Shop1.Records.Add(Create("1001", Line("KE-100", "Fényképezőgép-táska", 2, 7874.02m), Line("SD-64", "SD kártya 64 GB", 1, 3149.61m)) with
        {
            Shipping = new ShippingInfo { Code = "GLS", Name = "GLS futárszolgálat", CostNet = 1574.8m, CostGross = 2000m, TaxRate = 27 },
            Payment = new PaymentInfo { Code = "COD", Name = "Utánvét", FeeNet = 393.7m, FeeGross = 500m },
            Totals = new OrderTotals { Net = 20866.15m, Tax = 5633.85m, Gross = 26500m },
            CustomerComment = "Kérem, délután hozzák.",
        });
        var engine = await StartAsync(provider);

        var run = await engine.RunAsync("orders");

        Assert.Equal((RunStatus.Succeeded, 1L), (run.Status, run.Written));
        Assert.Equal(
            ["1|1|VVA|2026|500000|2026-11-20|SR-1001|Webshop SR-1001|Webshop-Bestellung SR-1001|200000|3|Kiss Anna|Szeged|NN|GLS|HUF|20866.15|26500|Kérem, délután hozzák.|SR1:1001"],
            await Database.RowsAsync(Headers));
        Assert.Equal(
        [
            "1|1|1|KE-100|0|Fényképezőgép-táska|2|db|7874.02|0|15748.04|1",
            "2|1|2|SD-64|0|SD kártya 64 GB|1|db|3149.61|0|3149.61|1",
            "3|1|3|SZALL|0|GLS futárszolgálat|1|db|1574.8|0|1574.8|1",
            "4|1|4|UTANVET|0|Utánvét|1|db|393.7|0|393.7|1",
        ], await Database.RowsAsync(Positions));
        Assert.Equal(["3|1|KISS, ANNA|Kiss Anna|Petőfi Sándor utca 7.|6720|Szeged|HU|anna.kiss@example.hu|Neu aus Webshop-Bestellung SR-1001"],
            await Database.RowsAsync(NewAddresses));
        Assert.Equal(["200000|D|1|KISS, ANNA|3|HUF|WEB|null"], await Database.RowsAsync(NewAccounts));
        Assert.Equal("1", (await engine.State.GetLinksAsync("shop1", "Order", "sage1", ["1001"], default))["1001"]);
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task A_registered_customer_is_matched_by_the_shop_customer_id_and_a_new_one_is_created_once_with_its_id(string provider)
    {
        // Sage knows shop customer 34 as account 100002 (Szabó Éva); her name and e-mail in the shop have changed since.
        Shop1.Records.Add(Create("2001", Line("SD-64", "SD kártya 64 GB", 1, 3149.61m)).For(Registered("34", "Szabó-Nagy", "Éva", "eva.nagy@example.hu")));
        Shop1.Records.Add(Create("2002", Line("SD-64", "SD kártya 64 GB", 1, 3149.61m)).For(Registered("77", "Tóth", "Gábor", "gabor.toth@example.hu")));
        Shop1.Records.Add(Create("2003", Line("KV-5", "Könyv", 1, 4761.9m, 5)).For(Registered("77", "Tóth", "Gábor", "gabor.toth@example.hu")));
        var engine = await StartAsync(provider);

        var run = await engine.RunAsync("orders");

        Assert.Equal((RunStatus.Succeeded, 3L), (run.Status, run.Written));
        Assert.Equal(["SR-2001|100002|2", "SR-2002|200000|3", "SR-2003|200000|3"],
            await Database.RowsAsync("SELECT Referenznummer, A0Empfaenger, A0AdressNr FROM KHKVKBelege ORDER BY Referenznummer"));
        Assert.Equal(["200000|D|1|TÓTH, GÁBOR|3|HUF|WEB|SR1:77"], await Database.RowsAsync(NewAccounts));
        Assert.Equal(["3|1|TÓTH, GÁBOR|Tóth Gábor|Petőfi Sándor utca 7.|6720|Szeged|HU|gabor.toth@example.hu|Neu aus Webshop-Bestellung SR-2002"],
            await Database.RowsAsync(NewAddresses));
        // A matched customer's master data is Sage's: an order does not overwrite it.
        Assert.Equal("Szabó Éva|eva.szabo@example.hu", await Database.ScalarAsync("SELECT Name1, EMail FROM KHKAdressen WHERE Mandant = 1 AND Adresse = 2"));
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task A_guest_is_matched_by_name_and_email_whatever_their_case_and_is_not_created_twice(string provider)
    {
        // Account 100001: Kovács és Társa Kft., rendeles@kovacs-tarsa.hu.
        Shop1.Records.Add(Create("3001", Line("OB-2", "Objektív 50 mm", 1, 78740.16m)).For(Guest("Kovács", "Péter", "Rendeles@Kovacs-Tarsa.HU", "KOVÁCS ÉS TÁRSA KFT.")));
        // Same e-mail, another name: someone else.
        Shop1.Records.Add(Create("3002", Line("OB-2", "Objektív 50 mm", 1, 78740.16m)).For(Guest("Kovács", "Péter", "rendeles@kovacs-tarsa.hu")));
        // The new guest of the order before, again.
        Shop1.Records.Add(Create("3003", Line("SD-64", "SD kártya 64 GB", 2, 3149.61m)).For(Guest("KOVÁCS", "péter", "rendeles@kovacs-tarsa.hu")));
        var engine = await StartAsync(provider);

        var run = await engine.RunAsync("orders");

        Assert.Equal((RunStatus.Succeeded, 3L), (run.Status, run.Written));
        Assert.Equal(["SR-3001|100001", "SR-3002|200000", "SR-3003|200000"],
            await Database.RowsAsync("SELECT Referenznummer, A0Empfaenger FROM KHKVKBelege ORDER BY Referenznummer"));
        Assert.Equal(["200000|D|1|KOVÁCS, PÉTER|3|HUF|WEB|null"], await Database.RowsAsync(NewAccounts));
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task An_existing_article_is_matched_by_sku_a_variant_by_ean_and_a_missing_one_is_created_and_flagged(string provider)
    {
        Shop1.Records.Add(Create("4001",
            Line("KE-100", "Fényképezőgép-táska", 1, 7874.02m),
            Line("5999100000111", "Fényképezőgép-táska, barna", 1, 7874.02m),
            Line("ÚJ-7", "Állvány, háromlábú", 2, 12000m),
            Line("ÚJ-7", "Állvány, háromlábú", 1, 12000m)));
        var engine = await StartAsync(provider);

        var run = await engine.RunAsync("orders");

        Assert.Equal((RunStatus.Succeeded, 1L), (run.Status, run.Written));
        Assert.Equal(["1|KE-100|0|1", "2|KE-100|1|1", "3|ÚJ-7|0|2", "4|ÚJ-7|0|1"],
            await Database.RowsAsync("SELECT Position, Artikelnummer, AuspraegungID, Menge FROM KHKVKBelegePositionen ORDER BY Position"));
        Assert.Equal(["ÚJ-7|1|Állvány, háromlábú|ÁLLVÁNY, HÁROMLÁBÚ|db|-1|Angelegt aus Shop-Bestellung SR-4001 (SR1) durch SyncEngine"],
            await Database.RowsAsync("SELECT Artikelnummer, Mandant, Bezeichnung1, Matchcode, Mengeneinheit, Aktiv, Memo FROM KHKArtikel WHERE Memo IS NOT NULL"));
        Assert.Contains(engine.Logs.Messages, m => m.Contains("article ÚJ-7 created for shop order SR-4001", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task Services_and_vat_keys_go_through_the_value_maps_and_an_unknown_one_dead_letters_its_order_by_name(string provider)
    {
        Shop1.Records.Add(Create("5001", Line("KV-5", "Könyv: Fotózás őszintén", 1, 4761.9m, 5, "5 %"), Line("SD-64", "SD kártya 64 GB", 1, 3149.61m)) with
        {
            // Shipping is a service as well, as shop connectors hand it over; it is not doubled from Shipping.
            Services =
            [
                new OrderService { Name = "Ajándékcsomagolás", Net = 787.4m, Gross = 1000m, TaxRate = 27 },
                new OrderService { Name = "Foxpost csomagautomata", Code = "18", Net = 1181.1m, Gross = 1500m, TaxRate = 27 },
            ],
            Shipping = new ShippingInfo { Code = "18", Name = "Foxpost csomagautomata", CostNet = 1181.1m, CostGross = 1500m, TaxRate = 27 },
        });
        Shop1.Records.Add(Create("5002", Line("SD-64", "SD kártya 64 GB", 1, 3149.61m)) with
        {
            Services = [new OrderService { Name = "Expressz kiszállítás", Net = 3937m, Gross = 5000m, TaxRate = 27 }],
        });
        Shop1.Records.Add(Create("5003", Line("SD-64", "SD kártya 64 GB", 1, 3149.61m, 27, "ÁFA 99%")));
        var engine = await StartAsync(provider);

        var run = await engine.RunAsync("orders");

        Assert.Equal((RunStatus.CompletedWithErrors, 1L, 2L), (run.Status, run.Written, run.DeadLettered));
        Assert.Equal(
        [
            "1|KV-5|Könyv: Fotózás őszintén|4761.9|3",
            "2|SD-64|SD kártya 64 GB|3149.61|1",
            "3|CSOMAG|Ajándékcsomagolás|787.4|1",
            "4|SZALL|Foxpost csomagautomata|1181.1|1",
        ], await Database.RowsAsync("SELECT Position, Artikelnummer, Bezeichnung1, Einzelpreis, Steuercode FROM KHKVKBelegePositionen ORDER BY Position"));
        Assert.Equal("SR-5001|FOX", await Database.ScalarAsync("SELECT Referenznummer, Versand FROM KHKVKBelege"));
        var letters = (await engine.State.GetDeadLettersAsync("orders", null, default)).ToDictionary(l => l.RecordKey);
        Assert.Contains("value 'Expressz kiszállítás' is not in value map 'services'", letters["5002"].Error);
        Assert.Contains("value 'ÁFA 99%' is not in value map 'vat'", letters["5003"].Error);
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task An_order_changed_after_import_updates_its_document_and_replaces_its_positions_under_the_same_number(string provider)
    {
        Shop1.Records.Add(Create("6001", Line("KE-100", "Fényképezőgép-táska", 2, 7874.02m), Line("SD-64", "SD kártya 64 GB", 1, 3149.61m)));
        Shop1.Records.Add(Create("6002", Line("OB-2", "Objektív 50 mm", 1, 78740.16m)));
        var engine = await StartAsync(provider);
        await engine.RunAsync("orders");
        var untouched = await Database.RowsAsync("SELECT BelPosID, Artikelnummer FROM KHKVKBelegePositionen WHERE BelID = 2");

        Shop1.Records.Add(Create("6001", Line("KE-100", "Fényképezőgép-táska", 3, 7874.02m)) with
        {
            Payment = new PaymentInfo { Code = "BANK_TRANSFER", Name = "Átutalás" }, CustomerComment = "Mégis hármat kérek.",
        });
        var run = await engine.RunAsync("orders");

        Assert.Equal((RunStatus.Succeeded, 1L), (run.Status, run.Written));
        Assert.Equal(["1|500000|VK|Mégis hármat kérek.|SR1:6001", "2|500001|NN|null|SR1:6002"],
            await Database.RowsAsync("SELECT BelID, Belegnummer, Zahlungskond, Memo, USER_ShopOrderId FROM KHKVKBelege ORDER BY BelID"));
        Assert.Equal(["1|1|KE-100|3", "2|1|OB-2|1"], await Database.RowsAsync("SELECT BelID, Position, Artikelnummer, Menge FROM KHKVKBelegePositionen ORDER BY BelID, Position"));
        Assert.Equal(untouched, await Database.RowsAsync("SELECT BelPosID, Artikelnummer FROM KHKVKBelegePositionen WHERE BelID = 2"));
        Assert.Equal("1", await Database.ScalarAsync("SELECT COUNT(*) FROM KHKKontokorrent WHERE Mandant = 1 AND Kto >= '200000'"));
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task An_order_written_again_after_a_crash_lost_the_engine_state_is_found_by_its_shop_id_and_not_doubled(string provider)
    {
        Shop1.Records.Add(Create("7001", Line("KE-100", "Fényképezőgép-táska", 1, 7874.02m)));
        Shop1.Records.Add(Create("7002", Line("SD-64", "SD kártya 64 GB", 4, 3149.61m)));
        var before = await StartAsync(provider);
        Assert.Equal(2L, (await before.RunAsync("orders")).Written);
        var documents = await Database.RowsAsync("SELECT BelID, Belegnummer, A0Empfaenger, USER_ShopOrderId FROM KHKVKBelege ORDER BY BelID");

        // Sage committed, the engine's state did not: a new engine over an empty state reads and writes both orders again.
        var after = await StartAsync(provider, state: "state-after-crash.db");
        var rerun = await after.RunAsync("orders");

        Assert.Equal((RunStatus.Succeeded, 2L), (rerun.Status, rerun.Written));
        Assert.Equal(documents, await Database.RowsAsync("SELECT BelID, Belegnummer, A0Empfaenger, USER_ShopOrderId FROM KHKVKBelege ORDER BY BelID"));
        Assert.Equal(["1|KE-100|1", "2|SD-64|4"], await Database.RowsAsync("SELECT BelID, Artikelnummer, Menge FROM KHKVKBelegePositionen ORDER BY BelID"));
        Assert.Equal("1", await Database.ScalarAsync("SELECT COUNT(*) FROM KHKKontokorrent WHERE Mandant = 1 AND Kto >= '200000'"));
        var links = await after.State.GetLinksAsync("shop1", "Order", "sage1", ["7001", "7002"], default);
        Assert.Equal(("1", "2"), (links["7001"], links["7002"]));
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task A_refused_order_is_rolled_back_alone_with_its_new_customer_and_article_and_gives_its_number_back(string provider)
    {
        Shop1.Records.Add(Create("8001", Line("SD-64", "SD kártya 64 GB", 1, 3149.61m)));
        // Its second position breaks a CHECK after its customer, article and header were written: all of it goes.
        Shop1.Records.Add(Create("8002", Line("ÚJ-8", "Objektívsapka", 1, 990m), Line("SD-64", "SD kártya 64 GB", 0, 3149.61m))
            .For(Guest("Varga", "Lili", "lili.varga@example.hu")));
        Shop1.Records.Add(Create("8003", Line("KV-5", "Könyv", 1, 4761.9m, 5)));
        var engine = await StartAsync(provider);

        var run = await engine.RunAsync("orders");

        Assert.Equal((RunStatus.CompletedWithErrors, 2L, 1L), (run.Status, run.Written, run.DeadLettered));
        Assert.Equal(["1|500000|SR-8001", "2|500001|SR-8003"], await Database.RowsAsync("SELECT BelID, Belegnummer, Referenznummer FROM KHKVKBelege ORDER BY BelID"));
        Assert.Equal(["200000|D|1|KISS, ANNA|3|HUF|WEB|null"], await Database.RowsAsync(NewAccounts));
        Assert.Equal("0", await Database.ScalarAsync("SELECT COUNT(*) FROM KHKArtikel WHERE Artikelnummer = 'ÚJ-8'"));
        var letter = Assert.Single(await engine.State.GetDeadLettersAsync("orders", null, default));
        Assert.Equal("8002", letter.RecordKey);
        Assert.StartsWith("table 'KHKVKBelegePositionen' refused the record:", letter.Error);
        Assert.Contains("menge", letter.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task Two_writers_of_one_number_range_never_take_the_same_number_and_one_order_written_by_both_lands_once(string provider)
    {
        for (var i = 1; i <= 6; i++) _shops["shop1"].Records.Add(Create($"9{i:000}", Line("SD-64", "SD kártya 64 GB", i, 3149.61m)));
        _shops["shop1"].Records.Add(Create("9999", Line("KE-100", "Fényképezőgép-táska", 1, 7874.02m)));
        // Two processes (own state each) with the same range, each one batch at a time, both writing order 9999.
        var first = await StartAsync(provider, batchSize: 1);
        var second = await StartAsync(provider, batchSize: 1, state: "state-second.db");

        var runs = await Task.WhenAll(first.RunAsync("orders"), second.RunAsync("orders"));

        Assert.All(runs, r => Assert.Equal(RunStatus.Succeeded, r.Status));
        Assert.Equal(Enumerable.Range(500000, 7).Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            await Database.RowsAsync("SELECT Belegnummer FROM KHKVKBelege ORDER BY Belegnummer"));
        Assert.Equal("7|7|7", await Database.ScalarAsync("SELECT COUNT(*), COUNT(DISTINCT BelID), COUNT(DISTINCT USER_ShopOrderId) FROM KHKVKBelege"));
        Assert.Equal("1", await Database.ScalarAsync("SELECT COUNT(*) FROM KHKVKBelegePositionen WHERE Artikelnummer = 'KE-100'"));
        Assert.Equal("1", await Database.ScalarAsync("SELECT COUNT(*) FROM KHKKontokorrent WHERE Mandant = 1 AND Kto >= '200000'"));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var engine in _engines) await engine.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        _folder.Dispose();
    }
}
