using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using SyncEngine.Testing.ShopRenter;
using Xunit.Abstractions;

namespace SyncEngine.ReliabilityTests;

/// <summary>
/// Hostile and broken input through the real command line: every record of the corpus is either stored exactly as it
/// came (through parameters, never spliced into SQL or escaped for a web page) or dead-lettered with a reason naming the
/// record, field and value; the run never crashes, and the good records of the same batch are written.
/// </summary>
public sealed partial class HostileInputTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>Ten thousand characters, ten at a time: "Árvíztűrő " (the Hungarian pangram's first word).</summary>
    private static readonly string TenThousand = string.Concat(Enumerable.Repeat("Árvíztűrő ", 1000));

    private const string Injection = "Robert'); DROP TABLE KHKVKBelege;--";

    private static readonly Buyer Guest = new("Szőke", "Ödön", "szoke.odon@example.hu");

    private ShopRenterSage? _setup;

    public Task InitializeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task Hostile_shop_orders_are_stored_verbatim_or_dead_lettered_naming_field_and_value_and_the_rest_of_the_batch_is_written(string provider)
    {
        _setup = await ShopRenterSage.StartAsync(provider);
        var shop = _setup.Shop1;
        var corpus = new Corpus(output, $"ShopRenter orders -> Sage ({provider})");

        string Order(Action<JsonObject>? change = null, OrderSpec? spec = null)
        {
            var id = shop.AddOrder(spec ?? new OrderSpec(Guest, new Item("KE-100", 1)) { PaymentCode = "bank_transfer" });
            if (change is not null) shop.UpdateOrder(id, change);
            return id;
        }
        static JsonObject Line(JsonObject order) => order["orderProducts"]![0]!.AsObject();
        static string Doc(string id, string columns) => $"SELECT {columns} FROM KHKVKBelege WHERE USER_ShopOrderId = 'SR1:{id}'";
        static string Positions(string id) =>
            "SELECT p.Position, p.Artikelnummer, p.Bezeichnung1, p.Menge, p.Einzelpreis, p.Steuercode FROM KHKVKBelegePositionen p " +
            $"JOIN KHKVKBelege b ON b.Mandant = p.Mandant AND b.BelID = p.BelID WHERE b.USER_ShopOrderId = 'SR1:{id}' ORDER BY p.Position";
        const string Shipping = "2|SZALL|GLS futárszolgálat|1|1173.2283|1";

        var first = Order();
        corpus.Add("a good order before the hostile ones", "orderExtend", first,
            new Expected.Stored("document with its article and shipping positions", Positions(first), "1|KE-100|Fényképezőgép-táska|1|7874.02|1", Shipping));

        // Missing required fields.
        var noDate = Order(o => o.Remove("dateCreated"));
        corpus.Add("missing dateCreated", "orderExtend.dateCreated", noDate, new Expected.DeadLettered($"order {noDate}: field 'dateCreated' is empty", Doc(noDate, "1")));
        var noCurrency = Order(o => o.Remove("currency"));
        corpus.Add("missing currency", "orderExtend.currency", noCurrency, new Expected.DeadLettered($"order {noCurrency}: field 'currency' has no code", Doc(noCurrency, "1")));
        var noSku = Order(o => Line(o)["sku"] = "");
        corpus.Add("line without SKU", "orderExtend.orderProducts[0].sku", noSku,
            new Expected.DeadLettered("Lines[1]: field 'children.artikel.fields.Artikelnummer': a value is required but 'Sku' is empty", Doc(noSku, "1")));

        // Values the value maps do not know.
        var vat19 = Order(o => Line(o)["taxRate"] = "19.0000");
        corpus.Add("unknown VAT rate (19 %)", "orderExtend.orderProducts[0].taxRate", vat19,
            new Expected.DeadLettered("Lines[1]: field 'children.artikel.fields.Steuercode': value '19' is not in value map 'vat' (known: 27 %, 27%, ÁFA 27%, 27, 18 %, 18%, ÁFA 18%, 18, 5 %, 5%, ÁFA 5%, 5, ...)", Doc(vat19, "1")));
        var bitcoin = Order(o => o["paymentMethodCode"] = "bitcoin");
        corpus.Add("unknown payment method", "orderExtend.paymentMethodCode", bitcoin,
            new Expected.DeadLettered("field 'fields.Zahlungskond': value 'bitcoin' is not in value map 'payment' (known: COD, cod, BANK_TRANSFER, bank_transfer, CREDIT_CARD, OTP_SIMPLE, BARION, PAYPAL, CASH)", Doc(bitcoin, "1")));

        // Quantities.
        var negative = Order(o => Line(o)["stock1"] = "-3");
        corpus.Add("negative quantity", "orderExtend.orderProducts[0].stock1", negative,
            new Expected.DeadLettered("field 'Lines[1].Quantity': '-3' is negative (SKU KE-100, 'Fényképezőgép-táska'); an order line cannot take goods back, a return is a credit note", Doc(negative, "1")));
        var absurd = Order(o => Line(o)["stock1"] = "1000000000000000000");
        corpus.Add("absurd quantity (10^18)", "orderExtend.orderProducts[0].stock1", absurd,
            new Expected.DeadLettered("Lines[1]: table 'KHKVKBelegePositionen', column 'Menge': '1000000000000000000' has 19 digits before the decimal point, but the column holds 15 (precision 19, scale 4)", Doc(absurd, "1")));
        var words = Order(o => Line(o)["stock1"] = "két");
        corpus.Add("quantity in words", "orderExtend.orderProducts[0].stock1", words,
            new Expected.DeadLettered($"order {words} line 1 ('Fényképezőgép-táska'): field 'stock1': 'két' is not a number", Doc(words, "1")));
        var culture = Order(o =>
        {
            Line(o)["price"] = "7.874,02";
            Line(o)["priceCurrency"] = "7.874,02";
        });
        corpus.Add("price in Hungarian number format", "orderExtend.orderProducts[0].priceCurrency", culture,
            new Expected.DeadLettered($"order {culture} line 1 ('Fényképezőgép-táska'): field 'priceCurrency': '7.874,02' is not a number", Doc(culture, "1")));

        // 10,000 characters.
        var longName = Order(o =>
        {
            foreach (var field in new[] { "firstname", "paymentFirstname", "shippingFirstname" }) o[field] = TenThousand;
        });
        corpus.Add("10,000-character customer name", "orderExtend.firstname, paymentFirstname, shippingFirstname", longName,
            new Expected.Stored("the first 50 characters, as the mapping's maxLength (Sage's column width) says", Doc(longName, "A0Name1, A1Name1"), $"{TenThousand[..50]}|{TenThousand[..50]}"));
        var longLine = Order(o => Line(o)["name"] = TenThousand);
        corpus.Add("10,000-character product name", "orderExtend.orderProducts[0].name", longLine,
            new Expected.Stored("the first 50 characters in Bezeichnung1 (mapping maxLength)", Positions(longLine), $"1|KE-100|{TenThousand[..50]}|1|7874.02|1", Shipping));
        var longComment = Order(o => o["comment"] = TenThousand);
        corpus.Add("10,000-character comment", "orderExtend.comment", longComment,
            new Expected.Stored("whole, in Memo (TEXT)", Doc(longComment, "Memo"), TenThousand.TrimEnd()));
        var longPostcode = Order(o => o["paymentPostcode"] = new string('1', 10_000));
        corpus.Add("10,000-character postcode", "orderExtend.paymentPostcode", longPostcode,
            new Expected.DeadLettered($"table 'KHKVKBelege', column 'A0PLZ': '{new string('1', 57)}...' has 10000 characters, but the column holds 24", Doc(longPostcode, "1")));
        var emoji = Order(o => o["paymentFirstname"] = new string('x', 49) + "\U0001F600");
        corpus.Add("emoji where maxLength cuts the name", "orderExtend.paymentFirstname", emoji,
            new Expected.Stored("cut before the emoji, never half of it", Doc(emoji, "A0Name1"), new string('x', 49)));

        // Broken text.
        var latin2 = Order(o => o["lastname"] = "INVALID-UTF8-MARKER");
        shop.SendRawBytes("INVALID-UTF8-MARKER", [0xC9, .. "va"u8]);
        corpus.Add("invalid UTF-8 (Latin-2 'Éva')", "orderExtend.lastname, raw bytes C9 76 61", latin2,
            new Expected.DeadLettered($"order {latin2}: field 'lastname': '\uFFFDva' holds bytes that are not valid UTF-8 (0xC9 at byte 1 of the value)", Doc(latin2, "1")));
        const string Controls = "első sor\r\nmásodik sor\tvége\u0001\u001B[31m\u202Ekcatta";
        var controls = Order(o => o["comment"] = Controls);
        corpus.Add("control characters, line breaks, bidi override", "orderExtend.comment", controls,
            new Expected.Stored("verbatim", Doc(controls, "Memo"), Controls));
        var nul = Order(o => o["comment"] = "vége\u0000utána");
        corpus.Add("NUL character", "orderExtend.comment", nul,
            new Expected.DeadLettered("table 'KHKVKBelege', column 'Memo': 'vége\\0utána' holds the NUL character (U+0000) at position 5, which PostgreSQL cannot store and many programs take for the end of the text; remove it at the source or map the field with \"clean\": true", Doc(nul, "1")));

        var half = Order(o => o["comment"] = "HALF-SURROGATE-MARKER");
        shop.SendRawBytes("HALF-SURROGATE-MARKER", "Szia \\uD83D"u8.ToArray());
        corpus.Add("half a surrogate pair (JSON escape \\uD83D alone)", "orderExtend.comment", half,
            new Expected.DeadLettered($"order {half}: field 'comment': 'Szia \\uD83D' holds an escaped half of a character (\\uD800-\\uDFFF without its pair), which is no text", Doc(half, "1")));
        var nobody = Order(o =>
        {
            foreach (var field in new[] { "firstname", "lastname", "email", "phone", "paymentFirstname", "paymentLastname", "shippingFirstname", "shippingLastname" }) o[field] = "";
        });
        corpus.Add("no buyer: names, e-mail and phone empty", "orderExtend.firstname, lastname, email, phone, payment*, shipping*", nobody,
            new Expected.DeadLettered("field 'fields.KHKAdressen.Matchcode': a value is required but every coalesce option is empty", Doc(nobody, "1")));
        var noLines = Order(o => o["orderProducts"] = new JsonArray());
        corpus.Add("order without products", "orderExtend.orderProducts", noLines,
            new Expected.DeadLettered($"order {noLines}: field 'orderProducts' is empty; an order without products is not imported", Doc(noLines, "1")));

        // HTML, script and SQL: data, stored as it came.
        var html = Order(o =>
        {
            o["paymentFirstname"] = "<script>alert(\"x\")</script>";
            o["paymentLastname"] = "<b>Ödön</b> &amp;";
            o["comment"] = "<img src=x onerror=alert(1)>";
        });
        corpus.Add("HTML and script in name and comment", "orderExtend.paymentFirstname, paymentLastname, comment", html,
            new Expected.Stored("verbatim, not escaped", Doc(html, "A0Name1, Memo"), "<script>alert(\"x\")</script> <b>Ödön</b> &amp;|<img src=x onerror=alert(1)>"));
        var sql = Order(o =>
        {
            foreach (var field in new[] { "firstname", "lastname", "paymentFirstname", "paymentLastname", "paymentAddress1", "paymentCity", "shippingFirstname", "shippingLastname", "shippingAddress1", "shippingCity", "comment" })
                o[field] = Injection;
            o["email"] = "x'--@example.hu";
            o["phone"] = "1' OR '1'='1";
            o["paymentPostcode"] = "1'; --";
            Line(o)["name"] = "'; DELETE FROM KHKArtikel;--";
            Line(o)["sku"] = "X'; DROP TABLE KHKArtikel;--";
        });
        corpus.Add("SQL injection in every text field", "orderExtend: names, addresses, e-mail, phone, postcode, comment, line name and SKU", sql,
            new Expected.Stored("verbatim; a new article for the SKU", Doc(sql, "A0Name1, A0Strasse, A0PLZ, A0Ort, Memo") + " UNION ALL SELECT Artikelnummer, Bezeichnung1, Matchcode, Mengeneinheit, Memo FROM KHKArtikel WHERE Artikelnummer LIKE 'X''%'",
                $"{$"{Injection} {Injection}"[..50]}|{Injection}|1'; --|{Injection}|{Injection}",
                $"X'; DROP TABLE KHKArtikel;--|'; DELETE FROM KHKArtikel;--|'; DELETE FROM KHKARTIKEL;--|db|Angelegt aus Shop-Bestellung {sql} (SR1) durch SyncEngine"));

        // The same order twice in one batch: written once, as the later one.
        var twice = Order(o => o["comment"] = "első változat");
        Order(o =>
        {
            o["innerId"] = twice;
            o["comment"] = "második változat";
        });
        corpus.Add("duplicate order id in one batch", "orderExtend.innerId (two orders)", twice,
            new Expected.Stored("once, in its later form", $"SELECT COUNT(*), MAX(Memo) FROM KHKVKBelege WHERE USER_ShopOrderId = 'SR1:{twice}'", "1|második változat"));

        // Dates.
        var dotted = Order(o => o["dateCreated"] = "20.11.2026 09:15");
        corpus.Add("date in the wrong format", "orderExtend.dateCreated", dotted,
            new Expected.DeadLettered($"order {dotted}: field 'dateCreated': '20.11.2026 09:15' is not a date (expected 2019-09-06T15:47:59)", Doc(dotted, "1")));
        var february = Order(o => o["dateCreated"] = "2026-02-30T10:00:00");
        corpus.Add("date that does not exist", "orderExtend.dateCreated", february,
            new Expected.DeadLettered($"order {february}: field 'dateCreated': '2026-02-30T10:00:00' is not a date (expected 2019-09-06T15:47:59)", Doc(february, "1")));
        var utc = Order(o => o["dateCreated"] = "2026-12-31T23:30:00Z");
        corpus.Add("date in UTC, past midnight in Budapest", "orderExtend.dateCreated", utc,
            new Expected.Stored("the shop's day and year (2027-01-01)", Doc(utc, "Belegjahr, Belegdatum"), "2027|2027-01-01"));

        var last = Order();
        corpus.Add("a good order after the hostile ones", "orderExtend", last,
            new Expected.Stored("document with its positions", Positions(last), "1|KE-100|Fényképezőgép-táska|1|7874.02|1", Shipping));

        var run = await _setup.SyncAsync("sr1-orders");

        output.WriteLine(run.ToString());
        Assert.True(run.ExitCode == 3 && run.Status == "completedWithErrors", run.ToString());
        await corpus.VerifyAsync(_setup.Sage, (await _setup.CliAsync("deadletters", "list", "--json")).Out);
        // Every order read (the duplicate too, skipped as the older form), each hostile one written or dead-lettered.
        var expectedDead = corpus.Cases.Count(c => c.Expect is Expected.DeadLettered);
        Assert.Equal((shop.OrderCount, shop.OrderCount - 1 - expectedDead, 1, expectedDead), ((int)run.Read, (int)run.Written, (int)run.Skipped, (int)run.DeadLettered));
        // The tables the injected SQL named are there, whole: the seed's articles and every good order's document.
        Assert.Equal(shop.OrderCount - 1 - expectedDead, int.Parse(await _setup.Sage.ScalarAsync("SELECT COUNT(*) FROM KHKVKBelege WHERE USER_ShopOrderId LIKE 'SR1:%'")));
        Assert.Equal(6, int.Parse(await _setup.Sage.ScalarAsync("SELECT COUNT(*) FROM KHKArtikel WHERE Mandant = 1 AND Artikelnummer IN ('KE-100', 'SD-64', 'OB-2', 'KV-5', 'SZALL', 'UTANVET')")));
    }

    public async Task DisposeAsync()
    {
        if (_setup is not null) await _setup.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }
}
