using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SyncEngine.Core;
using SyncEngine.Core.Flows;
using SyncEngine.Core.State;

namespace SyncEngine.Testing;

public enum StateBackend
{
    Sqlite,
    PostgreSql,
}

/// <summary>
/// The engine in process with a TestStore connection <c>store</c> and flow <c>copy</c> (store/products -> store/products),
/// over the chosen state database.
/// </summary>
public sealed class TestEngine : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly PostgresDatabase? _postgres;

    private TestEngine(ServiceProvider services, TempDirectory folder, string storePath, PostgresDatabase? postgres)
    {
        _services = services;
        Folder = folder;
        StorePath = storePath;
        _postgres = postgres;
    }

    public TempDirectory Folder { get; }
    public string StorePath { get; }
    public FlowRunner Runner => _services.GetRequiredService<FlowRunner>();
    public IStateStore State => _services.GetRequiredService<IStateStore>();
    public EngineValidator Validator => _services.GetRequiredService<EngineValidator>();
    public IServiceProvider Services => _services;

    public static async Task<TestEngine> CreateAsync(StateBackend backend, int batchSize = 10, IDictionary<string, string?>? settings = null,
        TempDirectory? folder = null, PostgresDatabase? postgres = null, int delayMs = 0)
    {
        folder ??= new TempDirectory();
        var storePath = folder["store.db"];
        await TestStore.CreateAsync(storePath);
        var values = new Dictionary<string, string?>
        {
            ["SyncEngine:DataDirectory"] = folder["data"],
            ["SyncEngine:Connections:store:Type"] = "TestStore",
            ["SyncEngine:Connections:store:Path"] = storePath,
            ["SyncEngine:Connections:store:DelayMs"] = delayMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SyncEngine:Flows:copy:From"] = "store/products",
            ["SyncEngine:Flows:copy:To"] = "store/products",
            ["SyncEngine:Flows:copy:BatchSize"] = batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) values[key] = value;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();

        var owned = false;
        if (backend == StateBackend.PostgreSql && postgres is null)
        {
            postgres = await PostgresDatabase.CreateAsync();
            owned = true;
        }
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSyncEngineCore(configuration, new EngineEnvironment(folder.Path, folder["data"]));
        services.AddConnector<TestStoreConnectorFactory>();
        services.AddSingleton<IStateStore>(CreateState(backend, folder, postgres));
        var provider = services.BuildServiceProvider();
        return new TestEngine(provider, folder, storePath, owned ? postgres : null);
    }

    public static IStateStore CreateState(StateBackend backend, TempDirectory folder, PostgresDatabase? postgres) => backend switch
    {
        StateBackend.PostgreSql => new AdoStateStore(NpgsqlDataSource.Create(postgres!.ConnectionString), StateDialect.PostgreSql),
        _ => new AdoStateStore(SqliteFactory.Instance.CreateDataSource($"Data Source={folder["state.db"]};Default Timeout=60"), StateDialect.Sqlite),
    };

    public Task<RunRecord> RunAsync(bool full = false, CancellationToken stop = default) =>
        Runner.RunAsync("copy", new RunOptions { Full = full, StopRequested = stop }, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await _services.GetRequiredService<ConnectorRegistry>().DisposeAsync();
        await _services.DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Folder.Dispose();
    }
}
