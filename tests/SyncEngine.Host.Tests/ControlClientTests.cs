using SyncEngine.Core.Connectors;
using SyncEngine.Core.State;
using SyncEngine.Testing;

namespace SyncEngine.Host.Tests;

/// <summary>The CLI's side of the control API: it asks the running service to run a flow, or learns there is none.</summary>
public sealed class ControlClientTests : IAsyncLifetime
{
    private readonly HostHarness _h = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Control_client_runs_the_flow_through_the_running_service()
    {
        await _h.CreateStoreAsync(7);
        var configFile = _h.WriteConfig();
        var app = await _h.StartAsync(configFile);

        var report = await ClientFor(configFile).TrySyncAsync("copy", full: false, CancellationToken.None);

        Assert.NotNull(report);
        Assert.Equal(("copy", RunStatus.Succeeded, 7L, 7L), (report.Flow, report.RunStatus, report.Read, report.Written));
        Assert.Equal(0, report.ExitCode);
        Assert.Equal(7, (await TestStore.TargetRowsAsync(_h.StorePath)).Count);
        Assert.Equal("control-api", Assert.Single(await HostHarness.RunsAsync(app, "copy")).Trigger);
    }

    [Fact]
    public async Task Control_client_returns_null_when_no_service_listens()
    {
        await _h.CreateStoreAsync(3);
        var configFile = _h.WriteConfig(engine => engine["Control"]!["Token"] = "some-configured-token");

        var report = await ClientFor(configFile).TrySyncAsync("copy", full: false, CancellationToken.None);

        Assert.Null(report);
        Assert.Empty(await TestStore.TargetRowsAsync(_h.StorePath));
    }

    [Fact]
    public async Task Control_client_names_the_flow_the_service_does_not_have()
    {
        await _h.CreateStoreAsync(3);
        var configFile = _h.WriteConfig();
        await _h.StartAsync(configFile);

        var error = await Assert.ThrowsAsync<ConfigurationException>(() => ClientFor(configFile).TrySyncAsync("missing", false, CancellationToken.None));

        var problem = Assert.Single(error.Errors);
        Assert.Equal("SyncEngine:Flows:missing", problem.Key);
        Assert.Contains("'missing'", problem.Message);
    }

    [Fact]
    public async Task Control_client_says_when_the_service_refuses_its_token()
    {
        await _h.CreateStoreAsync(3);
        await _h.StartAsync(_h.WriteConfig(engine => engine["Control"]!["Token"] = "the-service-token"));
        var clientConfig = _h.WriteConfig(engine => engine["Control"]!["Token"] = "an-old-token", "client.json");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ClientFor(clientConfig).TrySyncAsync("copy", false, CancellationToken.None));

        Assert.Contains($"127.0.0.1:{_h.Port}", error.Message);
        Assert.Contains("SyncEngine:Control:Token", error.Message);
        Assert.Empty(await TestStore.TargetRowsAsync(_h.StorePath));
    }

    private static ControlClient ClientFor(string configFile)
    {
        var config = EngineConfiguration.Load(configFile);
        return new ControlClient(config.Options.Control, config.Environment);
    }
}
