using System.Diagnostics;
using System.Globalization;

namespace SyncEngine.Benchmarks.E2e;

/// <summary>Wall time, peak working set and CPU time of one measured action.</summary>
/// <param name="Cpu">CPU time of this process during the action, with that of the child processes it waited for (pgloader).</param>
/// <param name="DatabaseCpu">CPU time of the PostgreSQL server's processes during the action; null when the server is not on this machine.</param>
public sealed record Measurement(TimeSpan Elapsed, long PeakBytes, TimeSpan Cpu, TimeSpan? DatabaseCpu)
{
    public string Time => Format.Seconds(Elapsed);
    public string Peak => Format.Megabytes(PeakBytes);
    public string CpuTime => DatabaseCpu is { } database ? $"{Format.Seconds(Cpu)} + db {Format.Seconds(database)}" : Format.Seconds(Cpu);
}

/// <summary>
/// Times an action and reads the process's peak resident set during it. On Linux the kernel's high-water mark (VmHWM)
/// is reset before the action (<c>/proc/self/clear_refs</c>), after a compacting collection, so each action reports its
/// own peak; elsewhere the process's lifetime peak is reported. CPU time tells whether a ratio is bounded by work or by
/// waiting: on a machine of few cores the engine, the baseline and PostgreSQL share them.
/// </summary>
public static class Measure
{
    /// <summary>The local PostgreSQL server's main process, whose CPU time (with its children's) is measured too.</summary>
    public static int? DatabaseServer { get; set; }

    public static async Task<(T Result, Measurement Measurement)> RunAsync<T>(Func<Task<T>> action)
    {
        Settle();
        var resettable = ResetPeak();
        var cpu = ProcessCpu.Own();
        var database = ProcessCpu.Tree(DatabaseServer);
        var watch = Stopwatch.StartNew();
        var result = await action();
        watch.Stop();
        var peak = resettable ? ReadPeak() : Process.GetCurrentProcess().PeakWorkingSet64;
        var used = ProcessCpu.Own() - cpu;
        // A server process that ended with the action counts once the server has reaped it.
        if (DatabaseServer is not null) await Task.Delay(250);
        return (result, new Measurement(watch.Elapsed, peak, used, ProcessCpu.Tree(DatabaseServer) - database));
    }

    public static async Task<Measurement> RunAsync(Func<Task> action) =>
        (await RunAsync(async () =>
        {
            await action();
            return true;
        })).Measurement;

    /// <summary>What earlier work left behind is collected and returned, so it does not count as this action's memory.</summary>
    private static void Settle()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    private static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return false;
        }
    }

    private static long ReadPeak()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
            var kilobytes = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            return kilobytes * 1024;
        }
        return Process.GetCurrentProcess().PeakWorkingSet64;
    }
}

public static class Format
{
    public static string Seconds(TimeSpan elapsed) => elapsed.TotalSeconds >= 10
        ? elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s"
        : elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";

    public static string Megabytes(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0", CultureInfo.InvariantCulture) + " MB";

    public static string Count(long count) => count.ToString("N0", CultureInfo.InvariantCulture);

    public static string Ratio(double ratio) => ratio.ToString("0.00", CultureInfo.InvariantCulture) + "x";

    public static string Percent(double fraction) => (fraction * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %";
}

/// <summary>CPU time from /proc on Linux (clock ticks of 1/100 s); elsewhere this process's own, without children.</summary>
public static class ProcessCpu
{
    private const double TicksPerSecond = 100; // USER_HZ, what /proc reports in on every Linux

    public static TimeSpan Own() =>
        Read("/proc/self/stat", children: true) ?? Process.GetCurrentProcess().TotalProcessorTime;

    /// <summary>A process and all its children, living ones and those it reaped; null when it cannot be read.</summary>
    public static TimeSpan? Tree(int? root)
    {
        if (root is not { } pid || Read($"/proc/{pid}/stat", children: true) is not { } total) return null;
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out var child) || child == pid) continue;
            if (Parent(child) == pid && Read($"/proc/{child}/stat", children: false) is { } own) total += own;
        }
        return total;
    }

    /// <summary>The parent of a process, or null when it has ended or cannot be read.</summary>
    public static int? Parent(int pid) => Fields($"/proc/{pid}/stat") is { } fields
        ? int.Parse(fields[1], CultureInfo.InvariantCulture) : null;

    /// <summary>The name a process runs under, or null.</summary>
    public static string? Name(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static TimeSpan? Read(string path, bool children)
    {
        if (Fields(path) is not { } fields) return null;
        // After the name: state, ppid, ... utime is the 12th field from there, then stime, cutime, cstime.
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        if (children) ticks += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    /// <summary>The fields of a stat file after the process's name, which may itself hold spaces and parentheses.</summary>
    private static string[]? Fields(string path)
    {
        try
        {
            var text = File.ReadAllText(path);
            return text[(text.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
