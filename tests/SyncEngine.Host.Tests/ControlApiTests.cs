using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using SyncEngine.Testing;

namespace SyncEngine.Host.Tests;

public sealed class ControlApiTests : IAsyncLifetime
{
    private readonly HostHarness _h = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Control_api_listens_on_loopback_only()
    {
        await _h.CreateStoreAsync(0);
        var app = await _h.StartAsync(_h.WriteConfig());

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        Assert.Equal([$"http://127.0.0.1:{_h.Port}"], addresses);
        Assert.Equal([$"http://127.0.0.1:{_h.Port}"], app.Urls);

        // It does answer on loopback...
        using (var status = await _h.Client(_h.ReadToken()).GetAsync("api/status"))
            Assert.Equal(HttpStatusCode.OK, status.StatusCode);

        // ...and nothing listens on the port on the machine's network address.
        var external = NonLoopbackIPv4();
        if (external is null) return; // No network address on this machine: nothing more to check.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var refused = await Assert.ThrowsAsync<SocketException>(async () => await socket.ConnectAsync(external, _h.Port, timeout.Token));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task Requests_without_a_valid_token_get_401_and_run_nothing()
    {
        await _h.CreateStoreAsync(12);
        var app = await _h.StartAsync(_h.WriteConfig());
        var token = _h.ReadToken();

        var refusedClients = new[]
        {
            _h.Client(null),
            _h.Client("wrong-" + token),
            _h.Client(token[..^1]),
        };
        foreach (var client in refusedClients)
        {
            using var sync = await client.PostAsync("api/flows/copy/sync", null);
            Assert.Equal(HttpStatusCode.Unauthorized, sync.StatusCode);
            using var status = await client.GetAsync("api/status");
            Assert.Equal(HttpStatusCode.Unauthorized, status.StatusCode);
        }
        // The right token under another scheme is not accepted either.
        var basic = _h.Client(null);
        basic.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", token);
        using (var sync = await basic.PostAsync("api/flows/copy/sync", null))
            Assert.Equal(HttpStatusCode.Unauthorized, sync.StatusCode);

        Assert.Empty(await TestStore.TargetRowsAsync(_h.StorePath));
        Assert.Empty(await HostHarness.RunsAsync(app, "copy"));
    }

    [Fact]
    public async Task Sync_with_the_token_runs_the_flow_and_returns_its_report()
    {
        await _h.CreateStoreAsync(12);
        var app = await _h.StartAsync(_h.WriteConfig());
        var client = _h.Client(_h.ReadToken());

        using var response = await client.PostAsync("api/flows/copy/sync", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var report = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("copy", (string?)report["flow"]);
        Assert.Equal("succeeded", (string?)report["status"]);
        Assert.Equal(12, (long?)report["read"]);
        Assert.Equal(12, (long?)report["written"]);
        Assert.Equal(0, (long?)report["deadLettered"]);
        Assert.True((long?)report["runId"] > 0);

        var rows = await TestStore.TargetRowsAsync(_h.StorePath);
        Assert.Equal(Enumerable.Range(1, 12).Select(i => $"P{i}").Order(StringComparer.Ordinal), rows.Select(r => r.Id));
        Assert.All(rows, r => Assert.Equal(1, r.Writes));
        var run = Assert.Single(await HostHarness.RunsAsync(app, "copy"));
        Assert.Equal("control-api", run.Trigger);
        Assert.Equal((long?)report["runId"], run.Id);
    }

    [Fact]
    public async Task Status_lists_every_flow_with_its_last_run()
    {
        await _h.CreateStoreAsync(3);
        await _h.StartAsync(_h.WriteConfig(engine =>
        {
            engine["Flows"]!["copy"]!["Schedule"] = "0 0 3 * * ?";
            engine["Flows"]!["second"] = new JsonObject { ["From"] = "store/products", ["To"] = "store/products", ["Enabled"] = false };
        }));
        var client = _h.Client(_h.ReadToken());
        using (var sync = await client.PostAsync("api/flows/copy/sync", null))
            Assert.Equal(HttpStatusCode.OK, sync.StatusCode);

        using var response = await client.GetAsync("api/status");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var flows = status["flows"]!.AsArray();
        Assert.Equal(["copy", "second"], flows.Select(f => (string?)f!["name"]));
        var copy = flows[0]!;
        Assert.Equal("store/products", (string?)copy["from"]);
        Assert.Equal("store/products", (string?)copy["to"]);
        Assert.Equal("0 0 3 * * ?", (string?)copy["schedule"]);
        Assert.True((bool?)copy["enabled"]);
        Assert.False((bool?)copy["running"]);
        Assert.Equal("succeeded", (string?)copy["lastRun"]!["status"]);
        Assert.Equal(3, (long?)copy["lastRun"]!["written"]);
        var second = flows[1]!;
        Assert.False((bool?)second["enabled"]);
        Assert.Null(second["lastRun"]);
    }

    [Fact]
    public async Task Sync_of_an_unknown_flow_gives_404_naming_it()
    {
        await _h.CreateStoreAsync(3);
        var app = await _h.StartAsync(_h.WriteConfig());
        var client = _h.Client(_h.ReadToken());

        using var response = await client.PostAsync("api/flows/no-such-flow/sync", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains("'no-such-flow'", (string?)body["error"]);
        Assert.Empty(await TestStore.TargetRowsAsync(_h.StorePath));
        Assert.Empty(await HostHarness.RunsAsync(app, "no-such-flow"));
    }

    private static IPAddress? NonLoopbackIPv4() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
}
