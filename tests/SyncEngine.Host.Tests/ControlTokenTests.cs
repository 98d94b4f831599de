using System.Net;
using System.Text.Json.Nodes;

namespace SyncEngine.Host.Tests;

public sealed class ControlTokenTests : IAsyncLifetime
{
    private readonly HostHarness _h = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Without_a_configured_token_one_is_generated_owner_only_and_reused_on_restart()
    {
        await _h.CreateStoreAsync(2);
        var config = _h.WriteConfig();
        Assert.False(File.Exists(_h.TokenFile));

        var first = await _h.StartAsync(config);

        Assert.True(File.Exists(_h.TokenFile), $"expected the token at {_h.TokenFile}");
        var token = _h.ReadToken();
        Assert.True(token.Length >= 32, $"token '{token}' is too short to be a secret");
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_h.TokenFile));
        using (var status = await _h.Client(token).GetAsync("api/status"))
            Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        await _h.StopAndDisposeAsync(first);

        var second = await _h.StartAsync(config);

        Assert.Equal(token, _h.ReadToken());
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_h.TokenFile));
        using (var sync = await _h.Client(token).PostAsync("api/flows/copy/sync", null))
        {
            Assert.Equal(HttpStatusCode.OK, sync.StatusCode);
            Assert.Equal("succeeded", (string?)JsonNode.Parse(await sync.Content.ReadAsStringAsync())!["status"]);
        }
        Assert.NotNull(second);
    }

    [Fact]
    public async Task An_empty_token_file_is_replaced_and_a_readable_one_is_made_owner_only()
    {
        await _h.CreateStoreAsync(2);
        var config = _h.WriteConfig();
        Directory.CreateDirectory(Path.GetDirectoryName(_h.TokenFile)!);
        File.WriteAllText(_h.TokenFile, "  \n");

        var host = await _h.StartAsync(config);
        var token = _h.ReadToken();

        Assert.True(token.Length >= 32, $"the empty token file should have been replaced, it holds '{token}'");
        using (var empty = await _h.Client("").GetAsync("api/status"))
            Assert.Equal(HttpStatusCode.Unauthorized, empty.StatusCode);
        await _h.StopAndDisposeAsync(host);

        if (OperatingSystem.IsWindows()) return;
        File.SetUnixFileMode(_h.TokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        await _h.StartAsync(config);

        Assert.Equal(token, _h.ReadToken());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_h.TokenFile));
    }

    [Fact]
    public async Task The_bearer_scheme_is_accepted_in_any_letter_case()
    {
        const string secret = "configured-secret-0123456789abcdef";
        await _h.CreateStoreAsync(2);
        await _h.StartAsync(_h.WriteConfig(engine => engine["Control"]!["Token"] = secret));
        using var client = _h.Client(secret);
        client.DefaultRequestHeaders.Authorization = null;
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "bearer " + secret);

        using var status = await client.GetAsync("api/status");

        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
    }

    [Fact]
    public async Task A_configured_token_is_accepted_and_no_token_file_is_written()
    {
        const string secret = "configured-secret-0123456789abcdef";
        await _h.CreateStoreAsync(2);
        await _h.StartAsync(_h.WriteConfig(engine => engine["Control"]!["Token"] = secret));

        using (var sync = await _h.Client(secret).PostAsync("api/flows/copy/sync", null))
        {
            Assert.Equal(HttpStatusCode.OK, sync.StatusCode);
            Assert.Equal("succeeded", (string?)JsonNode.Parse(await sync.Content.ReadAsStringAsync())!["status"]);
        }
        using (var wrong = await _h.Client(secret + "x").GetAsync("api/status"))
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.False(File.Exists(_h.TokenFile));
    }
}
