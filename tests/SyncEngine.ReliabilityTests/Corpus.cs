using System.Text;
using System.Text.Json;
using SyncEngine.Testing;
using Xunit.Abstractions;

namespace SyncEngine.ReliabilityTests;

/// <summary>What should become of one hostile record: its rows in the target, or its dead letter's reason.</summary>
public abstract record Expected
{
    /// <summary>Stored: the queries return exactly <paramref name="Rows"/>, one after the other, and the record has no dead letter.</summary>
    public sealed record Stored(string What, string[] Queries, string[] Rows) : Expected
    {
        public Stored(string what, string sql, params string[] rows)
            : this(what, [sql], rows)
        {
        }
    }

    /// <summary>Dead-lettered under the record's key with exactly this reason, and nothing of it in the target.</summary>
    public sealed record DeadLettered(string Error, string? TargetSql = null) : Expected;
}

/// <param name="Key">The record's key in the dead-letter store (the shop's order id, the file's record).</param>
public sealed record HostileCase(string Name, string Input, string Key, Expected Expect);

/// <summary>
/// The corpus of one path: each case checked against the target and the dead-letter store, printed as a table for the
/// issue note, and failed together so one run shows every case that went wrong.
/// </summary>
public sealed class Corpus(ITestOutputHelper output, string path)
{
    private readonly List<HostileCase> _cases = [];

    public IReadOnlyList<HostileCase> Cases => _cases;

    public void Add(string name, string input, string key, Expected expect) => _cases.Add(new HostileCase(name, input, key, expect));

    /// <param name="deadLettersJson">What <c>syncengine deadletters list --json</c> printed.</param>
    /// <param name="keyOf">The case's key as the dead-letter store holds it (a file record's key has the file's identity in front).</param>
    public async Task VerifyAsync(TestDatabase target, string deadLettersJson, Func<string, string, bool>? keyMatches = null)
    {
        keyMatches ??= (letterKey, caseKey) => letterKey == caseKey;
        var letters = JsonDocument.Parse(deadLettersJson).RootElement.EnumerateArray()
            .Select(l => (Key: l.GetProperty("recordKey").GetString()!, Error: l.GetProperty("error").GetString()!))
            .ToList();
        var failures = new List<string>();
        var table = new StringBuilder();
        table.AppendLine($"{path}: {_cases.Count} cases").AppendLine("| # | case | input | outcome |").AppendLine("|---|---|---|---|");
        for (var i = 0; i < _cases.Count; i++)
        {
            var c = _cases[i];
            var mine = letters.Where(l => keyMatches(l.Key, c.Key)).Select(l => l.Error).ToList();
            string outcome;
            string? problem = null;
            switch (c.Expect)
            {
                case Expected.Stored stored:
                    var rows = new List<string>();
                    foreach (var query in stored.Queries) rows.AddRange(await target.RowsAsync(query));
                    outcome = mine.Count > 0 ? $"dead-lettered: {string.Join(" / ", mine)}" : rows.SequenceEqual(stored.Rows) ? $"stored: {stored.What}" : $"stored: [{Show(rows)}]";
                    if (mine.Count > 0 || !rows.SequenceEqual(stored.Rows)) problem = $"expected stored as [{Show(stored.Rows)}], but {outcome}";
                    break;
                case Expected.DeadLettered dead:
                    var found = dead.TargetSql is { } sql ? await target.RowsAsync(sql) : [];
                    outcome = mine.Count > 0 ? $"dead-lettered: {string.Join(" / ", mine)}" : $"not dead-lettered; in the target: [{Show(found)}]";
                    if (mine.Count != 1 || mine[0] != dead.Error) problem = $"expected dead-lettered: {dead.Error}, but {outcome}";
                    else if (found.Count > 0) problem = $"dead-lettered, yet in the target: [{Show(found)}]";
                    break;
                default:
                    throw new InvalidOperationException(c.Expect.GetType().Name);
            }
            if (problem is not null) failures.Add($"{c.Name}: {problem}");
            table.AppendLine($"| {i + 1} | {Cell(c.Name)} | {Cell(c.Input)} | {(problem is null ? "" : "FAILED: ")}{Cell(outcome)} |");
        }
        output.WriteLine(table.ToString());
        Assert.True(failures.Count == 0, $"{failures.Count} of {_cases.Count} cases went wrong:{Environment.NewLine}{string.Join(Environment.NewLine, failures)}");
    }

    private static string Show(IEnumerable<string> rows) => string.Join(", ", rows.Select(r => r.Length > 300 ? r[..300] + $"...({r.Length} chars)" : r));

    /// <summary>A table cell: one line, pipes escaped, control characters visible.</summary>
    private static string Cell(string text)
    {
        var builder = new StringBuilder();
        foreach (var ch in text.Length > 400 ? text[..400] + "..." : text)
        {
            if (ch == '|') builder.Append("\\|");
            else if (char.IsControl(ch) || ch == '\uFFFD') builder.Append($"\\u{(int)ch:X4}");
            else builder.Append(ch);
        }
        return builder.ToString();
    }
}
