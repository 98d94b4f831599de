using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SyncEngine.Core;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Flows;
using SyncEngine.Core.Model;
using SyncEngine.Core.State;
using SyncEngine.Testing;

namespace SyncEngine.Connectors.ShopRenter.Tests;

/// <summary>
/// The engine in process, as the service runs it, with ShopRenter connections (to the simulator) and an in-test ERP
/// connection <c>erp</c> whose streams are lists: what the flows wrote, and what a test puts there to be read.
/// </summary>
public sealed class Engine : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private Engine(ServiceProvider services, TempDirectory folder, Erp erp, LogCapture logs)
    {
        _services = services;
        Folder = folder;
        ErpSystem = erp;
        Logs = logs;
    }

    public TempDirectory Folder { get; }
    public Erp ErpSystem { get; }
    public LogCapture Logs { get; }
    public FlowRunner Runner => _services.GetRequiredService<FlowRunner>();
    public EngineValidator Validator => _services.GetRequiredService<EngineValidator>();
    public IStateStore State => _services.GetRequiredService<IStateStore>();
    public ConnectorRegistry Registry => _services.GetRequiredService<ConnectorRegistry>();

    public static Engine Start(IDictionary<string, string?> settings)
    {
        var folder = new TempDirectory();
        var values = new Dictionary<string, string?>
        {
            ["SyncEngine:DataDirectory"] = folder["data"],
            ["SyncEngine:Connections:erp:Type"] = "Erp",
        };
        foreach (var (key, value) in settings) values[key] = value;
        var erp = new Erp();
        var logs = new LogCapture();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(new LoggerFactory([logs], new LoggerFilterOptions { MinLevel = LogLevel.Debug }));
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSyncEngineCore(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), new EngineEnvironment(folder.Path, folder["data"]));
        services.AddShopRenterConnector();
        services.AddConnector<ErpConnectorFactory>();
        services.AddSingleton(erp);
        services.AddSingleton<IStateStore>(new AdoStateStore(SqliteFactory.Instance.CreateDataSource($"Data Source={folder["state.db"]}"), StateDialect.Sqlite));
        return new Engine(services.BuildServiceProvider(), folder, erp, logs);
    }

    /// <summary>Flow settings: <c>{name}: from -> to</c>.</summary>
    public static Dictionary<string, string?> Flow(string name, string from, string to, int batchSize = 100) => new()
    {
        [$"SyncEngine:Flows:{name}:From"] = from,
        [$"SyncEngine:Flows:{name}:To"] = to,
        [$"SyncEngine:Flows:{name}:BatchSize"] = batchSize.ToString(CultureInfo.InvariantCulture),
    };

    public Task<RunRecord> RunAsync(string flow, bool full = false) => Runner.RunAsync(flow, new RunOptions { Full = full }, CancellationToken.None);

    public List<T> Written<T>(string stream) where T : Entity => ErpSystem.Written(stream).OfType<T>().ToList();

    public async ValueTask DisposeAsync()
    {
        await _services.GetRequiredService<ConnectorRegistry>().DisposeAsync();
        await _services.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Folder.Dispose();
    }
}

/// <summary>The ERP of the tests: per stream, the records to be read (in order) and the records written.</summary>
public sealed class Erp
{
    private readonly ConcurrentDictionary<string, List<Entity>> _records = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, List<Entity>> _written = new(StringComparer.OrdinalIgnoreCase);

    public List<Entity> Records(string stream) => _records.GetOrAdd(stream, _ => []);

    public List<Entity> Written(string stream)
    {
        var list = _written.GetOrAdd(stream, _ => []);
        lock (list) return list.ToList();
    }

    internal void Write(string stream, IEnumerable<Entity> records)
    {
        var list = _written.GetOrAdd(stream, _ => []);
        lock (list) list.AddRange(records);
    }
}

public sealed class ErpConnectorFactory(Erp erp) : IConnectorFactory
{
    public string Type => "Erp";

    public IConnector Create(ConnectionContext connection) => new ErpConnector(connection.Name, erp);
}

public sealed class ErpConnector(string name, Erp erp) : IConnector
{
    public string Name => name;

    public IReadOnlyList<StreamInfo> Streams { get; } =
    [
        new("orders", typeof(Order), StreamAccess.ReadWrite),
        new("customers", typeof(Customer), StreamAccess.ReadWrite),
        new("articles", typeof(Product), StreamAccess.ReadWrite),
        new("stock", typeof(StockLevel), StreamAccess.ReadWrite),
    ];

    public IRecordSource OpenSource(StreamContext context) => new Source(erp.Records(context.Stream));

    public IRecordTarget OpenTarget(StreamContext context) => new Target(erp, context.Stream);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class Source(List<Entity> records) : IRecordSource
    {
        public async IAsyncEnumerable<SourceRecord> ReadAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            // The ERP offers all its records each run, as a stock or price export does; the engine's checksums keep what changed.
            foreach (var record in records.ToList()) yield return SourceRecord.Ok(record, null);
        }
    }

    private sealed class Target(Erp erp, string stream) : IRecordTarget
    {
        public Task<WriteResult> WriteAsync(IReadOnlyList<WriteItem> batch, CancellationToken cancellationToken)
        {
            erp.Write(stream, batch.Select(i => i.Record));
            return Task.FromResult(WriteResult.AllWritten(batch));
        }
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
            messages.Enqueue($"{logLevel}: {formatter(state, exception)}{(exception is null ? string.Empty : " | " + exception.Message)}");
    }
}
