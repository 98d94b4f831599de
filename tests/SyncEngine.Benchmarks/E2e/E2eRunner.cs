using System.Globalization;
using System.Runtime.InteropServices;

namespace SyncEngine.Benchmarks.E2e;

/// <summary>Sizes and settings of one e2e run: full size, or small ones for the smoke test (<c>--quick</c>).</summary>
public sealed record E2eOptions
{
    public bool Quick { get; init; }
    public string? Postgres { get; init; }
    public string? WorkDirectory { get; init; }
    public bool Keep { get; init; }
    /// <summary>Scenario numbers to run (1-6); empty: all.</summary>
    public IReadOnlySet<int> Only { get; init; } = new HashSet<int>();

    public int SmallCatalogue => Quick ? 2_000 : 100_000;
    public int Catalogue => Quick ? 20_000 : 1_000_000;
    public int LineCount => Quick ? 20_000 : 1_000_000;
    public int ApiOrders => Quick ? 300 : 10_000;
    public int LatencyOrders => Quick ? 4 : 100;
    public TimeSpan LatencySpread => Quick ? TimeSpan.FromSeconds(6) : TimeSpan.FromMinutes(2);
    public string LatencySchedule => Quick ? "0/5 * * * * ?" : "0 * * * * ?";
    public int BatchSize => 5_000;

    /// <summary>
    /// How often each measured comparison (exports, import vs COPY) is run, engine and baseline alternately; the ratio
    /// reported is the median pair's. One pair is at the mercy of the machine's drift (a third between runs here).
    /// </summary>
    public int Pairs { get; init; }

    public int PairCount => Pairs > 0 ? Pairs : Quick ? 2 : 3;

    public bool Runs(int scenario) => Only.Count == 0 || Only.Contains(scenario);

    public static E2eOptions Parse(IReadOnlyList<string> args)
    {
        var options = new E2eOptions();
        for (var i = 0; i < args.Count; i++)
        {
            options = args[i] switch
            {
                "--quick" => options with { Quick = true },
                "--keep" => options with { Keep = true },
                "--postgres" when i + 1 < args.Count => options with { Postgres = args[++i] },
                "--work" when i + 1 < args.Count => options with { WorkDirectory = args[++i] },
                "--pairs" when i + 1 < args.Count => options with { Pairs = Math.Max(1, int.Parse(args[++i], CultureInfo.InvariantCulture)) },
                "--only" when i + 1 < args.Count => options with
                {
                    Only = args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToHashSet(),
                },
                _ => throw new ArgumentException(
                    $"unknown argument '{args[i]}'; usage: e2e [--quick] [--postgres CONNECTION] [--work DIR] [--keep] [--only 1,2,...] [--pairs N]"),
            };
        }
        return options;
    }
}

/// <summary>
/// The end-to-end benchmark: generates its data, runs each scenario through the engine (the real command line and service,
/// in this process) and through its baselines in the same run, checks the outputs, and prints one table.
/// </summary>
public static class E2eRunner
{
    public static async Task<int> MainAsync(string[] args, TextWriter output)
    {
        E2eOptions options;
        try
        {
            options = E2eOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await output.WriteLineAsync(ex.Message);
            return 2;
        }
        var report = await RunAsync(options, output);
        await output.WriteLineAsync();
        await output.WriteLineAsync(report.Machine);
        await output.WriteLineAsync();
        await output.WriteAsync(report.ToTable());
        return report.AllChecksPassed ? 0 : 1;
    }

    public static async Task<Report> RunAsync(E2eOptions options, TextWriter log)
    {
        // Numbers and dates in the engine's and the baselines' output do not depend on the machine's culture.
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        var report = new Report { Quick = options.Quick };
        var work = options.WorkDirectory ?? Path.Combine(Path.GetTempPath(), "syncengine-bench", Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        var database = await BenchDatabase.CreateAsync(options.Postgres);
        try
        {
            Measure.DatabaseServer = await database.LocalServerAsync();
            report.Machine = await MachineAsync(database, options);
            await log.WriteLineAsync($"e2e: {(options.Quick ? "quick" : "full size")}, work folder {work}, database {database.Name}");
            var scenarios = new Scenarios(options, database, work, report, log);
            if (options.Runs(1) || options.Runs(2) || options.Runs(4)) await scenarios.CatalogueAsync();
            if (options.Runs(3)) await scenarios.ImportAsync();
            if (options.Runs(5)) await scenarios.ApiEconomyAsync();
            if (options.Runs(6)) await scenarios.LatencyAsync();
        }
        finally
        {
            // --keep leaves the data for a profiler: the installations can be run again with the syncengine command line.
            if (!options.Keep) await database.DisposeAsync();
            if (!options.Keep && options.WorkDirectory is null)
            {
                try
                {
                    Directory.Delete(work, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
        return report;
    }

    private static async Task<string> MachineAsync(BenchDatabase database, E2eOptions options)
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var memory = File.Exists("/proc/meminfo")
            ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var gib = memory is null ? "?" : (long.Parse(memory.Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0 / 1024.0).ToString("0", CultureInfo.InvariantCulture) + " GiB";
        return $"Machine: {Environment.ProcessorCount} cores ({cpu ?? RuntimeInformation.ProcessArchitecture.ToString()}), {gib} RAM, " +
            $"{RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, PostgreSQL {await database.ServerVersionAsync()} on the same machine" +
            $"{(Measure.DatabaseServer is null ? " (its CPU time not readable)" : string.Empty)}, " +
            $"{OrderLines.PgloaderVersion() ?? "pgloader not installed"}; {(options.Quick ? "quick (smoke) sizes" : "full sizes")}, " +
            $"engine batch size {options.BatchSize}, state store SQLite (the default); exports and import vs COPY: the median of " +
            $"{options.PairCount} alternated engine/baseline pairs";
    }
}
