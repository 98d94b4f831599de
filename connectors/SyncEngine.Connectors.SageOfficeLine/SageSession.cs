using System.Data.Common;
using System.Globalization;
using System.Text;
using SyncEngine.Connectors.Database;
using SyncEngine.Core.Connectors;

namespace SyncEngine.Connectors.SageOfficeLine;

/// <summary>
/// What differs between the databases for the Sage connector's own statements: the lock that makes numbering and the
/// duplicate check safe across processes, and the length function. Everything else is built from the Database
/// connector's dialect (quoting, parameters), so the statements a Sage 100 on SQL Server gets are the ones tested here.
/// </summary>
internal static class SageSql
{
    /// <summary>How long a writer waits for another writer's batch on SQL Server before the run fails.</summary>
    public const int LockTimeoutMilliseconds = 120_000;

    /// <summary>
    /// The statement that takes the numbering lock of a Sage database and client for the rest of the transaction, or
    /// null where the transaction itself is the lock (SQLite's <c>BEGIN IMMEDIATE</c> admits one writer at a time).
    /// </summary>
    public static string? Lock(SqlDialect dialect) => dialect.Provider switch
    {
        // Released by commit or rollback; waits while another transaction holds it.
        DatabaseProvider.PostgreSql => "SELECT pg_advisory_xact_lock(@p0)",
        // Owned by the transaction, released with it; a negative result is a time-out or deadlock victim.
        DatabaseProvider.SqlServer =>
            "DECLARE @result int; EXEC @result = sp_getapplock @Resource = @p0, @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = @p1; SELECT @result",
        _ => null,
    };

    /// <summary>The lock's values: a 64-bit key on PostgreSQL, a resource name and time-out on SQL Server.</summary>
    public static object?[] LockValues(SqlDialect dialect, string resource) => dialect.Provider switch
    {
        DatabaseProvider.PostgreSql => [Fnv1a64(resource)],
        DatabaseProvider.SqlServer => [resource.Length > 255 ? resource[..255] : resource, LockTimeoutMilliseconds],
        _ => [],
    };

    /// <summary>A stable 64-bit hash (FNV-1a) of the resource name: the same key in every process.</summary>
    public static long Fnv1a64(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }
        return unchecked((long)hash);
    }

    public static string Length(SqlDialect dialect, string expression) =>
        dialect.Provider == DatabaseProvider.SqlServer ? $"LEN({expression})" : $"LENGTH({expression})";

    public static string Select(SageTable table, IReadOnlyList<string> columns, IReadOnlyList<string> where, string? orderBy = null) =>
        $"SELECT {string.Join(", ", columns.Select(c => table[c]))} FROM {table.Sql} WHERE {Equal(table, where, 0)}" +
        (orderBy is null ? string.Empty : $" ORDER BY {table[orderBy]}");

    public static string Max(SageTable table, string column, IReadOnlyList<string> where, string? extra = null) =>
        $"SELECT MAX({table[column]}) FROM {table.Sql} WHERE {Equal(table, where, 0)}{(extra is null ? string.Empty : " AND " + extra)}";

    public static string Insert(SageTable table, IReadOnlyList<string> columns) =>
        $"INSERT INTO {table.Sql} ({string.Join(", ", columns.Select(c => table[c]))}) VALUES ({string.Join(", ", columns.Select((_, i) => SqlDialect.Parameter(i)))})";

    public static string Update(SageTable table, IReadOnlyList<string> set, IReadOnlyList<string> where) =>
        $"UPDATE {table.Sql} SET {string.Join(", ", set.Select((c, i) => $"{table[c]} = {SqlDialect.Parameter(i)}"))} WHERE {Equal(table, where, set.Count)}";

    public static string Delete(SageTable table, IReadOnlyList<string> where) => $"DELETE FROM {table.Sql} WHERE {Equal(table, where, 0)}";

    public static string Equal(SageTable table, IReadOnlyList<string> columns, int first) =>
        string.Join(" AND ", columns.Select((c, i) => $"{table[c]} = {SqlDialect.Parameter(first + i)}"));
}

