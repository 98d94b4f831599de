using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SyncEngine.Core;
using SyncEngine.Core.Flows;
using SyncEngine.Core.State;
using SyncEngine.Testing;

namespace SyncEngine.Connectors.Database.Tests;

/// <summary>
/// The engine in process, as the service runs it: connection <c>shop</c> (the in-test system) and connection <c>erp</c>
/// (the database under test), with the flows a test configures. Log messages are kept for the test to read.
/// </summary>
public sealed class Engine : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private Engine(ServiceProvider services, LogCapture logs)
    {
        _services = services;
        Logs = logs;
    }

    public LogCapture Logs { get; }
    public FlowRunner Runner => _services.GetRequiredService<FlowRunner>();
    public EngineValidator Validator => _services.GetRequiredService<EngineValidator>();
    public IStateStore State => _services.GetRequiredService<IStateStore>();

    public static Engine Start(TempDirectory folder, TestDatabase database, MemorySystem shop, IDictionary<string, string?> settings) =>
        Start(folder, database.Provider, database.ConnectionString, database.Schema(), shop, settings);

    public static Engine Start(TempDirectory folder, string provider, string connectionString, string schema, MemorySystem shop, IDictionary<string, string?> settings)
    {
        File.WriteAllText(folder["schema.sql"], schema);
        var values = new Dictionary<string, string?>
        {
            ["SyncEngine:Connections:shop:Type"] = "Memory",
            ["SyncEngine:Connections:erp:Type"] = "Database",
            ["SyncEngine:Connections:erp:Provider"] = provider,
            ["SyncEngine:Connections:erp:ConnectionString"] = connectionString,
            ["SyncEngine:Connections:erp:Setup"] = "schema.sql",
            ["SyncEngine:Connections:erp:Streams:orders:RecordType"] = "Order",
            ["SyncEngine:Connections:erp:Streams:stock:RecordType"] = "StockLevel",
            ["SyncEngine:Connections:erp:Streams:articles:RecordType"] = "Product",
        };
        foreach (var (key, value) in settings) values[key] = value;
        var logs = new LogCapture();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(new LoggerFactory([logs], new LoggerFilterOptions { MinLevel = LogLevel.Trace }));
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSyncEngineCore(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), new EngineEnvironment(folder.Path, folder["data"]));
        services.AddDatabaseConnector();
        services.AddConnector<MemoryConnectorFactory>();
        services.AddSingleton(new MemoryShops(shop));
        services.AddSingleton<IStateStore>(new AdoStateStore(SqliteFactory.Instance.CreateDataSource($"Data Source={folder["state.db"]}"), StateDialect.Sqlite));
        return new Engine(services.BuildServiceProvider(), logs);
    }

    public Task<RunRecord> RunAsync(string flow, bool full = false) => Runner.RunAsync(flow, new RunOptions { Full = full }, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await _services.GetRequiredService<ConnectorRegistry>().DisposeAsync();
        await _services.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }
}

public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _messages = new();

    public IReadOnlyList<string> Messages => _messages.ToList();

    public ILogger CreateLogger(string categoryName) => new Logger(_messages);

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<string> messages) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            messages.Enqueue($"{logLevel}: {formatter(state, exception)}");
    }
}
