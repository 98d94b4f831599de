using Microsoft.Data.Sqlite;
using SyncEngine.Testing;
using Xunit.Abstractions;

namespace SyncEngine.ReliabilityTests;

/// <summary>
/// The file server (SFTP, plain FTP) goes away in the middle of an export by the real program (every connection reset, new
/// ones refused) and comes back: the run fails saying which server, the receiver never sees a partial file, and the next run
/// delivers the rest, every row exactly once.
/// </summary>
public sealed class FileServerOutageTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _folder = new();

    /// <remarks>
    /// Plain FTP exports fewer rows: FtpWebRequest logs in for every request, about eight logins per batch of the staged
    /// export, and with 300 batches the next run alone outlasted the five minutes a run gets here. 50 batches still leave 35
    /// for the next run after the outage.
    /// </remarks>
    [Theory]
    [InlineData("sftp", 3000)]
    [InlineData("ftp", 500)]
    public async Task A_file_server_that_goes_away_mid_transfer_fails_the_run_and_the_next_run_delivers_every_row_once(string scheme, int rows)
    {
        var server = RemoteServer.Get(scheme);
        var remote = server.NewFolder();
        await using var proxy = new TcpProxy(server.Host, server.Port);
        var settings = server.Settings(remote);
        settings["Location"] = $"{scheme}://{server.Host}:{proxy.Port}/{remote}";
        settings["Retries"] = "2";
        settings["Timeout"] = "00:00:05";
        var config = await StockExport.InstallAsync(_folder, settings, "stock-{RunTime:yyyyMMdd-HHmmssfff}-{Batch}.csv", rows);

        using var process = SyncengineProgram.Start(_folder.Path, config, "sync", StockExport.Flow, "--json");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var delivered = await WaitForFilesAsync(server.Disk(remote), 15);
        proxy.GoDown();
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(120))) await process.WaitForExitAsync(limit.Token);
        var failed = new SyncResult(process.ExitCode, await stdout, await stderr);
        output.WriteLine($"{delivered} files when the server went away; {proxy.Cut} connections cut or refused.\n{failed}");
        // While it is down the receiver sees only whole files.
        var partial = Directory.GetFiles(server.Disk(remote), "stock-*.csv").Where(f => !File.ReadAllText(f).EndsWith('\n')).ToList();

        proxy.ComeBack();
        var next = await SyncengineProgram.RunAsync(_folder.Path, config, "sync", StockExport.Flow, "--json");
        output.WriteLine($"The next run: {next}");

        Assert.Equal((1, "failed"), (failed.ExitCode, failed.Status));
        var error = failed.Json.GetProperty("error").GetString()!;
        Assert.Contains("shop-files", error);
        Assert.Contains($"127.0.0.1:{proxy.Port}", error);
        if (server.Password is not null) Assert.DoesNotContain(server.Password, failed.Out + failed.Error);
        Assert.Empty(partial);
        Assert.True(next.ExitCode == 0 && next.Status == "succeeded", next.ToString());
        StockExport.AssertDelivered(server.Disk(remote), rows, scheme);
    }

    private static async Task<int> WaitForFilesAsync(string folder, int at)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            var count = Directory.Exists(folder) ? Directory.GetFiles(folder, "stock-*.csv").Length : 0;
            if (count >= at) return count;
            await Task.Delay(10);
        }
        throw new TimeoutException($"fewer than {at} files delivered after 120 s");
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
