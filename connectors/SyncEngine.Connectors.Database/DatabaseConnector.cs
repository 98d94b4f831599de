using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SyncEngine.Core;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;
using SyncEngine.Core.Model;

namespace SyncEngine.Connectors.Database;

public static class DatabaseServiceCollectionExtensions
{
    /// <summary>Connections of <c>"Type": "Database"</c>: records as rows of tables in SQLite, PostgreSQL, SQL Server or MySQL.</summary>
    public static IServiceCollection AddDatabaseConnector(this IServiceCollection services) => services.AddConnector<DatabaseConnectorFactory>();
}

public sealed class DatabaseConnectorFactory : IConnectorFactory
{
    public string Type => "Database";

    public IConnector Create(ConnectionContext connection)
    {
        var key = connection.Settings.Path;
        DatabaseOptions options;
        try
        {
            options = connection.Settings.Get<DatabaseOptions>() ?? new DatabaseOptions();
        }
        catch (InvalidOperationException ex)
        {
            throw new ConfigurationException(key, ex.Message);
        }
        var errors = new List<ConfigError>();
        var provider = ParseProvider(options.Provider);
        if (provider is null)
        {
            errors.Add(new ConfigError(key + ":Provider", options.Provider is null
                ? "missing: the database provider (Sqlite, PostgreSql, SqlServer or MySql)"
                : $"'{options.Provider}' is not a supported provider; use Sqlite, PostgreSql, SqlServer or MySql"));
        }
        if (string.IsNullOrWhiteSpace(options.ConnectionString)) errors.Add(new ConfigError(key + ":ConnectionString", "missing: the connection string"));
        if (options.BulkThreshold < 1) errors.Add(new ConfigError(key + ":BulkThreshold", $"'{options.BulkThreshold}' must be at least 1"));
        if (options.Streams.Count == 0) errors.Add(new ConfigError(key + ":Streams", "missing: name at least one stream"));
        var streams = new List<(StreamInfo Info, DatabaseStreamOptions Options)>();
        foreach (var (name, stream) in options.Streams)
        {
            var type = stream.RecordType is null ? null : RecordTypes.Find(stream.RecordType);
            if (type is null)
            {
                errors.Add(new ConfigError($"{key}:Streams:{name}:RecordType",
                    $"'{stream.RecordType}' is not a record type; use one of {string.Join(", ", RecordTypes.All.Select(t => t.Name))}"));
                continue;
            }
            streams.Add((new StreamInfo(name, type, StreamAccess.ReadWrite), stream));
        }

        DbDataSource? dataSource = null;
        var connectionString = string.Empty;
        var dialect = provider is null ? null : SqlDialect.For(provider.Value);
        if (dialect is not null && !string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            try
            {
                connectionString = dialect.Normalize(options.ConnectionString, connection.ResolvePath);
                dataSource = dialect.CreateDataSource(connectionString);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
            {
                // The provider's message names the keyword, never the value; the connection string itself is not repeated.
                errors.Add(new ConfigError(key + ":ConnectionString", $"not a valid {dialect.Name} connection string: {ex.Message}"));
            }
        }
        if (errors.Count > 0)
        {
            dataSource?.Dispose();
            throw new ConfigurationException(errors);
        }
        var logger = connection.Services.GetService<ILoggerFactory>()?.CreateLogger<DatabaseConnector>() ?? NullLogger<DatabaseConnector>.Instance;
        return new DatabaseConnector(connection, dialect!, dataSource!, connectionString, options, streams, logger);
    }

    private static DatabaseProvider? ParseProvider(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "sqlite" => DatabaseProvider.Sqlite,
        "postgresql" or "postgres" or "npgsql" => DatabaseProvider.PostgreSql,
        "sqlserver" or "mssql" => DatabaseProvider.SqlServer,
        "mysql" or "mariadb" => DatabaseProvider.MySql,
        _ => null,
    };
}

/// <summary>
/// One database. Streams read through a mapping's query with a cursor, or write through a mapping's table with an upsert
/// on its key; header and child rows of a record commit together.
/// </summary>
public sealed partial class DatabaseConnector : IConnector, IStreamValidator
{
    private readonly ConnectionContext _connection;
    private readonly DbDataSource _dataSource;
    private readonly DatabaseOptions _options;
    private readonly IReadOnlyList<(StreamInfo Info, DatabaseStreamOptions Options)> _streams;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, TableInfo> _tables = new(StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim _setupLock = new(1, 1);
    private readonly string? _password;
    private volatile bool _setupDone;

    internal DatabaseConnector(ConnectionContext connection, SqlDialect dialect, DbDataSource dataSource, string connectionString, DatabaseOptions options,
        IReadOnlyList<(StreamInfo Info, DatabaseStreamOptions Options)> streams, ILogger logger)
    {
        _connection = connection;
        _dataSource = dataSource;
        _options = options;
        _streams = streams;
        _logger = logger;
        Dialect = dialect;
        Streams = streams.Select(s => s.Info).ToList();
        (Where, _password) = Describe(dialect, connectionString);
        _setupDone = options.Setup is null;
    }

    public string Name => _connection.Name;

    public IReadOnlyList<StreamInfo> Streams { get; }

    public SqlDialect Dialect { get; }

    /// <summary>Database and host for messages, e.g. <c>PostgreSQL erp.local:5432/office</c>; never the password.</summary>
    public string Where { get; }

    internal int BulkThreshold => _options.BulkThreshold;

    /// <summary>
    /// Named values a read query may use besides <c>@cursor</c>, supplied by a connector built on this one
    /// (the Sage connector's <c>@Mandant</c>, <c>@Lager</c>, <c>@Preisliste</c>). Only those the query names are bound.
    /// </summary>
    internal IReadOnlyDictionary<string, object?> QueryParameters { get; init; } = new Dictionary<string, object?>();

    private string Key => _connection.Settings.Path;

    public IRecordSource OpenSource(StreamContext context) =>
        new DatabaseSource(this, DatabaseMapping.Load(MappingFile(context), MappingDirection.Read, context.RecordType), context);

    public IRecordTarget OpenTarget(StreamContext context) =>
        new DatabaseTarget(this, DatabaseMapping.Load(MappingFile(context), MappingDirection.Write, context.RecordType), context, _logger);

    public async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        _setupLock.Dispose();
    }

