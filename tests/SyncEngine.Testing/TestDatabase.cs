using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace SyncEngine.Testing;

/// <summary>
/// The database a test writes to and reads from: a SQLite file in the test's folder, or a schema of its own on the
/// PostgreSQL server of ./test.sh. Rows come back as text ("1|SR-1001|2026-11-20"), the same for both, so one
/// expectation holds for both providers.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly PostgresDatabase? _postgres;
    private readonly bool _midnightAsDay;

    private TestDatabase(string provider, string connectionString, string configConnectionString, PostgresDatabase? postgres, bool midnightAsDay)
    {
        Provider = provider;
        ConnectionString = connectionString;
        ConfigConnectionString = configConnectionString;
        _postgres = postgres;
        _midnightAsDay = midnightAsDay;
    }

    /// <summary>The connection's <c>Provider</c>: Sqlite or PostgreSql.</summary>
    public string Provider { get; }

    /// <summary>For the test's own connections: absolute.</summary>
    public string ConnectionString { get; }

    /// <summary>For a configuration file in the test's folder: a SQLite path relative to that folder.</summary>
    public string ConfigConnectionString { get; }

    public bool IsPostgres => _postgres is not null;

    /// <param name="file">The SQLite file, relative to the test's folder.</param>
    /// <param name="midnightAsDay">Print a timestamp at midnight as its day only (columns that hold dates).</param>
    /// <param name="server">A PostgreSQL server other than the test script's (see <see cref="PostgresServer"/>).</param>
    public static async Task<TestDatabase> CreateAsync(string provider, TempDirectory folder, string file = "erp.db", bool midnightAsDay = false, string? server = null)
    {
        if (provider == "Sqlite")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(folder[file])!);
            return new TestDatabase(provider, $"Data Source={folder[file]};Default Timeout=60", $"Data Source={file};Default Timeout=60", null, midnightAsDay);
        }
        var postgres = await PostgresDatabase.CreateAsync(server);
        return new TestDatabase(provider, postgres.ConnectionString, postgres.ConnectionString, postgres, midnightAsDay);
    }

    public async Task ExecAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Each row as its values joined by '|': numbers without trailing zeros, dates as yyyy-MM-dd, NULL as null.</summary>
    public async Task<List<string>> RowsAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
            rows.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => Text(reader.GetValue(i)))));
        return rows;
    }

    public async Task<string> ScalarAsync(string sql) => (await RowsAsync(sql)).Single();

    private string Text(object value) => value switch
    {
        DBNull => "null",
        decimal d => d.ToString("0.############", CultureInfo.InvariantCulture),
        double d => ((decimal)d).ToString("0.############", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime t when _midnightAsDay && t.TimeOfDay == TimeSpan.Zero => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime t => t.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString()!,
    };

    private async Task<DbConnection> OpenAsync()
    {
        DbConnection connection = IsPostgres ? new NpgsqlConnection(ConnectionString) : new SqliteConnection(ConnectionString + ";Pooling=False");
        await connection.OpenAsync();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null) await _postgres.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }
}
