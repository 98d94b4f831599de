using System.Collections.Concurrent;

namespace SyncEngine.Connectors.ShopRenter.Api;

/// <summary>
/// What the API's limits are counted against: one API client on one shop ("3 requests / application / shop / second").
/// Shared by every connection of the process that uses the same client on the same shop, so two connections to one
/// shop cannot together exceed its limit, and share one access token.
/// </summary>
internal sealed class ShopSession
{
    private static readonly ConcurrentDictionary<string, ShopSession> Sessions = new(StringComparer.OrdinalIgnoreCase);

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private readonly TimeProvider _time;
    private string? _token;
    private long _renewAt;

    private ShopSession(ShopRenterOptions options, TimeProvider time)
    {
        _time = time;
        Pacer = new RequestPacer(options.RequestsPerSecond, TimeSpan.FromSeconds(1), time);
        Budget = new RetryBudget(options.RetryBudgetPerMinute, time);
    }

    public RequestPacer Pacer { get; }

    public RetryBudget Budget { get; }

    public static ShopSession For(ShopRenterOptions options, TimeProvider time) =>
        Sessions.GetOrAdd($"{options.ResolvedApiBaseUrl}|{options.ResolvedTokenUrl}|{options.ClientId}", _ => new ShopSession(options, time));

    /// <summary>A valid access token; renewed before it expires, by one caller at a time while the others wait for it.</summary>
    public async ValueTask<string> TokenAsync(Func<CancellationToken, Task<(string Token, TimeSpan Lifetime)>> fetch, TimeSpan renewBefore, CancellationToken cancellationToken)
    {
        if (Current() is { } token) return token;
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (Current() is { } fresh) return fresh;
            var (value, lifetime) = await fetch(cancellationToken);
            var early = TimeSpan.FromTicks(Math.Min(renewBefore.Ticks, lifetime.Ticks / 5));
            Volatile.Write(ref _renewAt, _time.GetTimestamp() + (long)((lifetime - early).TotalSeconds * _time.TimestampFrequency));
            Volatile.Write(ref _token, value);
            return value;
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>The shop refused this token (revoked or expired early): the next caller fetches a new one.</summary>
    public void Invalidate(string token) => Interlocked.CompareExchange(ref _token, null, token);

    private string? Current()
    {
        var token = Volatile.Read(ref _token);
        return token is not null && _time.GetTimestamp() < Volatile.Read(ref _renewAt) ? token : null;
    }
}
