namespace SyncEngine.Benchmarks.E2e;

/// <summary>The scenarios of the e2e run, each adding its lines to the report.</summary>
internal sealed class Scenarios(E2eOptions options, BenchDatabase database, string work, Report report, TextWriter log)
{
    private const double ExportTarget = 1.5;
    private const double DeltaTarget = 0.05;
    private const double ImportTarget = 2.0;
    private const double MemoryTarget = 1.3;
    private const double RequestsPerOrderTarget = 0.1;

    private string Work(string name) => Path.Combine(work, name);

    /// <summary>Scenarios 1, 2 and 4: the catalogue export at two sizes, in three formats, then the delta run.</summary>
    public async Task CatalogueAsync()
    {
        await Step($"generating {Format.Count(options.SmallCatalogue)} and {Format.Count(options.Catalogue)} articles");
        await Catalogue.CreateAsync(database, "cat_small", options.SmallCatalogue);
        await Catalogue.CreateAsync(database, "cat_large", options.Catalogue);
        await WarmUpAsync();
        var small = Catalogue.Install(Work("catalogue-small"), await database.SchemaAsync("cat_small"), options.BatchSize);
        var large = Catalogue.Install(Work("catalogue-large"), await database.SchemaAsync("cat_large"), options.BatchSize);

        await Step($"scenario 1/4: export of {Format.Count(options.SmallCatalogue)} articles to csv");
        var (smallRun, smallRow) = await ExportAsync(small, "csv", options.SmallCatalogue, await database.SchemaAsync("cat_small"));
        var largeRuns = new Dictionary<string, Measurement>();
        var rows = new Dictionary<string, ResultRow>();
        // csv last: its state is what the delta run (scenario 2) goes on from, and each pair starts from no state at all.
        foreach (var format in new[] { "xml", "json", "csv" })
        {
            await Step($"scenario 1: export of {Format.Count(options.Catalogue)} articles to {format}");
            (largeRuns[format], rows[format]) = await ExportAsync(large, format, options.Catalogue, await database.SchemaAsync("cat_large"));
        }
        foreach (var row in new[] { smallRow, rows["csv"], rows["xml"], rows["json"] }) report.Add(row);

        var memory = (double)largeRuns["csv"].PeakBytes / smallRun.PeakBytes;
        report.Add(new ResultRow("4 memory: export to csv, small vs large", $"{Format.Count(options.SmallCatalogue)} / {Format.Count(options.Catalogue)}",
            $"{smallRun.Peak} / {largeRuns["csv"].Peak}", "-", "-", Format.Ratio(memory), $"<= {Format.Ratio(MemoryTarget)}", memory <= MemoryTarget,
            largeRuns["csv"].Peak, "peak working set of the process during each engine run", true));

        await Step($"scenario 2: delta run with 1 % of {Format.Count(options.Catalogue)} articles changed");
        var changed = await Catalogue.ChangeAsync(database, "cat_large", 100);
        var (outcome, delta) = await Measure.RunAsync(() => large.SyncAsync("catalogue-csv"));
        var file = Catalogue.Newest(large["out/csv"], "*.csv");
        var emitted = file is null ? [] : Catalogue.FirstColumn(file);
        var exact = outcome.Succeeded && emitted.Count == changed.Count && emitted.ToHashSet(StringComparer.Ordinal).SetEquals(changed);
        var share = delta.Elapsed / largeRuns["csv"].Elapsed;
        report.Add(new ResultRow("2 delta run, 1 % changed, to csv", Format.Count(changed.Count), delta.Time, "the full run (scenario 1, csv)",
            largeRuns["csv"].Time, Format.Percent(share), $"<= {Format.Percent(DeltaTarget)}", share <= DeltaTarget, delta.Peak,
            exact ? $"exactly the {Format.Count(changed.Count)} changed rows emitted (read {Format.Count(outcome.Read)}, skipped {Format.Count(outcome.Skipped)})"
                : $"emitted {Format.Count(emitted.Count)} rows, {Format.Count(changed.Count)} were changed; {outcome.Text}",
            exact, $"{delta.CpuTime} / {largeRuns["csv"].CpuTime}"));
    }

