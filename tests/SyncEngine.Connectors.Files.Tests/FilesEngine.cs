using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SyncEngine.Core;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Flows;
using SyncEngine.Core.Model;
using SyncEngine.Core.State;
using SyncEngine.Testing;

namespace SyncEngine.Connectors.Files.Tests;

/// <summary>
/// The engine in process over a folder of its own: connections and flows from settings, the Files connector, SQLite state.
/// Canonical orders dropped into <c>inbox</c> are read by the connection <c>shop</c> (stream <c>orders</c>).
/// </summary>
internal sealed class FilesEngine : IAsyncDisposable
{
    private readonly Dictionary<string, string?> _settings = new()
    {
        ["SyncEngine:Connections:shop:Type"] = "Files",
        ["SyncEngine:Connections:shop:Location"] = "inbox",
        ["SyncEngine:Connections:shop:Streams:orders:RecordType"] = "Order",
        ["SyncEngine:Connections:shop:Streams:orders:MinimumAge"] = "00:00:00",
    };
    private readonly List<Action<IServiceCollection>> _extraServices = [];
    private ServiceProvider? _services;

    static FilesEngine() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public TempDirectory Folder { get; } = new();

    public string this[string relative] => Folder[relative];

    public IStateStore State => _services!.GetRequiredService<IStateStore>();

    /// <summary>Adds a connection <c>{name}</c> of type Files at <c>{location}</c> with one stream <c>orders</c> (or the given stream).</summary>
    public FilesEngine Connection(string name, string location, IDictionary<string, string?> stream, string streamName = "orders", string recordType = "Order")
    {
        _settings[$"SyncEngine:Connections:{name}:Type"] = "Files";
        _settings[$"SyncEngine:Connections:{name}:Location"] = location;
        _settings[$"SyncEngine:Connections:{name}:Streams:{streamName}:RecordType"] = recordType;
        foreach (var (key, value) in stream) _settings[$"SyncEngine:Connections:{name}:Streams:{streamName}:{key}"] = value;
        return this;
    }

    /// <summary>Adds a connection with its own settings (Location, User, Password, HostKey, ...) and one stream.</summary>
    public FilesEngine Connection(string name, IDictionary<string, string?> connection, IDictionary<string, string?> stream, string streamName = "orders", string recordType = "Order")
    {
        Connection(name, connection["Location"]!, stream, streamName, recordType);
        foreach (var (key, value) in connection) _settings[$"SyncEngine:Connections:{name}:{key}"] = value;
        return this;
    }

    /// <summary>Sets one setting, e.g. <c>("SyncEngine:Connections:erp:Password", "...")</c>.</summary>
    public FilesEngine Set(string key, string? value)
    {
        _settings[key] = value;
        return this;
    }

    /// <summary>Registers services before the engine is built, e.g. transfer hooks.</summary>
    public FilesEngine Services(Action<IServiceCollection> register)
    {
        _extraServices.Add(register);
        return this;
    }

    public FilesEngine Flow(string name, string from, string to, string? mapping = null, int batchSize = 100)
    {
        _settings[$"SyncEngine:Flows:{name}:From"] = from;
        _settings[$"SyncEngine:Flows:{name}:To"] = to;
        _settings[$"SyncEngine:Flows:{name}:Mapping"] = mapping;
        _settings[$"SyncEngine:Flows:{name}:BatchSize"] = batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return this;
    }

    /// <summary>Writes a mapping file under <c>mappings/</c> and returns its path relative to the engine's folder.</summary>
    public string Mapping(string name, string json)
    {
        Directory.CreateDirectory(Folder["mappings"]);
        File.WriteAllText(Folder[Path.Combine("mappings", name)], json);
        return "mappings/" + name;
    }

    /// <summary>Drops canonical orders as one JSON array into the inbox, a minute old so it is picked up at once.</summary>
    public void DropOrders(params Order[] orders) =>
        Drop("inbox", "orders.json", Encoding.UTF8.GetBytes("[" + string.Join(",", orders.Select(CanonicalJson.Serialize)) + "]"));

    public void Drop(string folder, string name, byte[] content, DateTime? modified = null)
    {
        Directory.CreateDirectory(Folder[folder]);
        var path = Path.Combine(Folder[folder], name);
        File.WriteAllBytes(path, content);
        File.SetLastWriteTimeUtc(path, modified ?? DateTime.UtcNow.AddMinutes(-1));
    }

    public IReadOnlyList<ConfigError> Validate() => Build().GetRequiredService<EngineValidator>().Validate();

    public async Task<RunRecord> RunAsync(string flow)
    {
        var services = Build();
        Assert.Empty(services.GetRequiredService<EngineValidator>().Validate());
        return await services.GetRequiredService<FlowRunner>().RunAsync(flow, new RunOptions(), CancellationToken.None);
    }

    /// <summary>A stream context for opening a connection's source or target directly, as the runner would for <paramref name="flow"/>.</summary>
    /// <remarks>Without <paramref name="receipts"/> every batch the target staged counts as committed by the engine.</remarks>
    public static StreamContext Context(string flow, string stream = "orders", Type? recordType = null, IReceiptLog? receipts = null) => new()
    {
        Flow = flow,
        Stream = stream,
        RecordType = recordType ?? typeof(Order),
        Options = new ConfigurationBuilder().Build(),
        Links = NoLinks.Instance,
        Receipts = receipts ?? new TestReceipts(everyOne: true),
    };

    private sealed class NoLinks : ILinkLookup
    {
        public static readonly NoLinks Instance = new();

        public Task<string?> FindTargetIdAsync(string system, string entity, string externalId, string targetSystem, CancellationToken cancellationToken) =>
            Task.FromResult<string?>(null);
    }

    public Task<IReadOnlyList<DeadLetter>> DeadLettersAsync(string flow) => State.GetDeadLettersAsync(flow, null, CancellationToken.None);

    /// <summary>The connector of a connection, for reading its source directly.</summary>
    public IConnector Connector(string name) => Build().GetRequiredService<ConnectorRegistry>().GetConnector(name);

    private ServiceProvider Build()
    {
        if (_services is not null) return _services;
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSyncEngineCore(new ConfigurationBuilder().AddInMemoryCollection(_settings).Build(), new EngineEnvironment(Folder.Path, Folder["data"]));
        services.AddFilesConnector();
        foreach (var register in _extraServices) register(services);
        services.AddSingleton<IStateStore>(new AdoStateStore(SqliteFactory.Instance.CreateDataSource($"Data Source={Folder["state.db"]}"), StateDialect.Sqlite));
        return _services = services.BuildServiceProvider();
    }

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.GetRequiredService<ConnectorRegistry>().DisposeAsync();
            await _services.DisposeAsync();
        }
        SqliteConnection.ClearAllPools();
        Folder.Dispose();
    }
}

/// <summary>The engine's receipts of committed batches, for tests that drive a target directly: every one, or those committed by the test.</summary>
public sealed class TestReceipts(bool everyOne = false) : IReceiptLog
{
    private readonly HashSet<string> _committed = new(StringComparer.Ordinal);

    public void Commit(string receipt) => _committed.Add(receipt);

    public Task<IReadOnlySet<string>> GetCommittedAsync(string flow, IReadOnlyCollection<string> receipts, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlySet<string>>(receipts.Where(r => everyOne || _committed.Contains(r)).ToHashSet(StringComparer.Ordinal));

    public Task ForgetAsync(string flow, IReadOnlyCollection<string> receipts, CancellationToken cancellationToken)
    {
        _committed.ExceptWith(receipts);
        return Task.CompletedTask;
    }
}
