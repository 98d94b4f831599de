using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml;
using CsvHelper;
using Npgsql;
using NpgsqlTypes;

namespace SyncEngine.Benchmarks.E2e;

/// <summary>
/// The ERP's article table (prices, stock in three warehouses, a change time stamp), generated deterministically, and the
/// exports a developer would write by hand instead of the engine: a data reader straight into CsvHelper, XmlWriter or
/// Utf8JsonWriter, with the same query, columns and formats as the engine's mappings.
/// </summary>
public static class Catalogue
{
    public const string Columns = "sku, ean, name, unit, price, price_gross, stock_bp, stock_deb, stock_web, changed_at";

    /// <summary>The engine's query (mappings/catalogue/articles.json) from its first cursor value.</summary>
    private const string Query = $"SELECT {Columns} FROM articles WHERE changed_at >= '-infinity' ORDER BY changed_at, sku";

    private static readonly DateTime Epoch = new(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>When the delta scenario's changes happen: after every generated time stamp.</summary>
    private static readonly DateTime ChangedOn = new(2026, 3, 1, 8, 0, 0, DateTimeKind.Utc);

    private static readonly string[] Words =
    [
        "Árvíztűrő tükörfúrógép", "Kávéfőző Ékes", "Őszi bögre", "Teáskanna", "Gyapjú sál", "Fűszeres mézeskalács", "Ökotáska",
        "Üveg karaffa", "Szőlőmag olaj", "Pálinkás pohár", "Kézműves szappan", "Brillenfassung Titan",
    ];

    public static string Sku(int i) => "A" + i.ToString("D7", CultureInfo.InvariantCulture);

    /// <summary>Creates <c>articles</c> in <paramref name="schema"/> with <paramref name="rows"/> rows, by binary COPY.</summary>
    public static async Task CreateAsync(BenchDatabase database, string schema, int rows)
    {
        await database.ExecAsync($"""
            CREATE SCHEMA {schema};
            CREATE TABLE {schema}.articles (
              sku text PRIMARY KEY, ean text, name text NOT NULL, unit text NOT NULL,
              price numeric(12,2) NOT NULL, price_gross numeric(12,2) NOT NULL,
              stock_bp integer NOT NULL, stock_deb integer NOT NULL, stock_web integer NOT NULL,
              changed_at timestamptz NOT NULL)
            """);
        await using (var connection = await database.OpenAsync())
        await using (var import = await connection.BeginBinaryImportAsync($"COPY {schema}.articles ({Columns}) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < rows; i++)
            {
                var price = 1m + i * 7919L % 100_000 / 100m;
                await import.StartRowAsync();
                await import.WriteAsync(Sku(i), NpgsqlDbType.Text);
                if (i % 10 == 0) await import.WriteNullAsync();
                else await import.WriteAsync("599" + (1_000_000_000L + i).ToString(CultureInfo.InvariantCulture), NpgsqlDbType.Text);
                // Every 50th name needs quoting in csv: a comma and quotes.
                var name = i % 50 == 0 ? $"{Words[i % Words.Length]}, \"{i}\"" : $"{Words[i % Words.Length]} {i}";
                await import.WriteAsync(name, NpgsqlDbType.Text);
                await import.WriteAsync(i % 7 == 0 ? "kg" : "pcs", NpgsqlDbType.Text);
                await import.WriteAsync(price, NpgsqlDbType.Numeric);
                await import.WriteAsync(Math.Round(price * 1.27m, 2), NpgsqlDbType.Numeric);
                await import.WriteAsync(i * 31 % 500, NpgsqlDbType.Integer);
                await import.WriteAsync(i * 17 % 300, NpgsqlDbType.Integer);
                await import.WriteAsync(i * 13 % 50, NpgsqlDbType.Integer);
                await import.WriteAsync(Epoch.AddSeconds(i), NpgsqlDbType.TimestampTz);
            }
            await import.CompleteAsync();
        }
        await database.ExecAsync($"CREATE INDEX ON {schema}.articles (changed_at, sku); ANALYZE {schema}.articles");
        // The table is read once, so every export finds it in the server's cache alike.
        await database.CountAsync($"SELECT count(*) FROM (SELECT {Columns} FROM {schema}.articles) rows");
    }

    /// <summary>Changes price and stock of every <paramref name="every"/>th article, as the ERP would; returns their SKUs.</summary>
    public static async Task<HashSet<string>> ChangeAsync(BenchDatabase database, string schema, int every)
    {
        var changed = await database.TextsAsync($"""
            UPDATE {schema}.articles SET price = price + 1, price_gross = round((price + 1) * 1.27, 2), stock_bp = stock_bp + 3,
              changed_at = '{ChangedOn:yyyy-MM-ddTHH:mm:ssZ}'::timestamptz + (substr(sku, 2)::int % 3600) * interval '1 second'
            WHERE substr(sku, 2)::int % {every} = 3 RETURNING sku
            """);
        await database.ExecAsync($"ANALYZE {schema}.articles");
        return changed.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The raw CSV export: the same columns and formats as mappings/catalogue/csv.json, with the engine's CsvHelper options.</summary>
    public static async Task<long> CsvAsync(string connectionString, string file)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(Query, connection) { CommandTimeout = 0 };
        await using var reader = await command.ExecuteReaderAsync();
        await using var text = new StreamWriter(file, false, new UTF8Encoding(false), 64 * 1024);
        await using var csv = CsvWriter.Create(text, new CsvWriterOptions { Separator = ',', NewLine = "\r\n", Quoting = CsvQuoting.WhenNeeded });
        foreach (var name in Columns.Split(", ")) csv.WriteField(name);
        csv.EndRecord();
        long rows = 0;
        while (await reader.ReadAsync())
        {
            csv.WriteField(reader.GetString(0));
            csv.WriteField(reader.IsDBNull(1) ? null : reader.GetString(1));
            csv.WriteField(reader.GetString(2));
            csv.WriteField(reader.GetString(3));
            csv.WriteField(reader.GetDecimal(4).ToString("0.00", CultureInfo.InvariantCulture));
            csv.WriteField(reader.GetDecimal(5).ToString("0.00", CultureInfo.InvariantCulture));
            csv.WriteField(reader.GetInt32(6).ToString(CultureInfo.InvariantCulture));
            csv.WriteField(reader.GetInt32(7).ToString(CultureInfo.InvariantCulture));
            csv.WriteField(reader.GetInt32(8).ToString(CultureInfo.InvariantCulture));
            csv.WriteField(reader.GetDateTime(9).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            csv.EndRecord();
            rows++;
        }
        csv.Flush();
        return rows;
    }

    /// <summary>The raw XML export: one &lt;Article&gt; per row, fields as elements, empty fields left out, as mappings/catalogue/xml.json.</summary>
    public static async Task<long> XmlAsync(string connectionString, string file)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(Query, connection) { CommandTimeout = 0 };
        await using var reader = await command.ExecuteReaderAsync();
        await using var stream = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024);
        using var xml = XmlWriter.Create(stream, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = false, NewLineHandling = NewLineHandling.Entitize });
        var names = Columns.Split(", ");
        xml.WriteStartDocument();
        xml.WriteStartElement("Catalogue");
        long rows = 0;
        while (await reader.ReadAsync())
        {
            xml.WriteStartElement("Article");
            xml.WriteElementString(names[0], reader.GetString(0));
            if (!reader.IsDBNull(1)) xml.WriteElementString(names[1], reader.GetString(1));
            xml.WriteElementString(names[2], reader.GetString(2));
            xml.WriteElementString(names[3], reader.GetString(3));
            xml.WriteElementString(names[4], reader.GetDecimal(4).ToString("0.00", CultureInfo.InvariantCulture));
            xml.WriteElementString(names[5], reader.GetDecimal(5).ToString("0.00", CultureInfo.InvariantCulture));
            xml.WriteElementString(names[6], reader.GetInt32(6).ToString(CultureInfo.InvariantCulture));
            xml.WriteElementString(names[7], reader.GetInt32(7).ToString(CultureInfo.InvariantCulture));
            xml.WriteElementString(names[8], reader.GetInt32(8).ToString(CultureInfo.InvariantCulture));
            xml.WriteElementString(names[9], reader.GetDateTime(9).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            xml.WriteEndElement();
            rows++;
        }
        xml.WriteEndElement();
        xml.WriteEndDocument();
        return rows;
    }

    /// <summary>The raw JSON export: one array of objects, prices as numbers, as mappings/catalogue/json.json.</summary>
    public static async Task<long> JsonAsync(string connectionString, string file)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(Query, connection) { CommandTimeout = 0 };
        await using var reader = await command.ExecuteReaderAsync();
        await using var stream = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024);
        await using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        var names = Columns.Split(", ").Select(n => JsonEncodedText.Encode(n)).ToArray();
        json.WriteStartArray();
        long rows = 0;
        while (await reader.ReadAsync())
        {
            json.WriteStartObject();
            json.WriteString(names[0], reader.GetString(0));
            if (reader.IsDBNull(1)) json.WriteNull(names[1]);
            else json.WriteString(names[1], reader.GetString(1));
            json.WriteString(names[2], reader.GetString(2));
            json.WriteString(names[3], reader.GetString(3));
            json.WriteNumber(names[4], reader.GetDecimal(4));
            json.WriteNumber(names[5], reader.GetDecimal(5));
            json.WriteString(names[6], reader.GetInt32(6).ToString(CultureInfo.InvariantCulture));
            json.WriteString(names[7], reader.GetInt32(7).ToString(CultureInfo.InvariantCulture));
            json.WriteString(names[8], reader.GetInt32(8).ToString(CultureInfo.InvariantCulture));
            json.WriteString(names[9], reader.GetDateTime(9).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            json.WriteEndObject();
            if (json.BytesPending > 32 * 1024) await json.FlushAsync();
            rows++;
        }
        json.WriteEndArray();
        await json.FlushAsync();
        return rows;
    }