    /// <summary>Opens a pooled connection; a database that cannot be reached is named by connection, host and database only.</summary>
    internal async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _dataSource.OpenConnectionAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new DatabaseException($"connection '{Name}' ({Where}): cannot connect: {Redact(ex.Message)}", ex, cannotConnect: true);
        }
    }

    /// <summary>The table's real name and columns, read once and kept until a write fails.</summary>
    /// <returns>null when the table does not exist.</returns>
    /// <exception cref="DbException">The table cannot be read (missing, where the database cannot tell beforehand).</exception>
    internal async Task<TableInfo?> TableAsync(DbConnection connection, DbTransaction? transaction, string table, CancellationToken cancellationToken)
    {
        if (_tables.TryGetValue(table, out var known)) return known;
        var real = await Dialect.ResolveTableAsync(connection, transaction, table, cancellationToken);
        if (real is null) return null;
        await using var command = Dialect.Command(connection, transaction, Dialect.SelectNoRows(real), []);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var columns = reader.GetColumnSchema()
            .Select(c => new ColumnInfo(c.ColumnName, Dialect.ClrTypeOf(c), c.DataTypeName ?? c.DataType?.Name ?? "?", Dialect.StoresInstant(c)) { Column = c })
            .ToList();
        return _tables[table] = new TableInfo(table, real, columns);
    }

    /// <summary>Forgets what is known of the tables, so the next write reads them again (after a failure, or a change of schema).</summary>
    internal void ForgetTables() => _tables.Clear();

    /// <summary>Runs the connection's setup script once, when a table it creates is missing.</summary>
    internal async Task EnsureSetupAsync(CancellationToken cancellationToken)
    {
        if (_setupDone) return;
        await _setupLock.WaitAsync(cancellationToken);
        try
        {
            if (_setupDone) return;
            var file = _connection.ResolvePath(_options.Setup!);
            string script;
            try
            {
                script = await File.ReadAllTextAsync(file, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ConfigurationException(Key + ":Setup", $"cannot read the setup script '{_options.Setup}' (looked at {file}): {ex.Message}");
            }
            await using var connection = await OpenAsync(cancellationToken);
            var missing = new List<string>();
            var tables = SqlScript.CreatedTables(script);
            foreach (var table in tables)
            {
                if (!await ExistsAsync(connection, table, cancellationToken)) missing.Add(table);
            }
            if (tables.Count == 0 || missing.Count > 0)
            {
                var statements = SqlScript.Split(script);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                foreach (var statement in statements)
                {
                    try
                    {
                        await using var command = Dialect.Command(connection, transaction, statement.Text, []);
                        await command.ExecuteNonQueryAsync(cancellationToken);
                    }
                    catch (DbException ex)
                    {
                        throw new DatabaseException($"connection '{Name}' ({Where}): setup script {file}, statement at line {statement.Line}: {Redact(Dialect.Message(ex))}", ex);
                    }
                }
                await transaction.CommitAsync(cancellationToken);
                ForgetTables();
                LogSetupRan(Name, file, statements.Count, missing.Count == 0 ? "(none named)" : string.Join(", ", missing));
            }
            _setupDone = true;
        }
        finally
        {
            _setupLock.Release();
        }
    }

    private async Task<bool> ExistsAsync(DbConnection connection, string table, CancellationToken cancellationToken)
    {
        try
        {
            return await TableAsync(connection, null, table, cancellationToken) is not null;
        }
        catch (DbException)
        {
            return false;
        }
    }

    /// <summary>The columns a query returns and the types they are read as, without reading a row.</summary>
    internal async Task<IReadOnlyList<(string Name, Type Type)>> QueryColumnsAsync(DbConnection connection, ReadSettings settings, CancellationToken cancellationToken)
    {
        await using var command = Dialect.Command(connection, null, settings.Query, []);
        if (settings.Cursor is not null) Dialect.AddParameter(command, "cursor", null);
        BindQueryParameters(command, settings.Query);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SchemaOnly, cancellationToken);
        return Enumerable.Range(0, reader.FieldCount).Select(i => (reader.GetName(i), reader.GetFieldType(i))).ToList();
    }

    /// <summary>Binds the <see cref="QueryParameters"/> the query names (<c>@Mandant</c>), whatever their case in the query.</summary>
    internal void BindQueryParameters(DbCommand command, string query)
    {
        foreach (var (name, value) in QueryParameters)
        {
            var used = Regex.Match(query, "@" + Regex.Escape(name) + @"\b", RegexOptions.IgnoreCase);
            if (used.Success) Dialect.AddParameter(command, used.Value[1..], value);
        }
    }

    /// <summary>A message without the connection string's password, should a provider ever repeat it.</summary>
    internal string Redact(string message) =>
        string.IsNullOrEmpty(_password) ? message : message.Replace(_password, "***", StringComparison.Ordinal);

    private string MappingFile(StreamContext context)
    {
        if (context.MappingFile is not null) return context.MappingFile;
        var stream = StreamOptions(context.Stream);
        if (string.IsNullOrWhiteSpace(stream.Mapping))
            throw new ConfigurationException($"{Key}:Streams:{context.Stream}:Mapping", "missing: a database stream needs a mapping (the flow's Mapping or the stream's own)");
        return _connection.ResolvePath(stream.Mapping);
    }

    private DatabaseStreamOptions StreamOptions(string stream) =>
        _streams.First(s => string.Equals(s.Info.Name, stream, StringComparison.OrdinalIgnoreCase)).Options;

    private static (string Where, string? Password) Describe(SqlDialect dialect, string connectionString)
    {
        var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
        string? Value(params string[] keys) => keys.Select(k => builder.TryGetValue(k, out var v) ? v?.ToString() : null).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
        var password = Value("Password", "Pwd");
        if (dialect.Provider == DatabaseProvider.Sqlite) return ($"{dialect.Name} {Value("Data Source", "DataSource", "Filename")}", password);
        var host = Value("Host", "Server", "Data Source", "Address", "Addr", "Network Address") ?? "localhost";
        var port = Value("Port");
        var database = Value("Database", "Initial Catalog");
        return ($"{dialect.Name} {host}{(port is null ? string.Empty : ":" + port)}{(database is null ? string.Empty : "/" + database)}", password);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection {Connection}: setup script {Script} ran ({Statements} statements; missing tables: {Missing})")]
    private partial void LogSetupRan(string connection, string script, int statements, string missing);
}

/// <summary>The database failed as a whole (unreachable, a table missing, a statement it cannot run): the run stops, nothing of the batch is committed.</summary>
public sealed class DatabaseException(string message, Exception? inner = null, bool cannotConnect = false) : Exception(message, inner)
{
    /// <summary>The database did not answer (down, unreachable), as opposed to refusing what was asked.</summary>
    public bool CannotConnect { get; } = cannotConnect;
}
