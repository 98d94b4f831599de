using Npgsql;
using SyncEngine.Testing;

namespace SyncEngine.Benchmarks.E2e;

/// <summary>
/// A database of its own on the PostgreSQL server of the tests (<c>SYNCENGINE_TEST_POSTGRES</c>), dropped afterwards.
/// A database rather than a schema, so that pgloader and psql-like tools can be pointed at it by name.
/// </summary>
public sealed class BenchDatabase : IAsyncDisposable
{
    private readonly string _server;

    private BenchDatabase(string server, string name)
    {
        _server = server;
        Name = name;
        var builder = new NpgsqlConnectionStringBuilder(server) { Database = name };
        ConnectionString = builder.ConnectionString;
        Host = builder.Host ?? "127.0.0.1";
        Port = builder.Port;
        Username = builder.Username ?? "postgres";
        Password = builder.Password;
    }

    public string Name { get; }
    public string ConnectionString { get; }
    public string Host { get; }
    public int Port { get; }
    public string Username { get; }
    public string? Password { get; }

    /// <summary>The same database with its search path set to <paramref name="schema"/>, which is created.</summary>
    public async Task<string> SchemaAsync(string schema)
    {
        await ExecAsync($"CREATE SCHEMA IF NOT EXISTS {schema}");
        return new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = schema }.ConnectionString;
    }

    public static async Task<BenchDatabase> CreateAsync(string? server)
    {
        server ??= Environment.GetEnvironmentVariable(PostgresDatabase.Variable);
        if (string.IsNullOrWhiteSpace(server))
        {
            throw new InvalidOperationException(
                $"{PostgresDatabase.Variable} is not set: the benchmark needs a PostgreSQL server (./test.sh starts one; or pass --postgres \"Host=...;Username=...\").");
        }
        var name = "bench_" + Guid.NewGuid().ToString("N")[..10];
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return new BenchDatabase(server, name);
    }

    /// <summary>
    /// The process id of the server's main process when the server runs on this machine (a backend of ours is a process
    /// here, named postgres, whose parent is too); null otherwise.
    /// </summary>
    public async Task<int?> LocalServerAsync()
    {
        if (!OperatingSystem.IsLinux()) return null;
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
        var backend = Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        return ProcessCpu.Name(backend) == "postgres" && ProcessCpu.Parent(backend) is { } main && ProcessCpu.Name(main) == "postgres" ? main : null;
    }

    public async Task ExecAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }

    public async Task<long> CountAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    public async Task<List<string>> TextsAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await using var reader = await command.ExecuteReaderAsync();
        var result = new List<string>();
        while (await reader.ReadAsync()) result.Add(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty);
        return result;
    }

    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async Task<string> ServerVersionAsync()
    {
        await using var connection = await OpenAsync();
        return connection.PostgreSqlVersion.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
