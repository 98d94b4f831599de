using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CsvHelper;
using Npgsql;
using NpgsqlTypes;

namespace SyncEngine.Benchmarks.E2e;

/// <summary>
/// A sales file of order lines (one csv line each) loaded into the ERP's <c>order_lines</c> table: by the engine through
/// its mappings, by Npgsql binary COPY of the parsed file, and by pgloader, each into a schema of its own.
/// </summary>
public static class OrderLines
{
    public const string Columns = "order_no, line_no, ordered_at, sku, warehouse, quantity, unit_price";

    private static readonly DateTime Epoch = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly string[] Warehouses = ["BP", "DEB", "WEB"];

    /// <summary>Writes the file: <paramref name="lines"/> lines, four per order.</summary>
    public static void Generate(string file, int lines)
    {
        using var writer = new StreamWriter(file, false, new UTF8Encoding(false), 1 << 16) { NewLine = "\r\n" };
        writer.WriteLine(Columns.Replace(" ", string.Empty, StringComparison.Ordinal));
        for (var i = 0; i < lines; i++)
        {
            writer.Write("SO");
            writer.Write((100_000 + i / 4).ToString(CultureInfo.InvariantCulture));
            writer.Write(',');
            writer.Write((i % 4 + 1).ToString(CultureInfo.InvariantCulture));
            writer.Write(',');
            writer.Write(Epoch.AddSeconds(i / 4 * 7).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            writer.Write(',');
            writer.Write(Catalogue.Sku(i * 7919 % 1_000_000));
            writer.Write(',');
            writer.Write(Warehouses[i % 3]);
            writer.Write(',');
            writer.Write((1 + i % 5).ToString(CultureInfo.InvariantCulture));
            writer.Write(',');
            writer.WriteLine((0.5m + i * 31L % 50_000 / 100m).ToString("0.00", CultureInfo.InvariantCulture));
        }
    }

    public static Task CreateTableAsync(BenchDatabase database, string schema) => database.ExecAsync($"""
        CREATE SCHEMA {schema};
        CREATE TABLE {schema}.order_lines (
          order_no text NOT NULL, line_no integer NOT NULL, ordered_at timestamptz NOT NULL, sku text NOT NULL,
          warehouse text NOT NULL, quantity numeric(12,3) NOT NULL, unit_price numeric(12,2) NOT NULL,
          PRIMARY KEY (order_no, line_no))
        """);

    /// <summary>The raw load: the file parsed with CsvHelper and sent by Npgsql binary COPY, each value in its column's type.</summary>
    public static async Task<long> CopyAsync(string connectionString, string schema, string file)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        using var text = new StreamReader(file, Encoding.UTF8, false, 1 << 16);
        await using var csv = CsvReader.Create(text, new CsvReaderOptions { Separator = ',', HasHeader = true });
        await using var import = await connection.BeginBinaryImportAsync($"COPY {schema}.order_lines ({Columns}) FROM STDIN (FORMAT BINARY)");
        long rows = 0;
        while (await csv.ReadAsync())
        {
            await import.StartRowAsync();
            await import.WriteAsync(csv.GetString(0)!, NpgsqlDbType.Text);
            await import.WriteAsync(int.Parse(csv.GetString(1)!, CultureInfo.InvariantCulture), NpgsqlDbType.Integer);
            await import.WriteAsync(DateTime.Parse(csv.GetString(2)!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal), NpgsqlDbType.TimestampTz);
            await import.WriteAsync(csv.GetString(3)!, NpgsqlDbType.Text);
            await import.WriteAsync(csv.GetString(4)!, NpgsqlDbType.Text);
            await import.WriteAsync(decimal.Parse(csv.GetString(5)!, CultureInfo.InvariantCulture), NpgsqlDbType.Numeric);
            await import.WriteAsync(decimal.Parse(csv.GetString(6)!, CultureInfo.InvariantCulture), NpgsqlDbType.Numeric);
            rows++;
        }
        await import.CompleteAsync();
        return rows;
    }

    /// <summary>pgloader's version, or null when it is not installed.</summary>
    public static string? PgloaderVersion()
    {
        try
        {
            var (exit, output) = Run("pgloader", ["--version"], null, TimeSpan.FromSeconds(30));
            return exit == 0 ? output.Split('\n')[0].Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>Loads the file with pgloader (the Debian package) into <paramref name="schema"/>.order_lines.</summary>
    public static void Pgloader(BenchDatabase database, string schema, string file, string work)
    {
        var load = Path.Combine(work, "order_lines.load");
        File.WriteAllText(load, $"""
            LOAD CSV
              FROM '{file}' ({Columns})
              INTO postgresql://{database.Username}@{database.Host}:{database.Port}/{database.Name}
              TARGET TABLE {schema}.order_lines
              WITH skip header = 1, fields terminated by ',', fields optionally enclosed by '"';
            """);
        var (exit, output) = Run("pgloader", ["--logfile", Path.Combine(work, "pgloader.log"), load],
            database.Password, TimeSpan.FromMinutes(20));
        if (exit != 0) throw new InvalidOperationException($"pgloader exited with {exit}: {output}");
    }

    private static (int Exit, string Output) Run(string program, IEnumerable<string> arguments, string? password, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // The password goes by environment, never on a command line others can read.
        if (password is not null) start.Environment["PGPASSWORD"] = password;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill();
            throw new TimeoutException($"{program} did not finish within {timeout}");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>A fingerprint of a loaded table's content, to show the three loads wrote the same rows.</summary>
    public static async Task<string> FingerprintAsync(BenchDatabase database, string schema) =>
        (await database.TextsAsync($"SELECT count(*) || ':' || md5(string_agg(t::text, ';' ORDER BY order_no, line_no)) FROM {schema}.order_lines t"))[0];

    /// <summary>The engine's installation: the sales file from folder <c>in</c> into the ERP table through two mappings.</summary>
    public static Installation Install(string folder, string connectionString, int batchSize) => new(folder,
        new JsonObject
        {
            ["sales"] = new JsonObject
            {
                ["Type"] = "Files", ["Location"] = "in",
                ["Streams"] = new JsonObject
                {
                    ["lines"] = new JsonObject
                    {
                        ["RecordType"] = "StockMovement", ["Format"] = "csv", ["Mapping"] = "mappings/orderlines/file.json", ["MinimumAge"] = "00:00:00",
                    },
                },
            },
            ["erp"] = new JsonObject
            {
                ["Type"] = "Database", ["Provider"] = "PostgreSql", ["ConnectionString"] = connectionString,
                ["Streams"] = new JsonObject { ["order_lines"] = new JsonObject { ["RecordType"] = "StockMovement" } },
            },
        },
        new JsonObject
        {
            ["import-lines"] = new JsonObject
            {
                ["From"] = "sales/lines", ["To"] = "erp/order_lines", ["Mapping"] = "mappings/orderlines/table.json", ["BatchSize"] = batchSize,
            },
        });
}
