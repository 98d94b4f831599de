using Npgsql;

namespace SyncEngine.Testing;

/// <summary>
/// A schema of its own on the PostgreSQL server the test script started (<c>SYNCENGINE_TEST_POSTGRES</c>), dropped afterwards.
/// Without that server the tests that need it fail, saying how to run them, rather than being skipped.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    public const string Variable = "SYNCENGINE_TEST_POSTGRES";

    private PostgresDatabase(string server, string schema)
    {
        Server = server;
        Schema = schema;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { SearchPath = schema }.ConnectionString;
    }

    public string Server { get; }
    public string Schema { get; }

    /// <summary>Connects with the search path set to this test's schema.</summary>
    public string ConnectionString { get; }

    public static async Task<PostgresDatabase> CreateAsync(string? server = null)
    {
        server ??= Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(server))
        {
            throw new InvalidOperationException(
                $"{Variable} is not set. These tests need the PostgreSQL server that ./test.sh starts; run the tests with ./test.sh.");
        }
        var schema = "t_" + Guid.NewGuid().ToString("N")[..16];
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE SCHEMA {schema}", connection);
        await command.ExecuteNonQueryAsync();
        return new PostgresDatabase(server, schema);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(Server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {Schema} CASCADE", connection);
        await command.ExecuteNonQueryAsync();
    }
}
