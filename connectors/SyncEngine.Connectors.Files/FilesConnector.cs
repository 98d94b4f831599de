using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SyncEngine.Core;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;
using SyncEngine.Core.Model;

namespace SyncEngine.Connectors.Files;

public static class FilesServiceCollectionExtensions
{
    /// <summary>Connections of <c>"Type": "Files"</c>: records as files in a folder, local or on an FTP, FTPS or SFTP server.</summary>
    public static IServiceCollection AddFilesConnector(this IServiceCollection services) => services.AddConnector<FilesConnectorFactory>();
}

public sealed class FilesConnectorFactory : IConnectorFactory
{
    public string Type => "Files";

    public IConnector Create(ConnectionContext connection)
    {
        var key = connection.Settings.Path;
        FilesOptions options;
        try
        {
            options = connection.Settings.Get<FilesOptions>() ?? new FilesOptions();
        }
        catch (InvalidOperationException ex)
        {
            throw new ConfigurationException(key, ex.Message);
        }
        var errors = new List<ConfigError>();
        var logger = connection.Services.GetService<ILoggerFactory>()?.CreateLogger<FilesConnector>() ?? NullLogger<FilesConnector>.Instance;
        var openStore = FileLocation.Resolve(connection, options, logger, errors);
        if (options.Streams.Count == 0) errors.Add(new ConfigError(key + ":Streams", "missing: name at least one stream"));
        var streams = new List<ConfiguredStream>();
        foreach (var (name, stream) in options.Streams)
        {
            var streamKey = $"{key}:Streams:{name}";
            var type = stream.RecordType is null ? null : RecordTypes.Find(stream.RecordType);
            if (type is null)
            {
                errors.Add(new ConfigError(streamKey + ":RecordType",
                    $"'{stream.RecordType}' is not a record type; use one of {string.Join(", ", RecordTypes.All.Select(t => t.Name))}"));
                continue;
            }
            // Formats, encodings and mappings are checked by Validate, where the flow's mapping is known too.
            var mapping = string.IsNullOrWhiteSpace(stream.Mapping) ? null : connection.ResolvePath(stream.Mapping);
            streams.Add(new ConfiguredStream(new StreamInfo(name, type, StreamAccess.ReadWrite), stream, streamKey, mapping));
        }
        if (errors.Count > 0 || openStore is null) throw new ConfigurationException(errors);
        return new FilesConnector(connection.Name, openStore, streams, logger);
    }
}

/// <summary>One configured stream of a Files connection.</summary>
/// <param name="Key">Its configuration key, <c>SyncEngine:Connections:{name}:Streams:{stream}</c>.</param>
/// <param name="MappingFile">The full path of its own <c>"Mapping"</c>, if it has one.</param>
internal sealed record ConfiguredStream(StreamInfo Info, FileStreamOptions Options, string Key, string? MappingFile);

public sealed class FilesConnector : IConnector, IStreamValidator
{
    private readonly Func<IFileStore> _openStore;
    private readonly IReadOnlyList<ConfiguredStream> _streams;
    private readonly ILogger _logger;

    internal FilesConnector(string name, Func<IFileStore> openStore, IReadOnlyList<ConfiguredStream> streams, ILogger logger)
    {
        Name = name;
        _openStore = openStore;
        _streams = streams;
        _logger = logger;
        Streams = streams.Select(s => s.Info).ToList();
    }

    public string Name { get; }

    public IReadOnlyList<StreamInfo> Streams { get; }

    public IRecordSource OpenSource(StreamContext context)
    {
        var stream = Find(context);
        var layout = Open(stream, context, StreamAccess.Read);
        // A store per run: a remote connection lives as long as the run, and the source closes it.
        return new FileSource(_openStore(), stream.Options, layout, context, _logger);
    }

    public IRecordTarget OpenTarget(StreamContext context)
    {
        var stream = Find(context);
        var layout = Open(stream, context, StreamAccess.Write);
        if (string.IsNullOrWhiteSpace(stream.Options.FileName))
            throw new ConfigurationException(stream.Key + ":FileName", "missing: the name of the files to write");
        return new FileTarget(_openStore(), stream.Options, layout, new FileNameTemplate(stream.Options.FileName), context);
    }

