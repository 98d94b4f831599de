using SyncEngine.Core.Connectors;

namespace SyncEngine.Cli;

/// <summary>Where the CLI writes: command output to <see cref="Out"/>, messages to <see cref="Error"/>.</summary>
internal sealed class CliConsole(TextWriter output, TextWriter error, bool interactive)
{
    public TextWriter Out { get; } = output;
    public TextWriter Error { get; } = error;

    /// <summary>True when a person watches a terminal: progress bars instead of plain lines.</summary>
    public bool Interactive { get; } = interactive;

    public void PrintConfigErrors(IReadOnlyList<ConfigError> errors)
    {
        Error.WriteLine(errors.Count == 1 ? "Configuration error:" : $"{errors.Count} configuration errors:");
        foreach (var configError in errors) Error.WriteLine("  " + configError);
    }

    /// <summary>Writes rows as aligned columns.</summary>
    public void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var all = rows.Select(r => r.Select(c => c ?? string.Empty).ToArray()).ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
        Out.WriteLine(string.Join("  ", headers.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in all) Out.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
    }
}
