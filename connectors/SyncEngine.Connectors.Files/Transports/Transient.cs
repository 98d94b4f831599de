using Microsoft.Extensions.Logging;

namespace SyncEngine.Connectors.Files.Transports;

/// <summary>Tries an operation again on a transient network fault, with exponential back-off and jitter; any other fault passes at once.</summary>
internal static partial class Transient
{
    /// <param name="reset">Called before the next try, e.g. to drop a connection that may be broken.</param>
    public static async Task<T> RetryAsync<T>(RemoteOptions options, string operation, Func<CancellationToken, Task<T>> attempt,
        Func<Exception, bool> isTransient, Func<ValueTask>? reset, CancellationToken cancellationToken)
    {
        for (var number = 1; ; number++)
        {
            try
            {
                return await attempt(cancellationToken);
            }
            catch (Exception ex) when (Tried(ex, number) && number <= options.Retries && !cancellationToken.IsCancellationRequested && isTransient(ex))
            {
                var delay = options.RetryDelay * Math.Pow(2, number - 1) * (0.8 + Random.Shared.NextDouble() * 0.4);
                LogRetry(options.Logger, options.Connection, operation, options.Display, ex.Message, number, options.Retries, delay);
                if (reset is not null) await reset();
                await Task.Delay(delay, cancellationToken);
            }
        }
    }

    /// <summary>How often the operation that threw <paramref name="exception"/> was tried, for its message.</summary>
    public static int Tries(Exception exception) => exception.Data[TriesKey] is int tries ? tries : 1;

    private const string TriesKey = "SyncEngine.Tries";

    private static bool Tried(Exception exception, int number)
    {
        exception.Data[TriesKey] = number;
        return true;
    }

    /// <summary>A token cancelled by <paramref name="cancellationToken"/> or after <paramref name="timeout"/>: one network read or write.</summary>
    public static CancellationTokenSource Within(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(timeout);
        return source;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {Connection}: {Operation} on {Location} failed ({Reason}); retry {Retry} of {Retries} in {Delay}")]
    private static partial void LogRetry(ILogger logger, string connection, string operation, string location, string reason, int retry, int retries, TimeSpan delay);
}
