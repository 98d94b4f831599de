using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Flows;
using SyncEngine.Host;

namespace SyncEngine.Cli;

/// <summary>The <c>syncengine</c> command line. Exit codes: 0 success, 1 run failed, 2 usage or configuration error, 3 finished with dead letters.</summary>
public static class CliApp
{
    public const int Success = 0;
    public const int Failed = 1;
    public const int UsageError = 2;
    public const int DeadLettered = 3;

    public static async Task<int> RunAsync(string[] args, Action<IServiceCollection> addConnectors, TextWriter? output = null, TextWriter? error = null)
    {
        var console = new CliConsole(output ?? Console.Out, error ?? Console.Error, interactive: output is null && !Console.IsOutputRedirected);
        var commands = new Commands(console, addConnectors);
        var root = commands.Build();
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var parseError in parsed.Errors) console.Error.WriteLine(parseError.Message);
            console.Error.WriteLine("Run 'syncengine --help' for usage.");
            return UsageError;
        }
        try
        {
            // Ctrl+C is handled by the commands themselves: the first one stops after the current batch.
            return await parsed.InvokeAsync(new InvocationConfiguration
            {
                Output = console.Out, Error = console.Error, ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false,
            });
        }
        catch (ConfigurationException ex)
        {
            console.PrintConfigErrors(ex.Errors);
            return UsageError;
        }
        catch (Exception ex)
        {
            console.Error.WriteLine("Error: " + ex.Message);
            return Failed;
        }
    }
}