/// <summary>
/// One batch's transaction on the Sage database: statements with values converted to their columns' types, the
/// numbering lock, and the numbers handed out so far (taken back when a record is rolled back).
/// </summary>
internal sealed class SageSession(DatabaseConnector database, DbConnection connection, DbTransaction transaction, SageSchema schema,
    SageOfficeLineOptions options, TimeZoneInfo timeZone)
{
    private readonly Dictionary<string, long> _next = new(StringComparer.Ordinal);
    private Dictionary<string, long> _mark = new(StringComparer.Ordinal);

    public SqlDialect Dialect => database.Dialect;
    public SageSchema Schema => schema;
    public SageOfficeLineOptions Options => options;
    public int Mandant => options.Mandant!.Value;
    public TimeZoneInfo TimeZone => timeZone;

    /// <summary>
    /// Takes the lock every writer of this Sage database and client takes before it reads a number or looks a document up,
    /// held until the batch commits: two processes (or two shops) never hand out the same number, and a second writer of
    /// the same order finds the first one's document.
    /// </summary>
    public async Task LockAsync(CancellationToken cancellationToken)
    {
        if (SageSql.Lock(Dialect) is not { } sql) return;
        // One lock per database schema and Mandant, whichever stream writes (the lock itself is per database on both servers).
        var realName = schema.Tables.First().Info.RealName;
        var dot = realName.LastIndexOf('.');
        var resource = $"SyncEngine.SageOfficeLine|{(dot < 0 ? string.Empty : realName[..dot].ToLowerInvariant())}|{Mandant.ToString(CultureInfo.InvariantCulture)}";
        await using var command = Dialect.Command(connection, transaction, sql, SageSql.LockValues(Dialect, resource));
        // Waiting for another writer's batch is normal; the providers' 30 s command time-out is not the limit.
        command.CommandTimeout = SageSql.LockTimeoutMilliseconds / 1000 + 30;
        var result = await command.ExecuteScalarAsync(cancellationToken);
        if (Dialect.Provider == DatabaseProvider.SqlServer && Convert.ToInt32(result, CultureInfo.InvariantCulture) < 0)
        {
            throw new DatabaseException(
                $"connection '{database.Name}' ({database.Where}): another writer held the numbering lock of Mandant {Mandant} for more than {SageSql.LockTimeoutMilliseconds / 1000} s (sp_getapplock returned {result})");
        }
    }

    public async Task<List<object?[]>> QueryAsync(string sql, IEnumerable<object?> values, CancellationToken cancellationToken)
    {
        await using var command = Dialect.Command(connection, transaction, sql, values);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<object?[]>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    public async Task<object?> ScalarAsync(string sql, IEnumerable<object?> values, CancellationToken cancellationToken)
    {
        await using var command = Dialect.Command(connection, transaction, sql, values);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is DBNull ? null : value;
    }

    public async Task<int> ExecuteAsync(string sql, IEnumerable<object?> values, CancellationToken cancellationToken)
    {
        await using var command = Dialect.Command(connection, transaction, sql, values);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The table of the last row statement, for the message of a record the database refuses.</summary>
    public string? Table { get; private set; }

    /// <summary>Inserts a row; each value is converted to its column's type first.</summary>
    public Task InsertAsync(SageTable table, IReadOnlyList<KeyValuePair<string, object?>> row, CancellationToken cancellationToken)
    {
        Table = table.Name;
        return ExecuteAsync(SageSql.Insert(table, row.Select(c => c.Key).ToList()), row.Select(c => table.Value(c.Key, c.Value, timeZone)), cancellationToken);
    }

    public Task<int> UpdateAsync(SageTable table, IReadOnlyList<KeyValuePair<string, object?>> set, IReadOnlyList<KeyValuePair<string, object?>> where,
        CancellationToken cancellationToken)
    {
        Table = table.Name;
        return set.Count == 0
            ? Task.FromResult(0)
            : ExecuteAsync(SageSql.Update(table, set.Select(c => c.Key).ToList(), where.Select(c => c.Key).ToList()),
                set.Concat(where).Select(c => table.Value(c.Key, c.Value, timeZone)), cancellationToken);
    }

    public Task<int> DeleteAsync(SageTable table, IReadOnlyList<KeyValuePair<string, object?>> where, CancellationToken cancellationToken)
    {
        Table = table.Name;
        return ExecuteAsync(SageSql.Delete(table, where.Select(c => c.Key).ToList()), where.Select(c => table.Value(c.Key, c.Value, timeZone)), cancellationToken);
    }

    /// <summary>Rows of <paramref name="columns"/> where the given columns equal the values (Mandant first by habit).</summary>
    public Task<List<object?[]>> SelectAsync(SageTable table, IReadOnlyList<string> columns, IReadOnlyList<KeyValuePair<string, object?>> where,
        CancellationToken cancellationToken, string? orderBy = null)
    {
        Table = table.Name;
        return QueryAsync(SageSql.Select(table, columns, where.Select(c => c.Key).ToList(), orderBy), where.Select(c => table.Value(c.Key, c.Value, timeZone)), cancellationToken);
    }

    /// <summary>The next free id of a column within the Mandant (BelID, BelPosID, Adresse): the highest so far plus one.</summary>
    public Task<long> NextIdAsync(string table, string column, CancellationToken cancellationToken) =>
        NextAsync($"{table}.{column}", 1, int.MaxValue, async () =>
        {
            var sageTable = schema[table];
            var max = await ScalarAsync(SageSql.Max(sageTable, column, ["Mandant"]), [sageTable.Value("Mandant", Mandant, timeZone)], cancellationToken);
            return max is null ? null : Convert.ToInt64(max, CultureInfo.InvariantCulture);
        }, () => $"table '{table}' has no free {column} left");

    /// <summary>The next Belegnummer of this connection's range for the document type.</summary>
    public Task<long> NextDocumentNumberAsync(CancellationToken cancellationToken)
    {
        var range = options.NumberRange ?? throw new ConfigurationException("NumberRange", "missing: the Belegnummer range of this shop's documents, e.g. { \"From\": 500000, \"To\": 599999 }");
        return NextAsync($"Belegnummer|{options.Belegkennzeichen}", range.From, range.To, async () =>
        {
            var table = schema[Sage.Belege];
            var sql = SageSql.Max(table, "Belegnummer", ["Mandant", "Belegkennzeichen"], $"{table["Belegnummer"]} >= @p2 AND {table["Belegnummer"]} <= @p3");
            var max = await ScalarAsync(sql,
                [table.Value("Mandant", Mandant, timeZone), table.Value("Belegkennzeichen", options.Belegkennzeichen, timeZone),
                 table.Value("Belegnummer", range.From, timeZone), table.Value("Belegnummer", range.To, timeZone)], cancellationToken);
            return max is null ? null : Convert.ToInt64(max, CultureInfo.InvariantCulture);
        }, () => $"the number range {range.From}-{range.To} of {options.Belegkennzeichen} documents is used up; give the connection a new NumberRange");
    }

    /// <summary>The next customer account number (Kto): the prefix and a number of the range, all of one length.</summary>
    public async Task<string> NextCustomerNumberAsync(CancellationToken cancellationToken)
    {
        var range = options.CustomerNumbers ?? throw new RecordException(
            "the customer is new, but the connection has no CustomerNumbers range to give it an account number from");
        var prefix = range.Prefix ?? string.Empty;
        string Text(long number) => prefix + number.ToString(CultureInfo.InvariantCulture);
        var number = await NextAsync("Kto", range.From, range.To, async () =>
        {
            var table = schema[Sage.Kontokorrent];
            // Numbers of one length compare as text in the same order as numbers, so MAX over the range is the highest number.
            var sql = SageSql.Max(table, "Kto", ["Mandant"],
                $"{table["Kto"]} >= @p1 AND {table["Kto"]} <= @p2 AND {SageSql.Length(Dialect, table["Kto"])} = {Text(range.From).Length.ToString(CultureInfo.InvariantCulture)}");
            var max = await ScalarAsync(sql, [table.Value("Mandant", Mandant, timeZone), Text(range.From), Text(range.To)], cancellationToken);
            if (max is null) return null;
            var digits = max.ToString()![prefix.Length..];
            return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var highest)
                ? highest
                : throw new RecordException($"account '{max}' of KHKKontokorrent lies in the customer number range {range} but is not a number; move the range");
        }, () => $"the customer number range {range} is used up; give the connection a new CustomerNumbers range");
        return Text(number);
    }

    /// <summary>Remembers the numbers handed out so far, before a record is written.</summary>
    public void Mark() => _mark = new Dictionary<string, long>(_next, StringComparer.Ordinal);

    /// <summary>Takes back the numbers of a record that was rolled back, so the range has no gap.</summary>
    public void Reset()
    {
        _next.Clear();
        foreach (var (key, value) in _mark) _next[key] = value;
    }

    private async Task<long> NextAsync(string key, long first, long last, Func<Task<long?>> highest, Func<string> exhausted)
    {
        if (!_next.TryGetValue(key, out var next))
        {
            // Under the lock nobody else of ours hands out numbers until commit: the highest is read once per batch.
            var max = await highest();
            next = max is null || max < first ? first : max.Value + 1;
        }
        if (next > last) throw new RecordException(exhausted());
        _next[key] = next + 1;
        return next;
    }
}
