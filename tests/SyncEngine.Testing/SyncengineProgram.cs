using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace SyncEngine.Testing;

/// <summary>What one <c>syncengine sync FLOW --json</c> printed.</summary>
public sealed record SyncResult(int ExitCode, string Out, string Error)
{
    public JsonElement Json => JsonDocument.Parse(Out).RootElement;

    public string Status => Json.GetProperty("status").GetString()!;
    public long Read => Json.GetProperty("read").GetInt64();
    public long Written => Json.GetProperty("written").GetInt64();
    public long Skipped => Json.GetProperty("skipped").GetInt64();
    public long DeadLettered => Json.GetProperty("deadLettered").GetInt64();

    public override string ToString() => $"exit {ExitCode}: {Out}{Error}";
}

/// <summary>
/// The real <c>syncengine</c> program (<c>dotnet syncengine.dll ARGS --config FILE</c>), as an operator or the service manager
/// starts it: a process of its own that can be killed. The test project must reference SyncEngine.Cli, which puts the
/// program beside the tests.
/// </summary>
public static class SyncengineProgram
{
    public static Process Start(string workingDirectory, string configFile, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "syncengine.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.ArgumentList.Add("--config");
        start.ArgumentList.Add(configFile);
        return Process.Start(start)!;
    }

    /// <summary>Runs the program to its end (at most 5 minutes) and returns what it printed.</summary>
    public static async Task<SyncResult> RunAsync(string workingDirectory, string configFile, params string[] args)
    {
        using var process = Start(workingDirectory, configFile, args);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"syncengine {string.Join(' ', args)} did not end within 5 minutes: {await error}");
        }
        return new SyncResult(process.ExitCode, await output, await error);
    }
}
