using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SyncEngine.Core;
using SyncEngine.Core.Flows;
using SyncEngine.Testing;

namespace SyncEngine.Host.Tests;

public sealed class ValidationTests : IAsyncLifetime
{
    private readonly HostHarness _h = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Validate_reports_every_problem_each_naming_its_key()
    {
        await _h.CreateStoreAsync(0);
        var config = EngineConfiguration.Load(_h.WriteConfig(engine =>
        {
            engine["Connections"]!["legacy"] = new JsonObject { ["Type"] = "NoSuchConnector" };
            engine["Flows"]!["copy"]!["Schedule"] = "every minute";
            engine["Flows"]!["copy"]!["Mapping"] = "mappings/missing.json";
            engine["Flows"]!["orphan"] = new JsonObject { ["From"] = "nowhere/products", ["To"] = "store/products" };
        }));
        await using var services = new ServiceCollection()
            .AddSyncEngine(config, s => s.AddConnector<TestStoreConnectorFactory>())
            .BuildServiceProvider();

        var errors = services.GetRequiredService<EngineValidator>().Validate();

        Assert.Equal(
            ["SyncEngine:Connections:legacy:Type", "SyncEngine:Flows:copy:Mapping", "SyncEngine:Flows:copy:Schedule", "SyncEngine:Flows:orphan:From"],
            errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Contains("'NoSuchConnector'", Message("SyncEngine:Connections:legacy:Type"));
        Assert.Contains("TestStore", Message("SyncEngine:Connections:legacy:Type"));
        Assert.Contains("'every minute'", Message("SyncEngine:Flows:copy:Schedule"));
        // Relative paths resolve against the configuration file's folder.
        Assert.Contains(_h.Folder["mappings/missing.json"], Message("SyncEngine:Flows:copy:Mapping"));
        Assert.Contains("'nowhere'", Message("SyncEngine:Flows:orphan:From"));

        string Message(string key) => Assert.Single(errors, e => e.Key == key).Message;
    }
}
