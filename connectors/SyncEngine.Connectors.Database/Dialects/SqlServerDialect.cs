using System.Data;
using System.Data.Common;
using Microsoft.Data.SqlClient;

namespace SyncEngine.Connectors.Database;

/// <summary>SQL Server (Sage Office Line): MERGE WITH (HOLDLOCK) so two writers cannot both insert a key; bulk through SqlBulkCopy.</summary>
public sealed class SqlServerDialect : SqlDialect
{
    public static readonly SqlServerDialect Instance = new();

    // Unique key (2627, 2601), foreign key or check (547), NULL (515), truncation (8152, 2628), conversion and overflow
    // (245, 8114, 8115, 220, 232, 241, 242, 295, 296): errors of the row, not of the database.
    private static readonly HashSet<int> RecordErrors = [2627, 2601, 547, 515, 8152, 2628, 245, 8114, 8115, 220, 232, 241, 242, 295, 296];

    private SqlServerDialect()
    {
    }

    public override DatabaseProvider Provider => DatabaseProvider.SqlServer;
    public override string Name => "SQL Server";
    internal override string BulkMethod => "SqlBulkCopy";

    private static string StageTable => "#" + Stage;

    public override string Quote(string identifier) => "[" + identifier.Replace("]", "]]", StringComparison.Ordinal) + "]";

    public override string Upsert(string table, IReadOnlyList<string> columns, IReadOnlyList<string> key, string? identity) =>
        Merge(table, $"(VALUES ({Parameters(0, columns.Count)})) AS s ({List(columns)})", columns, key, identity);

    public override string UpsertRows(string table, IReadOnlyList<string> columns, IReadOnlyList<string> key, int rows) =>
        Merge(table, $"(VALUES {Rows(columns.Count, rows)}) AS s ({List(columns)})", columns, key, null);

    /// <summary>An empty temp table with the target's column types, for SqlBulkCopy.</summary>
    public string CreateStage(string table, IReadOnlyList<string> columns) =>
        $"SELECT TOP 0 {List(columns)} INTO {Quote(StageTable)} FROM {QuoteName(table)}";

    public string UpsertFromStage(string table, IReadOnlyList<string> columns, IReadOnlyList<string> key) =>
        Merge(table, $"{Quote(StageTable)} AS s", columns, key, null);

    public string DropStage() => $"DROP TABLE {Quote(StageTable)}";

    private string Merge(string table, string source, IReadOnlyList<string> columns, IReadOnlyList<string> key, string? identity)
    {
        var update = NonKey(columns, key);
        // OUTPUT only reports rows the MERGE touched: a row that is all key is "updated" to itself so its identity comes back.
        if (update.Count == 0 && identity is not null) update = [key[0]];
        var matched = update.Count == 0 ? string.Empty : $" WHEN MATCHED THEN UPDATE SET {string.Join(", ", update.Select(c => $"t.{Quote(c)} = s.{Quote(c)}"))}";
        var output = identity is null ? string.Empty : $" OUTPUT inserted.{Quote(identity)}";
        return $"MERGE INTO {QuoteName(table)} WITH (HOLDLOCK) AS t USING {source} ON {string.Join(" AND ", key.Select(k => $"t.{Quote(k)} = s.{Quote(k)}"))}" +
            $"{matched} WHEN NOT MATCHED THEN INSERT ({List(columns)}) VALUES ({string.Join(", ", columns.Select(c => "s." + Quote(c)))}){output};";
    }

    internal override bool IsRecordError(DbException exception) =>
        exception is SqlException sql && sql.Errors.Cast<SqlError>().Any(e => RecordErrors.Contains(e.Number));

    // SqlClient sends a DateTime as datetime (1/300 s); datetime2 keeps every tick, so a cursor never rounds past a row.
    internal override void Prepare(DbParameter parameter)
    {
        if (parameter.Value is DateTime) parameter.DbType = DbType.DateTime2;
    }

    internal override DbDataSource CreateDataSource(string connectionString) => SqlClientFactory.Instance.CreateDataSource(connectionString);

    internal override async Task BulkUpsertAsync(DbConnection connection, DbTransaction transaction, string table, IReadOnlyList<ColumnInfo> columns,
        IReadOnlyList<string> key, IReadOnlyList<object?[]> rows, CancellationToken cancellationToken)
    {
        var names = columns.Select(c => c.Name).ToList();
        await using (var create = Command(connection, transaction, CreateStage(table, names), []))
            await create.ExecuteNonQueryAsync(cancellationToken);
        using var data = new DataTable();
        foreach (var column in columns) data.Columns.Add(column.Name, column.ClrType ?? typeof(object));
        foreach (var row in rows) data.Rows.Add(row.Select(v => v ?? DBNull.Value).ToArray());
        using (var bulk = new SqlBulkCopy((SqlConnection)connection, SqlBulkCopyOptions.Default, (SqlTransaction)transaction))
        {
            bulk.DestinationTableName = StageTable;
            bulk.BulkCopyTimeout = 0;
            foreach (var name in names) bulk.ColumnMappings.Add(name, name);
            await bulk.WriteToServerAsync(data, cancellationToken);
        }
        await using (var merge = Command(connection, transaction, UpsertFromStage(table, names, key), []))
            await merge.ExecuteNonQueryAsync(cancellationToken);
        await using var drop = Command(connection, transaction, DropStage(), []);
        await drop.ExecuteNonQueryAsync(cancellationToken);
    }
}
