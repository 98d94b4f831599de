using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Model;

namespace SyncEngine.Testing;

/// <summary>
/// A connector over one SQLite file, for tests of the engine itself: stream <c>products</c> reads table
/// <c>source</c> in <c>seq</c> order and upserts into table <c>target</c>. Keys listed in table <c>fail</c>
/// are refused with the reason stored there; <c>DelayMs</c> slows every batch so a test can kill a run mid-way.
/// </summary>
public sealed class TestStoreConnectorFactory : IConnectorFactory
{
    public string Type => "TestStore";

    public IConnector Create(ConnectionContext connection)
    {
        var path = connection.Settings["Path"];
        if (string.IsNullOrWhiteSpace(path)) throw new ConfigurationException(connection.Settings.Path + ":Path", "missing: the TestStore file");
        var delay = int.TryParse(connection.Settings["DelayMs"], CultureInfo.InvariantCulture, out var ms) ? ms : 0;
        return new TestStoreConnector(connection.Name, connection.ResolvePath(path), delay);
    }
}

public sealed class TestStoreConnector(string name, string path, int delayMs) : IConnector, IWebhookConnector
{
    public string Name => name;

    public IReadOnlyList<StreamInfo> Streams { get; } = [new("products", typeof(Product), StreamAccess.ReadWrite)];

    public IRecordSource OpenSource(StreamContext context) => new Source(path);

    public IRecordTarget OpenTarget(StreamContext context) => new Target(path, delayMs);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>A payload naming "products" changes the products stream; "{" is malformed; anything else changes nothing.</summary>
    public IReadOnlyList<string> StreamsChangedBy(string payload) =>
        payload.Trim() == "{" ? throw new FormatException("the payload is not valid JSON") : payload.Contains("products", StringComparison.Ordinal) ? ["products"] : [];

    private sealed class Source(string path) : IRecordSource
    {
        public async IAsyncEnumerable<SourceRecord> ReadAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await using var connection = await TestStore.OpenAsync(path, cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT seq, id, sku, name, price FROM source WHERE seq > @c ORDER BY seq";
            command.Parameters.AddWithValue("@c", cursor is null ? 0 : long.Parse(cursor, CultureInfo.InvariantCulture));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var seq = reader.GetInt64(0).ToString(CultureInfo.InvariantCulture);
                var id = reader.GetString(1);
                var price = reader.IsDBNull(4) ? null : reader.GetString(4);
                if (!decimal.TryParse(price, NumberStyles.Number, CultureInfo.InvariantCulture, out var value))
                {
                    yield return SourceRecord.Unreadable(id, $"{id};{reader.GetString(2)};{price}", $"field 'price': '{price}' is not a number", seq);
                    continue;
                }
                yield return SourceRecord.Ok(new Product
                {
                    Id = id,
                    Sku = reader.GetString(2),
                    Name = reader.IsDBNull(3) ? null : reader.GetString(3),
                    Prices = new ProductPrices { Base = value },
                }, seq);
            }
        }
    }

    private sealed class Target(string path, int delayMs) : IRecordTarget
    {
        public async Task<WriteResult> WriteAsync(IReadOnlyList<WriteItem> batch, CancellationToken cancellationToken)
        {
            await using var connection = await TestStore.OpenAsync(path, cancellationToken);
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            var outcomes = new List<RecordOutcome>();
            foreach (var item in batch)
            {
                var product = (Product)item.Record;
                await using var check = connection.CreateCommand();
                check.Transaction = tx;
                check.CommandText = "SELECT reason FROM fail WHERE id = @id";
                check.Parameters.AddWithValue("@id", item.Key);
                if (await check.ExecuteScalarAsync(cancellationToken) is string reason)
                {
                    // Refused records are reported first, as some targets do: the engine matches outcomes to records by key.
                    outcomes.Insert(0, RecordOutcome.Failed(item.Key, reason));
                    continue;
                }
                await using var upsert = connection.CreateCommand();
                upsert.Transaction = tx;
                upsert.CommandText =
                    "INSERT INTO target (id, sku, name, price, write_count, given_target_id) VALUES (@id, @sku, @name, @price, 1, @given) " +
                    "ON CONFLICT (id) DO UPDATE SET sku = excluded.sku, name = excluded.name, price = excluded.price, write_count = target.write_count + 1, " +
                    "given_target_id = excluded.given_target_id";
                upsert.Parameters.AddWithValue("@id", item.Key);
                upsert.Parameters.AddWithValue("@sku", product.Sku);
                upsert.Parameters.AddWithValue("@name", (object?)product.Name ?? DBNull.Value);
                upsert.Parameters.AddWithValue("@price", product.Prices.Base?.ToString(CultureInfo.InvariantCulture) ?? (object)DBNull.Value);
                // The id link the engine handed over with the record (its target id from an earlier write), for tests to check.
                upsert.Parameters.AddWithValue("@given", (object?)item.TargetId ?? DBNull.Value);
                await upsert.ExecuteNonQueryAsync(cancellationToken);
                outcomes.Add(RecordOutcome.Written(item.Key, "T-" + item.Key));
            }
            if (delayMs > 0) await Task.Delay(delayMs, cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return new WriteResult(outcomes);
        }
    }
}

