using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace SyncEngine.Testing;

/// <summary>
/// A PostgreSQL server of one test's own, on loopback, that the test can stop and start again: the ERP database going away
/// mid-run. Built from the binaries ./test.sh found (<c>SYNCENGINE_TEST_PG_BIN</c>, run as <c>SYNCENGINE_TEST_PG_USER</c>).
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string? _user;
    private readonly string _folder;

    private PostgresServer(string bin, string? user, string folder, int port)
    {
        _bin = bin;
        _user = user;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Connects as the superuser (trusted on loopback: a throwaway server) to the database <c>postgres</c>.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Timeout=5";

    public static async Task<PostgresServer> StartAsync()
    {
        var bin = Environment.GetEnvironmentVariable("SYNCENGINE_TEST_PG_BIN");
        if (string.IsNullOrWhiteSpace(bin))
            throw new InvalidOperationException("SYNCENGINE_TEST_PG_BIN is not set. This test starts a PostgreSQL server of its own from the binaries ./test.sh finds; run it with ./test.sh.");
        var user = Environment.IsPrivilegedProcess ? Environment.GetEnvironmentVariable("SYNCENGINE_TEST_PG_USER") ?? "postgres" : null;
        var folder = Path.Combine(Path.GetTempPath(), "syncengine-pg-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(folder);
        var server = new PostgresServer(bin, user, folder, Ports.Free());
        if (user is not null) await server.RunAsync("chown", user, folder);
        await server.PgAsync("initdb", "-D", server.Data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8");
        await server.StartAgainAsync();
        return server;
    }

    private string Data => Path.Combine(_folder, "data");

    public async Task StartAgainAsync()
    {
        await PgAsync("pg_ctl", "-D", Data, "-l", Path.Combine(_folder, "server.log"), "-w", "-t", "30",
            "-o", $"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start");
        // The test's own pooled connections died with the server.
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Stops the server: <c>fast</c> ends every session at once, as an administrator's shutdown does.</summary>
    public Task StopAsync(string mode = "fast") => PgAsync("pg_ctl", "-D", Data, "-m", mode, "-w", "-t", "30", "stop");

    private Task PgAsync(string program, params string[] args) => _user is null
        ? RunAsync(Path.Combine(_bin, program), args)
        : RunAsync("runuser", ["-u", _user, "--", Path.Combine(_bin, program), .. args]);

    private async Task RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)}: exit {process.ExitCode}: {await output}{await error}");
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await StopAsync("immediate");
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
        Directory.Delete(_folder, recursive: true);
    }
}
