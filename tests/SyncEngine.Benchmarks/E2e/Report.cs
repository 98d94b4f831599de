using System.Globalization;
using System.Text;

namespace SyncEngine.Benchmarks.E2e;

/// <summary>One line of the results table.</summary>
/// <param name="Check">What was verified about the output (row counts, exactly the changed rows, no 429).</param>
/// <param name="CheckPassed">False when the output was wrong: then the numbers mean nothing.</param>
/// <param name="TargetMet">Null where the line has no target.</param>
/// <param name="Cpu">CPU time of the engine's run and of the baseline's, each with the database server's where it was measured.</param>
public sealed record ResultRow(
    string Scenario, string Rows, string Engine, string Baseline, string BaselineTime, string Ratio, string Target, bool? TargetMet,
    string PeakMemory, string Check, bool CheckPassed, string Cpu = "-");

/// <summary>The e2e run's results: printed as one table, and read by the smoke test.</summary>
public sealed class Report
{
    private readonly List<ResultRow> _rows = [];

    public IReadOnlyList<ResultRow> Rows => _rows;

    public string Machine { get; set; } = string.Empty;

    public bool Quick { get; init; }

    public bool AllChecksPassed => _rows.All(r => r.CheckPassed);

    public void Add(ResultRow row) => _rows.Add(row);

    public string ToTable()
    {
        string[] header = ["scenario", "rows", "engine", "baseline", "baseline time", "ratio", "target", "cpu: engine / baseline", "peak memory", "check"];
        var lines = _rows.Select(r => new[]
        {
            r.Scenario, r.Rows, r.Engine, r.Baseline, r.BaselineTime, r.Ratio,
            r.TargetMet switch { true => r.Target + " met", false => r.Target + " MISSED", null => r.Target },
            r.Cpu, r.PeakMemory, (r.CheckPassed ? "ok: " : "FAILED: ") + OneLine(r.Check),
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, lines.Select(l => l[i].Length).DefaultIfEmpty(0).Max())).ToArray();
        var text = new StringBuilder();
        void Line(IReadOnlyList<string> cells) =>
            text.Append("| ").Append(string.Join(" | ", cells.Select((c, i) => c.PadRight(widths[i])))).Append(" |\n");
        Line(header);
        text.Append('|').Append(string.Join("|", widths.Select(w => new string('-', w + 2)))).Append("|\n");
        foreach (var line in lines) Line(line);
        return text.ToString();
    }

    /// <summary>A check's first line, cut short: a tool's whole usage text does not belong in a table cell.</summary>
    private static string OneLine(string text)
    {
        var line = text.Split('\n')[0].Trim();
        return line.Length > 160 ? line[..157] + "..." : line;
    }

    public static string Describe(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
