namespace SyncEngine.Connectors.Files.Tests;

/// <summary><c>syncengine validate</c> names every wrong file setting by its key, or by mapping file, line and field.</summary>
public sealed class FileValidationTests : IAsyncDisposable
{
    private readonly FilesEngine _engine = new();

    private void Stream(string name, params (string Key, string Value)[] settings)
    {
        _engine.Connection("erp", "out", settings.ToDictionary(s => s.Key, s => (string?)s.Value), name)
            .Flow("to-" + name, "shop/orders", "erp/" + name);
    }

    [Fact]
    public void Validate_names_every_wrong_format_encoding_layout_mapping_and_missing_file_name()
    {
        var plain = _engine.Mapping("plain.json", """{ "record": "Order", "fields": { "Belegnummer": "OrderNumber" } }""");
        var widths = _engine.Mapping("widths.json", """
            {
              "record": "Order",
              "fields": { "Belegnummer": "OrderNumber", "Datum": "OrderedAt", "Kunde": "Customer.LastName", "Betrag": "Totals.Gross" },
              "file": {
                "format": "txt",
                "widths": {
                  "Belegnummer": { "start": 1 },
                  "Kunde": { "start": 11, "length": 20 },
                  "Betrag": { "start": 25, "length": 10, "align": "middle" }
                }
              }
            }
            """);
        var broken = _engine.Mapping("broken.json", """
            {
              "record": "Order",
              "fields": { "Belegnummer": "OrderNumbr" }
            }
            """);
        var lines = _engine.Mapping("lines.json", """
            {
              "record": "Order",
              "fields": { "Belegnummer": "OrderNumber" },
              "children": { "positionen": { "path": "Lines", "fields": { "Artikel": "Sku" } } },
              "file": { "delimiter": ";", "colums": [] }
            }
            """);
        var read = _engine.Mapping("read.json", """{ "record": "Order", "direction": "read", "fields": { "Id": "Nr" } }""");
        Stream("a", ("Format", "xls"));
        Stream("b", ("Format", "csv"), ("Encoding", "klingon"), ("FileName", "b.csv"), ("Mapping", plain));
        Stream("c", ("FileName", "c.txt"), ("Mapping", widths));
        Stream("d", ("FileName", "d.json"), ("Mapping", broken));
        Stream("e", ("Format", "csv"), ("FileName", "e.csv"));
        Stream("f", ("Format", "csv"), ("FileName", "f.csv"), ("Mapping", lines));
        Stream("g", ("FileName", "g.json"), ("Mapping", "mappings/missing.json"));
        Stream("h", ("Format", "csv"), ("FileName", "h.csv"), ("Mapping", read), ("Delimiter", ";;"));

        var errors = _engine.Validate();

        const string Key = "SyncEngine:Connections:erp:Streams:";
        Assert.Equal(new[]
        {
            (Key + "a:FileName", "", 0),
            (Key + "a:Format", "", 0),
            (Key + "b:Encoding", "", 0),
            (Key + "e:Mapping", "", 0),
            (Key + "g:Mapping", "", 0),
            (Key + "h:Delimiter", "", 0),
            (Key + "h:Mapping", "", 0),
            ("fields.Belegnummer", "broken.json", 3),
            ("file.colums", "lines.json", 5),
            ("file.recordTypes", "lines.json", 5),
            ("file.widths.Belegnummer.length", "widths.json", 7),
            ("file.widths.Betrag", "widths.json", 9),
            ("file.widths.Betrag.align", "widths.json", 9),
            ("file.widths.Datum", "widths.json", 6),
        }.Order(), errors.Select(e => (e.Key, Path.GetFileName(e.File) ?? "", e.Line ?? 0)).Order());
        var messages = errors.ToDictionary(e => e.Key.Replace(Key, ""), e => e.Message);
        Assert.Equal("'xls' is not a file format; use json, csv, xml or txt (fixed width)", messages["a:Format"]);
        Assert.Equal("'klingon' is not a known encoding; use utf-8, iso-8859-1, iso-8859-2, windows-1250 or windows-1252", messages["b:Encoding"]);
        Assert.Equal("csv files need a mapping: set the flow's Mapping or this stream's Mapping", messages["e:Mapping"]);
        Assert.Equal("'mappings/read.json' is a read mapping, but flow 'to-h' writes this stream", messages["h:Mapping"]);
        Assert.Equal("columns 25-34 overlap 'Kunde' at columns 11-30", messages["file.widths.Betrag"]);
        Assert.Equal("missing: where 'Datum' sits in the line, e.g. \"Datum\": { \"start\": 1, \"length\": 10 }", messages["file.widths.Datum"]);
        Assert.StartsWith("csv files hold child rows as lines of their own after the record's line", messages["file.recordTypes"]);
        Assert.StartsWith("'OrderNumbr' is not a field of Order", messages["fields.Belegnummer"]);
    }

    public ValueTask DisposeAsync() => _engine.DisposeAsync();
}
