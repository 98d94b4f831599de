using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace SyncEngine.Connectors.Database;

public sealed class SqliteDialect : OnConflictDialect
{
    public static readonly SqliteDialect Instance = new();

    private SqliteDialect()
    {
    }

    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;
    public override string Name => "SQLite";

    internal override bool TypedColumns => false;

    // SQLITE_TOOBIG, SQLITE_CONSTRAINT, SQLITE_MISMATCH: the row, not the database. "no such table" is SQLITE_ERROR and stops the run.
    internal override bool IsRecordError(DbException exception) => exception is SqliteException { SqliteErrorCode: 18 or 19 or 20 };

    /// <summary>
    /// By the column's declared type, as SQLite's type affinity reads it. Microsoft.Data.Sqlite reports the storage class
    /// of the table's first row instead (an integral 1500 in a DECIMAL column: Int64), which would refuse 1173.2283 the
    /// moment the table holds such a row.
    /// </summary>
    internal override Type? ClrTypeOf(DbColumn column)
    {
        var declared = (column.DataTypeName ?? string.Empty).ToUpperInvariant();
        if (declared.Length == 0) return null;
        if (declared.Contains("INT", StringComparison.Ordinal)) return typeof(long);
        if (declared.Contains("BLOB", StringComparison.Ordinal)) return typeof(byte[]);
        if (declared.Contains("REAL", StringComparison.Ordinal) || declared.Contains("FLOA", StringComparison.Ordinal) || declared.Contains("DOUB", StringComparison.Ordinal))
            return typeof(double);
        // TEXT, and NUMERIC affinity (DECIMAL, DATE, BOOLEAN ...): bound as text, which SQLite stores as the number or text it reads.
        return typeof(string);
    }

    /// <summary>"VARCHAR(24)" and "DECIMAL(19, 4)" as declared: the column schema gives "VARCHAR" and "DECIMAL" only.</summary>
    internal override async Task<IReadOnlyDictionary<string, string>> DeclaredTypesAsync(DbConnection connection, DbTransaction? transaction, string table,
        CancellationToken cancellationToken)
    {
        var types = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        await using var command = Command(connection, transaction, "SELECT name, type FROM pragma_table_info(@p0)", [table]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) types[reader.GetString(0)] = reader.GetString(1);
        return types;
    }

    internal override DbDataSource CreateDataSource(string connectionString) => SqliteFactory.Instance.CreateDataSource(connectionString);

    /// <summary>
    /// SQLite finds each named parameter by searching the statement, so a many-row statement costs quadratic time to bind;
    /// one prepared single-row upsert, rebound per row inside the batch's transaction, is the fast path.
    /// </summary>
    internal override async Task BulkUpsertAsync(DbConnection connection, DbTransaction transaction, string table, IReadOnlyList<ColumnInfo> columns,
        IReadOnlyList<string> key, IReadOnlyList<object?[]> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0) return;
        await using var command = Command(connection, transaction, UpsertRows(table, columns.Select(c => c.Name).ToList(), key, 1), rows[0]);
        await command.ExecuteNonQueryAsync(cancellationToken);
        for (var row = 1; row < rows.Count; row++)
        {
            for (var i = 0; i < columns.Count; i++) command.Parameters[i].Value = rows[row][i] ?? DBNull.Value;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    internal override string Normalize(string connectionString, Func<string, string> resolvePath)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        var file = builder.DataSource;
        var inMemory = builder.Mode == SqliteOpenMode.Memory || file.Length == 0 || file == ":memory:" || file.StartsWith("file:", StringComparison.OrdinalIgnoreCase);
        if (!inMemory && !Path.IsPathRooted(file)) builder.DataSource = resolvePath(file);
        return builder.ConnectionString;
    }
}