    /// <summary>Every export once on a small table, unmeasured, so that no measured run pays for compiling the code it runs.</summary>
    private async Task WarmUpAsync()
    {
        await Catalogue.CreateAsync(database, "cat_warm", 2_000);
        var connection = await database.SchemaAsync("cat_warm");
        var warm = Catalogue.Install(Work("catalogue-warm"), connection, options.BatchSize);
        foreach (var format in new[] { "csv", "xml", "json" })
        {
            await warm.SyncAsync($"catalogue-{format}");
            var file = Work("warm." + format);
            await (format switch { "csv" => Catalogue.CsvAsync(connection, file), "xml" => Catalogue.XmlAsync(connection, file), _ => Catalogue.JsonAsync(connection, file) });
        }
    }

    /// <summary>
    /// The export of one format, engine and baseline alternately <see cref="E2eOptions.PairCount"/> times, each engine run a
    /// first run (no state, no earlier file); the pair of median ratio is reported, with the highest peak memory of all.
    /// </summary>
    private async Task<(Measurement Engine, ResultRow Row)> ExportAsync(Installation install, string format, int rows, string connectionString)
    {
        var baselineFile = Work($"baseline-{rows}.{format}");
        var pairs = await AlternateAsync(
            () => format switch
            {
                "csv" => Catalogue.CsvAsync(connectionString, baselineFile),
                "xml" => Catalogue.XmlAsync(connectionString, baselineFile),
                _ => Catalogue.JsonAsync(connectionString, baselineFile),
            },
            () => install.SyncAsync($"catalogue-{format}"),
            () =>
            {
                Forget(install);
                Delete(install[$"out/{format}"]);
                return Task.CompletedTask;
            });
        var (median, engine) = Median(pairs);
        var file = Catalogue.Newest(install[$"out/{format}"], "*." + format);
        var written = file is null ? -1 : format switch
        {
            "csv" => Catalogue.FirstColumn(file).Count,
            "xml" => Catalogue.Occurrences(file, "<Article>"),
            _ => Catalogue.Occurrences(file, "\"sku\":"),
        };
        var failed = pairs.FirstOrDefault(p => !p.Outcome.Succeeded || p.Outcome.Written != rows || p.BaselineResult != rows);
        var ok = failed is null && written == rows;
        var check = ok ? $"{Format.Count(written)} records in the file"
            : $"expected {Format.Count(rows)} records, file has {Format.Count(written)}, baseline {Format.Count((failed ?? median).BaselineResult)}; {(failed ?? median).Outcome.Text}";
        if (ok && format == "csv")
        {
            var same = Catalogue.SameBytes(file!, baselineFile);
            ok = same;
            check += same ? ", byte for byte the baseline's file" : ", but not the same bytes as the baseline's file";
        }
        var name = format switch { "csv" => "Npgsql reader + CsvHelper", "xml" => "Npgsql reader + XmlWriter", _ => "Npgsql reader + Utf8JsonWriter" };
        File.Delete(baselineFile);
        return (engine, new ResultRow($"1 catalogue export, PostgreSQL to {format}", Format.Count(rows), engine.Time, name, median.Baseline.Time,
            Format.Ratio(median.Ratio), $"<= {Format.Ratio(ExportTarget)}", median.Ratio <= ExportTarget, engine.Peak, check + Spread(pairs), ok,
            $"{engine.CpuTime} / {median.Baseline.CpuTime}"));
    }

    /// <summary>One comparison, measured: the baseline's result and time, then the engine's.</summary>
    private sealed record Pair<T>(T BaselineResult, Measurement Baseline, SyncOutcome Outcome, Measurement Engine)
    {
        public double Ratio => Engine.Elapsed / Baseline.Elapsed;
    }

