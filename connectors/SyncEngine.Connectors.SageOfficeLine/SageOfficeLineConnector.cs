using System.Data.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SyncEngine.Connectors.Database;
using SyncEngine.Core;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;
using SyncEngine.Core.Model;

namespace SyncEngine.Connectors.SageOfficeLine;

public static class SageOfficeLineServiceCollectionExtensions
{
    /// <summary>Connections of <c>"Type": "SageOfficeLine"</c>: sales documents and customers into Sage 100's tables; articles, stock and prices out of them.</summary>
    public static IServiceCollection AddSageOfficeLineConnector(this IServiceCollection services) => services.AddConnector<SageOfficeLineConnectorFactory>();
}

public sealed class SageOfficeLineConnectorFactory : IConnectorFactory
{
    /// <summary>The value of <c>"Setup"</c> that creates the shipped Sage-shaped subset (tests and demos).</summary>
    public const string SubsetSetup = "sage-subset";

    /// <summary>The streams of every Sage connection: what is written into Sage and what is read from it.</summary>
    internal static readonly IReadOnlyList<StreamInfo> StreamInfos =
    [
        new("orders", typeof(Order), StreamAccess.Write),
        new("customers", typeof(Customer), StreamAccess.Write),
        new("articles", typeof(Product), StreamAccess.ReadWrite),
        new("stock", typeof(StockLevel), StreamAccess.Read),
        new("prices", typeof(Product), StreamAccess.Read),
    ];

    public string Type => "SageOfficeLine";

