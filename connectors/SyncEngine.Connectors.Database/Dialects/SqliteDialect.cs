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

    // SQLITE_TOOBIG, SQLITE_CONSTRAINT, SQLITE_MISMATCH: the row, not the database. "no such table" is SQLITE_ERROR and stops the run.
    internal override bool IsRecordError(DbException exception) => exception is SqliteException { SqliteErrorCode: 18 or 19 or 20 };

    internal override DbDataSource CreateDataSource(string connectionString) => SqliteFactory.Instance.CreateDataSource(connectionString);

    internal override string Normalize(string connectionString, Func<string, string> resolvePath)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        var file = builder.DataSource;
        var inMemory = builder.Mode == SqliteOpenMode.Memory || file.Length == 0 || file == ":memory:" || file.StartsWith("file:", StringComparison.OrdinalIgnoreCase);
        if (!inMemory && !Path.IsPathRooted(file)) builder.DataSource = resolvePath(file);
        return builder.ConnectionString;
    }
}
