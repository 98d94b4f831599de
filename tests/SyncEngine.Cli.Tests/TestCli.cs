using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SyncEngine.Core;
using SyncEngine.Testing;

namespace SyncEngine.Cli.Tests;

/// <summary>Entry point when this assembly runs as a child process: syncengine with the in-test connector.</summary>
public static class ChildProgram
{
    public static Task<int> Main(string[] args) => CliApp.RunAsync(args, TestCli.AddConnectors);
}

public sealed record CliResult(int ExitCode, string Out, string Error)
{
    public JsonElement Json => JsonDocument.Parse(Out).RootElement;
}

/// <summary>Runs syncengine in this process, or as a real child process that can be killed.</summary>
public static class TestCli
{
    public static void AddConnectors(IServiceCollection services)
    {
        Connectors.AddAll(services);
        services.AddConnector<TestStoreConnectorFactory>();
    }

    public static async Task<CliResult> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await CliApp.RunAsync(args, AddConnectors, output, error);
        return new CliResult(exit, output.ToString(), error.ToString());
    }

    public static Process Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    public static Process Start(IDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        start.ArgumentList.Add(typeof(ChildProgram).Assembly.Location);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        return Process.Start(start)!;
    }

    public static Task<CliResult> RunProcessAsync(params string[] args) => RunProcessAsync(new Dictionary<string, string>(), args);

    public static async Task<CliResult> RunProcessAsync(IDictionary<string, string> environment, params string[] args)
    {
        using var process = Start(environment, args);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return new CliResult(process.ExitCode, await output, await error);
    }

    /// <summary>A config file with TestStore connection <c>store</c> and flow <c>copy</c>; returns its path.</summary>
    public static string WriteConfig(TempDirectory folder, int batchSize = 10, int delayMs = 0, string? extraFlows = null, int? controlPort = null)
    {
        var path = folder["appsettings.json"];
        File.WriteAllText(path, $$"""
            {
              "SyncEngine": {
                "DataDirectory": "data",
                "Control": { "Enabled": {{(controlPort is null ? "false" : "true")}}, "Port": {{controlPort ?? 7431}} },
                "Connections": {
                  "store": { "Type": "TestStore", "Path": "store.db", "DelayMs": {{delayMs}} }
                },
                "Flows": {
                  {{extraFlows}}
                  "copy": { "From": "store/products", "To": "store/products", "BatchSize": {{batchSize}} }
                }
              }
            }
            """);
        return path;
    }
}