    /// <summary>The engine's installation: the ERP's articles (in <paramref name="searchPath"/>) exported by three flows.</summary>
    public static Installation Install(string folder, string connectionString, int batchSize)
    {
        JsonObject Stream(string format, JsonObject? more = null)
        {
            var stream = new JsonObject
            {
                ["RecordType"] = "Product", ["Format"] = format, ["Folder"] = format,
                ["FileName"] = $"catalogue-{{RunTime:yyyyMMdd-HHmmssfff}}.{format}",
            };
            foreach (var (key, value) in more ?? []) stream[key] = value?.DeepClone();
            return stream;
        }
        JsonObject Flow(string format) => new()
        {
            ["From"] = "erp/articles", ["To"] = $"out/{format}", ["Mapping"] = $"mappings/catalogue/{format}.json", ["BatchSize"] = batchSize,
        };
        return new Installation(folder,
            new JsonObject
            {
                ["erp"] = new JsonObject
                {
                    ["Type"] = "Database", ["Provider"] = "PostgreSql", ["ConnectionString"] = connectionString,
                    ["Streams"] = new JsonObject { ["articles"] = new JsonObject { ["RecordType"] = "Product", ["Mapping"] = "mappings/catalogue/articles.json" } },
                },
                ["out"] = new JsonObject
                {
                    ["Type"] = "Files", ["Location"] = "out",
                    ["Streams"] = new JsonObject
                    {
                        ["csv"] = Stream("csv"),
                        ["xml"] = Stream("xml", new JsonObject { ["RootElement"] = "Catalogue", ["RecordElement"] = "Article", ["Indent"] = false }),
                        ["json"] = Stream("json", new JsonObject { ["Indent"] = false }),
                    },
                },
            },
            new JsonObject { ["catalogue-csv"] = Flow("csv"), ["catalogue-xml"] = Flow("xml"), ["catalogue-json"] = Flow("json") });
    }

