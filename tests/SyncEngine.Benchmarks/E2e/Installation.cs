using System.Text.Json;
using System.Text.Json.Nodes;
using SyncEngine.Cli;
using SyncEngine.Host;

namespace SyncEngine.Benchmarks.E2e;

/// <summary>What one <c>syncengine sync FLOW --json</c> printed.</summary>
public sealed record SyncOutcome(int ExitCode, string Status, long Read, long Written, long Skipped, long DeadLettered, string Text)
{
    public bool Succeeded => ExitCode == 0 && Status == "succeeded";
}

/// <summary>
/// An installation as a customer has it: a folder with its configuration file (connections and flows), the mappings it
/// names and the engine's data folder. Flows run through the real command line, in this process.
/// </summary>
public sealed class Installation
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public Installation(string folder, JsonObject connections, JsonObject flows, JsonObject? webhooks = null)
    {
        Folder = folder;
        Directory.CreateDirectory(folder);
        CopyMappings(Path.Combine(AppContext.BaseDirectory, "mappings"), Path.Combine(folder, "mappings"));
        var engine = new JsonObject
        {
            ["DataDirectory"] = "data",
            ["Control"] = new JsonObject { ["Enabled"] = false },
            ["Connections"] = connections,
            ["Flows"] = flows,
        };
        if (webhooks is not null) engine["Webhooks"] = webhooks;
        File.WriteAllText(ConfigFile, new JsonObject { ["SyncEngine"] = engine }.ToJsonString(Indented));
    }

    public string Folder { get; }

    public string ConfigFile => Path.Combine(Folder, "syncengine.json");

    public string this[string relative] => Path.Combine(Folder, relative);

    public async Task<SyncOutcome> SyncAsync(string flow)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await CliApp.RunAsync(["sync", flow, "--json", "--config", ConfigFile], Cli.Connectors.AddAll, output, error);
        var text = output.ToString();
        try
        {
            var json = JsonDocument.Parse(text).RootElement;
            return new SyncOutcome(exit, json.GetProperty("status").GetString() ?? "?", json.GetProperty("read").GetInt64(),
                json.GetProperty("written").GetInt64(), json.GetProperty("skipped").GetInt64(), json.GetProperty("deadLettered").GetInt64(), text + error);
        }
        catch (JsonException)
        {
            return new SyncOutcome(exit, "no output", 0, 0, 0, 0, text + error);
        }
    }

    /// <summary>The service (<c>syncengine serve</c>) on this installation, started in this process.</summary>
    public async Task<IAsyncDisposable> ServeAsync()
    {
        var app = ServiceHost.Build(EngineConfiguration.Load(ConfigFile), Cli.Connectors.AddAll);
        await app.StartAsync();
        return new Service(app);
    }

    private sealed class Service(Microsoft.AspNetCore.Builder.WebApplication app) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static void CopyMappings(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*.json", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
