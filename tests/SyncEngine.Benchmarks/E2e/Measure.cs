using System.Diagnostics;
using System.Globalization;

namespace SyncEngine.Benchmarks.E2e;

/// <summary>Wall time and peak working set of one measured action.</summary>
public sealed record Measurement(TimeSpan Elapsed, long PeakBytes)
{
    public string Time => Format.Seconds(Elapsed);
    public string Peak => Format.Megabytes(PeakBytes);
}

/// <summary>
/// Times an action and reads the process's peak resident set during it. On Linux the kernel's high-water mark (VmHWM)
/// is reset before the action (<c>/proc/self/clear_refs</c>), after a compacting collection, so each action reports its
/// own peak; elsewhere the process's lifetime peak is reported.
/// </summary>
public static class Measure
{
    public static async Task<(T Result, Measurement Measurement)> RunAsync<T>(Func<Task<T>> action)
    {
        Settle();
        var resettable = ResetPeak();
        var watch = Stopwatch.StartNew();
        var result = await action();
        watch.Stop();
        var peak = resettable ? ReadPeak() : Process.GetCurrentProcess().PeakWorkingSet64;
        return (result, new Measurement(watch.Elapsed, peak));
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