    /// <summary>Baseline, then engine, <see cref="E2eOptions.PairCount"/> times; <paramref name="reset"/> before every pair but the first.</summary>
    private async Task<List<Pair<T>>> AlternateAsync<T>(Func<Task<T>> baseline, Func<Task<SyncOutcome>> engine, Func<Task> reset)
    {
        var pairs = new List<Pair<T>>();
        for (var i = 0; i < options.PairCount; i++)
        {
            if (i > 0) await reset();
            var (result, baselineRun) = await Measure.RunAsync(baseline);
            var (outcome, engineRun) = await Measure.RunAsync(engine);
            pairs.Add(new Pair<T>(result, baselineRun, outcome, engineRun));
        }
        return pairs;
    }

    /// <summary>The pair of median ratio (the lower of the two middle ones), and its engine run with the highest peak memory of all.</summary>
    private static (Pair<T> Median, Measurement Engine) Median<T>(List<Pair<T>> pairs)
    {
        var median = pairs.OrderBy(p => p.Ratio).ElementAt((pairs.Count - 1) / 2);
        return (median, median.Engine with { PeakBytes = pairs.Max(p => p.Engine.PeakBytes) });
    }

    private static string Spread<T>(List<Pair<T>> pairs) =>
        pairs.Count == 1 ? string.Empty : $"; median of {pairs.Count} alternated pairs ({string.Join(", ", pairs.Select(p => Format.Ratio(p.Ratio)))})";

    /// <summary>The installation's state as before its first run: the next run of each flow is a first run again.</summary>
    private static void Forget(Installation install)
    {
        // Pooled connections would still hold the deleted database.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Delete(install["data"]);
    }

    private static void Delete(string folder)
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    /// <summary>Scenario 3: the sales file into PostgreSQL by the engine, by binary COPY and by pgloader.</summary>
    public async Task ImportAsync()
    {
        var lines = options.LineCount;
        await Step($"scenario 3: import of {Format.Count(lines)} order lines");
        var file = Work("order-lines.csv");
        OrderLines.Generate(file, lines);
        foreach (var schema in new[] { "imp_engine", "imp_copy", "imp_pgloader" }) await OrderLines.CreateTableAsync(database, schema);

        var install = OrderLines.Install(Work("import"), await database.SchemaAsync("imp_engine"), options.BatchSize);
        void Deliver()
        {
            Directory.CreateDirectory(install["in"]);
            File.Copy(file, install["in/sales.csv"]);
            File.SetLastWriteTimeUtc(install["in/sales.csv"], DateTime.UtcNow.AddMinutes(-1));
        }
        Deliver();
        var pairs = await AlternateAsync(
            () => OrderLines.CopyAsync(database.ConnectionString, "imp_copy", file),
            () => install.SyncAsync("import-lines"),
            async () =>
            {
                await database.ExecAsync("TRUNCATE imp_copy.order_lines; TRUNCATE imp_engine.order_lines");
                Forget(install);
                Delete(install["in"]);
                Deliver();
            });
        var (median, engine) = Median(pairs);
        var expected = await OrderLines.FingerprintAsync(database, "imp_copy");
        var loaded = await OrderLines.FingerprintAsync(database, "imp_engine");
        var failed = pairs.FirstOrDefault(p => !p.Outcome.Succeeded || p.Outcome.Written != lines || p.BaselineResult != lines);
        var ok = failed is null && loaded == expected;
        var check = ok ? $"{Format.Count(lines)} rows, the same as COPY's"
            : $"engine: {(failed ?? median).Outcome.Text.Trim()}; COPY {Format.Count((failed ?? median).BaselineResult)} rows; table {loaded[..Math.Min(40, loaded.Length)]}, COPY {expected[..Math.Min(40, expected.Length)]}";
        var ratio = median.Ratio;
        report.Add(new ResultRow("3 import order lines, csv to PostgreSQL", Format.Count(lines), engine.Time, "Npgsql binary COPY", median.Baseline.Time,
            Format.Ratio(ratio), $"<= {Format.Ratio(ImportTarget)}", ratio <= ImportTarget, engine.Peak, check + Spread(pairs), ok,
            $"{engine.CpuTime} / {median.Baseline.CpuTime}"));

        var version = OrderLines.PgloaderVersion();
        if (version is null)
        {
            report.Add(new ResultRow("3 import order lines, csv to PostgreSQL", Format.Count(lines), engine.Time, "pgloader", "-", "-", "< 1.00x", false, "-",
                "pgloader is not installed (apt-get install pgloader)", false));
            return;
        }
        Measurement pgloader;
        string? failure = null;
        try
        {
            pgloader = await Measure.RunAsync(() => Task.Run(() => OrderLines.Pgloader(database, "imp_pgloader", file, work)));
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            pgloader = new Measurement(TimeSpan.Zero, 0, TimeSpan.Zero, null);
            failure = ex.Message;
        }
        var pgloaded = failure is null ? await OrderLines.FingerprintAsync(database, "imp_pgloader") : string.Empty;
        var pgOk = failure is null && pgloaded == expected;
        var pgRatio = failure is null ? engine.Elapsed / pgloader.Elapsed : double.NaN;
        report.Add(new ResultRow("3 import order lines, csv to PostgreSQL", Format.Count(lines), engine.Time, version, pgloader.Time,
            Format.Ratio(pgRatio), "< 1.00x", pgRatio < 1, engine.Peak,
            pgOk ? $"pgloader loaded the same {Format.Count(lines)} rows" : failure ?? "pgloader's table differs from COPY's", pgOk,
            failure is null ? $"{engine.CpuTime} / {pgloader.CpuTime}" : "-"));
    }

