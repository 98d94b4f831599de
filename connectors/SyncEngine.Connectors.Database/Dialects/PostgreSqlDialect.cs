using System.Data.Common;
using Npgsql;
using Npgsql.Schema;
using NpgsqlTypes;

namespace SyncEngine.Connectors.Database;

/// <summary>PostgreSQL: upsert with ON CONFLICT, bulk through binary COPY into a staging table.</summary>
public sealed class PostgreSqlDialect : OnConflictDialect
{
    public static readonly PostgreSqlDialect Instance = new();

    private PostgreSqlDialect()
    {
    }

    public override DatabaseProvider Provider => DatabaseProvider.PostgreSql;
    public override string Name => "PostgreSQL";
    internal override string BulkMethod => "binary COPY";

    /// <summary>An empty staging table with the target's column types, dropped at commit.</summary>
    public string CreateStage(string table, IReadOnlyList<string> columns) =>
        $"CREATE TEMP TABLE {Quote(Stage)} ON COMMIT DROP AS SELECT {List(columns)} FROM {QuoteName(table)} WITH NO DATA";

    public string CopyToStage(IReadOnlyList<string> columns) => $"COPY {Quote(Stage)} ({List(columns)}) FROM STDIN (FORMAT BINARY)";

    public string UpsertFromStage(string table, IReadOnlyList<string> columns, IReadOnlyList<string> key) =>
        $"INSERT INTO {QuoteName(table)} ({List(columns)}) SELECT {List(columns)} FROM {Quote(Stage)} {OnConflict(columns, key, false)}";

    internal override bool StoresInstant(DbColumn column) => column.DataTypeName == "timestamp with time zone";

    internal override string Message(DbException exception) =>
        exception is PostgresException postgres ? $"{postgres.SqlState}: {postgres.MessageText}" : base.Message(exception);

    internal override DbDataSource CreateDataSource(string connectionString) => NpgsqlDataSource.Create(connectionString);

    /// <summary>
    /// Unquoted names are folded to lower case by PostgreSQL, so a mapping's <c>KHKArtikel</c> finds a table created as
    /// <c>CREATE TABLE KHKArtikel</c> (really <c>khkartikel</c>) as well as one created as <c>"KHKArtikel"</c>; the exact case wins.
    /// </summary>
    internal override async Task<string?> ResolveTableAsync(DbConnection connection, DbTransaction? transaction, string table, CancellationToken cancellationToken)
    {
        var dot = table.LastIndexOf('.');
        var (schema, name) = dot < 0 ? (string.Empty, table) : (table[..dot], table[(dot + 1)..]);
        await using var command = Command(connection, transaction, """
            SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND lower(c.relname) = lower(@p0)
              AND CASE WHEN @p1 = '' THEN n.nspname = ANY (current_schemas(false)) ELSE lower(n.nspname) = lower(@p1) END
            ORDER BY c.relname = @p0 DESC, array_position(current_schemas(false), n.nspname) LIMIT 1
            """, [name, schema]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        return reader.GetString(0) + "." + reader.GetString(1);
    }

    internal override async Task<bool> BulkInsertAsync(DbConnection connection, DbTransaction transaction, string table, IReadOnlyList<ColumnInfo> columns,
        IReadOnlyList<object?[]> rows, CancellationToken cancellationToken)
    {
        var npgsql = (NpgsqlTransaction)transaction;
        await npgsql.SaveAsync("syncengine_insert", cancellationToken);
        try
        {
            await CopyAsync((NpgsqlConnection)connection, $"COPY {QuoteName(table)} ({List(columns.Select(c => c.Name).ToList())}) FROM STDIN (FORMAT BINARY)", columns, rows, cancellationToken);
            await npgsql.ReleaseAsync("syncengine_insert", cancellationToken);
            return true;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await npgsql.RollbackAsync("syncengine_insert", cancellationToken);
            return false;
        }
    }

    internal override async Task BulkUpsertAsync(DbConnection connection, DbTransaction transaction, string table, IReadOnlyList<ColumnInfo> columns,
        IReadOnlyList<string> key, IReadOnlyList<object?[]> rows, CancellationToken cancellationToken)
    {
        var npgsql = (NpgsqlConnection)connection;
        var names = columns.Select(c => c.Name).ToList();
        await using (var create = Command(connection, transaction, CreateStage(table, names), []))
            await create.ExecuteNonQueryAsync(cancellationToken);
        await CopyAsync(npgsql, CopyToStage(names), columns, rows, cancellationToken);
        await using var upsert = Command(connection, transaction, UpsertFromStage(table, names, key), []);
        await upsert.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task CopyAsync(NpgsqlConnection connection, string copy, IReadOnlyList<ColumnInfo> columns, IReadOnlyList<object?[]> rows, CancellationToken cancellationToken)
    {
        // Binary COPY sends values in the column's own wire format, so each is written as the column's type.
        var types = columns.Select(c => (c.Column as NpgsqlDbColumn)?.NpgsqlDbType).ToArray();
        await using var importer = await connection.BeginBinaryImportAsync(copy, cancellationToken);
        foreach (var row in rows)
        {
            await importer.StartRowAsync(cancellationToken);
            for (var i = 0; i < row.Length; i++)
            {
                if (row[i] is null) await importer.WriteNullAsync(cancellationToken);
                else if (types[i] is { } type) await WriteAsync(importer, row[i]!, type, cancellationToken);
                else await importer.WriteAsync(row[i]!, cancellationToken);
            }
        }
        await importer.CompleteAsync(cancellationToken);
    }

    /// <summary>The common types through their own overload: written as object, Npgsql looks the value's type up for every value.</summary>
    private static Task WriteAsync(NpgsqlBinaryImporter importer, object value, NpgsqlDbType type, CancellationToken cancellationToken) => value switch
    {
        string text => importer.WriteAsync(text, type, cancellationToken),
        decimal number => importer.WriteAsync(number, type, cancellationToken),
        int number => importer.WriteAsync(number, type, cancellationToken),
        long number => importer.WriteAsync(number, type, cancellationToken),
        DateTime time => importer.WriteAsync(time, type, cancellationToken),
        DateTimeOffset time => importer.WriteAsync(time, type, cancellationToken),
        bool flag => importer.WriteAsync(flag, type, cancellationToken),
        _ => importer.WriteAsync(value, type, cancellationToken),
    };
}
