using System.Globalization;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;
using SyncEngine.Core.Model;
using SyncEngine.Testing;

namespace SyncEngine.Core.Tests;

public sealed class MappingTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    private static readonly Order Order = new()
    {
        Id = "1001",
        OrderNumber = "SR-1001",
        OrderedAt = new DateTimeOffset(2026, 11, 20, 9, 15, 0, TimeSpan.FromHours(1)),
        Currency = "HUF",
        Customer = new Customer { Id = "C-77", FirstName = "Éva", LastName = "Kovács", Email = "  Kovacs.Eva@Example.HU " },
        BillingAddress = new Address { City = "Szeged", PostalCode = "6720" },
        Payment = new PaymentInfo { Code = "COD" },
        Lines =
        [
            new OrderLine { LineNumber = 1, Sku = "KE-100", Name = "Fényképezőgép-táska", Quantity = 2, UnitPriceNet = 7874.0157m, TaxRate = 27 },
            new OrderLine { LineNumber = 2, Sku = "SD-64", Quantity = 1, UnitPriceNet = 3149.61m, TaxRate = 5 },
        ],
        Totals = new OrderTotals { Gross = 25500m },
        Attributes = new Dictionary<string, string?> { ["gift_wrap"] = "yes" },
    };

    private RecordMapping Write(string fields, string extra = "") =>
        Load($"m{Guid.NewGuid():N}.json", $$"""{ "record": "Order", "direction": "write", {{extra}} "fields": { {{fields}} } }""");

    /// <summary>Writes a mapping file of the given name and loads it.</summary>
    private RecordMapping Load(string name, string json)
    {
        var path = _folder[name];
        File.WriteAllText(path, json);
        return MappingLoader.Load(path);
    }

    private static object? Value(MappedRow row, string field) => row[field];

    [Fact]
    public void Paths_constants_templates_and_attributes_map_a_record_to_named_fields_in_order()
    {
        var row = Write("""
            "Belegnummer": "OrderNumber",
            "Kunde": "Customer.LastName",
            "Matchcode": { "template": "{Customer.LastName}, {Customer.FirstName}" },
            "Waehrung": { "const": "EUR" },
            "Mandant": 1,
            "Geschenk": "Attributes.gift_wrap",
            "Fehlt": "Customer.Company"
            """).ToRow(Order);

        Assert.Equal(["Belegnummer", "Kunde", "Matchcode", "Waehrung", "Mandant", "Geschenk", "Fehlt"], row.Fields.Select(f => f.Key));
        Assert.Equal(["SR-1001", "Kovács", "Kovács, Éva", "EUR", 1L, "yes", null], row.Fields.Select(f => f.Value));
    }

    [Fact]
    public void Value_maps_inline_or_from_a_file_translate_codes_and_an_unknown_value_names_field_and_value()
    {
        File.WriteAllText(_folder["vat.json"], """{ "27": "1", "5": "2", "18": "3" }""");
        var mapping = Write("""
            "Zahlungsart": { "path": "Payment.Code", "map": "payment" },
            "Land": { "path": "BillingAddress.CountryCode", "default": "HU", "map": { "HU": "H", "AT": "A" } },
            "Unbekannt": { "path": "Currency", "map": { "EUR": "1" }, "onUnmapped": "keep" }
            """, """ "valueMaps": { "payment": { "COD": "NN", "BANK": "VK" }, "vat": "vat.json" }, """);
        var row = mapping.ToRow(Order);
        Assert.Equal(("NN", "H", "HUF"), ((string?)row["Zahlungsart"], (string?)row["Land"], (string?)row["Unbekannt"]));

        var strict = Write(""" "Zahlungsart": { "path": "Payment.Code", "map": "payment" } """, """ "valueMaps": { "payment": { "BANK": "VK" } }, """);
        var error = Assert.Throws<RecordException>(() => strict.ToRow(Order));
        Assert.Equal(("fields.Zahlungsart", "COD"), (error.Field, error.Value));
        Assert.Contains("value 'COD' is not in value map 'payment'", error.Message);
    }

    [Fact]
    public void Child_collections_map_to_child_rows_with_position_parent_fields_and_vat_keys_from_a_shared_file()
    {
        File.WriteAllText(_folder["vat.json"], """{ "entries": { "27": "1", "5": "2" }, "default": "9" }""");
        var path = _folder["order.json"];
        File.WriteAllText(path, """
            {
              "record": "Order",
              "valueMaps": { "vat": "vat.json" },
              "fields": { "Belegnummer": "OrderNumber" },
              "children": {
                "positionen": {
                  "path": "Lines",
                  "fields": {
                    "Position": "$index",
                    "Beleg": "$parent.OrderNumber",
                    "Artikelnummer": "Sku",
                    "Menge": "Quantity",
                    "Einzelpreis": { "path": "UnitPriceNet", "round": 2 },
                    "Steuerschluessel": { "path": "TaxRate", "map": "vat" }
                  }
                }
              }
            }
            """);

        var row = MappingLoader.Load(path).ToRow(Order);

        var lines = row.Children["positionen"];
        Assert.Equal(2, lines.Count);
        Assert.Equal([1, "SR-1001", "KE-100", 2m, 7874.02m, "1"], lines[0].Fields.Select(f => f.Value));
        Assert.Equal([2, "SR-1001", "SD-64", 1m, 3149.61m, "2"], lines[1].Fields.Select(f => f.Value));
    }

    [Fact]
    public void Formats_cultures_and_text_changes_shape_values_for_fixed_fields()
    {
        var row = Write("""
            "Datum": { "path": "OrderedAt", "format": "dd.MM.yyyy" },
            "Betrag": { "path": "Totals.Gross", "format": "N2", "culture": "de-DE" },
            "BetragHU": { "path": "Totals.Gross", "format": "N2", "culture": "hu-HU" },
            "Mail": { "path": "Customer.Email", "trim": true, "lower": true },
            "Kurz": { "path": "Customer.LastName", "upper": true, "maxLength": 4 },
            "Nummer": { "path": "OrderNumber", "substring": [3, 4], "padLeft": [8, "0"] },
            "Rechts": { "path": "Currency", "padRight": [5, "_"] }
            """).ToRow(Order);

        Assert.Equal("20.11.2026", row["Datum"]);
        Assert.Equal("25.500,00", row["Betrag"]);
        Assert.Equal(25500m.ToString("N2", CultureInfo.GetCultureInfo("hu-HU")), row["BetragHU"]);
        Assert.Equal("kovacs.eva@example.hu", row["Mail"]);
        Assert.Equal("KOVÁ", row["Kurz"]);
        Assert.Equal("00001001", row["Nummer"]);
        Assert.Equal("HUF__", row["Rechts"]);
    }

    [Fact]
    public void Plain_paths_read_in_one_compiled_step_give_exactly_what_the_evaluated_mapping_gives()
    {
        var mapping = Write("""
            "Zeit": { "path": "OrderedAt", "format": "yyyy-MM-dd HH:mm" },
            "Instant": "OrderedAt",
            "Geaendert": { "path": "UpdatedAt", "format": "O" },
            "Brutto": { "path": "Totals.Gross", "format": "0.00", "culture": "de-DE" },
            "BruttoHU": { "path": "Totals.Gross", "format": "N2" },
            "Name": { "path": "Customer.LastName", "format": "X" },
            "Geschenk": { "path": "Attributes.gift_wrap", "format": "0" },
            "Gebuehr": { "path": "Payment.FeeGross", "format": "N1" },
            "Kunde seit": { "path": "Customer.CreatedAt", "format": "yyyy" },
            "Firma": "Customer.Company",
            "Zeilen": "Lines",
            "Nummer": { "path": "OrderNumber", "upper": true },
            "Position": { "path": "$index" }
            """, """ "culture": "hu-HU", "timeZone": "America/New_York", """);
        var sparse = Order with { Id = "1002", UpdatedAt = null, Customer = null, Payment = null, Attributes = Attributes.Empty };
        var updated = Order with { Id = "1003", UpdatedAt = new DateTimeOffset(2026, 11, 21, 23, 30, 0, TimeSpan.Zero), Customer = Order.Customer! with { CreatedAt = new DateTimeOffset(2019, 3, 1, 0, 0, 0, TimeSpan.Zero) } };

        // Text changes and $index are evaluated as before; the rest is compiled.
        var zone = mapping.TimeZoneGiven ? mapping.TimeZone : null;
        Assert.Equal(["Zeit", "Instant", "Geaendert", "Brutto", "BruttoHU", "Name", "Geschenk", "Gebuehr", "Kunde seit", "Firma", "Zeilen"],
            mapping.Fields.Where(f => f.Expression.Compile(typeof(Order), mapping.Culture, zone) is not null).Select(f => f.Name));
        foreach (var order in new[] { Order, sparse, updated })
        {
            var row = mapping.ToRow(order);
            var run = new MappingRun { Culture = mapping.Culture, TimeZone = mapping.TimeZone, FormatZone = zone, Direction = MappingDirection.Write };
            foreach (var field in mapping.Fields)
                Assert.Equal(field.Expression.Evaluate(new Scope { Current = order, Run = run }), row[field.Name]);
        }

        var first = mapping.ToRow(Order);
        Assert.Equal("2026-11-20 03:15", first["Zeit"]);
        Assert.Equal("25500,00", first["Brutto"]);
        Assert.Equal(25500m.ToString("N2", CultureInfo.GetCultureInfo("hu-HU")), first["BruttoHU"]);
        Assert.Equal("Kovács", first["Name"]);
        Assert.Equal("yes", first["Geschenk"]);
        Assert.Equal("2026-11-21T18:30:00.0000000-05:00", mapping.ToRow(updated)["Geaendert"]);
        Assert.Equal("2019", mapping.ToRow(updated)["Kunde seit"]);
        Assert.Null(mapping.ToRow(sparse)["Geaendert"]);
        Assert.Null(mapping.ToRow(sparse)["Gebuehr"]);
        Assert.Null(mapping.ToRow(sparse)["Kunde seit"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("en-US")]
    [InlineData("de-DE")]
    [InlineData("hu-HU")]
    [InlineData("sv-SE")]
    [InlineData("fr-FR")]
    [InlineData("fa-IR")]
    public void Decimals_are_written_without_trailing_zeros_as_the_culture_writes_numbers(string name)
    {
        var culture = CultureInfo.GetCultureInfo(name);
        var random = new Random(7);
        var values = new List<decimal>
        {
            0m, 1m, -1m, 10m, 100.00m, 374.10m, -0.50m, 0.0000000000000000000000000001m, decimal.MaxValue, decimal.MinValue,
            new(0, 0, 0, true, 1), new(0, 0, 0, true, 4), new(0, 0, 0, false, 3),
        };
        for (var i = 0; i < 20_000; i++)
        {
            values.Add(new decimal(random.Next(), random.Next(), random.Next(3) == 0 ? random.Next() : 0, random.Next(2) == 0, (byte)random.Next(29)));
            values.Add(new decimal(random.Next(100_000), 0, 0, random.Next(2) == 0, (byte)random.Next(6)));
        }

        foreach (var value in values)
            Assert.Equal(value.ToString("0.############################", culture), ValueConverter.ToText(value, culture));
    }

    [Fact]
    public void Coalesce_default_and_conditions_choose_a_value()
    {
        var guest = Order with { Customer = Order.Customer! with { IsGuest = true, Company = null } };
        var mapping = Write("""
            "Ort": { "coalesce": [ "ShippingAddress.City", "BillingAddress.City" ] },
            "Firma": { "path": "Customer.Company", "default": "Privat" },
            "Kundenart": { "if": { "path": "Customer.IsGuest", "equals": true }, "then": { "const": "Gast" }, "else": { "const": "Stamm" } },
            "Zahlung": { "if": { "path": "Payment.Code", "in": [ "COD", "CASH" ] }, "then": { "const": "bar" }, "else": { "const": "unbar" } },
            "Pflicht": { "path": "Customer.Email", "required": true }
            """);

        var row = mapping.ToRow(guest);

        Assert.Equal(("Szeged", "Privat", "Gast", "bar"), ((string?)row["Ort"], (string?)row["Firma"], (string?)row["Kundenart"], (string?)row["Zahlung"]));
        var noMail = Order with { Customer = Order.Customer! with { Email = "" } };
        var error = Assert.Throws<RecordException>(() => mapping.ToRow(noMail));
        Assert.Contains("field 'fields.Pflicht': a value is required but 'Customer.Email' is empty", error.Message);
    }

    [Fact]
    public async Task A_lookup_finds_the_id_the_customer_got_in_the_erp()
    {
        var mapping = Write(""" "Kunde": { "lookup": { "entity": "Customer", "id": "Customer.Id" }, "default": "NEU" } """);
        var links = new Links(new() { [("shop", "Customer", "C-77", "erp")] = "D10042" });
        var context = new MappingContext { Links = links, SourceSystem = "shop", TargetSystem = "erp" };

        var known = await mapping.ToRowAsync(Order, context, default);
        var unknown = await mapping.ToRowAsync(Order with { Customer = Order.Customer! with { Id = "C-99" } }, context, default);

        Assert.Equal("D10042", known["Kunde"]);
        Assert.Equal("NEU", unknown["Kunde"]);
        Assert.Throws<InvalidOperationException>(() => mapping.ToRow(Order));
    }

    [Fact]
    public void A_read_mapping_builds_typed_records_from_text_with_culture_format_and_time_zone()
    {
        var path = _folder["articles.json"];
        File.WriteAllText(path, """
            {
              "record": "Product",
              "direction": "read",
              "culture": "de-DE",
              "timeZone": "Europe/Vienna",
              "fields": {
                "Id": "Artikelnummer",
                "Sku": { "path": "Artikelnummer", "trim": true },
                "Name": "Bezeichnung",
                "Prices.Base": "Preis",
                "Weight": { "path": "Gewicht", "culture": "en-US" },
                "Active": "Aktiv",
                "UpdatedAt": { "path": "Geaendert", "format": "dd.MM.yyyy HH:mm" },
                "Attributes.Warengruppe": "WG"
              }
            }
            """);
        var mapping = MappingLoader.Load(path);
        var row = new DictionaryRow(new Dictionary<string, object?>
        {
            ["Artikelnummer"] = " 4711 ", ["Bezeichnung"] = "Brillenfassung Ösel", ["Preis"] = "1.234,50", ["Gewicht"] = "0.25",
            ["Aktiv"] = "ja", ["Geaendert"] = "23.11.2026 08:30", ["WG"] = "FASS",
        });

        var product = (Product)mapping.FromRow(row);

        Assert.Equal(("4711", "4711", "Brillenfassung Ösel"), (product.Id, product.Sku, product.Name));
        Assert.Equal(1234.50m, product.Prices.Base);
        Assert.Equal(0.25m, product.Weight);
        Assert.True(product.Active);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 8, 30, 0, TimeSpan.FromHours(1)), product.UpdatedAt);
        Assert.Equal("FASS", product.Attributes["Warengruppe"]);

        var bad = new DictionaryRow(new Dictionary<string, object?> { ["Artikelnummer"] = "4712", ["Preis"] = "12,5O" });
        var error = Assert.Throws<RecordException>(() => mapping.FromRow(bad));
        Assert.Equal(("Prices.Base", "12,5O"), (error.Field, error.Value));
        Assert.Contains("field 'Prices.Base': '12,5O' expected a number (de-DE format)", error.Message);
    }

    [Fact]
    public void Typed_database_columns_give_the_same_record_as_values_read_one_by_one()
    {
        var mapping = Load("typed.json", """
            {
              "record": "Product", "direction": "read", "culture": "de-DE", "timeZone": "Europe/Budapest",
              "fields": {
                "Id": "sku", "Sku": "sku", "Name": "name", "Ean": "ean", "Prices.Base": "price", "Prices.BaseGross": "gross",
                "Weight": "weight", "Active": "active", "UpdatedAt": "changed", "Attributes.stock": "stock", "Attributes.note": "note",
                "TaxRate": "tax", "Manufacturer": "maker", "Attributes.factor": "factor", "Attributes.flag": "flag",
                "Attributes.NOTE": "again"
              }
            }
            """);
        var rows = new[]
        {
            // Text is trimmed, an integer becomes German text, a timestamp without zone is Budapest's wall clock.
            // An attribute mapped twice, in another case, is one key holding the later field's value.
            new object?[] { " A1 ", " Fassung ", null, 12.5m, 15.88m, 1250.75m, false, new DateTime(2026, 7, 1, 10, 0, 0), 1234, " x ", 27L, 5, 1.5m, true, " y " },
            // NULLs: a bool that cannot be null keeps the model's default (true), the rest stay empty; a UTC timestamp keeps its instant.
            new object?[] { "A2", "", "599", null, null, null, null, new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), null, null, null, null, null, null, null },
        };
        string[] columns = ["sku", "name", "ean", "price", "gross", "weight", "active", "changed", "stock", "note", "tax", "maker", "factor", "flag", "again"];
        Type[] types = [typeof(string), typeof(string), typeof(string), typeof(decimal), typeof(decimal), typeof(double), typeof(bool), typeof(DateTime), typeof(int), typeof(string), typeof(long), typeof(int), typeof(decimal), typeof(bool), typeof(string)];

        foreach (var values in rows)
        {
            var typed = (Product)mapping.FromRow(new PositionalRow(columns, types, values, typedColumns: true));
            var untyped = (Product)mapping.FromRow(new PositionalRow(columns, types, values, typedColumns: false));
            Assert.Equal(CanonicalJson.Serialize(untyped), CanonicalJson.Serialize(typed));
        }
        var first = (Product)mapping.FromRow(new PositionalRow(columns, types, rows[0], typedColumns: true));
        Assert.Equal(("A1", "Fassung", 12.5m, 1250.75m, false), (first.Sku, first.Name, first.Prices.Base, first.Weight, first.Active));
        Assert.Equal(new DateTimeOffset(2026, 7, 1, 10, 0, 0, TimeSpan.FromHours(2)), first.UpdatedAt);
        Assert.Equal(("1234", "y", "1,5", "True", 27m), (first.Attributes["stock"], first.Attributes["NOTE"], first.Attributes["factor"], first.Attributes["flag"], first.TaxRate));
        Assert.Equal(["stock", "note", "factor", "flag"], first.Attributes.Keys);
        Assert.Equal("5", first.Manufacturer);
        var second = (Product)mapping.FromRow(new PositionalRow(columns, types, rows[1], typedColumns: true));
        Assert.Equal(("", null, true, (decimal?)null), (second.Name, second.Prices.Base, second.Active, second.Weight));
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), second.UpdatedAt);
        Assert.Null(second.Attributes["stock"]);

        // A value that does not convert is named as on the general path, and so is a row without an id.
        var bad = (object?[])rows[0].Clone();
        bad[5] = double.NaN;
        var error = Assert.Throws<RecordException>(() => mapping.FromRow(new PositionalRow(columns, types, bad, typedColumns: true)));
        Assert.Equal(("Weight", "NaN"), (error.Field, error.Value));
        bad = (object?[])rows[0].Clone();
        bad[0] = "  ";
        Assert.Contains("the record has no id", Assert.Throws<RecordException>(() => mapping.FromRow(new PositionalRow(columns, types, bad, typedColumns: true))).Message);
    }

    [Fact]
    public void A_write_mapping_reads_each_records_attributes_whichever_read_mapping_made_them()
    {
        string[] columns = ["sku", "stock", "note"];
        Type[] types = [typeof(string), typeof(int), typeof(string)];
        var stockFirst = Load("stock-first.json", """
            { "record": "Product", "direction": "read", "fields": { "Id": "sku", "Sku": "sku", "Attributes.stock": "stock", "Attributes.note": "note" } }
            """);
        var noteFirst = Load("note-first.json", """
            { "record": "Product", "direction": "read", "fields": { "Id": "sku", "Sku": "sku", "Attributes.note": "note", "Attributes.Stock": "stock" } }
            """);
        var noteOnly = Load("note-only.json", """
            { "record": "Product", "direction": "read", "fields": { "Id": "sku", "Sku": "sku", "Attributes.note": "note" } }
            """);
        var export = Load("export.json", """
            { "record": "Product", "direction": "write", "fields": { "sku": "Sku", "stock": "Attributes.STOCK", "note": "Attributes.note" } }
            """);

        // Records of the three in turn, as flows reading through each share one export mapping.
        var read = new[] { stockFirst, noteFirst, noteOnly, stockFirst, noteOnly, noteFirst }.Select((mapping, i) =>
            mapping.FromRow(new PositionalRow(columns, types, [$"A{i}", i * 10, $"n{i}"], typedColumns: true)));
        var rows = read.Select(record => export.ToRow(record)).Select(row => $"{row["sku"]} {row["stock"] ?? "-"} {row["note"]}");

        Assert.Equal(["A0 0 n0", "A1 10 n1", "A2 - n2", "A3 30 n3", "A4 - n4", "A5 50 n5"], rows);
    }

    [Fact]
    public void Text_columns_give_the_same_record_as_values_read_by_name()
    {
        var mapping = Load("text.json", """
            {
              "record": "StockMovement", "direction": "read", "culture": "de-DE", "timeZone": "Europe/Budapest",
              "fields": {
                "Id": { "template": "{beleg}/{pos}" }, "Reference": "beleg", "Sku": "artikel", "Warehouse": { "path": "lager", "default": "HAUPT" },
                "Kind": "art", "Quantity": "menge", "OccurredAt": "datum",
                "Attributes.pos": "pos", "Attributes.source": { "const": "kasse" }, "Attributes.price": "preis"
              }
            }
            """);
        string[] columns = ["beleg", "pos", "artikel", "lager", "art", "menge", "datum", "preis"];
        var rows = new[]
        {
            // Text is trimmed, a German number and a wall-clock time of Budapest are parsed, an empty warehouse takes its default.
            new[] { "B1", "1", " A1 ", "", "sale", " 1.234,5 ", "2026-07-01 10:00", " 9,90 " },
            // Blank text is no value: the quantity keeps the model's default; a time with its offset keeps it.
            new[] { "B1", "2", "A2", "NORD", "Receipt", "  ", "2026-01-01T00:00:00Z", "" },
        };
        var lines = new TextRows(columns);
        foreach (var values in rows)
        {
            var laned = (StockMovement)mapping.FromRow(lines.Row(values));
            var general = (StockMovement)mapping.FromRow(new DictionaryRow(columns.Zip(values).ToDictionary(c => c.First, c => (object?)c.Second)));
            Assert.Equal(CanonicalJson.Serialize(general), CanonicalJson.Serialize(laned));
        }
        Assert.True(lines.TypedReads > 0, "the text columns were read through the compiled lane");
        var first = (StockMovement)mapping.FromRow(lines.Row(rows[0]));
        Assert.Equal(("B1/1", "B1", "A1", "HAUPT", StockMovementKind.Sale, 1234.5m), (first.Id, first.Reference, first.Sku, first.Warehouse, first.Kind, first.Quantity));
        Assert.Equal(new DateTimeOffset(2026, 7, 1, 10, 0, 0, TimeSpan.FromHours(2)), first.OccurredAt);
        Assert.Equal(["pos", "source", "price"], first.Attributes.Keys);
        Assert.Equal(("1", "kasse", "9,90"), (first.Attributes["pos"], first.Attributes["source"], first.Attributes["price"]));
        var second = (StockMovement)mapping.FromRow(lines.Row(rows[1]));
        Assert.Equal((StockMovementKind.Receipt, 0m, "NORD"), (second.Kind, second.Quantity, second.Warehouse));
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), second.OccurredAt);

        // A value that does not convert fails as on the general path, naming field and value: an English decimal point in a
        // German file is no number ten times too large, and a kind the model does not know is refused.
        foreach (var (column, text) in new[] { (5, "2.5"), (5, "zwei"), (4, "theft"), (6, "31.02.2026") })
        {
            var values = (string[])rows[0].Clone();
            values[column] = text;
            var expected = Assert.Throws<RecordException>(() => mapping.FromRow(new DictionaryRow(columns.Zip(values).ToDictionary(c => c.First, c => (object?)c.Second))));
            var actual = Assert.Throws<RecordException>(() => mapping.FromRow(lines.Row(values)));
            Assert.Equal((expected.Message, expected.Field, expected.Value), (actual.Message, actual.Field, actual.Value));
            Assert.Contains($"'{text}'", actual.Message);
        }

        // Blank text leaves a field that may be empty empty, and one that may not (Active) at the model's default.
        var products = Load("products.json", """
            { "record": "Product", "direction": "read", "culture": "de-DE",
              "fields": { "Id": "nr", "Sku": "nr", "Weight": "gewicht", "Active": "aktiv", "UpdatedAt": "datum" } }
            """);
        var articles = new TextRows(["nr", "gewicht", "aktiv", "datum"]);
        var blank = (Product)products.FromRow(articles.Row(["P1", " ", "", "  "]));
        Assert.Equal(((decimal?)null, true, (DateTimeOffset?)null), (blank.Weight, blank.Active, blank.UpdatedAt));
        var full = (Product)products.FromRow(articles.Row(["P2", "0,25", "nein", "2026-03-01T08:00:00+01:00"]));
        Assert.Equal((0.25m, false, new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.FromHours(1))), (full.Weight, full.Active, full.UpdatedAt!.Value));
        Assert.True(articles.TypedReads > 0, "the text columns were read through the compiled lane");
    }

    [Theory]
    [InlineData("de-DE")]
    [InlineData("en-US")]
    [InlineData("hu-HU")]
    [InlineData("th-TH")]
    [InlineData("")]
    public void Instants_in_text_are_read_as_the_general_date_parser_reads_them(string cultureName)
    {
        var culture = CultureInfo.GetCultureInfo(cultureName);
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Budapest");
        string[] texts =
        [
            "2026-01-01T00:00:00Z", "2026-07-01T10:00:00+02:00", "2026-07-01T10:00:00-05:30", "2026-12-31T23:59:59+14:00", " 2026-03-29T02:30:00Z ",
            "2026-07-01T10:00:00", "2026-07-01 10:00:00Z", "2026-02-29T10:00:00Z", "2026-02-30T10:00:00Z", "2026-07-01T24:00:00Z",
            "2026-07-01T10:00:00+15:00", "2026-07-01T10:00:00+02:60", "0001-01-01T00:00:00+01:00", "2026-07-01T10:00:00z", "2026-7-01T10:00:00+02:00",
        ];
        // The value read, or the message of the error.
        static object? Outcome(Func<object?> read)
        {
            try
            {
                return read();
            }
            catch (FormatException ex)
            {
                return ex.Message;
            }
        }
        foreach (var text in texts)
        {
            var expected = Outcome(() => ValueConverter.Convert(text, typeof(DateTimeOffset), culture, null, zone));
            var actual = Outcome(() => ValueConverter.ParseText<DateTimeOffset>(text, culture, null, zone));
            // The same instant and the same offset, or the same error.
            Assert.True(Equals(expected, actual) && (expected is not DateTimeOffset e || e.Offset == ((DateTimeOffset)actual!).Offset),
                $"'{text}' in '{cultureName}': expected {expected}, got {actual}");
        }
    }

    /// <summary>The lines of a text file with one set of columns: every value is text.</summary>
    private sealed class TextRows(string[] columns)
    {
        public string[] Names { get; } = columns;

        public int TypedReads { get; set; }

        public IPositionalRow Row(string[] values) => new Line(this, values);

        private sealed class Line(TextRows rows, string[] values) : IPositionalRow
        {
            public object Columns => rows;
            public int PositionOf(string field) => Array.FindIndex(rows.Names, c => string.Equals(c, field, StringComparison.OrdinalIgnoreCase));
            public object? ValueAt(int position) => values[position];
            public Type? FixedTypeAt(int position) => typeof(string);
            public bool IsNullAt(int position) => false;

            public T TypedValueAt<T>(int position)
            {
                rows.TypedReads++;
                return (T)(object)values[position];
            }

            public bool TryGet(string field, out object? value) => (value = PositionOf(field) is >= 0 and var i ? values[i] : null) is not null;
            public IReadOnlyList<ISourceRow> Children(string name) => [];
        }
    }

    /// <summary>A database reader's current row: typed columns (PostgreSQL) or values of their own type (SQLite).</summary>
    private sealed class PositionalRow(string[] columns, Type[] types, object?[] values, bool typedColumns) : IPositionalRow
    {
        public object Columns { get; } = new();
        public int PositionOf(string field) => Array.FindIndex(columns, c => string.Equals(c, field, StringComparison.OrdinalIgnoreCase));
        public object? ValueAt(int position) => values[position];
        public Type? FixedTypeAt(int position) => typedColumns ? types[position] : null;
        public bool IsNullAt(int position) => values[position] is null;
        public T TypedValueAt<T>(int position) => (T)values[position]!;
        public bool TryGet(string field, out object? value) => (value = PositionOf(field) is >= 0 and var i ? values[i] : null) is not null || PositionOf(field) >= 0;
        public IReadOnlyList<ISourceRow> Children(string name) => [];
    }

    [Fact]
    public void A_read_mapping_fills_child_collections_from_nested_rows()
    {
        var path = _folder["note.json"];
        File.WriteAllText(path, """
            {
              "record": "DeliveryNote", "direction": "read",
              "fields": { "Id": "Nummer", "Number": "Nummer", "Supplier": { "const": "LOOK4" }, "DeliveredAt": "Datum" },
              "children": { "Lines": { "path": "Pos", "fields": { "LineNumber": "$index", "Sku": "Ean", "Quantity": "Menge" } } }
            }
            """);
        var row = new DictionaryRow(new Dictionary<string, object?> { ["Nummer"] = "LS-1", ["Datum"] = "2026-11-23T06:00:00Z" },
            new Dictionary<string, IReadOnlyList<ISourceRow>>
            {
                ["Pos"] = [new DictionaryRow(new Dictionary<string, object?> { ["Ean"] = "400", ["Menge"] = "2" }),
                           new DictionaryRow(new Dictionary<string, object?> { ["Ean"] = "401", ["Menge"] = "1" })],
            });

        var note = (DeliveryNote)MappingLoader.Load(path).FromRow(row);

        Assert.Equal(("LS-1", "LOOK4", new DateTimeOffset(2026, 11, 23, 6, 0, 0, TimeSpan.Zero)), (note.Number, note.Supplier, note.DeliveredAt));
        Assert.Equal([(1, "400", 2m), (2, "401", 1m)], note.Lines.Select(l => (l.LineNumber, l.Sku, l.Quantity)));
    }

    [Fact]
    public void Every_mistake_in_a_mapping_is_reported_with_file_line_and_field()
    {
        var path = _folder["broken.json"];
        File.WriteAllText(path, """
            {
              "record": "Order",
              "fields": {
                "Belegnummer": "OrderNumbr",
                "Zahlungsart": { "path": "Payment.Code", "map": "zahlarten" },
                "Datum": { "path": "OrderedAt", "fromat": "yyyyMMdd" }
              },
              "children": { "pos": { "path": "Positions", "fields": { "A": "Sku" } } }
            }
            """);

        var (mapping, errors) = MappingLoader.Check(path);

        Assert.Null(mapping);
        Assert.Equal(4, errors.Count);
        Assert.All(errors, e => Assert.Equal(path, e.File));
        Assert.Equal((4, "fields.Belegnummer"), (errors[0].Line, errors[0].Key));
        Assert.Contains("'OrderNumbr' is not a field of Order", errors[0].Message);
        Assert.Equal((5, "fields.Zahlungsart.map"), (errors[1].Line, errors[1].Key));
        Assert.Contains("no value map 'zahlarten'", errors[1].Message);
        Assert.Equal((6, "fields.Datum.fromat"), (errors[2].Line, errors[2].Key));
        Assert.Equal((8, "children.pos.path"), (errors[3].Line, errors[3].Key));
        Assert.Contains("Order has no collection 'Positions'; its collections are: Lines, Services, Coupons", errors[3].Message);
        Assert.StartsWith($"{path}:4: fields.Belegnummer:", errors[0].ToString());
    }

    [Fact]
    public void A_read_mapping_must_fill_what_the_record_requires()
    {
        var path = _folder["product.json"];
        File.WriteAllText(path, """{ "record": "Product", "direction": "read", "fields": { "Name": "Bez" } }""");

        var (_, errors) = MappingLoader.Check(path);

        Assert.Equal(["fields.Id", "fields.Sku"], errors.Select(e => e.Key).Order());
    }

    private sealed class Links(Dictionary<(string, string, string, string), string> links) : ILinkLookup
    {
        public Task<string?> FindTargetIdAsync(string system, string entity, string externalId, string targetSystem, CancellationToken cancellationToken) =>
            Task.FromResult(links.GetValueOrDefault((system, entity, externalId, targetSystem)));
    }

    public void Dispose() => _folder.Dispose();
}
