using System.Net;
using System.Text.Json.Nodes;
using SyncEngine.Core.State;
using SyncEngine.Testing;
using Xunit.Abstractions;

namespace SyncEngine.Host.Tests;

public sealed class ShutdownTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Products = 20;
    private readonly HostHarness _h = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Theory]
    [InlineData("control-api")]
    [InlineData("schedule")]
    public async Task Stopping_the_host_mid_run_keeps_target_and_cursor_in_step_and_a_later_run_writes_the_rest(string trigger)
    {
        await _h.CreateStoreAsync(Products);
        var config = _h.WriteConfig(engine =>
        {
            engine["Connections"]!["store"]!["DelayMs"] = 300;
            engine["Flows"]!["copy"]!["BatchSize"] = 2;
            if (trigger == "schedule") engine["Flows"]!["copy"]!["Schedule"] = "0/1 * * * * ?";
        });
        var app = await _h.StartAsync(config);
        Task<HttpResponseMessage>? request = null;
        if (trigger == "control-api") request = _h.Client(_h.ReadToken()).PostAsync("api/flows/copy/sync", null);

        await HostHarness.UntilAsync("the first batch to be committed", () => HostHarness.CursorAsync(app, "copy"), c => c is > 0);
        var stopping = System.Diagnostics.Stopwatch.StartNew();
        await app.StopAsync();
        output.WriteLine($"stopped in {stopping.ElapsedMilliseconds} ms");

        if (request is not null)
        {
            using var response = await request;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var report = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal("stopped", (string?)report["status"]);
        }
        var run = Assert.Single(await HostHarness.RunsAsync(app, "copy"));
        output.WriteLine($"run {run.Status}: written {run.Written}, error {run.Error}");
        Assert.Equal(trigger, run.Trigger);
        Assert.NotNull(run.FinishedAt);
        var cursor = await HostHarness.CursorAsync(app, "copy");
        var rows = await TestStore.TargetRowsAsync(_h.StorePath);
        // Every row in the target is one the state knows it wrote, and every committed row is in the target.
        Assert.Equal(rows.Count, cursor);
        Assert.Equal(rows.Count, run.Written);
        Assert.Equal(Enumerable.Range(1, rows.Count).Select(i => $"P{i}").Order(StringComparer.Ordinal), rows.Select(r => r.Id));
        Assert.All(rows, r => Assert.Equal(1, r.Writes));
        // The whole run takes 10 batches of at least 300 ms; the stop came right after the first, so it must have cut the run short
        // (a run that went on to the end would mean shutdown waited for the whole flow instead of the current batch).
        Assert.Equal(RunStatus.Stopped, run.Status);
        Assert.InRange(rows.Count, 2, Products - 2);
        await _h.StopAndDisposeAsync(app);

        // A later run (triggered by hand, no schedule) carries on from the cursor.
        var resumed = await _h.StartAsync(_h.WriteConfig(engine =>
        {
            engine["Connections"]!["store"]!["DelayMs"] = 300;
            engine["Flows"]!["copy"]!["BatchSize"] = 2;
        }, "resume.json"));
        using (var sync = await _h.Client(_h.ReadToken()).PostAsync("api/flows/copy/sync", null))
        {
            Assert.Equal(HttpStatusCode.OK, sync.StatusCode);
            var report = JsonNode.Parse(await sync.Content.ReadAsStringAsync())!;
            Assert.Equal("succeeded", (string?)report["status"]);
            Assert.Equal(Products - rows.Count, (long?)report["written"]);
        }
        var all = await TestStore.TargetRowsAsync(_h.StorePath);
        Assert.Equal(Products, all.Count);
        Assert.All(all, r => Assert.Equal(1, r.Writes));
        Assert.Equal(Products, await HostHarness.CursorAsync(resumed, "copy"));
    }
}
