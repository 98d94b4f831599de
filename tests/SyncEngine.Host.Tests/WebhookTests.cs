using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SyncEngine.Core;
using SyncEngine.Core.Flows;
using SyncEngine.Testing;

namespace SyncEngine.Host.Tests;

public sealed class WebhookTests : IAsyncLifetime
{
    private const string Secret = "webhook-secret-0123456789abcdef";
    private readonly HostHarness _h = new();
    private readonly int _webhookPort = Ports.Free();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private string Config(Action<JsonObject>? more = null) => _h.WriteConfig(engine =>
    {
        engine["Webhooks"] = new JsonObject { ["Enabled"] = true, ["Port"] = _webhookPort, ["Secret"] = Secret };
        more?.Invoke(engine);
    });

    private HttpClient Webhook() => new() { BaseAddress = new Uri($"http://127.0.0.1:{_webhookPort}/") };

    [Fact]
    public async Task A_webhook_with_the_secret_runs_the_flows_reading_the_changed_stream_at_once()
    {
        await _h.CreateStoreAsync(4);
        var app = await _h.StartAsync(Config());
        using var client = Webhook();

        using var response = await client.PostAsync($"webhooks/store/{Secret}", new StringContent("""{"event":"products"}"""));
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        await app.Services.GetRequiredService<FlowTrigger>().IdleAsync(CancellationToken.None);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("copy", (string?)body!["flows"]![0]);
        Assert.Equal(4, (await TestStore.TargetRowsAsync(_h.StorePath)).Count);
        var run = Assert.Single(await HostHarness.RunsAsync(app, "copy"));
        Assert.Equal("webhook", run.Trigger);
    }

    [Fact]
    public async Task A_webhook_with_a_wrong_secret_or_an_unknown_payload_runs_nothing()
    {
        await _h.CreateStoreAsync(4);
        var app = await _h.StartAsync(Config());
        using var client = Webhook();

        using var wrong = await client.PostAsync("webhooks/store/not-the-secret-0123456789abc", new StringContent("products"));
        using var unknown = await client.PostAsync($"webhooks/store/{Secret}", new StringContent("""{"event":"coupons"}"""));
        using var malformed = await client.PostAsync($"webhooks/store/{Secret}", new StringContent("{"));
        using var noConnection = await client.PostAsync($"webhooks/erp/{Secret}", new StringContent("products"));
        await app.Services.GetRequiredService<FlowTrigger>().IdleAsync(CancellationToken.None);

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("not valid JSON", await malformed.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, noConnection.StatusCode);
        Assert.Empty(await TestStore.TargetRowsAsync(_h.StorePath));
        Assert.Empty(await HostHarness.RunsAsync(app, "copy"));
    }

    [Fact]
    public async Task The_webhook_port_serves_no_control_api_even_with_the_token_and_a_forged_host_header()
    {
        await _h.CreateStoreAsync(2);
        var app = await _h.StartAsync(Config(engine => engine["Control"]!["Token"] = "control-token-0123456789abcdef"));
        using var client = Webhook();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "control-token-0123456789abcdef");
        client.DefaultRequestHeaders.Host = $"127.0.0.1:{_h.Port}";

        using var sync = await client.PostAsync("api/flows/copy/sync", null);
        using var status = await client.GetAsync("api/status");

        Assert.Equal(HttpStatusCode.NotFound, sync.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
        Assert.Empty(await TestStore.TargetRowsAsync(_h.StorePath));
        Assert.Empty(await HostHarness.RunsAsync(app, "copy"));
    }

    [Fact]
    public async Task A_burst_of_webhooks_during_a_run_costs_one_more_run_and_loses_no_change()
    {
        // Shop and ERP in files of their own, so the shop can change while the ERP is being written.
        await _h.CreateStoreAsync(40, "shop.db");
        await _h.CreateStoreAsync(0, "erp.db");
        var app = await _h.StartAsync(Config(engine =>
        {
            engine["Connections"]!["shop"] = new JsonObject { ["Type"] = "TestStore", ["Path"] = "shop.db" };
            engine["Connections"]!["erp"] = new JsonObject { ["Type"] = "TestStore", ["Path"] = "erp.db", ["DelayMs"] = 500 };
            engine["Flows"] = new JsonObject { ["orders"] = new JsonObject { ["From"] = "shop/products", ["To"] = "erp/products", ["BatchSize"] = 5 } };
        }));
        var erp = _h.Folder["erp.db"];
        using var client = Webhook();

        using (await client.PostAsync($"webhooks/shop/{Secret}", new StringContent("products"))) { }
        await HostHarness.WaitUntilAsync(async () => (await TestStore.TargetRowsAsync(erp)).Count > 0);
        // New products arrive while the first run is busy; each announces itself.
        await TestStore.AddProductsAsync(_h.Folder["shop.db"], 41, 3);
        for (var i = 0; i < 5; i++) using (await client.PostAsync($"webhooks/shop/{Secret}", new StringContent("products"))) { }
        var firstStillRunning = (await HostHarness.RunsAsync(app, "orders")).Single().FinishedAt is null;
        await app.Services.GetRequiredService<FlowTrigger>().IdleAsync(CancellationToken.None);

        var rows = await TestStore.TargetRowsAsync(erp);
        Assert.True(firstStillRunning, "the burst should have arrived during the first run (8 batches of 500 ms)");
        Assert.Equal(43, rows.Count);
        Assert.All(rows, r => Assert.Equal(1, r.Writes));
        var runs = await HostHarness.RunsAsync(app, "orders");
        Assert.True(runs.Count == 2, string.Join(" | ", runs.Select(r => $"{r.Id} {r.Status} read {r.Read} written {r.Written} {r.StartedAt:HH:mm:ss.fff}-{r.FinishedAt:HH:mm:ss.fff}")));
        Assert.Equal(3, runs[0].Written);
    }

    [Fact]
    public async Task Webhooks_without_a_long_secret_or_on_the_control_port_do_not_validate()
    {
        var config = EngineConfiguration.Load(_h.WriteConfig(engine =>
            engine["Webhooks"] = new JsonObject { ["Enabled"] = true, ["Port"] = _h.Port, ["Secret"] = "short", ["Address"] = "everywhere" }));
        await using var services = new ServiceCollection().AddSyncEngine(config, s => s.AddConnector<TestStoreConnectorFactory>()).BuildServiceProvider();

        var errors = services.GetRequiredService<EngineValidator>().Validate().Select(e => e.Key).ToList();

        Assert.Equal(["SyncEngine:Webhooks:Secret", "SyncEngine:Webhooks:Address", "SyncEngine:Webhooks:Port"], errors);
    }
}
