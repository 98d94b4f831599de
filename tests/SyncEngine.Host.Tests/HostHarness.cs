using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using SyncEngine.Core;
using SyncEngine.Core.State;
using SyncEngine.Testing;

namespace SyncEngine.Host.Tests;

/// <summary>
/// One test's folder, TestStore file, control port and the service hosts built over them.
/// Disposing it stops and disposes every host it built, clears the SQLite pools, then removes the folder.
/// </summary>
public sealed class HostHarness : IAsyncDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly List<WebApplication> _apps = [];
    private readonly List<HttpClient> _clients = [];

    public TempDirectory Folder { get; } = new();

    /// <summary>A port that was free on 127.0.0.1 when the harness was made.</summary>
    public int Port { get; } = Ports.Free();

    public string StorePath => Folder["store.db"];

    /// <summary>Creates the TestStore file with products P1..P{products}.</summary>
    public async Task CreateStoreAsync(int products, string file = "store.db")
    {
        await TestStore.CreateAsync(Folder[file]);
        if (products > 0) await TestStore.AddProductsAsync(Folder[file], 1, products);
    }

    /// <summary>
    /// Writes a configuration file into the test folder: data folder <c>data</c>, control API on <see cref="Port"/>,
    /// connection <c>store</c> (TestStore over store.db) and flow <c>copy</c> (store/products to store/products, batches of 5, no schedule).
    /// <paramref name="customize"/> gets the <c>SyncEngine</c> section to change before it is written.
    /// </summary>
    public string WriteConfig(Action<JsonObject>? customize = null, string name = "appsettings.json")
    {
        var engine = new JsonObject
        {
            ["DataDirectory"] = "data",
            ["Control"] = new JsonObject { ["Port"] = Port },
            ["Connections"] = new JsonObject
            {
                ["store"] = new JsonObject { ["Type"] = "TestStore", ["Path"] = "store.db" },
            },
            ["Flows"] = new JsonObject
            {
                ["copy"] = new JsonObject { ["From"] = "store/products", ["To"] = "store/products", ["BatchSize"] = 5 },
            },
        };
        customize?.Invoke(engine);
        var path = Folder[name];
        File.WriteAllText(path, new JsonObject { ["SyncEngine"] = engine }.ToJsonString());
        return path;
    }

    public WebApplication Build(string configFile)
    {
        var config = EngineConfiguration.Load(configFile);
        var app = ServiceHost.Build(config, services => services.AddConnector<TestStoreConnectorFactory>());
        _apps.Add(app);
        return app;
    }

    public async Task<WebApplication> StartAsync(string configFile)
    {
        var app = Build(configFile);
        await app.StartAsync();
        return app;
    }

    /// <summary>A client of the control API on 127.0.0.1:<see cref="Port"/>, presenting <paramref name="token"/> when given.</summary>
    public HttpClient Client(string? token)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}/") };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        _clients.Add(client);
        return client;
    }

    public string TokenFile => Folder[Path.Combine("data", ControlToken.FileName)];

    public string ReadToken() => File.ReadAllText(TokenFile).Trim();

    public static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The condition did not become true within {Deadline.TotalSeconds} s.");
            await Task.Delay(20);
        }
    }

    public static async Task<IReadOnlyList<RunRecord>> RunsAsync(WebApplication app, string flow)
    {
        var state = app.Services.GetRequiredService<IStateStore>();
        await state.InitializeAsync(CancellationToken.None);
        return await state.GetRunsAsync(flow, 100, CancellationToken.None);
    }

    public static async Task<long?> CursorAsync(WebApplication app, string flow)
    {
        var state = app.Services.GetRequiredService<IStateStore>();
        await state.InitializeAsync(CancellationToken.None);
        var cursor = await state.GetCursorAsync(flow, CancellationToken.None);
        return cursor is null ? null : long.Parse(cursor, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Probes until <paramref name="done"/> holds, failing with the last value seen once the deadline passes.</summary>
    public static async Task<T> UntilAsync<T>(string what, Func<Task<T>> probe, Func<T, bool> done, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? Deadline);
        while (true)
        {
            var value = await probe();
            if (done(value)) return value;
            if (DateTime.UtcNow > until) Assert.Fail($"Timed out waiting for {what}; last seen: {Describe(value)}");
            await Task.Delay(50);
        }
    }

    private static string Describe<T>(T value) => value switch
    {
        null => "null",
        System.Collections.IEnumerable items and not string => "[" + string.Join(", ", items.Cast<object?>()) + "]",
        _ => value.ToString() ?? string.Empty,
    };

    /// <summary>Stops the host (letting a running batch commit) and disposes it, as a service shutdown does.</summary>
    public async Task StopAndDisposeAsync(WebApplication app)
    {
        _apps.Remove(app);
        await app.StopAsync();
        await app.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients) client.Dispose();
        foreach (var app in _apps)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await app.StopAsync(timeout.Token);
            }
            catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or ObjectDisposedException)
            {
                // Never started, or already stopped and disposed by the test.
            }
            await app.DisposeAsync();
        }
        SqliteConnection.ClearAllPools();
        Folder.Dispose();
    }
}
