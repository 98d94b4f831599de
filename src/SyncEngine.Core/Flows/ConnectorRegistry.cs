using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using SyncEngine.Core.Configuration;
using SyncEngine.Core.Connectors;

namespace SyncEngine.Core.Flows;

/// <summary>The configured connections and flows, created on first use and shared by every run of the process.</summary>
public sealed class ConnectorRegistry(
    IEnumerable<IConnectorFactory> factories,
    IOptions<SyncEngineOptions> options,
    IConfiguration configuration,
    EngineEnvironment environment,
    IServiceProvider services) : IAsyncDisposable
{
    private readonly Dictionary<string, IConnectorFactory> _factories = factories.ToDictionary(f => f.Type, StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, Lazy<IConnector>> _connectors = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyCollection<string> ConnectorTypes => _factories.Keys;

    public IReadOnlyList<FlowDefinition> Flows => options.Value.Flows
        .Select(f => ToDefinition(f.Key, f.Value))
        .OrderBy(f => f.Name, StringComparer.OrdinalIgnoreCase)
        .ToList();

    public FlowDefinition? FindFlow(string name) =>
        options.Value.Flows.TryGetValue(name, out var flow) ? ToDefinition(options.Value.Flows.Keys.First(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)), flow) : null;

    public IConnector GetConnector(string connection) =>
        _connectors.GetOrAdd(connection, name => new Lazy<IConnector>(() => Create(name))).Value;

    private IConnector Create(string name)
    {
        var key = $"{SyncEngineOptions.Section}:Connections:{name}";
        if (!options.Value.Connections.TryGetValue(name, out var connection))
            throw new ConfigurationException(key, $"connection '{name}' is not defined");
        if (string.IsNullOrWhiteSpace(connection.Type))
            throw new ConfigurationException(key + ":Type", "missing: every connection needs a Type (" + string.Join(", ", _factories.Keys.Order()) + ")");
        if (!_factories.TryGetValue(connection.Type, out var factory))
            throw new ConfigurationException(key + ":Type", $"unknown connector type '{connection.Type}'; known types: {string.Join(", ", _factories.Keys.Order())}");
        return factory.Create(new ConnectionContext
        {
            Name = name,
            Settings = configuration.GetSection(key),
            BaseDirectory = environment.BaseDirectory,
            Services = services,
        });
    }

    private FlowDefinition ToDefinition(string name, FlowOptions flow)
    {
        StreamAddress.TryParse(flow.From, out var from);
        StreamAddress.TryParse(flow.To, out var to);
        return new FlowDefinition
        {
            Name = name,
            From = from,
            To = to,
            MappingFile = string.IsNullOrWhiteSpace(flow.Mapping) ? null : environment.Resolve(flow.Mapping),
            Schedule = string.IsNullOrWhiteSpace(flow.Schedule) ? null : flow.Schedule.Trim(),
            BatchSize = flow.BatchSize,
            Enabled = flow.Enabled,
            Options = configuration.GetSection($"{SyncEngineOptions.Section}:Flows:{name}:Options"),
        };
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connector in _connectors.Values.Where(c => c.IsValueCreated))
        {
            await connector.Value.DisposeAsync();
        }
        _connectors.Clear();
    }
}
