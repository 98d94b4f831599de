using System.Text;
using SyncEngine.Core.Flows;
using SyncEngine.Core.Model;
using SyncEngine.Core.State;

namespace SyncEngine.Connectors.Files.Tests;

/// <summary>Orders written through a mapping into csv, xml, json and fixed-width files, checked byte for byte.</summary>
public sealed class FileWriterTests : IAsyncDisposable
{
    private static readonly Encoding Utf8 = new UTF8Encoding(false);
    private readonly FilesEngine _engine = new();

    static FileWriterTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    private async Task<RunRecord> ExportAsync(string mapping, IDictionary<string, string?> stream, params Order[] orders)
    {
        _engine.DropOrders(orders);
        stream.TryAdd("FileName", "orders-{Batch}." + (stream.TryGetValue("Format", out var format) ? format : "csv"));
        _engine.Connection("erp", "out", stream).Flow("export", "shop/orders", "erp/orders", _engine.Mapping("export.json", mapping));
        return await _engine.RunAsync("export");
    }

    private void AssertWritten(string expected, Encoding encoding, string file = "orders-1.csv")
    {
        var actual = File.ReadAllBytes(_engine[Path.Combine("out", file)]);
        // The text first, for a readable difference; then every byte, BOM included.
        Assert.Equal(expected, encoding.GetString(actual).TrimStart('\uFEFF'));
        Assert.Equal(encoding.GetPreamble().Concat(encoding.GetBytes(expected)).ToArray(), actual);
    }

    private static string Simple(string fields, string culture = "") => $$"""
        { "record": "Order", {{(culture.Length > 0 ? $"\"culture\": \"{culture}\"," : "")}} "fields": { {{fields}} } }
        """;

    [Fact]
    public async Task Csv_with_a_header_quotes_a_field_holding_the_delimiter_and_a_quote()
    {
        var mapping = Simple("""
            "Nummer": "OrderNumber",
            "Kunde": { "template": "{Customer.LastName}, {Customer.FirstName}" },
            "Notiz": "CustomerComment",
            "Betrag": "Totals.Gross"
            """);

        var run = await ExportAsync(mapping, new Dictionary<string, string?> { ["Format"] = "csv" }, Orders.Kovacs, Orders.Nagy);

        Assert.Equal((RunStatus.Succeeded, 2L), (run.Status, run.Written));
        AssertWritten(
            "Nummer,Kunde,Notiz,Betrag\r\n" +
            "SR-1001,\"Kovács, Éva\",\"Bitte \"\"vorsichtig\"\"; liefern, danke\",25500.5\r\n" +
            "SR-1002,\"Nagy, Béla\",Hátsó bejárat,1234.56\r\n", Utf8);
    }

    [Fact]
    public async Task Csv_with_semicolons_and_german_decimals_is_written_byte_for_byte()
    {
        var mapping = Simple("""
            "Nummer": "OrderNumber",
            "Datum": { "path": "OrderedAt", "format": "dd.MM.yyyy" },
            "Betrag": "Totals.Gross",
            "Summe": { "path": "Totals.Gross", "format": "N2" },
            "Notiz": "CustomerComment"
            """, culture: "de-DE");

        await ExportAsync(mapping, new Dictionary<string, string?> { ["Format"] = "csv", ["Delimiter"] = ";", ["Header"] = "false" }, Orders.Kovacs, Orders.Nagy);

        AssertWritten(
            "SR-1001;20.11.2026;25500,5;25.500,50;\"Bitte \"\"vorsichtig\"\"; liefern, danke\"\r\n" +
            "SR-1002;21.11.2026;1234,56;1.234,56;Hátsó bejárat\r\n", Utf8);
    }

