using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using SyncEngine.Core.Model;

namespace SyncEngine.Connectors.Files;

/// <summary>
/// A file name such as <c>order-{Id}.json</c> (one file per record), <c>stock-{RunTime:yyyyMMdd-HHmmss}-{Batch}.csv</c> (one per
/// batch) or <c>stock-{RunTime:yyyyMMdd-HHmmss}.csv</c> (one per run). Names built from record fields make a rerun overwrite the
/// same file instead of writing a second one.
/// </summary>
public sealed partial class FileNameTemplate
{
    private readonly string _pattern;
    private readonly List<(string Path, string? Format)> _tokens;

    public FileNameTemplate(string pattern)
    {
        _pattern = pattern;
        _tokens = Token().Matches(pattern).Select(m => (m.Groups[1].Value, m.Groups[2].Success ? m.Groups[2].Value : null)).ToList();
    }

    /// <summary>True when the name comes from the record: one file per record.</summary>
    public bool PerRecord => _tokens.Any(t => !IsRunToken(t.Path));

    /// <summary>
    /// True when the name has neither a record field nor <c>{Batch}</c> (<c>stock-{RunTime:yyyyMMdd-HHmmss}.csv</c>, <c>stock.csv</c>):
    /// one file per run, holding every record the run wrote.
    /// </summary>
    public bool PerRun => !PerRecord && !_tokens.Any(t => t.Path.Equals("Batch", StringComparison.OrdinalIgnoreCase));

    public string Render(Entity? record, DateTimeOffset runTime, int batch) =>
        Token().Replace(_pattern, match =>
        {
            var path = match.Groups[1].Value;
            var format = match.Groups[2].Success ? match.Groups[2].Value : null;
            object? value = path.ToLowerInvariant() switch
            {
                "runtime" => runTime,
                "batch" => batch,
                _ => record is null ? null : Lookup(record, path),
            };
            var text = value switch
            {
                null => string.Empty,
                IFormattable formattable => formattable.ToString(format, CultureInfo.InvariantCulture),
                _ => value.ToString() ?? string.Empty,
            };
            return Safe(text);
        });

    private static bool IsRunToken(string path) =>
        path.Equals("RunTime", StringComparison.OrdinalIgnoreCase) || path.Equals("Batch", StringComparison.OrdinalIgnoreCase);

    private static object? Lookup(object record, string path)
    {
        object? current = record;
        foreach (var part in path.Split('.'))
        {
            if (current is null) return null;
            if (current is IReadOnlyDictionary<string, string?> attributes) return attributes.GetValueOrDefault(part);
            var property = current.GetType().GetProperty(part, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase);
            current = property?.GetValue(current);
        }
        return current;
    }

    /// <summary>Keeps a value from leaving the folder or breaking the name on any file system.</summary>
    private static string Safe(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text) builder.Append(char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        return builder.ToString().Trim('.');
    }

    [GeneratedRegex(@"\{([A-Za-z][A-Za-z0-9_.]*)(?::([^}]+))?\}")]
    private static partial Regex Token();
}
