using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using SyncEngine.Testing;

namespace SyncEngine.ReliabilityTests;

/// <summary>
/// An installation exporting an ERP's stock per warehouse (SQLite, <c>erp_stock</c>) as semicolon CSV files to a remote
/// folder, with the demo's shipped mappings: flow <c>stock-export</c>, batches of 10 rows.
/// </summary>
internal static class StockExport
{
    public const string Flow = "stock-export";

    /// <summary>Writes the ERP database with <paramref name="rows"/> stock rows and the configuration; returns its path.</summary>
    public static async Task<string> InstallAsync(TempDirectory folder, IReadOnlyDictionary<string, string?> remote, string fileName, int rows)
    {
        await using (var erp = new SqliteConnection($"Data Source={folder["erp.db"]}"))
        {
            await erp.OpenAsync();
            await using var transaction = await erp.BeginTransactionAsync();
            var create = erp.CreateCommand();
            create.CommandText = "CREATE TABLE erp_stock (warehouse TEXT NOT NULL, article TEXT NOT NULL, quantity NUMERIC NOT NULL, changed_at TEXT NOT NULL, PRIMARY KEY (warehouse, article))";
            await create.ExecuteNonQueryAsync();
            var insert = erp.CreateCommand();
            insert.CommandText = "INSERT INTO erp_stock VALUES ($w, $a, $q, $t)";
            var (w, a, q, t) = (insert.Parameters.Add("$w", SqliteType.Text), insert.Parameters.Add("$a", SqliteType.Text), insert.Parameters.Add("$q", SqliteType.Integer), insert.Parameters.Add("$t", SqliteType.Text));
            for (var i = 0; i < rows; i++)
            {
                (w.Value, a.Value, q.Value) = (i % 2 == 0 ? "BP" : "DEB", $"A-{i / 2:D5}", i % 97);
                // Ten rows share a change time, six seconds after the ten before, from 08:00: up to 96,000 rows on the 20th.
                t.Value = new DateTime(2026, 11, 20, 8, 0, 0).AddSeconds(i / 10 * 6).ToString("yyyy-MM-ddTHH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
                await insert.ExecuteNonQueryAsync();
            }
            await transaction.CommitAsync();
        }
        SqliteConnection.ClearAllPools();
        Directory.CreateDirectory(folder["mappings"]);
        foreach (var mapping in new[] { "erp-stock.json", "stock-csv.json" })
        {
            var text = (await File.ReadAllTextAsync(Path.Combine(Repository.Root, "mappings", "demo", mapping))).Replace("\"../mapping.schema.json\"", "\"mapping.schema.json\"");
            await File.WriteAllTextAsync(folder["mappings/" + mapping], text);
        }
        var target = new JsonObject();
        foreach (var (key, value) in remote) target[key] = value;
        target["Type"] = "Files";
        target["Streams"] = new JsonObject { ["stock-csv"] = new JsonObject { ["RecordType"] = "StockLevel", ["FileName"] = fileName } };
        var config = new JsonObject
        {
            ["SyncEngine"] = new JsonObject
            {
                ["DataDirectory"] = "data",
                ["Control"] = new JsonObject { ["Enabled"] = false },
                ["Connections"] = new JsonObject
                {
                    ["erp"] = new JsonObject
                    {
                        ["Type"] = "Database", ["Provider"] = "Sqlite", ["ConnectionString"] = "Data Source=erp.db",
                        ["Streams"] = new JsonObject { ["stock"] = new JsonObject { ["RecordType"] = "StockLevel", ["Mapping"] = "mappings/erp-stock.json" } },
                    },
                    ["shop-files"] = target,
                },
                ["Flows"] = new JsonObject
                {
                    [Flow] = new JsonObject { ["From"] = "erp/stock", ["To"] = "shop-files/stock-csv", ["Mapping"] = "mappings/stock-csv.json", ["BatchSize"] = 10 },
                },
            },
        };
        var path = folder["syncengine.json"];
        await File.WriteAllTextAsync(path, config.ToJsonString());
        return path;
    }

    /// <summary>
    /// Checks what the receiver finds in <paramref name="folder"/> (on the server's disk): only complete <c>stock-*.csv</c> files
    /// (header first, every line whole), no temporary or staged file, every stock row exactly once. Returns the files.
    /// </summary>
    public static IReadOnlyList<string> AssertDelivered(string folder, int rows, string context)
    {
        var everything = Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(folder, p)).ToList();
        var files = everything.Where(p => p.StartsWith("stock-", StringComparison.Ordinal) && p.EndsWith(".csv", StringComparison.Ordinal)).ToList();
        // An empty staging folder may stay.
        Assert.All(everything.Except(files), p => Assert.True(Directory.Exists(Path.Combine(folder, p)), $"{context}: '{p}' left on the server"));
        var delivered = new List<string>();
        foreach (var file in files)
        {
            var text = File.ReadAllText(Path.Combine(folder, file), Encoding.UTF8);
            var lines = text.Replace("\r\n", "\n").Split('\n');
            Assert.True(lines[0] == "Raktar;Cikkszam;Keszlet;Modositva" && lines[^1] == string.Empty, $"{context}: {file} is not complete: {text[..Math.Min(200, text.Length)]}");
            foreach (var line in lines[1..^1])
            {
                Assert.Matches(@"^(BP|DEB);A-\d{5};\d+;2026-11-20 \d\d:\d\d$", line);
                delivered.Add(line);
            }
        }
        Assert.Equal(rows, delivered.Count);
        Assert.Equal(rows, delivered.Select(r => string.Join(';', r.Split(';')[..2])).Distinct().Count());
        return files;
    }
}
