using System.Text.RegularExpressions;
using SyncEngine.Benchmarks.E2e;
using Xunit.Abstractions;

namespace SyncEngine.Benchmarks.Tests;

/// <summary>
/// The e2e benchmark at small sizes (<c>e2e --quick</c>), so it cannot rot: every scenario must report its numbers and
/// every output must be right. How fast it was is the benchmark's to say, not a test's.
/// </summary>
public sealed partial class E2eSmokeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_quick_e2e_run_reports_every_scenario_with_numbers_and_right_outputs()
    {
        var log = new StringWriter();

        var report = await E2eRunner.RunAsync(new E2eOptions { Quick = true }, log);

        output.WriteLine(log.ToString());
        output.WriteLine(report.Machine);
        output.WriteLine(report.ToTable());
        string[] scenarios =
        [
            "1 catalogue export, PostgreSQL to csv", "1 catalogue export, PostgreSQL to xml", "1 catalogue export, PostgreSQL to json",
            "2 delta run", "3 import order lines", "4 memory", "5 API economy", "6 order latency, 5-s schedule", "6 order latency, webhook",
        ];
        foreach (var scenario in scenarios) Assert.Contains(report.Rows, r => r.Scenario.StartsWith(scenario, StringComparison.Ordinal));
        // Scenario 3 has two baselines: binary COPY and pgloader.
        Assert.Equal(2, report.Rows.Count(r => r.Scenario.StartsWith("3 ", StringComparison.Ordinal)));
        Assert.All(report.Rows, r =>
        {
            Assert.True(r.CheckPassed, $"{r.Scenario}: {r.Check}");
            Assert.Matches(Number(), r.Engine);
        });
        Assert.All(report.Rows.Where(r => !r.Scenario.StartsWith("6 ", StringComparison.Ordinal)), r => Assert.Matches(Number(), r.Ratio));
        // CPU time of the engine and of the baseline beside each ratio of scenarios 1 to 3, each with the PostgreSQL
        // server's where the server runs here (as ./test.sh starts it).
        var pair = Measure.DatabaseServer is null ? CpuPair() : CpuPairWithDatabase();
        Assert.All(report.Rows.Where(r => r.Scenario[0] is '1' or '2' or '3'), r => Assert.Matches(pair, r.Cpu));
        // Each export and the import vs COPY ran twice, engine and baseline alternately; every engine run wrote every row, so
        // each started from no state.
        Assert.All(report.Rows.Where(r => r.Scenario[0] == '1' || r.Baseline == "Npgsql binary COPY"),
            r => Assert.Contains("median of 2 alternated pairs", r.Check, StringComparison.Ordinal));
        Assert.Contains(report.Rows, r => r.Scenario.StartsWith("2 ", StringComparison.Ordinal) && r.Check.Contains("exactly the", StringComparison.Ordinal));
        Assert.Contains(report.Rows, r => r.Scenario.StartsWith("5 ", StringComparison.Ordinal) && r.Check.Contains(" 0 responses 429", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"\d+(\.\d+)?")]
    private static partial Regex Number();

    [GeneratedRegex(@"^\d+\.\d+ s \+ db \d+\.\d+ s / \d+\.\d+ s \+ db \d+\.\d+ s$")]
    private static partial Regex CpuPairWithDatabase();

    [GeneratedRegex(@"^\d+\.\d+ s / \d+\.\d+ s$")]
    private static partial Regex CpuPair();
}