    public IConnector Create(ConnectionContext connection)
    {
        var key = connection.Settings.Path;
        SageOfficeLineOptions options;
        try
        {
            options = connection.Settings.Get<SageOfficeLineOptions>() ?? new SageOfficeLineOptions();
        }
        catch (InvalidOperationException ex)
        {
            throw new ConfigurationException(key, ex.Message);
        }
        var errors = Check(options, key);
        var provider = options.Provider?.Trim().ToLowerInvariant() switch
        {
            "sqlserver" or "mssql" => DatabaseProvider.SqlServer,
            "postgresql" or "postgres" or "npgsql" => DatabaseProvider.PostgreSql,
            "sqlite" => DatabaseProvider.Sqlite,
            _ => (DatabaseProvider?)null,
        };
        if (provider is null)
        {
            errors.Add(new ConfigError(key + ":Provider", options.Provider is null
                ? "missing: SqlServer for a Sage 100 database (Sqlite or PostgreSql for the Sage-shaped subset of tests and demos)"
                : $"'{options.Provider}' is not a provider of the Sage connector; use SqlServer (Sage 100), or Sqlite or PostgreSql for the subset"));
        }
        string? setup = null;
        if (!string.IsNullOrWhiteSpace(options.Setup))
        {
            if (!string.Equals(options.Setup.Trim(), SubsetSetup, StringComparison.OrdinalIgnoreCase)) setup = options.Setup;
            else if (provider is DatabaseProvider.Sqlite or DatabaseProvider.PostgreSql) setup = SubsetScript(provider.Value);
            else if (provider is not null)
                errors.Add(new ConfigError(key + ":Setup", "the Sage-shaped subset exists for Sqlite and PostgreSql only; a real Sage database is never changed, remove Setup"));
        }

        DbDataSource? dataSource = null;
        var connectionString = string.Empty;
        var dialect = provider is null ? null : SqlDialect.For(provider.Value);
        if (string.IsNullOrWhiteSpace(options.ConnectionString)) errors.Add(new ConfigError(key + ":ConnectionString", "missing: the connection string of the Sage database"));
        else if (dialect is not null)
        {
            try
            {
                connectionString = dialect.Normalize(options.ConnectionString, connection.ResolvePath);
                dataSource = dialect.CreateDataSource(connectionString);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
            {
                errors.Add(new ConfigError(key + ":ConnectionString", $"not a valid {dialect.Name} connection string: {ex.Message}"));
            }
        }
        if (errors.Count > 0)
        {
            dataSource?.Dispose();
            throw new ConfigurationException(errors);
        }

        var streams = StreamInfos.Select(info => (info, new DatabaseStreamOptions
        {
            RecordType = info.RecordType.Name,
            Mapping = options.Streams.GetValueOrDefault(info.Name)?.Mapping is { Length: > 0 } own ? own : DefaultMapping(info.Name),
        })).ToList();
        var databaseOptions = new DatabaseOptions { Provider = options.Provider, ConnectionString = options.ConnectionString, Setup = setup };
        var loggers = connection.Services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var database = new DatabaseConnector(connection, dialect!, dataSource!, connectionString, databaseOptions, streams, loggers.CreateLogger<DatabaseConnector>())
        {
            QueryParameters = new Dictionary<string, object?>
            {
                ["Mandant"] = options.Mandant,
                ["Lager"] = string.IsNullOrWhiteSpace(options.Warehouse) ? null : options.Warehouse.Trim(),
                ["Preisliste"] = options.PriceList,
            },
        };
        return new SageOfficeLineConnector(connection, options, database, loggers.CreateLogger<SageOfficeLineConnector>());
    }

    /// <summary>Where a stream's mapping is when the connection names none: the shipped Sage mappings.</summary>
    internal static string DefaultMapping(string stream) => Path.Combine("mappings", "sage", stream + ".json");

    /// <summary>The shipped subset script for the provider, next to this assembly.</summary>
    internal static string SubsetScript(DatabaseProvider provider) =>
        Path.Combine(Path.GetDirectoryName(typeof(SageOfficeLineConnectorFactory).Assembly.Location) ?? AppContext.BaseDirectory, "Schema",
            provider == DatabaseProvider.PostgreSql ? "sage-subset.postgresql.sql" : "sage-subset.sqlite.sql");

    private static List<ConfigError> Check(SageOfficeLineOptions options, string key)
    {
        var errors = new List<ConfigError>();
        if (options.Mandant is null) errors.Add(new ConfigError(key + ":Mandant", "missing: the Sage client (Mandant) whose rows are read and written, e.g. 1"));
        else if (options.Mandant is < 0 or > short.MaxValue) errors.Add(new ConfigError(key + ":Mandant", $"'{options.Mandant}' is not a Sage Mandant (0-32767)"));
        if (string.IsNullOrWhiteSpace(options.Belegkennzeichen) || options.Belegkennzeichen.Trim().Length > 3)
            errors.Add(new ConfigError(key + ":Belegkennzeichen", $"'{options.Belegkennzeichen}' is not a Sage document type code (up to 3 letters, e.g. VVA)"));
        else options.Belegkennzeichen = options.Belegkennzeichen.Trim().ToUpperInvariant();
        if (options.NumberRange is { } range && (range.From < 1 || range.To < range.From || range.To > int.MaxValue || !string.IsNullOrEmpty(range.Prefix)))
        {
            errors.Add(new ConfigError(key + ":NumberRange",
                $"'{range.From}-{range.To}' is not a Belegnummer range: Sage's Belegnummer is a whole number, so From >= 1, From <= To <= {int.MaxValue} and no Prefix"));
        }
        if (options.CustomerNumbers is { } customers)
        {
            var digits = customers.From.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
            if (customers.From < 0 || customers.To < customers.From || customers.To.ToString(System.Globalization.CultureInfo.InvariantCulture).Length != digits)
            {
                errors.Add(new ConfigError(key + ":CustomerNumbers",
                    $"'{customers}' is not a customer number range: From <= To, both with the same number of digits (e.g. 200000-299999), so account numbers sort as numbers"));
            }
            else if ((customers.Prefix?.Length ?? 0) + digits > 20)
                errors.Add(new ConfigError(key + ":CustomerNumbers", $"'{customers}' gives account numbers longer than KHKKontokorrent.Kto's 20 characters"));
        }
        foreach (var (name, column) in new[] { ("OrderKeyColumn", options.OrderKeyColumn), ("CustomerKeyColumn", options.CustomerKeyColumn) })
        {
            if (string.IsNullOrWhiteSpace(column) || !column.All(c => char.IsLetterOrDigit(c) || c == '_'))
                errors.Add(new ConfigError($"{key}:{name}", $"'{column}' is not a column name (a user-defined field such as USER_ShopOrderId)"));
        }
        if (options.PriceList is < 0) errors.Add(new ConfigError(key + ":PriceList", $"'{options.PriceList}' is not a price list id (KHKPreislisten.ID)"));
        foreach (var stream in options.Streams.Keys.Where(s => !StreamInfos.Any(i => string.Equals(i.Name, s, StringComparison.OrdinalIgnoreCase))))
            errors.Add(new ConfigError($"{key}:Streams:{stream}", $"the Sage connector has no stream '{stream}'; it has: {string.Join(", ", StreamInfos.Select(i => i.Name))}"));
        return errors;
    }
}

/// <summary>
/// One Sage 100 database and client, seen by one shop. Built on the Database connector: its dialects, connection
/// pool, setup script and streamed cursor reads; the writes are the Sage logic of matching, numbering and idempotency.
/// </summary>
public sealed partial class SageOfficeLineConnector : IConnector, IStreamValidator
{
    private readonly ConnectionContext _connection;
    private readonly ILogger _logger;

