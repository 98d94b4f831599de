using Microsoft.Data.Sqlite;
using SyncEngine.Testing;
using Xunit.Abstractions;

namespace SyncEngine.ReliabilityTests;

/// <summary>
/// Stock exported from the ERP as CSV files onto an SFTP server by the real <c>syncengine</c> program, SIGKILLed again and
/// again at random moments, then run to the end: every row in exactly one complete file, no temporary or staged file left.
/// </summary>
public sealed class FileExportCrashTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>
    /// Enough rows that the export is still running when each kill comes: every attempt gets on by up to two seconds of
    /// work before it is killed, so the work grows with the kills asked for.
    /// </summary>
    private static int Rows => 1500 * Reliability.Kills;
    private readonly TempDirectory _folder = new();

    [Theory]
    [InlineData("stock-{RunTime:yyyyMMdd-HHmmssfff}-{Batch}.csv")]
    [InlineData("stock-{RunTime:yyyyMMdd-HHmmssfff}.csv")]
    public async Task A_file_export_killed_at_random_moments_delivers_every_row_once_in_complete_files(string fileName)
    {
        var seed = Reliability.Seed();
        output.WriteLine($"seed {seed} (replay with SYNCENGINE_TEST_SEED={seed})");
        var random = new Random(seed);
        var server = RemoteServer.Get("sftp");
        var remote = server.NewFolder();
        var config = await StockExport.InstallAsync(_folder, server.Settings(remote), fileName, Rows);

        var kills = 0;
        // Runs that ended before their kill came, with their exit codes: what to look at when too few kills landed.
        var ended = new List<int>();
        for (var attempt = 0; kills < Reliability.Kills && attempt < Reliability.Kills * 3; attempt++)
        {
            using var process = SyncengineProgram.Start(_folder.Path, config, "sync", "stock-export", "--json");
            if (process.WaitForExit(TimeSpan.FromMilliseconds(random.Next(400, 2500))))
            {
                ended.Add(process.ExitCode);
                continue;
            }
            process.Kill();
            await process.WaitForExitAsync();
            kills++;
        }
        var final = await SyncengineProgram.RunAsync(_folder.Path, config, "sync", "stock-export", "--json");
        var rerun = await SyncengineProgram.RunAsync(_folder.Path, config, "sync", "stock-export", "--json");

        Assert.True(kills >= Reliability.Kills,
            $"seed {seed}: only {kills} kills landed while the export of {Rows} rows ran; {ended.Count} runs ended before their kill, exit codes [{string.Join(", ", ended)}]");
        Assert.True(final.ExitCode == 0, $"seed {seed}: {final}");
        Assert.Equal(0L, rerun.Written);
        var files = StockExport.AssertDelivered(server.Disk(remote), Rows, $"seed {seed}");
        output.WriteLine($"{kills} kills; {files.Count} files");
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
