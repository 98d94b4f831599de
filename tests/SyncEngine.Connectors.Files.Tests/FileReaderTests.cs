using System.Text;
using SyncEngine.Core.Model;
using SyncEngine.Core.State;

namespace SyncEngine.Connectors.Files.Tests;

/// <summary>Files read through a mapping: round trips of what the writer wrote, bad lines, broken files.</summary>
public sealed class FileReaderTests : IAsyncDisposable
{
    private readonly FilesEngine _engine = new();

    static FileReaderTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    internal static string Mapping(string direction, string file) => direction == "write"
        ? $$"""
            {
              "record": "Order",
              "culture": "de-DE",
              "fields": { "Id": "Id", "Belegnummer": "OrderNumber", "Datum": "OrderedAt", "Waehrung": "Currency", "Betrag": "Totals.Gross", "Notiz": "CustomerComment" },
              "children": {
                "positionen": {
                  "path": "Lines",
                  "fields": { "Pos": "LineNumber", "Artikel": "Sku", "Bezeichnung": "Name", "Menge": "Quantity", "Preis": "UnitPriceNet", "Steuer": "TaxRate" }
                }
              },
              "file": {{file}}
            }
            """
        : $$"""
            {
              "record": "Order",
              "direction": "read",
              "culture": "de-DE",
              "fields": { "Id": "Id", "OrderNumber": "Belegnummer", "OrderedAt": "Datum", "Currency": "Waehrung", "Totals.Gross": "Betrag", "CustomerComment": "Notiz" },
              "children": {
                "Lines": {
                  "path": "positionen",
                  "fields": { "LineNumber": "Pos", "Sku": "Artikel", "Name": "Bezeichnung", "Quantity": "Menge", "UnitPriceNet": "Preis", "TaxRate": "Steuer" }
                }
              },
              "file": {{file}}
            }
            """;

    internal const string FixedWidth = """
        {
          "format": "txt",
          "recordTypes": { "header": "K", "positionen": "P" },
          "widths": {
            "Id": { "start": 2, "length": 6 },
            "Belegnummer": { "start": 8, "length": 10 },
            "Datum": { "start": 18, "length": 25 },
            "Waehrung": { "start": 43, "length": 3 },
            "Betrag": { "start": 46, "length": 12, "align": "right", "pad": "0" },
            "Notiz": { "start": 58, "length": 40 }
          },
          "children": {
            "positionen": {
              "widths": {
                "Pos": { "start": 2, "length": 3, "align": "right", "pad": "0" },
                "Artikel": { "start": 5, "length": 10 },
                "Bezeichnung": { "start": 15, "length": 20 },
                "Menge": { "start": 35, "length": 6, "align": "right" },
                "Preis": { "start": 41, "length": 12, "align": "right", "pad": "0" },
                "Steuer": { "start": 53, "length": 3, "align": "right", "pad": "0" }
              }
            }
          }
        }
        """;

