using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using SyncEngine.Testing;

namespace SyncEngine.IntegrationTests;

/// <summary>
/// The Sage database both shops write into: a SQLite file in the test's folder, or a schema of its own on the PostgreSQL
/// server of ./test.sh. The connector creates the Sage-shaped subset in it (<c>"Setup": "sage-subset"</c>). Rows come back
/// as text (<c>500000|VVA|1001</c>), the same for both providers, so one expectation holds for both.
/// </summary>
public sealed class SageDatabase : IAsyncDisposable
{
    private readonly PostgresDatabase? _postgres;
    private readonly string _testConnectionString;

    private SageDatabase(string provider, string configConnectionString, string testConnectionString, PostgresDatabase? postgres)
    {
        Provider = provider;
        ConfigConnectionString = configConnectionString;
        _testConnectionString = testConnectionString;
        _postgres = postgres;
    }

    /// <summary>The connections' <c>Provider</c>: Sqlite or PostgreSql.</summary>
    public string Provider { get; }

    /// <summary>What the configuration file says (a SQLite path relative to the file's folder).</summary>
    public string ConfigConnectionString { get; }

    public static async Task<SageDatabase> CreateAsync(string provider, TempDirectory folder)
    {
        if (provider == "Sqlite")
        {
            Directory.CreateDirectory(folder["sage"]);
            return new SageDatabase(provider, "Data Source=sage/OLReweAbf.db;Default Timeout=60",
                $"Data Source={folder["sage/OLReweAbf.db"]};Default Timeout=60;Pooling=False", null);
        }
        var postgres = await PostgresDatabase.CreateAsync();
        return new SageDatabase(provider, postgres.ConnectionString, postgres.ConnectionString, postgres);
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
        DbConnection connection = _postgres is not null ? new NpgsqlConnection(_testConnectionString) : new SqliteConnection(_testConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null) await _postgres.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }
}
