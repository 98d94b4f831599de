using System.Text.Json.Nodes;
using SyncEngine.Core.State;
using SyncEngine.Testing;

namespace SyncEngine.Host.Tests;

public sealed class ScheduleTests : IAsyncLifetime
{
    private readonly HostHarness _h = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Schedule_runs_an_enabled_flow_on_its_own_and_never_a_disabled_one()
    {
        await _h.CreateStoreAsync(10);
        await _h.CreateStoreAsync(0, "other.db");
        var app = await _h.StartAsync(_h.WriteConfig(engine =>
        {
            engine["Connections"]!["other"] = new JsonObject { ["Type"] = "TestStore", ["Path"] = "other.db" };
            engine["Flows"]!["copy"]!["Schedule"] = "0/1 * * * * ?";
            engine["Flows"]!["idle"] = new JsonObject
            {
                ["From"] = "store/products", ["To"] = "other/products", ["Schedule"] = "0/1 * * * * ?", ["Enabled"] = false,
            };
        }));

        var rows = await HostHarness.UntilAsync("the scheduled run to copy all 10 products",
            () => TestStore.TargetRowsAsync(_h.StorePath), r => r.Count == 10);
        Assert.All(rows, r => Assert.Equal(1, r.Writes));
        // Three scheduled runs of copy: the schedule keeps firing, and has had every chance to fire idle too.
        var runs = await HostHarness.UntilAsync("three finished scheduled runs of copy",
            () => HostHarness.RunsAsync(app, "copy"),
            r => r.Count(run => run.Trigger == "schedule" && run.Status == RunStatus.Succeeded) >= 3);
        Assert.All(runs, run => Assert.Equal("schedule", run.Trigger));
        Assert.Equal(10, runs.Sum(run => run.Written));

        Assert.Empty(await HostHarness.RunsAsync(app, "idle"));
        Assert.Empty(await TestStore.TargetRowsAsync(_h.Folder["other.db"]));
    }
}