    public static TheoryData<string, string, string> Layouts => new()
    {
        { "csv", "Format=csv;Delimiter=;;Encoding=windows-1250", """{ "recordTypes": { "header": "K", "positionen": "P" } }""" },
        {
            "csv", "Format=csv;Header=false;Encoding=iso-8859-2;QuoteAll=true",
            """
            {
              "recordTypes": { "header": "K", "positionen": "P" },
              "columns": ["Id", "Belegnummer", "Datum", "Waehrung", "Betrag", "Notiz"],
              "children": { "positionen": { "columns": ["Pos", "Artikel", "Bezeichnung", "Menge", "Preis", "Steuer"] } }
            }
            """
        },
        { "xml", "Format=xml;Namespace=urn:example:erp;RootElement=Auftraege;RecordElement=Auftrag", """{ "children": { "positionen": { "element": "Position" } } }""" },
        { "xml", "Format=xml;Attributes=true;Encoding=windows-1252;BOM=false", """{ "children": { "positionen": { "element": "Position" } } }""" },
        { "json", "Format=json", "{}" },
        { "json", "Format=json;Lines=ndjson;BOM=true", "{}" },
        { "txt", "Encoding=iso-8859-2", FixedWidth },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public async Task A_file_the_writer_wrote_reads_back_to_the_same_orders(string extension, string settings, string file)
    {
        var stream = settings.Replace(";;", "\u0001;").Split(';').Select(s => s.Replace('\u0001', ';').Split('=', 2))
            .ToDictionary(p => p[0], p => (string?)p[1]);
        var expected = new[]
        {
            Orders.Kovacs with { Customer = null, Totals = new OrderTotals { Gross = 25500.5m } },
            Orders.Nagy with { Customer = null },
        };
        _engine.DropOrders(expected);
        _engine.Connection("erp", "out", new Dictionary<string, string?>(stream) { ["FileName"] = "orders-{Batch}." + extension })
            .Connection("erpin", "out", new Dictionary<string, string?>(stream) { ["MinimumAge"] = "00:00:00" })
            .Connection("back", "back", new Dictionary<string, string?> { ["FileName"] = "order-{Id}.json" })
            .Flow("export", "shop/orders", "erp/orders", _engine.Mapping("write.json", Mapping("write", file)))
            .Flow("import", "erpin/orders", "back/orders", _engine.Mapping("read.json", Mapping("read", file)));

        var exported = await _engine.RunAsync("export");
        var imported = await _engine.RunAsync("import");

        Assert.Equal((RunStatus.Succeeded, 2L), (exported.Status, exported.Written));
        Assert.Equal((RunStatus.Succeeded, 2L), (imported.Status, imported.Written));
        foreach (var order in expected)
        {
            var back = CanonicalJson.Deserialize(File.ReadAllText(_engine[$"back/order-{order.Id}.json"]), typeof(Order));
            Assert.Equal(CanonicalJson.Serialize(order), CanonicalJson.Serialize(back));
        }
        Assert.True(File.Exists(_engine[$"out/archive/orders-1.{extension}"]));
    }

    private const string Articles = """
        {
          "record": "Product",
          "direction": "read",
          "culture": "de-DE",
          "fields": { "Id": "Artikelnummer", "Sku": "Artikelnummer", "Name": "Bezeichnung", "Prices.Base": "Preis" }
        }
        """;

    /// <param name="streamMapping">Give the mapping as the supplier stream's own <c>Mapping</c> instead of the flow's.</param>
    private void Supplier(string encoding = "windows-1252", bool streamMapping = false)
    {
        var mapping = _engine.Mapping("articles.json", Articles);
        _engine.Connection("supplier", "supplier", new Dictionary<string, string?>
            {
                ["Format"] = "csv", ["Delimiter"] = ";", ["Encoding"] = encoding, ["MinimumAge"] = "00:00:00", ["Mapping"] = streamMapping ? mapping : null,
            }, "products", "Product")
            .Connection("catalog", "catalog", new Dictionary<string, string?> { ["FileName"] = "product-{Id}.json" }, "products", "Product")
            .Flow("articles", "supplier/products", "catalog/products", streamMapping ? null : mapping);
    }

    private Product Product(string id) => (Product)CanonicalJson.Deserialize(File.ReadAllText(_engine[$"catalog/product-{id}.json"]), typeof(Product));

    [Fact]
    public async Task A_bad_csv_line_is_dead_lettered_naming_file_line_field_and_value_while_the_rest_is_read()
    {
        Supplier();
        _engine.Drop("supplier", "articles.csv", Encoding.GetEncoding("windows-1252").GetBytes(
            "Artikelnummer;Bezeichnung;Preis\r\n" +
            "4711;Brillenfassung Ösel;1.234,50\r\n" +
            "4712;Etui\r\n" +
            "4713;Tuch;12,5O\r\n" +
            "4714;\"Kette; \"\"Gold\"\"\";9,90\r\n" +
            "4715;\"Tuch\" rot;1,00\r\n"));

        var run = await _engine.RunAsync("articles");

        Assert.Equal((RunStatus.CompletedWithErrors, 5L, 2L, 3L), (run.Status, run.Read, run.Written, run.DeadLettered));
        var letters = (await _engine.DeadLettersAsync("articles")).OrderBy(l => l.RecordKey).ToList();
        Assert.Equal(3, letters.Count);
        Assert.Matches(@"^articles\.csv@\d+@\d+#2$", letters[0].RecordKey);
        Assert.Equal("articles.csv, line 3: 2 columns, but the header names 3", letters[0].Error);
        Assert.Equal("4712;Etui", letters[0].Payload);
        Assert.EndsWith("#3", letters[1].RecordKey);
        Assert.Equal("articles.csv, line 4: field 'Prices.Base': '12,5O' expected a number (de-DE format), read from 'Preis'", letters[1].Error);
        Assert.Equal("4713;Tuch;12,5O", letters[1].Payload);
        Assert.EndsWith("#5", letters[2].RecordKey);
        Assert.Equal("articles.csv, line 6: text follows the closing quote of a field", letters[2].Error);
        Assert.Equal(("Brillenfassung Ösel", 1234.50m), (Product("4711").Name, Product("4711").Prices.Base));
        Assert.Equal(("Kette; \"Gold\"", 9.90m), (Product("4714").Name, Product("4714").Prices.Base));
        Assert.True(File.Exists(_engine["supplier/archive/articles.csv"]));
    }

    [Fact]
    public async Task A_line_with_bytes_its_encoding_cannot_decode_is_dead_lettered_instead_of_read_wrong()
    {
        Supplier(encoding: "utf-8", streamMapping: true);
        _engine.Drop("supplier", "articles.csv", [
            .. Encoding.UTF8.GetBytes("Artikelnummer;Bezeichnung;Preis\r\n4711;Brillenfassung Ösel;1,50\r\n"),
            .. Encoding.GetEncoding("windows-1252").GetBytes("4712;Brillenfassung Ösel;2,50\r\n"),
        ]);

        var run = await _engine.RunAsync("articles");

        Assert.Equal((1L, 1L), (run.Written, run.DeadLettered));
        var letter = Assert.Single(await _engine.DeadLettersAsync("articles"));
        Assert.Equal("articles.csv, line 3: column 'Bezeichnung': 'Brillenfassung \uFFFDsel' holds bytes that are not valid utf-8", letter.Error);
    }

    [Fact]
    public async Task A_csv_whose_header_lacks_a_mapped_column_goes_to_the_error_folder_with_the_reason()
    {
        Supplier();
        _engine.Drop("supplier", "a-wrong.csv", Encoding.ASCII.GetBytes("Artikelnummer,Bezeichnung,Preis\r\n4711,Etui,1.50\r\n"), DateTime.UtcNow.AddMinutes(-2));
        _engine.Drop("supplier", "b-right.csv", Encoding.ASCII.GetBytes("Artikelnummer;Bezeichnung;Preis\r\n4712;Etui;1,50\r\n"));

        var run = await _engine.RunAsync("articles");

        Assert.Equal(1L, run.Written);
        Assert.True(File.Exists(_engine["supplier/error/a-wrong.csv"]));
        Assert.Equal(
            "a-wrong.csv: the header on line 1 lacks the columns 'Artikelnummer', 'Bezeichnung', 'Preis' that the mapping reads; it has: Artikelnummer,Bezeichnung,Preis (is the delimiter ';' right?)",
            File.ReadAllText(_engine["supplier/error/a-wrong.csv.error.txt"]).TrimEnd());
        Assert.True(File.Exists(_engine["supplier/archive/b-right.csv"]));
    }

    [Fact]
    public async Task A_bad_order_line_dead_letters_its_whole_order_naming_the_line_field_and_value()
    {
        CsvOrderImport(
            "K;1001;SR-1001;2026-11-20T09:15:00+01:00;HUF;25500,5;\r\n" +
            "P;1;KE-100;Táska;2;7874,02;27\r\n" +
            "P;2;SD-64;SD;zwei;3149,61;5\r\n" +
            "K;1002;SR-1002;2026-11-21T16:40:00+01:00;EUR;1234,56;\r\n" +
            "P;1;AB-1;Akku;3;10;27\r\n");

        var run = await _engine.RunAsync("import");

        Assert.Equal((2L, 1L, 1L), (run.Read, run.Written, run.DeadLettered));
        var letter = Assert.Single(await _engine.DeadLettersAsync("import"));
        Assert.EndsWith("#1", letter.RecordKey);
        Assert.Equal("orders.csv, line 5: field 'Quantity': 'zwei' expected a number (de-DE format), read from 'Menge'", letter.Error);
        Assert.Equal("K;1001;SR-1001;2026-11-20T09:15:00+01:00;HUF;25500,5;\nP;1;KE-100;Táska;2;7874,02;27\nP;2;SD-64;SD;zwei;3149,61;5", letter.Payload);
        var order = (Order)CanonicalJson.Deserialize(File.ReadAllText(_engine["back/order-1002.json"]), typeof(Order));
        Assert.Equal([("AB-1", 3m)], order.Lines.Select(l => (l.Sku, l.Quantity)));
    }

    /// <summary>Flow 'import': a csv of K and P lines (their header lines first, then <paramref name="lines"/>) to order files.</summary>
    private void CsvOrderImport(string lines)
    {
        var file = """{ "recordTypes": { "header": "K", "positionen": "P" } }""";
        _engine.Connection("erpin", "erp", new Dictionary<string, string?> { ["Format"] = "csv", ["Delimiter"] = ";", ["MinimumAge"] = "00:00:00" })
            .Connection("back", "back", new Dictionary<string, string?> { ["FileName"] = "order-{Id}.json" })
            .Flow("import", "erpin/orders", "back/orders", _engine.Mapping("read.json", Mapping("read", file)));
        _engine.Drop("erp", "orders.csv", Encoding.UTF8.GetBytes(
            "K;Id;Belegnummer;Datum;Waehrung;Betrag;Notiz\r\n" +
            "P;Pos;Artikel;Bezeichnung;Menge;Preis;Steuer\r\n" + lines));
    }

    private void XmlImport() =>
        _engine.Connection("erpin", "erp", new Dictionary<string, string?> { ["Format"] = "xml", ["MinimumAge"] = "00:00:00" })
            .Connection("back", "back", new Dictionary<string, string?> { ["FileName"] = "order-{Id}.json" })
            .Flow("import", "erpin/orders", "back/orders", _engine.Mapping("read.json", """
                { "record": "Order", "direction": "read", "fields": { "Id": "Id", "OrderNumber": "Belegnummer" } }
                """));

    [Fact]
    public async Task Xml_that_breaks_after_its_first_record_keeps_what_was_read_and_dead_letters_the_rest()
    {
        XmlImport();
        _engine.Drop("erp", "orders.xml", Encoding.UTF8.GetBytes("""
            <?xml version="1.0" encoding="utf-8"?>
            <orders>
              <Order><Id>1001</Id><Belegnummer>SR-1001</Belegnummer></Order>
              <Order><Id>1002</Id><Belegnummer>SR-1002</Order>
              <Order><Id>1003</Id><Belegnummer>SR-1003</Belegnummer></Order>
            </orders>
            """.ReplaceLineEndings("\n")));

        var run = await _engine.RunAsync("import");

        Assert.Equal((1L, 1L), (run.Written, run.DeadLettered));
        var letter = Assert.Single(await _engine.DeadLettersAsync("import"));
        Assert.EndsWith("#2", letter.RecordKey);
        Assert.StartsWith("orders.xml, line 4: not well-formed XML: ", letter.Error);
        Assert.EndsWith("; the rest of the file from record 2 on could not be read", letter.Error);
        Assert.StartsWith("  <Order><Id>1002</Id><Belegnummer>SR-1002</Order>\n  <Order><Id>1003</Id>", letter.Payload);
        Assert.True(File.Exists(_engine["back/order-1001.json"]));
        Assert.True(File.Exists(_engine["erp/archive/orders.xml"]));
    }

    [Theory]
    [InlineData("<orders>\n  <Order><Id>1001</Id><Belegnummer>SR-1001</Beleg", "broken.xml: not well-formed XML: ")]
    [InlineData("<Bestellungen><Order><Id>1001</Id></Order></Bestellungen>", "broken.xml: the document element is <Bestellungen>, but the stream reads <orders>")]
    public async Task Xml_that_cannot_be_read_before_its_first_record_goes_to_the_error_folder(string content, string reason)
    {
        XmlImport();
        _engine.Drop("erp", "broken.xml", Encoding.UTF8.GetBytes(content), DateTime.UtcNow.AddMinutes(-2));
        _engine.Drop("erp", "good.xml", Encoding.UTF8.GetBytes("<orders><Order><Id>2001</Id></Order></orders>"));

        var run = await _engine.RunAsync("import");

        Assert.Equal((0L, 1L), (run.DeadLettered, run.Written));
        Assert.True(File.Exists(_engine["erp/error/broken.xml"]));
        Assert.StartsWith(reason, File.ReadAllText(_engine["erp/error/broken.xml.error.txt"]));
        Assert.True(File.Exists(_engine["erp/archive/good.xml"]));
    }

    [Fact]
    public async Task Canonical_json_lines_dead_letter_a_broken_line_and_read_the_lines_after_it()
    {
        _engine.Connection("erp", "out", new Dictionary<string, string?> { ["FileName"] = "order-{Id}.json" })
            .Flow("copy", "shop/orders", "erp/orders");
        _engine.Drop("inbox", "orders.json", Encoding.UTF8.GetBytes(
            """{"id":"1001","orderNumber":"SR-1001"}""" + "\n" +
            """{"id":"1002","orderNumber":""" + "\n" +
            """{"id":"1003","orderNumber":"SR-1003"}""" + "\n"));

        var run = await _engine.RunAsync("copy");

        Assert.Equal((2L, 1L), (run.Written, run.DeadLettered));
        var letter = Assert.Single(await _engine.DeadLettersAsync("copy"));
        Assert.StartsWith("orders.json, record 2 (line 2): not valid JSON: ", letter.Error);
        Assert.Equal("""{"id":"1002","orderNumber":""", letter.Payload);
        Assert.Equal(["order-1001.json", "order-1003.json"], Directory.GetFiles(_engine["out"]).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task Canonical_json_with_bytes_its_encoding_cannot_decode_is_dead_lettered_naming_the_field_instead_of_stored_as_U_FFFD()
    {
        _engine.Connection("erp", "out", new Dictionary<string, string?> { ["FileName"] = "order-{Id}.json" })
            .Flow("copy", "shop/orders", "erp/orders");
        _engine.Drop("inbox", "orders.json", [
            .. Encoding.UTF8.GetBytes("""{"id":"1001","orderNumber":"SR-1001"}""" + "\n" + """{"id":"1002","customer":{"id":"C-1","lastName":"Kov"""),
            0xC3, 0x28, .. Encoding.UTF8.GetBytes("""cs"},"orderNumber":"SR-1002"}""" + "\n" + """{"id":"1003","orderNumber":"SR-1003"}""" + "\n"),
        ]);

        var run = await _engine.RunAsync("copy");

        Assert.Equal((2L, 1L), (run.Written, run.DeadLettered));
        var letter = Assert.Single(await _engine.DeadLettersAsync("copy"));
        Assert.Equal("orders.json, record 2: field 'customer.lastName': 'Kov\uFFFD(cs' holds bytes that are not valid utf-8 (line 2)", letter.Error);
        Assert.Equal(["order-1001.json", "order-1003.json"], Directory.GetFiles(_engine["out"]).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task Canonical_json_in_a_legacy_encoding_escapes_every_character_beyond_ascii_and_reads_back()
    {
        _engine.Connection("erp", "out", new Dictionary<string, string?> { ["Encoding"] = "windows-1250", ["FileName"] = "order-{Id}.json" })
            .Connection("erpin", "out", new Dictionary<string, string?> { ["Encoding"] = "windows-1250", ["MinimumAge"] = "00:00:00" })
            .Connection("back", "back", new Dictionary<string, string?> { ["FileName"] = "order-{Id}.json" })
            .Flow("export", "shop/orders", "erp/orders")
            .Flow("import", "erpin/orders", "back/orders");
        _engine.DropOrders(Orders.Kovacs);

        await _engine.RunAsync("export");
        await _engine.RunAsync("import");

        var bytes = File.ReadAllBytes(_engine["out/archive/order-1001.json"]);
        Assert.All(bytes, b => Assert.True(b < 0x80));
        Assert.Contains("\"lastName\": \"Kov\\u00E1cs\"", Encoding.ASCII.GetString(bytes));
        var back = CanonicalJson.Deserialize(File.ReadAllText(_engine["back/order-1001.json"]), typeof(Order));
        Assert.Equal(CanonicalJson.Serialize(Orders.Kovacs), CanonicalJson.Serialize(back));
    }

    [Fact]
    public async Task A_record_without_id_is_dead_lettered_naming_its_own_line_not_its_last_child_line()
    {
        CsvOrderImport(
            "K;;SR-1001;2026-11-20T09:15:00+01:00;HUF;25500,5;\r\n" +
            "P;1;KE-100;Táska;2;7874,02;27\r\n" +
            "P;2;SD-64;SD;1;3149,61;5\r\n");

        await _engine.RunAsync("import");

        var letter = Assert.Single(await _engine.DeadLettersAsync("import"));
        Assert.Equal("orders.csv, line 3: field 'Id': the record has no id", letter.Error);
    }

    public ValueTask DisposeAsync() => _engine.DisposeAsync();
}