    [Fact]
    public async Task Csv_order_lines_follow_their_order_as_lines_of_their_own_record_type()
    {
        var mapping = Orders.WriteMapping("""{ "recordTypes": { "header": "K", "positionen": "P" } }""");

        await ExportAsync(mapping, new Dictionary<string, string?> { ["Format"] = "csv", ["Delimiter"] = ";" }, Orders.Kovacs, Orders.Nagy);

        AssertWritten(
            "K;Belegnummer;Datum;Kunde;Betrag\r\n" +
            "P;Pos;Artikel;Menge;Preis\r\n" +
            "K;SR-1001;2026-11-20T09:15:00+01:00;Kovács;25500,5\r\n" +
            "P;1;KE-100;2;7874,02\r\n" +
            "P;2;SD-64;1;3149,61\r\n" +
            "K;SR-1002;2026-11-21T16:40:00+01:00;Nagy;1234,56\r\n" +
            "P;1;AB-1;3;10\r\n", Utf8);
    }

    [Fact]
    public async Task Xml_with_elements_a_namespace_and_nested_lines_is_written_byte_for_byte()
    {
        var mapping = Orders.WriteMapping("""{ "children": { "positionen": { "element": "Position" } } }""", culture: "en-US");
        var stream = new Dictionary<string, string?>
        {
            ["Format"] = "xml", ["RootElement"] = "Auftraege", ["RecordElement"] = "Auftrag", ["Namespace"] = "urn:example:erp",
        };

        await ExportAsync(mapping, stream, Orders.Kovacs.WithName("Kovács & Söhne <GmbH>"), Orders.Nagy);

        AssertWritten("""
            <?xml version="1.0" encoding="utf-8"?>
            <Auftraege xmlns="urn:example:erp">
              <Auftrag>
                <Belegnummer>SR-1001</Belegnummer>
                <Datum>2026-11-20T09:15:00+01:00</Datum>
                <Kunde>Kovács &amp; Söhne &lt;GmbH&gt;</Kunde>
                <Betrag>25500.5</Betrag>
                <positionen>
                  <Position>
                    <Pos>1</Pos>
                    <Artikel>KE-100</Artikel>
                    <Menge>2</Menge>
                    <Preis>7874.02</Preis>
                  </Position>
                  <Position>
                    <Pos>2</Pos>
                    <Artikel>SD-64</Artikel>
                    <Menge>1</Menge>
                    <Preis>3149.61</Preis>
                  </Position>
                </positionen>
              </Auftrag>
              <Auftrag>
                <Belegnummer>SR-1002</Belegnummer>
                <Datum>2026-11-21T16:40:00+01:00</Datum>
                <Kunde>Nagy</Kunde>
                <Betrag>1234.56</Betrag>
                <positionen>
                  <Position>
                    <Pos>1</Pos>
                    <Artikel>AB-1</Artikel>
                    <Menge>3</Menge>
                    <Preis>10</Preis>
                  </Position>
                </positionen>
              </Auftrag>
            </Auftraege>

            """.ReplaceLineEndings("\n"), Utf8, "orders-1.xml");
    }

    [Fact]
    public async Task Xml_with_attributes_is_written_byte_for_byte_and_a_missing_value_leaves_its_attribute_out()
    {
        var mapping = Orders.WriteMapping("""{ "attributes": true, "children": { "positionen": { "element": "Position" } } }""", culture: "en-US");

        await ExportAsync(mapping, new Dictionary<string, string?> { ["Format"] = "xml" }, Orders.Kovacs, Orders.Nagy.WithName(null!));

        AssertWritten("""
            <?xml version="1.0" encoding="utf-8"?>
            <orders>
              <Order Belegnummer="SR-1001" Datum="2026-11-20T09:15:00+01:00" Kunde="Kovács" Betrag="25500.5">
                <positionen>
                  <Position Pos="1" Artikel="KE-100" Menge="2" Preis="7874.02" />
                  <Position Pos="2" Artikel="SD-64" Menge="1" Preis="3149.61" />
                </positionen>
              </Order>
              <Order Belegnummer="SR-1002" Datum="2026-11-21T16:40:00+01:00" Betrag="1234.56">
                <positionen>
                  <Position Pos="1" Artikel="AB-1" Menge="3" Preis="10" />
                </positionen>
              </Order>
            </orders>

            """.ReplaceLineEndings("\n"), Utf8, "orders-1.xml");
    }

