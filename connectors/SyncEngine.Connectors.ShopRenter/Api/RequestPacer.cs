namespace SyncEngine.Connectors.ShopRenter.Api;

/// <summary>
/// Keeps one shop's API under its limit of N requests in any one second, however the server measures the second.
/// A request holds one of N slots from before it is sent until a full window after its response came back; so even if
/// the server stamps a request at the last moment before it answers, no N+1 requests ever arrive within one window.
/// (A token bucket of N would let N+1 through: a burst of N, then one more refilled within the same second.)
/// A request that got no answer (time-out, broken connection) may still reach the shop after the client gave up on it, if
/// the shop's front end queued it: its slot is held a second window, so one that arrives up to a window late still fits.
/// </summary>
internal sealed class RequestPacer(int perWindow, TimeSpan window, TimeProvider time)
{
    /// <summary>Spare time on top of the window for clock granularity.</summary>
    private static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(40);

    private readonly object _gate = new();
    // When each slot is free again; MaxValue while its request is in flight.
    private readonly long[] _freeAt = new long[Math.Max(1, perWindow)];
    private readonly TimeSpan _hold = window + Margin;
    private readonly TimeSpan _window = window;
    private long _pausedUntil;

    public async Task<Slot> AcquireAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            TimeSpan wait;
            lock (_gate)
            {
                var now = time.GetTimestamp();
                var best = 0;
                for (var i = 1; i < _freeAt.Length; i++)
                {
                    if (_freeAt[i] < _freeAt[best]) best = i;
                }
                var freeAt = Math.Max(_freeAt[best], _pausedUntil);
                if (freeAt <= now)
                {
                    _freeAt[best] = long.MaxValue;
                    return new Slot(this, best);
                }
                wait = freeAt == long.MaxValue ? TimeSpan.FromMilliseconds(20) : time.GetElapsedTime(now, freeAt);
            }
            await Task.Delay(wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait, time, cancellationToken);
        }
    }

    /// <summary>The shop said 429: nobody sends before <paramref name="pause"/> has passed.</summary>
    public void Pause(TimeSpan pause)
    {
        lock (_gate)
        {
            var until = time.GetTimestamp() + (long)(pause.TotalSeconds * time.TimestampFrequency);
            if (until > _pausedUntil) _pausedUntil = until;
        }
    }

    private void Release(int slot, TimeSpan hold)
    {
        lock (_gate)
        {
            _freeAt[slot] = time.GetTimestamp() + (long)(hold.TotalSeconds * time.TimestampFrequency);
        }
    }

    /// <summary>One request's hold on a slot, from before it is sent until it is released (once).</summary>
    public sealed class Slot(RequestPacer pacer, int index) : IDisposable
    {
        private bool _released;

        /// <summary>The request got no answer: its slot frees two windows later.</summary>
        public void Unanswered() => Release(pacer._hold + pacer._window);

        /// <summary>Marks the request answered (or failed with an answer): its slot frees one window later.</summary>
        public void Dispose() => Release(pacer._hold);

        private void Release(TimeSpan hold)
        {
            if (_released) return;
            _released = true;
            pacer.Release(index, hold);
        }
    }
}

/// <summary>Retries one shop may spend within a minute; beyond them a failing request fails at once instead of piling up.</summary>
internal sealed class RetryBudget(int perMinute, TimeProvider time)
{
    private readonly Queue<long> _spent = new();

    public bool TryTake()
    {
        lock (_spent)
        {
            var now = time.GetTimestamp();
            while (_spent.Count > 0 && time.GetElapsedTime(_spent.Peek(), now) > TimeSpan.FromMinutes(1)) _spent.Dequeue();
            if (_spent.Count >= perMinute) return false;
            _spent.Enqueue(now);
            return true;
        }
    }
}