    internal SageOfficeLineConnector(ConnectionContext connection, SageOfficeLineOptions options, DatabaseConnector database, ILogger logger)
    {
        _connection = connection;
        Options = options;
        Database = database;
        _logger = logger;
    }

    public string Name => _connection.Name;

    public IReadOnlyList<StreamInfo> Streams => SageOfficeLineConnectorFactory.StreamInfos;

    internal SageOfficeLineOptions Options { get; }

    internal DatabaseConnector Database { get; }

    private string Key => _connection.Settings.Path;

    public IRecordSource OpenSource(StreamContext context)
    {
        var stream = Stream(context, StreamAccess.Read);
        var file = MappingFile(context);
        var mapping = DatabaseMapping.Load(file, MappingDirection.Read, stream.RecordType);
        var missing = MissingParameters(mapping.Read!, file).ToList();
        if (missing.Count > 0) throw new ConfigurationException(missing);
        return Database.OpenSource(context with { MappingFile = file });
    }

    public IRecordTarget OpenTarget(StreamContext context)
    {
        var stream = Stream(context, StreamAccess.Write);
        var file = MappingFile(context);
        var (mapping, errors) = SageWriteMapping.From(MappingLoader.Load(file), stream.RecordType, Options);
        errors.AddRange(SettingErrors(stream));
        if (errors.Count > 0) throw new ConfigurationException(errors);
        if (stream.RecordType == typeof(Order)) return new SageOrderTarget(this, mapping!, context, _logger);
        if (stream.RecordType == typeof(Customer)) return new SageCustomerTarget(this, mapping!, context, _logger);
        return new SageArticleTarget(this, mapping!, context, _logger);
    }

    public ValueTask DisposeAsync() => Database.DisposeAsync();

    private StreamInfo Stream(StreamContext context, StreamAccess access)
    {
        var stream = Streams.FirstOrDefault(s => string.Equals(s.Name, context.Stream, StringComparison.OrdinalIgnoreCase))
            ?? throw new ConfigurationException($"{Key}:Streams:{context.Stream}", $"the Sage connector has no stream '{context.Stream}'; it has: {string.Join(", ", Streams.Select(s => s.Name))}");
        if (!stream.Access.HasFlag(access))
            throw new ConfigurationException($"{Key}:Streams:{context.Stream}", $"stream '{stream.Name}' cannot be {(access == StreamAccess.Read ? "read" : "written")}");
        return stream;
    }

    /// <summary>The flow's mapping of the stream's direction, else the stream's own (default <c>mappings/sage/{stream}.json</c>).</summary>
    private string MappingFile(StreamContext context) =>
        context.MappingFile ?? _connection.ResolvePath(Options.Streams.GetValueOrDefault(context.Stream)?.Mapping is { Length: > 0 } own
            ? own
            : SageOfficeLineConnectorFactory.DefaultMapping(context.Stream.ToLowerInvariant()));

    /// <summary>Settings a write stream cannot do without.</summary>
    private IEnumerable<ConfigError> SettingErrors(StreamInfo stream)
    {
        if (stream.RecordType == typeof(Order) && Options.NumberRange is null)
            yield return new ConfigError(Key + ":NumberRange", "missing: the Belegnummer range of this shop's documents, e.g. { \"From\": 500000, \"To\": 599999 }; each shop has its own");
        if (stream.RecordType != typeof(Product) && Options.CustomerNumbers is null)
            yield return new ConfigError(Key + ":CustomerNumbers", "missing: the account numbers (Kto) new customers get, e.g. { \"From\": 200000, \"To\": 299999 }");
    }

    /// <summary>A read query must stay within the Mandant, and the warehouse or price list it names must be configured.</summary>
    private IEnumerable<ConfigError> MissingParameters(ReadSettings read, string file)
    {
        bool Uses(string name) => System.Text.RegularExpressions.Regex.IsMatch(read.Query, "@" + name + @"\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        if (!Uses("Mandant"))
            yield return new ConfigError("database.query", "the query must read this connection's client only: add WHERE ... Mandant = @Mandant", file, read.QueryLine);
        if (Uses("Lager") && string.IsNullOrWhiteSpace(Options.Warehouse))
            yield return new ConfigError(Key + ":Warehouse", $"missing: the query of {Path.GetFileName(file)} reads the stock of @Lager; name the shop's warehouse (Lagerkennung)");
        if (Uses("Preisliste") && Options.PriceList is null)
            yield return new ConfigError(Key + ":PriceList", $"missing: the query of {Path.GetFileName(file)} reads the prices of @Preisliste; name the shop's price list (KHKPreislisten.ID)");
    }
}