    private const string JsonMapping = """
        {
          "record": "Order",
          "fields": {
            "Belegnummer": "OrderNumber",
            "Datum": "OrderedAt",
            "Gast": "Customer.IsGuest",
            "Betrag": "Totals.Gross",
            "Versand": "Shipping.Code"
          },
          "children": { "positionen": { "path": "Lines", "fields": { "Artikel": "Sku", "Menge": "Quantity", "Preis": "UnitPriceNet" } } },
          "file": { "format": "json" }
        }
        """;

    [Fact]
    public async Task Json_array_with_nested_lines_keeps_numbers_and_booleans_typed()
    {
        await ExportAsync(JsonMapping, new Dictionary<string, string?> { ["FileName"] = "orders-{Batch}.json" }, Orders.Kovacs, Orders.Nagy);

        AssertWritten("""
            [
              {
                "Belegnummer": "SR-1001",
                "Datum": "2026-11-20T09:15:00+01:00",
                "Gast": false,
                "Betrag": 25500.5,
                "Versand": null,
                "positionen": [
                  {
                    "Artikel": "KE-100",
                    "Menge": 2,
                    "Preis": 7874.02
                  },
                  {
                    "Artikel": "SD-64",
                    "Menge": 1,
                    "Preis": 3149.61
                  }
                ]
              },
              {
                "Belegnummer": "SR-1002",
                "Datum": "2026-11-21T16:40:00+01:00",
                "Gast": false,
                "Betrag": 1234.56,
                "Versand": null,
                "positionen": [
                  {
                    "Artikel": "AB-1",
                    "Menge": 3,
                    "Preis": 10
                  }
                ]
              }
            ]

            """.ReplaceLineEndings("\n"), Utf8, "orders-1.json");
    }

    [Fact]
    public async Task Ndjson_writes_one_order_per_line_with_its_lines_nested()
    {
        await ExportAsync(JsonMapping, new Dictionary<string, string?> { ["Lines"] = "ndjson", ["FileName"] = "orders-{Batch}.json" }, Orders.Kovacs, Orders.Nagy);

        AssertWritten(
            """{"Belegnummer":"SR-1001","Datum":"2026-11-20T09:15:00+01:00","Gast":false,"Betrag":25500.5,"Versand":null,"positionen":[{"Artikel":"KE-100","Menge":2,"Preis":7874.02},{"Artikel":"SD-64","Menge":1,"Preis":3149.61}]}""" + "\n" +
            """{"Belegnummer":"SR-1002","Datum":"2026-11-21T16:40:00+01:00","Gast":false,"Betrag":1234.56,"Versand":null,"positionen":[{"Artikel":"AB-1","Menge":3,"Preis":10}]}""" + "\n",
            Utf8, "orders-1.json");
    }

    internal const string FixedWidthMapping = """
        {
          "record": "Order",
          "fields": { "Belegnummer": "OrderNumber", "Kunde": "Customer.LastName", "Betrag": "Totals.Gross", "Rabatt": "Totals.Discount" },
          "children": { "positionen": { "path": "Lines", "fields": { "Artikel": "Sku", "Menge": "Quantity", "Preis": "UnitPriceNet" } } },
          "file": {
            "format": "txt",
            "recordTypes": { "header": "K", "positionen": "P" },
            "widths": {
              "Belegnummer": { "start": 2, "length": 10 },
              "Kunde": { "start": 12, "length": 12 },
              "Betrag": { "start": 24, "length": 10, "align": "right", "pad": "0" },
              "Rabatt": { "start": 34, "length": 8, "align": "right", "pad": "0" }
            },
            "children": {
              "positionen": {
                "widths": {
                  "Artikel": { "start": 2, "length": 8 },
                  "Menge": { "start": 10, "length": 5, "align": "right" },
                  "Preis": { "start": 15, "length": 10, "align": "right", "pad": "0" }
                }
              }
            }
          }
        }
        """;