    /// <summary>Checks the stream's mapping, format settings and record layout for <c>validate</c> and at start.</summary>
    public IEnumerable<ConfigError> Validate(StreamContext context, StreamAccess access)
    {
        var stream = Find(context);
        var errors = new List<ConfigError>();
        var (file, fromFlow) = MappingFile(stream, context);
        RecordMapping? mapping = null;
        if (file is not null)
        {
            if (!File.Exists(file))
            {
                errors.Add(new ConfigError(stream.Key + ":Mapping", $"mapping file '{stream.Options.Mapping}' not found (looked at {file})"));
                return errors;
            }
            var (checkedMapping, mappingErrors) = MappingLoader.Check(file);
            // The engine reports the errors of a flow's own mapping; a stream's mapping is this connector's to report.
            if (!fromFlow) errors.AddRange(mappingErrors);
            if (checkedMapping is null) return errors;
            mapping = checkedMapping;
            if (!fromFlow) CheckFits(stream, mapping, context, access, errors);
        }
        FileLayout.Resolve(stream.Options, mapping, stream.Info.Name, stream.Key, context.RecordType, errors);
        if (access == StreamAccess.Write && string.IsNullOrWhiteSpace(stream.Options.FileName))
            errors.Add(new ConfigError(stream.Key + ":FileName", "missing: the name of the files to write, e.g. order-{Id}.csv (one per record), stock-{RunTime:yyyyMMdd-HHmmss}-{Batch}.csv (one per batch) or stock-{RunTime:yyyyMMdd-HHmmss}.csv (one per run)"));
        return errors;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private FileLayout Open(ConfiguredStream stream, StreamContext context, StreamAccess access)
    {
        var errors = new List<ConfigError>();
        var (file, fromFlow) = MappingFile(stream, context);
        RecordMapping? mapping = null;
        if (file is not null)
        {
            if (!File.Exists(file)) throw new ConfigurationException(stream.Key + ":Mapping", $"mapping file '{stream.Options.Mapping}' not found (looked at {file})");
            mapping = MappingLoader.Load(file);
            if (!fromFlow) CheckFits(stream, mapping, context, access, errors);
        }
        var layout = FileLayout.Resolve(stream.Options, mapping, stream.Info.Name, stream.Key, context.RecordType, errors);
        if (errors.Count > 0 || layout is null) throw new ConfigurationException(errors);
        return layout;
    }

    /// <summary>The flow's mapping for this side wins; the stream's own mapping serves flows that have none for it.</summary>
    private static (string? File, bool FromFlow) MappingFile(ConfiguredStream stream, StreamContext context) =>
        context.MappingFile is not null ? (context.MappingFile, true) : (stream.MappingFile, false);

    /// <summary>A stream's own mapping must map this direction and this stream's records (the engine checks a flow's mapping).</summary>
    private static void CheckFits(ConfiguredStream stream, RecordMapping mapping, StreamContext context, StreamAccess access, List<ConfigError> errors)
    {
        var needed = access == StreamAccess.Read ? MappingDirection.Read : MappingDirection.Write;
        if (mapping.Direction != needed)
        {
            errors.Add(new ConfigError(stream.Key + ":Mapping",
                $"'{stream.Options.Mapping}' is a {mapping.Direction.ToString().ToLowerInvariant()} mapping, but flow '{context.Flow}' {(needed == MappingDirection.Read ? "reads" : "writes")} this stream"));
        }
        if (!context.RecordType.IsAssignableFrom(mapping.RecordType) && !mapping.RecordType.IsAssignableFrom(context.RecordType))
            errors.Add(new ConfigError(stream.Key + ":Mapping", $"'{stream.Options.Mapping}' maps {mapping.RecordType.Name} records, but this stream holds {context.RecordType.Name}"));
    }

    private ConfiguredStream Find(StreamContext context) =>
        _streams.First(s => string.Equals(s.Info.Name, context.Stream, StringComparison.OrdinalIgnoreCase));
}
