using System.Text;
using System.Text.Json.Nodes;
using SyncEngine.Testing;
using SyncEngine.Testing.ShopRenter;

namespace SyncEngine.ReliabilityTests;

/// <summary>The second path: an ERP's csv export of orders (K lines, P lines under them) into database tables.</summary>
public sealed partial class HostileInputTests
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS imp_orders (
            order_id      VARCHAR(20) NOT NULL PRIMARY KEY,
            order_number  VARCHAR(30) NOT NULL,
            ordered_at    TIMESTAMP NOT NULL,
            customer_name VARCHAR(80) NOT NULL,
            email         VARCHAR(120),
            city          VARCHAR(40),
            total_gross   DECIMAL(12, 2) NOT NULL,
            comment       TEXT
        );
        CREATE TABLE IF NOT EXISTS imp_order_lines (
            order_id    VARCHAR(20) NOT NULL REFERENCES imp_orders (order_id),
            line_no     INTEGER NOT NULL,
            article     VARCHAR(31) NOT NULL,
            description VARCHAR(60),
            quantity    DECIMAL(12, 3) NOT NULL,
            unit_price  DECIMAL(12, 2) NOT NULL,
            vat_key     VARCHAR(2) NOT NULL,
            PRIMARY KEY (order_id, line_no)
        );
        """;

    /// <summary>The export as a German ERP writes it: decimal comma, ISO time stamps, wall-clock time in Budapest unless stated.</summary>
    private const string ReadMapping = """
        {
          "record": "Order",
          "direction": "read",
          "culture": "de-DE",
          "timeZone": "Europe/Budapest",
          "fields": {
            "Id": "Id",
            "OrderNumber": { "path": "Belegnummer", "required": true },
            "OrderedAt": { "path": "Datum", "format": "yyyy-MM-dd'T'HH:mm:ssK", "required": true },
            "Customer.Id": "Id",
            "Customer.LastName": "Kunde",
            "Customer.Email": "EMail",
            "ShippingAddress.City": "Ort",
            "Totals.Gross": "Betrag",
            "CustomerComment": "Notiz"
          },
          "children": {
            "Lines": {
              "path": "positionen",
              "fields": { "LineNumber": "Pos", "Sku": { "path": "Artikel", "required": true }, "Name": "Bezeichnung", "Quantity": "Menge", "UnitPriceNet": "Preis", "TaxRate": "Steuer" }
            }
          },
          "file": { "recordTypes": { "header": "K", "positionen": "P" } }
        }
        """;

    private const string WriteMapping = """
        {
          "record": "Order",
          "direction": "write",
          "timeZone": "Europe/Budapest",
          "valueMaps": { "vat": { "27": "A", "18": "B", "5": "C", "0": "D" } },
          "fields": {
            "order_id": "Id",
            "order_number": "OrderNumber",
            "ordered_at": { "path": "OrderedAt", "format": "yyyy-MM-dd HH:mm:ss" },
            "customer_name": { "path": "Customer.LastName", "required": true },
            "email": "Customer.Email",
            "city": "ShippingAddress.City",
            "total_gross": "Totals.Gross",
            "comment": "CustomerComment"
          },
          "children": {
            "lines": {
              "path": "Lines",
              "fields": { "line_no": "$index", "article": "Sku", "description": "Name", "quantity": "Quantity", "unit_price": "UnitPriceNet", "vat_key": { "path": "TaxRate", "map": "vat" } }
            }
          },
          "database": {
            "table": "imp_orders",
            "key": [ "order_id" ],
            "children": { "lines": { "table": "imp_order_lines", "parentKey": { "order_id": "order_id" } } }
          }
        }
        """;

    /// <summary>A csv file built line by line, raw bytes where a case needs them; knows the line and record it is at.</summary>
    private sealed class CsvFile
    {
        private readonly List<byte> _bytes = [];

        /// <summary>The line the next text starts on.</summary>
        public int Line { get; private set; } = 1;

        public int Records { get; private set; }

        public byte[] Bytes => [.. _bytes];

        public void Raw(byte[] bytes)
        {
            _bytes.AddRange(bytes);
            Line += bytes.Count(b => b == (byte)'\n');
        }

        public void Text(string text) => Raw(Encoding.UTF8.GetBytes(text));

        /// <summary>A record: its K line and P lines; returns its number in the file (the key's suffix) and its first line.</summary>
        public (string Record, int Line) Add(params string[] lines) =>
            AddRaw(Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\r\n"))));

        /// <summary>A record given as bytes, for text that is no UTF-8.</summary>
        public (string Record, int Line) AddRaw(byte[] bytes)
        {
            var line = Line;
            Records++;
            Raw(bytes);
            return (Records.ToString(System.Globalization.CultureInfo.InvariantCulture), line);
        }
    }

    /// <summary>One csv line; fields holding the delimiter, a quote or a line break are quoted, quotes doubled.</summary>
    private static string Csv(params string[] fields) => string.Join(';', fields.Select(f =>
        f.IndexOfAny([';', '"', '\r', '\n']) >= 0 ? "\"" + f.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : f));

    private static string K(string id, string kunde = "Kovács Éva", string datum = "2026-11-20T09:15:00", string betrag = "10,00", string notiz = "",
        string? number = null, string email = "eva@example.hu", string ort = "Szeged") =>
        Csv("K", id, number ?? "B-" + id, datum, kunde, email, ort, betrag, notiz);

    private static string P(string pos = "1", string artikel = "KE-100", string bezeichnung = "Táska", string menge = "1", string preis = "10,00", string steuer = "27") =>
        Csv("P", pos, artikel, bezeichnung, menge, preis, steuer);

    private static string Q(string value) => value.Replace("'", "''", StringComparison.Ordinal);

    private static string Header(string id) =>
        $"SELECT order_number, ordered_at, customer_name, email, city, total_gross, comment FROM imp_orders WHERE order_id = '{Q(id)}'";

    private static string Lines(string id) =>
        $"SELECT line_no, article, description, quantity, unit_price, vat_key FROM imp_order_lines WHERE order_id = '{Q(id)}' ORDER BY line_no";

    private static string Exists(string id) => $"SELECT order_id FROM imp_orders WHERE order_id = '{Q(id)}'";

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task Hostile_csv_lines_are_stored_verbatim_or_dead_lettered_naming_file_line_field_and_value_and_the_rest_of_the_file_is_written(string provider)
    {
        using var folder = new TempDirectory();
        await using var database = await TestDatabase.CreateAsync(provider, folder);
        var corpus = new Corpus(output, $"csv order export -> database tables ({provider})");
        var csv = new CsvFile();
        csv.Text("K;Id;Belegnummer;Datum;Kunde;EMail;Ort;Betrag;Notiz\r\nP;Pos;Artikel;Bezeichnung;Menge;Preis;Steuer\r\n");
        const string Good = "1|KE-100|Táska|1|10|A";
        string Row(string id, string kunde = "Kovács Éva", string at = "2026-11-20 09:15:00", string total = "10", string comment = "", string email = "eva@example.hu", string city = "Szeged") =>
            $"B-{id}|{at}|{kunde}|{email}|{city}|{total}|{comment}";
        void Stored(string name, string input, string id, string what, string[] lines, string header, params string[] rows)
        {
            var (record, _) = csv.Add(lines);
            corpus.Add(name, input, $"{record}|{id}", new Expected.Stored(what, [Header(id), Lines(id)], [header, .. rows]));
        }
        void Dead(string name, string input, string id, Func<int, string> error, params string[] lines)
        {
            var (record, line) = csv.Add(lines);
            corpus.Add(name, input, $"{record}|{id}", new Expected.DeadLettered(error(line), Exists(id)));
        }

        Stored("a good order first", "K and P lines", "2001", "header and line", [K("2001"), P()], Row("2001"), Good);

        // Encodings and broken text.
        var (invalid, invalidLine) = csv.AddRaw([.. "K;2002;B-2002;2026-11-20T09:15:00;Kov"u8, 0xC3, 0x28, .. Encoding.UTF8.GetBytes($"cs;eva@example.hu;Szeged;10,00;\r\n{P()}\r\n")]);
        corpus.Add("invalid UTF-8 in a name", "K.Kunde, bytes C3 28", $"{invalid}|2002", new Expected.DeadLettered(
            $"orders.csv, line {invalidLine}: column 'Kunde': 'Kov\uFFFD(cs' holds bytes that are not valid utf-8", Exists("2002")));
        var (latin2, latin2Line) = csv.AddRaw([.. "K;2003;B-2003;2026-11-20T09:15:00;"u8, .. Latin2("Őszi Ödön"), .. Encoding.UTF8.GetBytes($";eva@example.hu;Szeged;10,00;\r\n{P()}\r\n")]);
        corpus.Add("ISO-8859-2 text in a UTF-8 file", "K.Kunde, Latin-2 bytes D5 73 7A 69 20 D6 64 F6 6E", $"{latin2}|2003", new Expected.DeadLettered(
            $"orders.csv, line {latin2Line}: column 'Kunde': '\uFFFDszi \uFFFDd\uFFFDn' holds bytes that are not valid utf-8", Exists("2003")));
        const string Controls = "első sor\r\nmásodik\tsor\u0001\u001B[0m\u202Evége";
        Stored("control characters and a line break inside quotes", "K.Notiz", "2004", "verbatim", [K("2004", notiz: Controls), P()], Row("2004", comment: Controls), Good);
        Dead("NUL character", "K.Notiz", "2005", _ =>
            "table 'imp_orders', column 'comment': 'vége\\0utána' holds the NUL character (U+0000) at position 5, which PostgreSQL cannot store and many programs take for the end of the text; " +
            "remove it at the source or map the field with \"clean\": true", K("2005", notiz: "vége\0utána"), P());
        Dead("NUL in a line that is unreadable anyway (one column too many)", "K line, 9 columns", "2006", line => $"orders.csv, line {line}: 9 columns, but the header names 8",
            K("2006", notiz: "a\0b") + ";extra", P());

        // Length. Values read from a file are trimmed, so these end in a letter.
        var tenThousand = TenThousand[..9999] + "!";
        var longComment = new string('x', 100_000);
        Stored("100,000-character comment (a very long line)", "K.Notiz", "2007", "whole, in a TEXT column", [K("2007", notiz: longComment), P()], Row("2007", comment: longComment), Good);
        Dead("10,000-character name", "K.Kunde", "2008", _ => $"table 'imp_orders', column 'customer_name': '{tenThousand[..57]}...' has 10000 characters, but the column holds 80",
            K("2008", kunde: tenThousand), P());
        Dead("10,000-character line description", "P.Bezeichnung", "2009", _ => $"Lines[1]: table 'imp_order_lines', column 'description': '{tenThousand[..57]}...' has 10000 characters, but the column holds 60",
            K("2009"), P(bezeichnung: tenThousand));

        // Dates and time zones.
        Dead("date in the wrong format", "K.Datum", "2010", line => $"orders.csv, line {line}: field 'OrderedAt': '20.11.2026 09:15' expected a date in the format 'yyyy-MM-dd'T'HH:mm:ssK', read from 'Datum'",
            K("2010", datum: "20.11.2026 09:15"), P());
        Dead("date that does not exist", "K.Datum", "2011", line => $"orders.csv, line {line}: field 'OrderedAt': '2026-02-30T10:00:00' expected a date in the format 'yyyy-MM-dd'T'HH:mm:ssK', read from 'Datum'",
            K("2011", datum: "2026-02-30T10:00:00"), P());
        Dead("no date", "K.Datum", "2012", line => $"orders.csv, line {line}: field 'fields.OrderedAt': a value is required but 'Datum' is empty", K("2012", datum: ""), P());
        Stored("time stamp in UTC, past midnight in Budapest", "K.Datum", "2013", "as Budapest wall clock, the next day", [K("2013", datum: "2026-11-20T23:30:00Z"), P()],
            Row("2013", at: "2026-11-21 00:30:00"), Good);
        Stored("time stamp in Tokyo time", "K.Datum", "2014", "as Budapest wall clock", [K("2014", datum: "2026-11-20T08:00:00+09:00"), P()],
            Row("2014", at: "2026-11-20 00:00:00"), Good);
        Stored("wall-clock time in the spring-forward gap", "K.Datum", "2015", "an hour later, as the clock shows after the change", [K("2015", datum: "2026-03-29T02:30:00"), P()],
            Row("2015", at: "2026-03-29 03:30:00"), Good);

        // Numbers.
        Stored("German number with thousands", "K.Betrag", "2016", "1234.5", [K("2016", betrag: "1.234,50"), P()], Row("2016", total: "1234.5"), Good);
        Dead("English decimal point in a German file", "P.Menge", "2017", line => $"orders.csv, line {line + 1}: field 'Quantity': '2.5' expected a number (de-DE format), read from 'Menge'",
            K("2017"), P(menge: "2.5"));
        Dead("English thousands in a German file", "K.Betrag", "2018", line => $"orders.csv, line {line}: field 'Totals.Gross': '1,234.50' expected a number (de-DE format), read from 'Betrag'",
            K("2018", betrag: "1,234.50"), P());
        Dead("negative quantity", "P.Menge", "2019", _ => "field 'Lines[1].Quantity': '-2' is negative (SKU KE-100, 'Táska'); an order line cannot take goods back, a return is a credit note",
            K("2019"), P(menge: "-2"));
        Dead("absurd quantity (10^12)", "P.Menge", "2020", _ => "Lines[1]: table 'imp_order_lines', column 'quantity': '1000000000000' has 13 digits before the decimal point, but the column holds 9 (precision 12, scale 3)",
            K("2020"), P(menge: "1000000000000"));

        // Quoting.
        Stored("delimiter and quotes inside a quoted field, a stray quote in a plain one", "P.Bezeichnung", "2021", "the text between the quotes, quotes undoubled",
            [K("2021"), P(bezeichnung: "Kette; \"Gold\" 12\""), "P;2;SD-64;12\" Monitor;1;5,00;27"], Row("2021"), "1|KE-100|Kette; \"Gold\" 12\"|1|10|A", "2|SD-64|12\" Monitor|1|5|A");
        Dead("text after a closing quote", "P.Bezeichnung", "2022", line => $"orders.csv, line {line + 1}: text follows the closing quote of a field", K("2022"), "P;1;KE-100;\"Tuch\" rot;1;10,00;27");
        Dead("a line of an unknown record type", "X line after a K line", "2023", line => $"orders.csv, line {line + 1}: record type 'X' is none of K, P", K("2023"), "X;1;2;3");

        // Missing and unknown values.
        Dead("no order number", "K.Belegnummer", "2024", line => $"orders.csv, line {line}: field 'fields.OrderNumber': a value is required but 'Belegnummer' is empty", K("2024", number: ""), P());
        Dead("no SKU on a line", "P.Artikel", "2025", line => $"orders.csv, line {line + 1}: field 'children.Lines.fields.Sku': a value is required but 'Artikel' is empty", K("2025"), P(artikel: ""));
        Dead("a column short", "K line, 7 columns", "2026", line => $"orders.csv, line {line}: 7 columns, but the header names 8", "K;2026;B-2026;2026-11-20T09:15:00;Kovács Éva;eva@example.hu;Szeged;10,00", P());
        Dead("unknown VAT key", "P.Steuer", "2027", _ => "Lines[1]: field 'children.lines.fields.vat_key': value '19' is not in value map 'vat' (known: 27, 18, 5, 0)", K("2027"), P(steuer: "19"));
        var (noId, noIdLine) = csv.Add(K(""), P());
        corpus.Add("no order id", "K.Id", $"{noId}|", new Expected.DeadLettered($"orders.csv, line {noIdLine}: field 'Id': the record has no id"));

        // Duplicate key: the later record is the order as it is now.
        csv.Add(K("2028", kunde: "Első Erika"), P());
        Stored("duplicate order id in one file", "K.Id (two records)", "2028", "once, as the later record has it", [K("2028", kunde: "Második Márta"), P(), P("2", "SD-64", "SD kártya", "3", "5,00", "5")],
            Row("2028", kunde: "Második Márta"), Good, "2|SD-64|SD kártya|3|5|C");

        // Markup and SQL: data.
        Stored("HTML and script", "K.Kunde, K.Notiz, P.Bezeichnung", "2029", "verbatim, not escaped",
            [K("2029", kunde: "<script>alert('x')</script>", notiz: "<img src=x onerror=alert(1)>"), P(bezeichnung: "<b>Táska</b> &amp;")],
            Row("2029", kunde: "<script>alert('x')</script>", comment: "<img src=x onerror=alert(1)>"), "1|KE-100|<b>Táska</b> &amp;|1|10|A");
        const string Injected = "1' OR '1'='1";
        Stored("SQL injection in every text field", "K.Id, Belegnummer, Kunde, EMail, Ort, Notiz, P.Artikel, Bezeichnung", Injected, "verbatim, through parameters",
            [K(Injected, number: "B'; DROP TABLE imp_orders;--", kunde: "Robert'); DROP TABLE imp_orders;--", email: "x'--@example.hu", ort: "'; DELETE FROM imp_order_lines;--",
                notiz: "1; UPDATE imp_orders SET total_gross = 0;--"), P(artikel: "X'); DELETE FROM imp_orders;--", bezeichnung: "' OR 1=1; --")],
            "B'; DROP TABLE imp_orders;--|2026-11-20 09:15:00|Robert'); DROP TABLE imp_orders;--|x'--@example.hu|'; DELETE FROM imp_order_lines;--|10|1; UPDATE imp_orders SET total_gross = 0;--",
            "1|X'); DELETE FROM imp_orders;--|' OR 1=1; --|1|10|A");
        Stored("other scripts and an emoji", "K.Kunde", "2030", "verbatim", [K("2030", kunde: "Ковач 😀 コバチ"), P()], Row("2030", kunde: "Ковач 😀 コバチ"), Good);

        Stored("a good order last", "K and P lines", "2099", "header and line", [K("2099"), P()], Row("2099"), Good);

        // An ISO-8859-2 file declared as such, in a folder of its own.
        Directory.CreateDirectory(folder["inbox/latin2"]);
        await File.WriteAllBytesAsync(folder["inbox/latin2/orders.csv"], Latin2(
            "K;Id;Belegnummer;Datum;Kunde;EMail;Ort;Betrag;Notiz\r\nP;Pos;Artikel;Bezeichnung;Menge;Preis;Steuer\r\n" +
            K("3001", kunde: "Árvíztűrő Tükörfúrógép", ort: "Győr", notiz: "Őszi szállítás") + "\r\n" + P(bezeichnung: "Tűzőgép") + "\r\n"));
        await File.WriteAllBytesAsync(folder["inbox/orders.csv"], csv.Bytes);
        await InstallAsync(folder, database);

        var validate = await CliAsync(folder, "validate");
        var run = await CliAsync(folder, "sync", "csv-orders", "--json");
        var latin = await CliAsync(folder, "sync", "csv-orders-latin2", "--json");

        output.WriteLine(run.ToString());
        Assert.True(validate.ExitCode == 0, validate.ToString());
        Assert.True(run.ExitCode == 3 && run.Status == "completedWithErrors", run.ToString());
        await corpus.VerifyAsync(database, (await CliAsync(folder, "deadletters", "list", "--flow", "csv-orders", "--json")).Out,
            // Read errors are keyed by file and record number, write errors by the order's id.
            (letterKey, key) => key.Split('|') is [var record, var id]
                && (letterKey == id || letterKey.StartsWith("orders.csv@", StringComparison.Ordinal) && letterKey.EndsWith("#" + record, StringComparison.Ordinal)));
        var dead = corpus.Cases.Count(c => c.Expect is Expected.DeadLettered);
        Assert.Equal((csv.Records, csv.Records - 1 - dead, 1, dead), ((int)run.Read, (int)run.Written, (int)run.Skipped, (int)run.DeadLettered));
        Assert.True(latin.ExitCode == 0, latin.ToString());
        Assert.Equal(["B-3001|2026-11-20 09:15:00|Árvíztűrő Tükörfúrógép|eva@example.hu|Győr|10|Őszi szállítás"], await database.RowsAsync(Header("3001")));
        Assert.Equal(["1|KE-100|Tűzőgép|1|10|A"], await database.RowsAsync(Lines("3001")));
        output.WriteLine($"| {corpus.Cases.Count + 1} | ISO-8859-2 file, stream Encoding iso-8859-2 | K.Kunde, K.Ort, K.Notiz, P.Bezeichnung | stored: verbatim (Árvíztűrő Tükörfúrógép, Győr, Őszi szállítás, Tűzőgép) |");
        // The file was read to its end and archived; nothing of it is read twice.
        Assert.True(File.Exists(folder["inbox/archive/orders.csv"]));
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task Hostile_json_lines_are_stored_verbatim_or_dead_lettered_naming_file_record_and_field_and_the_rest_of_the_file_is_written(string provider)
    {
        using var folder = new TempDirectory();
        await using var database = await TestDatabase.CreateAsync(provider, folder);
        var corpus = new Corpus(output, $"canonical JSON lines -> database tables ({provider})");
        var file = new List<byte>();
        var records = 0;
        string Record(string id, string lastName = "Kovács", string comment = "", string quantity = "1") =>
            $$$"""{"id":"{{{id}}}","orderNumber":"B-{{{id}}}","orderedAt":"2026-11-20T09:15:00+01:00","customer":{"id":"{{{id}}}","lastName":"{{{lastName}}}"},"customerComment":"{{{comment}}}","lines":[{"sku":"KE-100","name":"Táska","quantity":{{{quantity}}},"unitPriceNet":10,"taxRate":27}],"totals":{"gross":10}}""";
        string Add(byte[] line)
        {
            file.AddRange([.. line, (byte)'\n']);
            return (++records).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        void Stored(string name, string input, string id, byte[] line, string comment = "", string lastName = "Kovács") =>
            corpus.Add(name, input, $"{Add(line)}|{id}", new Expected.Stored("verbatim", [Header(id)], [$"B-{id}|2026-11-20 09:15:00|{lastName}|null|null|10|{comment}"]));
        void Dead(string name, string input, string id, byte[] line, Func<string, string> error)
        {
            var record = Add(line);
            corpus.Add(name, input, $"{record}|{id}", new Expected.DeadLettered(error(record), Exists(id)));
        }

        Stored("a good order first", "one object per line", "4001", Encoding.UTF8.GetBytes(Record("4001")));
        var latin = Encoding.UTF8.GetBytes(Record("4002", lastName: "Kov@@cs"));
        var at = latin.AsSpan().IndexOf("@@"u8);
        latin[at] = 0xC3;
        latin[at + 1] = 0x28;
        Dead("invalid UTF-8 in a name", "customer.lastName, bytes C3 28", "4002", latin,
            record => $"orders.ndjson, record {record}: field 'customer.lastName': 'Kov\uFFFD(cs' holds bytes that are not valid utf-8 (line {record})");
        Dead("half a surrogate pair (escape \\uD83D alone)", "customerComment", "4003", Encoding.UTF8.GetBytes(Record("4003", comment: "Szia \\uD83D")),
            record => $"orders.ndjson, record {record}: field 'customerComment': The JSON value could not be converted to System.String. (line {record})");
        Dead("NUL character (escape \\u0000)", "customerComment", "4004", Encoding.UTF8.GetBytes(Record("4004", comment: "vége\\u0000utána")),
            _ => "table 'imp_orders', column 'comment': 'vége\\0utána' holds the NUL character (U+0000) at position 5, which PostgreSQL cannot store and many programs take for the end of the text; " +
                "remove it at the source or map the field with \"clean\": true");
        Dead("a line that is no JSON", "a line cut short", "4005", Encoding.UTF8.GetBytes(Record("4005")[..40]), record => $"orders.ndjson, record {record} (line {record}): not valid JSON: Unterminated string. Expected delimiter: \". Path 'orderNumber', line 1, position 40.");
        Dead("negative quantity", "lines[0].quantity", "4006", Encoding.UTF8.GetBytes(Record("4006", quantity: "-1")),
            _ => "field 'Lines[1].Quantity': '-1' is negative (SKU KE-100, 'Táska'); an order line cannot take goods back, a return is a credit note");
        Stored("HTML, SQL and an emoji", "customer.lastName, customerComment", "4007",
            Encoding.UTF8.GetBytes(Record("4007", lastName: "<b>Robert'); DROP TABLE imp_orders;--</b> \U0001F600", comment: "<script>alert(1)</script>")),
            comment: "<script>alert(1)</script>", lastName: "<b>Robert'); DROP TABLE imp_orders;--</b> \U0001F600");
        Stored("a good order last", "one object per line", "4099", Encoding.UTF8.GetBytes(Record("4099")));

        Directory.CreateDirectory(folder["inbox/json"]);
        await File.WriteAllBytesAsync(folder["inbox/json/orders.ndjson"], [.. file]);
        await InstallAsync(folder, database);

        var run = await CliAsync(folder, "sync", "json-orders", "--json");

        output.WriteLine(run.ToString());
        Assert.True(run.ExitCode == 3 && run.Status == "completedWithErrors", run.ToString());
        await corpus.VerifyAsync(database, (await CliAsync(folder, "deadletters", "list", "--flow", "json-orders", "--json")).Out,
            (letterKey, key) => key.Split('|') is [var record, var id]
                && (letterKey == id || letterKey.StartsWith("orders.ndjson@", StringComparison.Ordinal) && letterKey.EndsWith("#" + record, StringComparison.Ordinal)));
    }

    /// <summary>The customer's installation in the test's folder: the ERP's setup script, both mappings, the configuration.</summary>
    private static async Task InstallAsync(TempDirectory folder, TestDatabase database)
    {
        await File.WriteAllTextAsync(folder["schema.sql"], Schema);
        Directory.CreateDirectory(folder["mappings"]);
        await File.WriteAllTextAsync(folder["mappings/csv-orders.json"], ReadMapping);
        await File.WriteAllTextAsync(folder["mappings/db-orders.json"], WriteMapping);
        await File.WriteAllTextAsync(folder["syncengine.json"], Configuration(database).ToJsonString());
    }

    private static byte[] Latin2(string text)
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding("iso-8859-2").GetBytes(text);
    }

    private static JsonObject Configuration(TestDatabase database)
    {
        JsonObject Stream(string? folder, string encoding) => new()
        {
            ["RecordType"] = "Order", ["Format"] = "csv", ["Delimiter"] = ";", ["Encoding"] = encoding, ["Mapping"] = "mappings/csv-orders.json",
            ["MinimumAge"] = "00:00:00", ["Pattern"] = "*.csv", ["Folder"] = folder,
        };
        var engine = new JsonObject
        {
            ["DataDirectory"] = "data",
            ["Control"] = new JsonObject { ["Enabled"] = false },
            ["Connections"] = new JsonObject
            {
                ["erp-export"] = new JsonObject
                {
                    ["Type"] = "Files", ["Location"] = "inbox",
                    ["Streams"] = new JsonObject
                    {
                        ["orders"] = Stream(null, "utf-8"), ["orders-latin2"] = Stream("latin2", "iso-8859-2"),
                        ["orders-json"] = new JsonObject { ["RecordType"] = "Order", ["Format"] = "json", ["MinimumAge"] = "00:00:00", ["Pattern"] = "*.ndjson", ["Folder"] = "json" },
                    },
                },
                ["erp"] = new JsonObject
                {
                    ["Type"] = "Database", ["Provider"] = database.Provider, ["ConnectionString"] = database.ConfigConnectionString, ["Setup"] = "schema.sql",
                    ["Streams"] = new JsonObject { ["orders"] = new JsonObject { ["RecordType"] = "Order" } },
                },
            },
            ["Flows"] = new JsonObject
            {
                ["csv-orders"] = new JsonObject { ["From"] = "erp-export/orders", ["To"] = "erp/orders", ["Mapping"] = "mappings/db-orders.json" },
                ["csv-orders-latin2"] = new JsonObject { ["From"] = "erp-export/orders-latin2", ["To"] = "erp/orders", ["Mapping"] = "mappings/db-orders.json" },
                ["json-orders"] = new JsonObject { ["From"] = "erp-export/orders-json", ["To"] = "erp/orders", ["Mapping"] = "mappings/db-orders.json" },
            },
        };
        // A cluster keeps its state in PostgreSQL: the dead letters of this corpus must fit there too.
        if (database.IsPostgres) engine["State"] = new JsonObject { ["Provider"] = "PostgreSql", ["ConnectionString"] = database.ConnectionString };
        return new JsonObject { ["SyncEngine"] = engine };
    }

    private static async Task<SyncResult> CliAsync(TempDirectory folder, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await SyncEngine.Cli.CliApp.RunAsync([.. args, "--config", folder["syncengine.json"]], SyncEngine.Cli.Connectors.AddAll, output, error);
        return new SyncResult(exit, output.ToString(), error.ToString());
    }
}