    [Fact]
    public async Task Fixed_width_txt_aligns_left_and_right_and_pads_with_spaces_and_zeros()
    {
        await ExportAsync(FixedWidthMapping, new Dictionary<string, string?> { ["FileName"] = "orders-{Batch}.txt" }, Orders.Kovacs, Orders.Nagy);

        AssertWritten(
            "KSR-1001   Kovács      00025500.5-00012.5\r\n" +
            "PKE-100      20007874.02\r\n" +
            "PSD-64       10003149.61\r\n" +
            "KSR-1002   Nagy        0001234.5600000000\r\n" +
            "PAB-1        30000000010\r\n", Utf8, "orders-1.txt");
    }

    [Fact]
    public async Task A_value_longer_than_its_fixed_width_field_dead_letters_its_order_and_the_others_are_written()
    {
        await ExportAsync(FixedWidthMapping, new Dictionary<string, string?> { ["FileName"] = "orders-{Batch}.txt" },
            Orders.Kovacs.WithName("Kovácsné Szabó"), Orders.Nagy);

        var letter = Assert.Single(await _engine.DeadLettersAsync("export"));
        Assert.Equal("1001", letter.RecordKey);
        Assert.Equal("Order 1001: field 'Kunde': 'Kovácsné Szabó' has 14 characters, but the field holds 12 (columns 12-23)", letter.Error);
        AssertWritten(
            "KSR-1002   Nagy        0001234.5600000000\r\n" +
            "PAB-1        30000000010\r\n", Utf8, "orders-1.txt");
    }

    private const string NameMapping = """{ "record": "Order", "fields": { "Nummer": "OrderNumber", "Kunde": "Customer.LastName" } }""";

    [Theory]
    [InlineData("windows-1250")]
    [InlineData("iso-8859-2")]
    public async Task Hungarian_text_is_written_in_a_central_european_encoding(string encoding)
    {
        await ExportAsync(NameMapping, new Dictionary<string, string?> { ["Format"] = "csv", ["Encoding"] = encoding, ["Header"] = "false", ["Delimiter"] = ";" },
            Orders.Kovacs.WithName("Kovács őŐűŰ"));

        AssertWritten("SR-1001;Kovács őŐűŰ\r\n", Encoding.GetEncoding(encoding));
        var bytes = File.ReadAllBytes(_engine["out/orders-1.csv"]);
        // á ő Ő ű Ű: one byte each, at the same code points in both code pages.
        Assert.Equal(new byte[] { 0xE1, 0xF5, 0xD5, 0xFB, 0xDB }, bytes.Where(b => b > 0x7F));
    }

    [Fact]
    public async Task German_text_and_the_euro_sign_are_written_in_windows_1252()
    {
        await ExportAsync(NameMapping, new Dictionary<string, string?> { ["Format"] = "csv", ["Encoding"] = "windows-1252", ["Header"] = "false", ["Delimiter"] = ";" },
            Orders.Kovacs.WithName("Müller äöüß €"));

        AssertWritten("SR-1001;Müller äöüß €\r\n", Encoding.GetEncoding("windows-1252"));
        Assert.Equal(new byte[] { 0xFC, 0xE4, 0xF6, 0xFC, 0xDF, 0x80 }, File.ReadAllBytes(_engine["out/orders-1.csv"]).Where(b => b > 0x7F));
    }

