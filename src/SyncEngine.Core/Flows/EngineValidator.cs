using Microsoft.Extensions.Options;
using SyncEngine.Core.Configuration;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;
using SyncEngine.Core.State;

namespace SyncEngine.Core.Flows;

/// <summary>Checks a schedule expression; the host supplies the scheduler's own parser.</summary>
public interface IScheduleValidator
{
    /// <returns>null when valid, else why not.</returns>
    string? Validate(string expression);
}

/// <summary>Finds every problem in the engine's configuration at once, each named by its key.</summary>
public sealed class EngineValidator(
    ConnectorRegistry registry,
    IOptions<SyncEngineOptions> options,
    IEnumerable<IScheduleValidator> scheduleValidators,
    IStateStore state)
{
    private const string Root = SyncEngineOptions.Section;

    public IReadOnlyList<ConfigError> Validate()
    {
        var errors = new List<ConfigError>();
        var settings = options.Value;
        if (settings.Control.Port is < 1 or > 65535)
            errors.Add(new ConfigError($"{Root}:Control:Port", $"'{settings.Control.Port}' is not a TCP port (1-65535)"));
        if (settings.Webhooks.Enabled)
        {
            if (settings.Webhooks.Secret is not { Length: >= 24 })
                errors.Add(new ConfigError($"{Root}:Webhooks:Secret", "missing or shorter than 24 characters: it authenticates every webhook and is part of the URL given to the shops"));
            if (!System.Net.IPAddress.TryParse(settings.Webhooks.Address, out _))
                errors.Add(new ConfigError($"{Root}:Webhooks:Address", $"'{settings.Webhooks.Address}' is not an IP address"));
            if (settings.Webhooks.Port is < 1 or > 65535 || (settings.Control.Enabled && settings.Webhooks.Port == settings.Control.Port))
                errors.Add(new ConfigError($"{Root}:Webhooks:Port", $"'{settings.Webhooks.Port}' must be a TCP port other than the control API's"));
        }
        if (settings.State.Provider == StateProvider.PostgreSql && string.IsNullOrWhiteSpace(settings.State.ConnectionString))
            errors.Add(new ConfigError($"{Root}:State:ConnectionString", "missing: the PostgreSql state provider needs a connection string"));

        var connectors = new Dictionary<string, IConnector>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in settings.Connections.Keys.Order(StringComparer.OrdinalIgnoreCase))
        {
            try
            {
                connectors[name] = registry.GetConnector(name);
            }
            catch (ConfigurationException ex)
            {
                errors.AddRange(ex.Errors);
            }
        }

        foreach (var (name, flow) in settings.Flows.OrderBy(f => f.Key, StringComparer.OrdinalIgnoreCase))
        {
            var key = $"{Root}:Flows:{name}";
            var definition = registry.FindFlow(name)!;
            var from = CheckEndpoint(errors, connectors, key + ":From", flow.From, StreamAccess.Read);
            var to = CheckEndpoint(errors, connectors, key + ":To", flow.To, StreamAccess.Write);
            if (from is not null && to is not null && !to.RecordType.IsAssignableFrom(from.RecordType))
            {
                errors.Add(new ConfigError(key + ":To",
                    $"'{flow.To}' takes {to.RecordType.Name} records but '{flow.From}' gives {from.RecordType.Name} records"));
            }
            if (flow.BatchSize < 1)
                errors.Add(new ConfigError(key + ":BatchSize", $"'{flow.BatchSize}' must be at least 1"));
            if (definition.MappingFile is not null && !File.Exists(definition.MappingFile))
                errors.Add(new ConfigError(key + ":Mapping", $"mapping file '{flow.Mapping}' not found (looked at {definition.MappingFile})"));
            else if (definition.MappingFile is not null)
            {
                var (mapping, mappingErrors) = MappingLoader.Check(definition.MappingFile);
                errors.AddRange(mappingErrors);
                var side = mapping?.Direction == MappingDirection.Read ? from : to;
                if (mapping is not null && side is not null && !side.RecordType.IsAssignableFrom(mapping.RecordType))
                {
                    errors.Add(new ConfigError(key + ":Mapping",
                        $"'{flow.Mapping}' maps {mapping.RecordType.Name} records but '{(mapping.Direction == MappingDirection.Read ? flow.From : flow.To)}' carries {side.RecordType.Name}"));
                }
            }
            if (definition.Schedule is not null)
            {
                foreach (var validator in scheduleValidators)
                {
                    if (validator.Validate(definition.Schedule) is { } problem)
                        errors.Add(new ConfigError(key + ":Schedule", $"'{definition.Schedule}' is not a valid cron expression: {problem}"));
                }
            }

            if (from is not null && connectors[definition.From.Connection] is IStreamValidator sourceValidator && (definition.MappingFile is null || File.Exists(definition.MappingFile)))
                errors.AddRange(sourceValidator.Validate(ContextFor(definition, definition.From.Stream, from.RecordType, StreamAccess.Read), StreamAccess.Read));
            if (to is not null && connectors[definition.To.Connection] is IStreamValidator targetValidator && (definition.MappingFile is null || File.Exists(definition.MappingFile)))
                errors.AddRange(targetValidator.Validate(ContextFor(definition, definition.To.Stream, to.RecordType, StreamAccess.Write), StreamAccess.Write));
        }
        return errors;
    }

    /// <summary>Throws a <see cref="ConfigurationException"/> listing every problem.</summary>
    /// <param name="allowUnreachable">Leave out systems that could not be reached (see <see cref="ConfigError.Unreachable"/>).</param>
    public void EnsureValid(bool allowUnreachable = false)
    {
        var errors = Validate().Where(e => !(allowUnreachable && e.Unreachable)).ToList();
        if (errors.Count > 0) throw new ConfigurationException(errors);
    }

    /// <summary>
    /// The context of one side of a flow. The flow's mapping goes to the side its direction fits: a write mapping to the
    /// target, a read mapping to the source; the other side uses its connection's own stream mapping, if any.
    /// </summary>
    internal StreamContext ContextFor(FlowDefinition flow, string stream, Type recordType, StreamAccess access, bool full = false) => new()
    {
        Flow = flow.Name,
        Stream = stream,
        RecordType = recordType,
        FromConnection = flow.From.Connection,
        ToConnection = flow.To.Connection,
        MappingFile = flow.MappingFile is not null && File.Exists(flow.MappingFile) &&
            MappingLoader.PeekDirection(flow.MappingFile) == (access == StreamAccess.Read ? MappingDirection.Read : MappingDirection.Write)
                ? flow.MappingFile
                : null,
        Options = flow.Options,
        Links = state,
        Receipts = state,
        Full = full,
    };

    private static StreamInfo? CheckEndpoint(List<ConfigError> errors, Dictionary<string, IConnector> connectors, string key, string? value, StreamAccess access)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(new ConfigError(key, "missing: expected 'connection/stream'"));
            return null;
        }
        if (!StreamAddress.TryParse(value, out var address))
        {
            errors.Add(new ConfigError(key, $"'{value}' is not of the form 'connection/stream'"));
            return null;
        }
        if (!connectors.TryGetValue(address.Connection, out var connector))
        {
            errors.Add(new ConfigError(key, $"connection '{address.Connection}' is not defined under {Root}:Connections, or is not valid"));
            return null;
        }
        var stream = connector.Streams.FirstOrDefault(s => string.Equals(s.Name, address.Stream, StringComparison.OrdinalIgnoreCase));
        if (stream is null)
        {
            errors.Add(new ConfigError(key, $"connection '{address.Connection}' has no stream '{address.Stream}'; it has: {string.Join(", ", connector.Streams.Select(s => s.Name))}"));
            return null;
        }
        if (!stream.Access.HasFlag(access))
        {
            errors.Add(new ConfigError(key, $"stream '{value}' cannot be {(access == StreamAccess.Read ? "read" : "written")}"));
            return null;
        }
        return stream;
    }
}
