using System.Runtime.ExceptionServices;

namespace SyncEngine.Connectors.Files;

/// <summary>Work split into slices that run on every core.</summary>
internal static class OnEveryCore
{
    /// <summary>
    /// Runs <paramref name="body"/> for each of <paramref name="slices"/> slices of 0..<paramref name="length"/> (slice, from,
    /// to), in parallel. A failure is thrown as itself, as the same work on one core would throw it, not wrapped.
    /// </summary>
    public static void ForSlices(int length, int slices, Action<int, int, int> body, CancellationToken cancellationToken = default)
    {
        try
        {
            Parallel.For(0, slices, new ParallelOptions { CancellationToken = cancellationToken },
                slice => body(slice, (int)((long)length * slice / slices), (int)((long)length * (slice + 1) / slices)));
        }
        catch (AggregateException ex)
        {
            ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
            throw;
        }
    }
}