    [Fact]
    public async Task A_euro_sign_that_iso_8859_1_cannot_hold_dead_letters_its_order_naming_field_and_value()
    {
        var run = await ExportAsync(NameMapping, new Dictionary<string, string?> { ["Format"] = "csv", ["Encoding"] = "iso-8859-1", ["Header"] = "false", ["Delimiter"] = ";" },
            Orders.Kovacs.WithName("Müller äöüß"), Orders.Nagy.WithName("Euro € GmbH"));

        Assert.Equal((RunStatus.CompletedWithErrors, 1L, 1L), (run.Status, run.Written, run.DeadLettered));
        var letter = Assert.Single(await _engine.DeadLettersAsync("export"));
        Assert.Equal("1002", letter.RecordKey);
        Assert.Equal("Order 1002: field 'Kunde': 'Euro € GmbH' holds '€' (U+20AC), which iso-8859-1 cannot hold; change the value or the stream's Encoding", letter.Error);
        AssertWritten("SR-1001;Müller äöüß\r\n", Encoding.Latin1);
    }

    [Fact]
    public async Task A_large_batch_keeps_its_order_and_dead_letters_exactly_the_orders_its_encoding_cannot_hold()
    {
        // 3,000 orders in one batch: a batch this size is mapped on every core, and the file must not show it.
        var orders = Enumerable.Range(1, 3000).Select(n => (Orders.Kovacs with { Id = $"{n}", OrderNumber = $"SR-{n:D5}" })
            .WithName(n % 700 == 0 ? $"Euro € {n}" : $"Müller {n}")).ToArray();
        _engine.DropOrders(orders);
        _engine.Connection("erp", "out", new Dictionary<string, string?>
            {
                ["Format"] = "csv", ["Encoding"] = "iso-8859-1", ["Header"] = "false", ["Delimiter"] = ";", ["FileName"] = "orders-{Batch}.csv",
            })
            .Flow("export", "shop/orders", "erp/orders", _engine.Mapping("export.json", NameMapping), batchSize: 5000);

        var run = await _engine.RunAsync("export");

        int[] refused = [700, 1400, 2100, 2800];
        Assert.Equal((RunStatus.CompletedWithErrors, 2996L, 4L), (run.Status, run.Written, run.DeadLettered));
        var letters = await _engine.DeadLettersAsync("export");
        Assert.Equal(refused.Select(n => $"{n}"), letters.Select(l => l.RecordKey).OrderBy(int.Parse));
        Assert.All(letters, l => Assert.Equal($"Order {l.RecordKey}: field 'Kunde': 'Euro € {l.RecordKey}' holds '€' (U+20AC), which iso-8859-1 cannot hold; change the value or the stream's Encoding", l.Error));
        var expected = string.Concat(Enumerable.Range(1, 3000).Where(n => !refused.Contains(n)).Select(n => $"SR-{n:D5};Müller {n}\r\n"));
        AssertWritten(expected, Encoding.GetEncoding("iso-8859-1"));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(1500)]
    public async Task A_weight_that_is_no_number_to_round_dead_letters_its_order_naming_field_and_value_in_a_small_and_a_large_batch(int count)
    {
        // The shop keeps the weight as an attribute, as text; one order's says "n/a", one's has a decimal comma.
        var orders = Enumerable.Range(1, count).Select(n => Orders.Kovacs with
        {
            Id = $"{n}", OrderNumber = $"SR-{n}", Attributes = new Dictionary<string, string?> { ["weight"] = n switch { 2 => "n/a", 3 => "1,5", _ => "1.235" } },
        }).ToArray();
        _engine.DropOrders(orders);
        _engine.Connection("erp", "out", new Dictionary<string, string?> { ["Format"] = "csv", ["Header"] = "false", ["FileName"] = "orders-{Batch}.csv" })
            .Flow("export", "shop/orders", "erp/orders",
                _engine.Mapping("export.json", Simple("""
                    "Nummer": "OrderNumber", "Gewicht": { "path": "Attributes.weight", "round": 2 }
                    """)), batchSize: 5000);

        var run = await _engine.RunAsync("export");

        Assert.Equal((RunStatus.CompletedWithErrors, count - 2L, 2L), (run.Status, run.Written, run.DeadLettered));
        var letters = (await _engine.DeadLettersAsync("export")).OrderBy(l => l.RecordKey).ToList();
        Assert.Equal(
            [("2", "Order 2: field 'fields.Gewicht': 'n/a' is not a number to round to 2 decimals"),
             ("3", "Order 3: field 'fields.Gewicht': '1,5' is not a number to round to 2 decimals")],
            letters.Select(l => (l.RecordKey, l.Error)));
        AssertWritten(string.Concat(Enumerable.Range(1, count).Where(n => n is not (2 or 3)).Select(n => $"SR-{n},1.24\r\n")), Utf8);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(5000)]
    public void Text_written_in_pieces_is_encoded_whole_with_an_emoji_across_the_writers_buffer(int piece)
    {
        // The writer gathers 4096 characters before it encodes: the first emoji's two halves fall on both sides of that.
        var text = new string('a', 4095) + "😀" + new string('ő', 3000) + "😀😀 vége";
        var bytes = new System.Buffers.ArrayBufferWriter<byte>();

        using (var writer = new EncodingWriter(bytes, Utf8))
        {
            for (var at = 0; at < text.Length; at += piece)
            {
                var length = Math.Min(piece, text.Length - at);
                if (length == 1) writer.Write(text[at]);
                else writer.Write(text.AsSpan(at, length));
            }
        }

        Assert.Equal(Utf8.GetBytes(text), bytes.WrittenSpan.ToArray());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Utf8_is_written_with_or_without_a_byte_order_mark(bool bom)
    {
        await ExportAsync(NameMapping, new Dictionary<string, string?> { ["Format"] = "csv", ["BOM"] = bom ? "true" : "false", ["Header"] = "false" }, Orders.Kovacs.WithName("Kovács őŐűŰ äöüß €"));

        AssertWritten("SR-1001,Kovács őŐűŰ äöüß €\r\n", new UTF8Encoding(bom));
        Assert.Equal(bom, File.ReadAllBytes(_engine["out/orders-1.csv"]).AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }));
    }

    [Fact]
    public async Task Xml_writes_a_character_its_encoding_lacks_as_a_character_reference()
    {
        var mapping = """{ "record": "Order", "fields": { "Kunde": "Customer.LastName" } }""";

        await ExportAsync(mapping, new Dictionary<string, string?> { ["Format"] = "xml", ["Encoding"] = "iso-8859-1" }, Orders.Kovacs.WithName("Müller € GmbH"));

        AssertWritten("""
            <?xml version="1.0" encoding="iso-8859-1"?>
            <orders>
              <Order>
                <Kunde>Müller &#x20AC; GmbH</Kunde>
              </Order>
            </orders>

            """.ReplaceLineEndings("\n"), Encoding.Latin1, "orders-1.xml");
    }

    [Fact]
    public async Task One_file_per_order_is_named_from_the_order_and_written_with_a_done_file()
    {
        await ExportAsync(Orders.WriteMapping("""{ "recordTypes": { "header": "K", "positionen": "P" } }"""),
            new Dictionary<string, string?> { ["Format"] = "csv", ["Delimiter"] = ";", ["Header"] = "false", ["FileName"] = "auftrag-{OrderNumber}.csv", ["DoneFile"] = "{File}.ok" },
            Orders.Kovacs, Orders.Nagy);

        Assert.Equal(["auftrag-SR-1001.csv", "auftrag-SR-1001.csv.ok", "auftrag-SR-1002.csv", "auftrag-SR-1002.csv.ok"],
            Directory.GetFiles(_engine["out"]).Select(Path.GetFileName).Order());
        AssertWritten("K;SR-1002;2026-11-21T16:40:00+01:00;Nagy;1234,56\r\nP;1;AB-1;3;10\r\n", Utf8, "auftrag-SR-1002.csv");
    }

    public ValueTask DisposeAsync() => _engine.DisposeAsync();
}
