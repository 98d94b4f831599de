using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SyncEngine.Core;
using SyncEngine.Core.Flows;
using SyncEngine.Core.State;
using SyncEngine.Testing;

namespace SyncEngine.Connectors.SageOfficeLine.Tests;

/// <summary>
/// The engine in process, as the service runs it, over a state database of its own: the test's shops (Memory
/// connections) and Sage connections on the test's Sage database, with the flows a test configures.
/// A second engine over a new state file is the engine after a crash that lost its state.
/// </summary>
public sealed class SageEngine : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private SageEngine(ServiceProvider services, LogCapture logs)
    {
        _services = services;
        Logs = logs;
    }

    public LogCapture Logs { get; }
    public FlowRunner Runner => _services.GetRequiredService<FlowRunner>();
    public EngineValidator Validator => _services.GetRequiredService<EngineValidator>();
    public IStateStore State => _services.GetRequiredService<IStateStore>();

    public static SageEngine Start(TempDirectory folder, MemoryShops shops, IDictionary<string, string?> settings, string state = "state.db")
    {
        var logs = new LogCapture();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(new LoggerFactory([logs], new LoggerFilterOptions { MinLevel = LogLevel.Debug }));
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSyncEngineCore(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), new EngineEnvironment(folder.Path, folder["data"]));
        services.AddSageOfficeLineConnector();
        services.AddConnector<MemoryConnectorFactory>();
        services.AddSingleton(shops);
        services.AddSingleton<IStateStore>(new AdoStateStore(SqliteFactory.Instance.CreateDataSource($"Data Source={folder[state]};Default Timeout=60"), StateDialect.Sqlite));
        return new SageEngine(services.BuildServiceProvider(), logs);
    }

    public Task<RunRecord> RunAsync(string flow, bool full = false) => Runner.RunAsync(flow, new RunOptions { Full = full }, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await _services.GetRequiredService<ConnectorRegistry>().DisposeAsync();
        await _services.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }
}

/// <summary>Configuration of a test's connections and flows, written as the service's appsettings would have it.</summary>
public static class Config
{
    /// <summary>A shipped mapping, as the tests' output has it (copied from the repository's mappings folder).</summary>
    public static string Mapping(string folder, string file) => Path.Combine(AppContext.BaseDirectory, "mappings", folder, file);

    public static Dictionary<string, string?> Shop(string name) => new() { [$"SyncEngine:Connections:{name}:Type"] = "Memory" };

    /// <summary>A Sage connection for one shop: its number range, customer numbers, warehouse and price list.</summary>
    public static Dictionary<string, string?> Sage(string name, TestDatabase database, string shop, long from, long to, string warehouse = "BP", int priceList = 1,
        long customersFrom = 200000, long customersTo = 299999)
    {
        var key = $"SyncEngine:Connections:{name}";
        return new Dictionary<string, string?>
        {
            [$"{key}:Type"] = "SageOfficeLine",
            [$"{key}:Provider"] = database.Provider,
            [$"{key}:ConnectionString"] = database.ConnectionString,
            [$"{key}:Setup"] = "sage-subset",
            [$"{key}:Mandant"] = "1",
            [$"{key}:Shop"] = shop,
            [$"{key}:NumberRange:From"] = from.ToString(CultureInfo.InvariantCulture),
            [$"{key}:NumberRange:To"] = to.ToString(CultureInfo.InvariantCulture),
            [$"{key}:CustomerNumbers:From"] = customersFrom.ToString(CultureInfo.InvariantCulture),
            [$"{key}:CustomerNumbers:To"] = customersTo.ToString(CultureInfo.InvariantCulture),
            [$"{key}:Warehouse"] = warehouse,
            [$"{key}:PriceList"] = priceList.ToString(CultureInfo.InvariantCulture),
            [$"{key}:Streams:articles:Mapping"] = Mapping("sage", "articles.json"),
            [$"{key}:Streams:stock:Mapping"] = Mapping("sage", "stock.json"),
            [$"{key}:Streams:prices:Mapping"] = Mapping("sage", "prices.json"),
            [$"{key}:Streams:orders:Mapping"] = Mapping("sage", "orders.json"),
            [$"{key}:Streams:customers:Mapping"] = Mapping("sage", "customers.json"),
        };
    }

    public static Dictionary<string, string?> Flow(string name, string from, string to, string? mapping, int batchSize = 10) => new()
    {
        [$"SyncEngine:Flows:{name}:From"] = from,
        [$"SyncEngine:Flows:{name}:To"] = to,
        [$"SyncEngine:Flows:{name}:Mapping"] = mapping,
        [$"SyncEngine:Flows:{name}:BatchSize"] = batchSize.ToString(CultureInfo.InvariantCulture),
    };

    public static Dictionary<string, string?> Merge(params IDictionary<string, string?>[] parts)
    {
        var all = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in parts)
            foreach (var (key, value) in part) all[key] = value;
        return all;
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
