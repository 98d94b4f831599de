using System.Net;
using System.Net.Sockets;
using SyncEngine.Testing;

namespace SyncEngine.Host.Tests;

public sealed class ControlDisabledTests : IAsyncLifetime
{
    private readonly HostHarness _h = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task With_the_control_api_disabled_the_host_opens_no_port_and_still_runs_the_schedule()
    {
        await _h.CreateStoreAsync(5);

        var app = await _h.StartAsync(_h.WriteConfig(engine =>
        {
            engine["Control"]!["Enabled"] = false;
            engine["Flows"]!["copy"]!["Schedule"] = "0/1 * * * * ?";
        }));

        // No server addresses at all (Kestrel with no endpoint would have listened on its default, localhost:5000).
        Assert.Empty(app.Urls);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAsync<SocketException>(async () => await socket.ConnectAsync(IPAddress.Loopback, _h.Port));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        Assert.False(File.Exists(_h.TokenFile));

        var rows = await HostHarness.UntilAsync("the scheduled run to copy all 5 products",
            () => TestStore.TargetRowsAsync(_h.StorePath), r => r.Count == 5);
        Assert.All(rows, r => Assert.Equal(1, r.Writes));
    }
}
