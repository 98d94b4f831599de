using Microsoft.Data.Sqlite;
using SyncEngine.Testing;

namespace SyncEngine.Cli.Tests;

/// <summary>The demo the README runs, with the repository's own appsettings.json, samples and mappings.</summary>
public sealed class DemoTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    [Fact]
    public async Task The_demo_imports_the_sample_orders_into_the_erp_and_exports_stock_and_prices_and_a_second_run_writes_nothing()
    {
        var root = Repository.Root;
        File.Copy(Path.Combine(root, "appsettings.json"), _folder["appsettings.json"]);
        CopyFolder(Path.Combine(root, "samples"), _folder["samples"]);
        CopyFolder(Path.Combine(root, "mappings"), _folder["mappings"]);
        var config = _folder["appsettings.json"];

        var validate = await TestCli.RunAsync("validate", "--config", config);
        var first = await TestCli.RunAsync("sync", "--all", "--json", "--config", config);
        var second = await TestCli.RunAsync("sync", "--all", "--json", "--config", config);

        Assert.Equal(0, validate.ExitCode);
        Assert.True(first.ExitCode == 0, first.Out + first.Error);
        Assert.Equal([3L, 5L, 7L, 7L], first.Json.EnumerateArray().Select(r => r.GetProperty("written").GetInt64()));
        await using (var erp = new SqliteConnection($"Data Source={_folder["data/demo-erp.db"]};Pooling=false"))
        {
            await erp.OpenAsync();
            await using var orders = erp.CreateCommand();
            orders.CommandText = "SELECT shop_order_id, customer_name, payment, shipping, total_gross FROM erp_orders ORDER BY shop_order_id";
            await using var reader = await orders.ExecuteReaderAsync();
            var rows = new List<string>();
            while (await reader.ReadAsync()) rows.Add($"{reader.GetString(0)} {reader.GetString(1)} {reader.GetString(2)} {reader.GetString(3)} {reader.GetDecimal(4)}");
            Assert.Equal(["1001 Kovács Éva UTV GLS 25500", "1002 Szabó János ATU SZEM 100000", "1003 Nagy Zsófia KRT FOX 25200"], rows);
        }
        var csv = Assert.Single(Directory.GetFiles(_folder["out"], "stock-*.csv"));
        var bytes = File.ReadAllBytes(csv);
        Assert.Equal([0xEF, 0xBB, 0xBF], bytes[..3]);
        Assert.StartsWith("Raktar;Cikkszam;Keszlet;Modositva\r\nBUDAPEST;KE-100;12;2026-11-20 08:00\r\n", System.Text.Encoding.UTF8.GetString(bytes[3..]));
        Assert.Single(Directory.GetFiles(_folder["out"], "stock-*.xml"));
        Assert.Single(Directory.GetFiles(_folder["out"], "prices-*.json"));

        Assert.Equal(0, second.ExitCode);
        Assert.All(second.Json.EnumerateArray(), r => Assert.Equal(0, r.GetProperty("written").GetInt64()));
        Assert.Equal(3, Directory.GetFiles(_folder["out"]).Length);
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }


    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
