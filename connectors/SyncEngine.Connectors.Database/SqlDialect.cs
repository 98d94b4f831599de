using System.Data.Common;
using System.Globalization;
using System.Text;

namespace SyncEngine.Connectors.Database;

/// <summary>
/// What differs between the databases the connector writes to: quoting, the upsert statement, bulk loading, and which
/// errors belong to one record. Statements are built as text from names alone, so they can be checked without a server.
/// Values are always parameters <c>@p0</c>, <c>@p1</c>, ... in the order of the columns given.
/// </summary>
public abstract class SqlDialect
{
    /// <summary>Name of the staging table of the bulk path.</summary>
    protected const string Stage = "syncengine_stage";

    /// <summary>Bound values per statement of the multi-row path; below SQL Server's 2,100 and every other provider's limit.</summary>
    internal const int MaxParameters = 2000;

    public static SqlDialect For(DatabaseProvider provider) => provider switch
    {
        DatabaseProvider.Sqlite => SqliteDialect.Instance,
        DatabaseProvider.PostgreSql => PostgreSqlDialect.Instance,
        DatabaseProvider.SqlServer => SqlServerDialect.Instance,
        DatabaseProvider.MySql => MySqlDialect.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, null),
    };

    public abstract DatabaseProvider Provider { get; }

    /// <summary>The database's name for people: SQLite, PostgreSQL, SQL Server, MySQL.</summary>
    public abstract string Name { get; }

    /// <summary>Whether every value of a result column has the column's type; not in SQLite, where each value has its own.</summary>
    internal virtual bool TypedColumns => true;

    /// <summary>How a batch too big for record-by-record statements is loaded (for logs).</summary>
    internal virtual string BulkMethod => "multi-row INSERT";

    public abstract string Quote(string identifier);

    /// <summary>A possibly schema-qualified name (<c>dbo.KHKArtikel</c>), each part quoted.</summary>
    public string QuoteName(string name) => string.Join('.', name.Split('.').Select(part => Quote(part.Trim())));

    public static string Parameter(int index) => "@p" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>Inserts a row or updates the one with the same key; returns the identity column when one is named.</summary>
    public abstract string Upsert(string table, IReadOnlyList<string> columns, IReadOnlyList<string> key, string? identity);

    /// <summary>Upserts <paramref name="rows"/> rows in one statement (the bulk path where the provider has no bulk API).</summary>
    public abstract string UpsertRows(string table, IReadOnlyList<string> columns, IReadOnlyList<string> key, int rows);

    public string Insert(string table, IReadOnlyList<string> columns) =>
        $"INSERT INTO {QuoteName(table)} ({List(columns)}) VALUES ({Parameters(0, columns.Count)})";

    /// <summary>Deletes the rows whose columns equal the parameters, e.g. the child rows of one header.</summary>
    public string Delete(string table, IReadOnlyList<string> where) =>
        $"DELETE FROM {QuoteName(table)} WHERE {Equal(where, 0)}";

    /// <summary>Deletes the child rows of one header except those with the <paramref name="keep"/> keys given after the parent's values.</summary>
    public string DeleteOthers(string table, IReadOnlyList<string> parent, IReadOnlyList<string> key, int keep)
    {
        if (keep == 0) return Delete(table, parent);
        var rows = Enumerable.Range(0, keep).Select(r => "(" + Equal(key, parent.Count + r * key.Count) + ")");
        return $"DELETE FROM {QuoteName(table)} WHERE {Equal(parent, 0)} AND NOT ({string.Join(" OR ", rows)})";
    }

    /// <summary>A query that returns no rows but every column of the table, with the types the provider reads them as.</summary>
    public string SelectNoRows(string table) => $"SELECT * FROM {QuoteName(table)} WHERE 1 = 0";

    /// <summary>The table's real name (matching case where the database folds it), or null when it does not exist.</summary>
    internal virtual Task<string?> ResolveTableAsync(DbConnection connection, DbTransaction? transaction, string table, CancellationToken cancellationToken) =>
        Task.FromResult<string?>(table);

    /// <summary>The columns' declared types where the provider's column schema leaves out their length or precision; empty where it has them.</summary>
    internal virtual Task<IReadOnlyDictionary<string, string>> DeclaredTypesAsync(DbConnection connection, DbTransaction? transaction, string table,
        CancellationToken cancellationToken) => Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>());

    /// <summary>Whether a date-time column holds an instant (UTC) rather than a wall-clock time.</summary>
    internal virtual bool StoresInstant(DbColumn column) => column.DataType == typeof(DateTimeOffset);

    /// <summary>The type values are converted to before they are bound to the column.</summary>
    internal virtual Type? ClrTypeOf(DbColumn column) => column.DataType;

    /// <summary>
    /// Whether the error concerns the record being written (constraint, bad value) rather than the database or the configuration:
    /// such a record is dead-lettered and the batch goes on. SQLSTATE classes 22 (data) and 23 (integrity) by default.
    /// </summary>
    internal virtual bool IsRecordError(DbException exception) =>
        exception.SqlState is { Length: 5 } state && (state.StartsWith("22", StringComparison.Ordinal) || state.StartsWith("23", StringComparison.Ordinal));

    /// <summary>The database's own words for an error, on one line.</summary>
    internal virtual string Message(DbException exception) => exception.Message.ReplaceLineEndings(" ").Trim();

    /// <summary>Sets a parameter's type where the provider's guess from the value would lose something.</summary>
    internal virtual void Prepare(DbParameter parameter)
    {
    }

    /// <summary>Creates the pool of connections; does no I/O.</summary>
    internal abstract DbDataSource CreateDataSource(string connectionString);

    /// <summary>The connection string with paths made absolute where the provider takes a file.</summary>
    internal virtual string Normalize(string connectionString, Func<string, string> resolvePath) => connectionString;

    /// <summary>
    /// Loads a batch of flat rows as plain inserts, the cheapest way in; false (and nothing written) when one of them is
    /// already there, or the dialect has no such way.
    /// </summary>
    internal virtual Task<bool> BulkInsertAsync(DbConnection connection, DbTransaction transaction, string table, IReadOnlyList<ColumnInfo> columns,
        IReadOnlyList<object?[]> rows, CancellationToken cancellationToken) => Task.FromResult(false);

    /// <summary>Loads a batch of flat rows in one go: staging plus one upsert, or multi-row statements.</summary>
    internal virtual async Task BulkUpsertAsync(DbConnection connection, DbTransaction transaction, string table, IReadOnlyList<ColumnInfo> columns,
        IReadOnlyList<string> key, IReadOnlyList<object?[]> rows, CancellationToken cancellationToken)
    {
        var names = columns.Select(c => c.Name).ToList();
        var perStatement = Math.Max(1, MaxParameters / columns.Count);
        foreach (var chunk in rows.Chunk(perStatement))
        {
            await using var command = Command(connection, transaction, UpsertRows(table, names, key, chunk.Length), chunk.SelectMany(r => r));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>The smallest value of the cursor column's type: where a first or full read starts.</summary>
    internal virtual object Minimum(Type type)
    {
        if (type == typeof(string)) return string.Empty;
        if (type == typeof(DateTime)) return DateTime.MinValue;
        if (type == typeof(DateTimeOffset)) return DateTimeOffset.MinValue;
        if (type == typeof(DateOnly)) return DateOnly.MinValue;
        if (type == typeof(byte[])) return Array.Empty<byte>();
        if (type == typeof(Guid)) return Guid.Empty;
        if (type == typeof(decimal)) return decimal.MinValue;
        if (type == typeof(double)) return double.MinValue;
        if (type == typeof(float)) return float.MinValue;
        if (type == typeof(long)) return long.MinValue;
        if (type == typeof(int)) return int.MinValue;
        if (type == typeof(short)) return short.MinValue;
        if (type == typeof(byte)) return byte.MinValue;
        throw new NotSupportedException($"a cursor column of type {type.Name} cannot be compared; use a date, number or text column");
    }

    /// <summary>A command with the values bound as <c>@p0</c>, <c>@p1</c>, ...</summary>
    internal DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, IEnumerable<object?> values)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        var index = 0;
        foreach (var value in values) AddParameter(command, "p" + (index++).ToString(CultureInfo.InvariantCulture), value);
        return command;
    }

    internal void AddParameter(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        Prepare(parameter);
        command.Parameters.Add(parameter);
    }

    protected string List(IEnumerable<string> columns) => string.Join(", ", columns.Select(Quote));

    protected static string Parameters(int first, int count) => string.Join(", ", Enumerable.Range(first, count).Select(Parameter));

    protected string Equal(IReadOnlyList<string> columns, int firstParameter) =>
        string.Join(" AND ", columns.Select((c, i) => $"{Quote(c)} = {Parameter(firstParameter + i)}"));

    protected static string Rows(int columns, int rows)
    {
        var sql = new StringBuilder();
        for (var r = 0; r < rows; r++)
        {
            if (r > 0) sql.Append(", ");
            sql.Append('(').Append(Parameters(r * columns, columns)).Append(')');
        }
        return sql.ToString();
    }

    /// <summary>The columns an upsert updates: all but the key.</summary>
    protected static List<string> NonKey(IReadOnlyList<string> columns, IReadOnlyList<string> key) =>
        columns.Where(c => !key.Contains(c, StringComparer.OrdinalIgnoreCase)).ToList();
}

