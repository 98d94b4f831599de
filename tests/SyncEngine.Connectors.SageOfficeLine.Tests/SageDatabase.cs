using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using SyncEngine.Testing;

namespace SyncEngine.Connectors.SageOfficeLine.Tests;

/// <summary>
/// The Sage database of a test: a SQLite file in the test's folder, or a schema of its own on the PostgreSQL server of
/// ./test.sh. The connector creates the Sage-shaped subset in it ("Setup": "sage-subset"). Rows come back as text
/// ("1|VVA|500000"), the same for both.
/// </summary>
public sealed class SageDatabase : IAsyncDisposable
{
    private readonly PostgresDatabase? _postgres;

    private SageDatabase(string provider, string connectionString, PostgresDatabase? postgres)
    {
        Provider = provider;
        ConnectionString = connectionString;
        _postgres = postgres;
    }

    /// <summary>The connection's <c>Provider</c>: Sqlite or PostgreSql.</summary>
    public string Provider { get; }

    public string ConnectionString { get; }

    public bool IsPostgres => _postgres is not null;

    public static async Task<SageDatabase> CreateAsync(string provider, TempDirectory folder)
    {
        if (provider == "Sqlite") return new SageDatabase(provider, $"Data Source={folder["sage.db"]};Default Timeout=60", null);
        var postgres = await PostgresDatabase.CreateAsync();
        return new SageDatabase(provider, postgres.ConnectionString, postgres);
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

    private static string Text(object value) => value switch
    {
        DBNull => "null",
        decimal d => d.ToString("0.############", CultureInfo.InvariantCulture),
        double d => ((decimal)d).ToString("0.############", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime t => t.TimeOfDay == TimeSpan.Zero ? t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : t.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
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