    /// <summary>Scenario 5: 10,000 orders from the ShopRenter simulator (3 requests per second) into Sage.</summary>
    public async Task ApiEconomyAsync()
    {
        var orders = options.ApiOrders;
        await Step($"scenario 5: import of {Format.Count(orders)} orders from ShopRenter (3 requests per second) into Sage");
        var (outcome, measurement, requests, throttled, documents) = await Shops.ImportAsync(database, Work("api"), orders);
        var perOrder = (double)requests / orders;
        var ok = outcome.Succeeded && outcome.Written == orders && documents == orders && throttled == 0;
        report.Add(new ResultRow("5 API economy, ShopRenter orders to Sage", Format.Count(orders), measurement.Time, "-", "-",
            $"{Report.Describe(perOrder)} requests/order ({requests} requests)", $"< {Report.Describe(RequestsPerOrderTarget)} requests/order, no 429",
            perOrder < RequestsPerOrderTarget && throttled == 0, measurement.Peak,
            ok ? $"{Format.Count(documents)} documents in Sage, {throttled} responses 429" : $"{documents} documents, {throttled} responses 429; {outcome.Text.Trim()}", ok));
    }

    /// <summary>Scenario 6: time from an order appearing in the shop to its document in Sage, with the service running.</summary>
    public async Task LatencyAsync()
    {
        var orders = options.LatencyOrders;
        await Step($"scenario 6: latency of {orders} orders per path, schedule '{options.LatencySchedule}', spread over {options.LatencySpread.TotalSeconds} s");
        var wait = options.Quick ? TimeSpan.FromSeconds(30) : TimeSpan.FromMinutes(2);
        var (scheduled, webhook, missing) = await Shops.LatencyAsync(database, Work("latency"), orders, options.LatencySpread, options.LatencySchedule, wait);
        var every = options.Quick ? "5-s schedule (quick)" : "1-min schedule";
        foreach (var (path, latencies) in new[] { ($"6 order latency, {every}", scheduled), ($"6 order latency, webhook + {every}", webhook) })
        {
            var ok = latencies.Count == orders;
            report.Add(new ResultRow(path, Format.Count(orders),
                latencies.Count == 0 ? "-" : $"median {Format.Seconds(latencies[latencies.Count / 2])}, max {Format.Seconds(latencies[^1])}", "-", "-", "-",
                "reported", null, "-",
                ok ? $"all {orders} orders committed in Sage" : $"{orders - latencies.Count} of {orders} orders not committed in time ({missing} in all)", ok));
        }
    }

    private async Task Step(string what) => await log.WriteLineAsync($"{DateTime.Now:HH:mm:ss} {what}");
}