/// <summary>Creates and inspects TestStore files.</summary>
public static class TestStore
{
    public static async Task<SqliteConnection> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, DefaultTimeout = 60, Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    public static async Task CreateAsync(string path)
    {
        await using var connection = await OpenAsync(path);
        await ExecAsync(connection, """
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS source (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, sku TEXT NOT NULL, name TEXT, price TEXT);
            CREATE TABLE IF NOT EXISTS target (id TEXT PRIMARY KEY, sku TEXT NOT NULL, name TEXT, price TEXT, write_count INTEGER NOT NULL, given_target_id TEXT);
            CREATE TABLE IF NOT EXISTS fail (id TEXT PRIMARY KEY, reason TEXT NOT NULL);
            """);
    }

    /// <summary>The target id the engine handed over with the last write of each target row (null: none).</summary>
    public static async Task<Dictionary<string, string?>> GivenTargetIdsAsync(string path)
    {
        await using var connection = await OpenAsync(path);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, given_target_id FROM target";
        await using var reader = await command.ExecuteReaderAsync();
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        while (await reader.ReadAsync()) result[reader.GetString(0)] = reader.IsDBNull(1) ? null : reader.GetString(1);
        return result;
    }

    /// <summary>Appends products P{first}..P{first+count-1} to the source.</summary>
    public static async Task AddProductsAsync(string path, int first, int count, string? price = null)
    {
        await using var connection = await OpenAsync(path);
        await using var tx = connection.BeginTransaction();
        for (var i = first; i < first + count; i++)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = "INSERT INTO source (id, sku, name, price) VALUES (@id, @sku, @name, @price)";
            command.Parameters.AddWithValue("@id", $"P{i}");
            command.Parameters.AddWithValue("@sku", $"SKU-{i:D5}");
            command.Parameters.AddWithValue("@name", $"Árvíztűrő tükörfúrógép {i}");
            command.Parameters.AddWithValue("@price", price ?? (10m + i / 100m).ToString(CultureInfo.InvariantCulture));
            await command.ExecuteNonQueryAsync();
        }
        await tx.CommitAsync();
    }

    public static Task ExecAsync(string path, string sql) => WithAsync(path, c => ExecAsync(c, sql));

    public static async Task<long> ScalarAsync(string path, string sql)
    {
        await using var connection = await OpenAsync(path);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    public static async Task<List<(string Id, string Sku, string? Name, string? Price, long Writes)>> TargetRowsAsync(string path)
    {
        await using var connection = await OpenAsync(path);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, sku, name, price, write_count FROM target ORDER BY id";
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string, string?, string?, long)>();
        while (await reader.ReadAsync())
            rows.Add((reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt64(4)));
        return rows;
    }

    private static async Task WithAsync(string path, Func<SqliteConnection, Task> action)
    {
        await using var connection = await OpenAsync(path);
        await action(connection);
    }

    private static async Task ExecAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
