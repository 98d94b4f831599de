using System.Data.Common;
using MySqlConnector;

namespace SyncEngine.Connectors.Database;

/// <summary>
/// MySQL and MariaDB: <c>INSERT ... ON DUPLICATE KEY UPDATE</c>, which matches on any unique index of the table (the key is
/// documentation there); <c>LAST_INSERT_ID(identity)</c> makes the identity come back for an update as for an insert.
/// </summary>
public sealed class MySqlDialect : SqlDialect
{
    public static readonly MySqlDialect Instance = new();

    private MySqlDialect()
    {
    }

    public override DatabaseProvider Provider => DatabaseProvider.MySql;
    public override string Name => "MySQL";

    public override string Quote(string identifier) => "`" + identifier.Replace("`", "``", StringComparison.Ordinal) + "`";

    public override string Upsert(string table, IReadOnlyList<string> columns, IReadOnlyList<string> key, string? identity)
    {
        var updates = NonKey(columns, key).Select(c => $"{Quote(c)} = VALUES({Quote(c)})").ToList();
        if (identity is not null) updates.Add($"{Quote(identity)} = LAST_INSERT_ID({Quote(identity)})");
        if (updates.Count == 0) updates.Add($"{Quote(key[0])} = VALUES({Quote(key[0])})");
        return $"INSERT INTO {QuoteName(table)} ({List(columns)}) VALUES ({Parameters(0, columns.Count)}) ON DUPLICATE KEY UPDATE {string.Join(", ", updates)}" +
            (identity is null ? string.Empty : "; SELECT LAST_INSERT_ID()");
    }

    public override string UpsertRows(string table, IReadOnlyList<string> columns, IReadOnlyList<string> key, int rows)
    {
        var update = NonKey(columns, key);
        if (update.Count == 0) update = [key[0]];
        return $"INSERT INTO {QuoteName(table)} ({List(columns)}) VALUES {Rows(columns.Count, rows)} ON DUPLICATE KEY UPDATE {string.Join(", ", update.Select(c => $"{Quote(c)} = VALUES({Quote(c)})"))}";
    }

    internal override DbDataSource CreateDataSource(string connectionString) => new MySqlDataSource(connectionString);
}
