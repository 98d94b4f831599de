using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using SyncEngine.Testing;
using Xunit.Abstractions;

namespace SyncEngine.ReliabilityTests;

/// <summary>
/// Stock exported from the ERP as CSV files onto an SFTP server by the real <c>syncengine</c> program, SIGKILLed again and
/// again at random moments, then run to the end: every row in exactly one complete file, no temporary or staged file left.
/// </summary>
public sealed class FileExportCrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Rows = 6000;
    private readonly TempDirectory _folder = new();

    [Theory]
    [InlineData("stock-{RunTime:yyyyMMdd-HHmmssfff}-{Batch}.csv")]
    [InlineData("stock-{RunTime:yyyyMMdd-HHmmssfff}.csv")]
    public async Task A_file_export_killed_at_random_moments_delivers_every_row_once_in_complete_files(string fileName)
    {
        var seed = Reliability.Seed();
        output.WriteLine($"seed {seed} (replay with SYNCENGINE_TEST_SEED={seed})");
        var random = new Random(seed);
        var server = RemoteServer.Get("sftp");
        var remote = server.NewFolder();
        var config = await InstallAsync(server.Settings(remote), fileName);

        var kills = 0;
        for (var attempt = 0; kills < Reliability.Kills && attempt < Reliability.Kills * 3; attempt++)
        {
            using var process = SyncengineProgram.Start(_folder.Path, config, "sync", "stock-export", "--json");
            if (process.WaitForExit(TimeSpan.FromMilliseconds(random.Next(400, 2500)))) continue;
            process.Kill();
            await process.WaitForExitAsync();
            kills++;
        }
        var final = await SyncengineProgram.RunAsync(_folder.Path, config, "sync", "stock-export", "--json");
        var rerun = await SyncengineProgram.RunAsync(_folder.Path, config, "sync", "stock-export", "--json");

        Assert.True(kills >= Reliability.Kills, $"seed {seed}: only {kills} kills landed while the export ran");
        Assert.True(final.ExitCode == 0, $"seed {seed}: {final}");
        Assert.Equal(0L, rerun.Written);
        var folder = server.Disk(remote);
        var everything = Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(folder, p)).ToList();
        var files = everything.Where(p => p.StartsWith("stock-", StringComparison.Ordinal) && p.EndsWith(".csv", StringComparison.Ordinal)).ToList();
        output.WriteLine($"{kills} kills; {files.Count} files; on the server: {string.Join(", ", everything.Where(p => !files.Contains(p)))}");
        // Nothing but the delivered files: no temporary upload, no staged part left behind (an empty staging folder may stay).
        Assert.All(everything.Except(files), p => Assert.True(Directory.Exists(Path.Combine(folder, p)), $"seed {seed}: '{p}' left on the server"));
        var rows = new List<string>();
        foreach (var file in files)
        {
            var text = await File.ReadAllTextAsync(Path.Combine(folder, file), Encoding.UTF8);
            var lines = text.Replace("\r\n", "\n").Split('\n');
            // Complete: the header first, every line whole, the last one ended.
            Assert.True(lines[0] == "Raktar;Cikkszam;Keszlet;Modositva" && lines[^1] == string.Empty, $"seed {seed}: {file} is not complete: {text[..Math.Min(200, text.Length)]}");
            foreach (var line in lines[1..^1])
            {
                Assert.Matches(@"^(BP|DEB);A-\d{5};\d+;2026-11-20 \d\d:\d\d$", line);
                rows.Add(line);
            }
        }
        Assert.Equal(Rows, rows.Count);
        Assert.Equal(Rows, rows.Select(r => string.Join(';', r.Split(';')[..2])).Distinct().Count());
    }

    /// <summary>An ERP database with <see cref="Rows"/> stock rows and a configuration that exports them to the server.</summary>
    private async Task<string> InstallAsync(Dictionary<string, string?> sftp, string fileName)
    {
        await using (var erp = new SqliteConnection($"Data Source={_folder["erp.db"]}"))
        {
            await erp.OpenAsync();
            await using var transaction = await erp.BeginTransactionAsync();
            var create = erp.CreateCommand();
            create.CommandText = "CREATE TABLE erp_stock (warehouse TEXT NOT NULL, article TEXT NOT NULL, quantity NUMERIC NOT NULL, changed_at TEXT NOT NULL, PRIMARY KEY (warehouse, article))";
            await create.ExecuteNonQueryAsync();
            var insert = erp.CreateCommand();
            insert.CommandText = "INSERT INTO erp_stock VALUES ($w, $a, $q, $t)";
            var (w, a, q, t) = (insert.Parameters.Add("$w", SqliteType.Text), insert.Parameters.Add("$a", SqliteType.Text), insert.Parameters.Add("$q", SqliteType.Integer), insert.Parameters.Add("$t", SqliteType.Text));
            for (var i = 0; i < Rows; i++)
            {
                (w.Value, a.Value, q.Value) = (i % 2 == 0 ? "BP" : "DEB", $"A-{i / 2:D5}", i % 97);
                t.Value = $"2026-11-20T{8 + i / 600:D2}:{i / 10 % 60:D2}:00";
                await insert.ExecuteNonQueryAsync();
            }
            await transaction.CommitAsync();
        }
        Directory.CreateDirectory(_folder["mappings"]);
        foreach (var mapping in new[] { "erp-stock.json", "stock-csv.json" })
        {
            var text = (await File.ReadAllTextAsync(Path.Combine(Repository.Root, "mappings", "demo", mapping))).Replace("\"../mapping.schema.json\"", "\"mapping.schema.json\"");
            await File.WriteAllTextAsync(_folder["mappings/" + mapping], text);
        }
        var target = new JsonObject();
        foreach (var (key, value) in sftp) target[key] = value;
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
                    ["shop-sftp"] = target,
                },
                ["Flows"] = new JsonObject
                {
                    ["stock-export"] = new JsonObject { ["From"] = "erp/stock", ["To"] = "shop-sftp/stock-csv", ["Mapping"] = "mappings/stock-csv.json", ["BatchSize"] = 10 },
                },
            },
        };
        var path = _folder["syncengine.json"];
        await File.WriteAllTextAsync(path, config.ToJsonString());
        return path;
    }


    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