/// <summary>SQLite and PostgreSQL: <c>INSERT ... ON CONFLICT (key) DO UPDATE SET ... RETURNING identity</c>.</summary>
public abstract class OnConflictDialect : SqlDialect
{
    public override string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public override string Upsert(string table, IReadOnlyList<string> columns, IReadOnlyList<string> key, string? identity) =>
        $"INSERT INTO {QuoteName(table)} ({List(columns)}) VALUES ({Parameters(0, columns.Count)}) {OnConflict(columns, key, identity is not null)}" +
        (identity is null ? string.Empty : $" RETURNING {Quote(identity)}");

    public override string UpsertRows(string table, IReadOnlyList<string> columns, IReadOnlyList<string> key, int rows) =>
        $"INSERT INTO {QuoteName(table)} ({List(columns)}) VALUES {Rows(columns.Count, rows)} {OnConflict(columns, key, false)}";

    protected string OnConflict(IReadOnlyList<string> columns, IReadOnlyList<string> key, bool mustReturn)
    {
        var update = NonKey(columns, key);
        // A row that is all key is still "updated" when its identity must come back: DO NOTHING returns no row.
        if (update.Count == 0 && mustReturn) update = [key[0]];
        return update.Count == 0
            ? $"ON CONFLICT ({List(key)}) DO NOTHING"
            : $"ON CONFLICT ({List(key)}) DO UPDATE SET {string.Join(", ", update.Select(c => $"{Quote(c)} = excluded.{Quote(c)}"))}";
    }
}