    /// <summary>The newest file a flow wrote into <paramref name="folder"/>.</summary>
    public static string? Newest(string folder, string pattern) =>
        Directory.Exists(folder) ? new DirectoryInfo(folder).GetFiles(pattern).OrderByDescending(f => f.Name, StringComparer.Ordinal).FirstOrDefault()?.FullName : null;

    /// <summary>How often <paramref name="marker"/> occurs in the file: records of an XML or JSON export.</summary>
    public static long Occurrences(string file, string marker)
    {
        var needle = Encoding.UTF8.GetBytes(marker);
        var buffer = new byte[1 << 20];
        long count = 0;
        var carry = 0;
        using var stream = File.OpenRead(file);
        int read;
        while ((read = stream.Read(buffer, carry, buffer.Length - carry)) > 0)
        {
            var span = buffer.AsSpan(0, carry + read);
            var at = 0;
            int found;
            while ((found = span[at..].IndexOf(needle)) >= 0)
            {
                count++;
                at += found + needle.Length;
            }
            // Keep the tail that could start a marker cut by the buffer's end.
            carry = Math.Min(needle.Length - 1, span.Length - at);
            span[^carry..].CopyTo(buffer);
        }
        return count;
    }

    /// <summary>The first column of each data line of a csv file (the SKU).</summary>
    public static List<string> FirstColumn(string file) =>
        File.ReadLines(file).Skip(1).Where(l => l.Length > 0).Select(l => l[..l.IndexOf(',')]).ToList();

    public static bool SameBytes(string a, string b)
    {
        using var x = File.OpenRead(a);
        using var y = File.OpenRead(b);
        if (x.Length != y.Length) return false;
        var bx = new byte[1 << 16];
        var by = new byte[1 << 16];
        int n;
        while ((n = x.Read(bx)) > 0)
        {
            y.ReadExactly(by, 0, n);
            if (!bx.AsSpan(0, n).SequenceEqual(by.AsSpan(0, n))) return false;
        }
        return true;
    }
}
