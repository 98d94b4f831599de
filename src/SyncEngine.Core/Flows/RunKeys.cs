using SyncEngine.Core.State;

namespace SyncEngine.Core.Flows;

/// <summary>
/// Which keys of a run can have a stored checksum or id link. When the store held none for the flow as the run started,
/// only keys this run committed can have one: the first of them are kept as they are, and beyond that a fixed-size Bloom
/// filter says which to look up. A first run of a million records then asks the store nothing, and memory stays flat
/// whatever the run's size. A false positive only costs a lookup; nothing is ever skipped that exists.
/// </summary>
internal sealed class RunKeys(FlowFootprint atStart)
{
    private const int Bits = 1 << 23; // 1 MB: about 1 % false positives at a million keys
    private const int Hashes = 4;
    /// <summary>Up to this many committed keys are kept in a set: a run behind a cursor stores few, and a set answers faster.</summary>
    private const int ExactUpTo = 65_536;
    private HashSet<string>? _exact = new(StringComparer.Ordinal);
    private ulong[]? _bits;
    private bool _deadLettered;

    /// <summary>The batch whose checksums were asked for last, and the keys found for it.</summary>
    private object? _askedBatch;
    private List<string>? _asked;

    /// <summary>Keys of a batch whose checksums must be read from the store.</summary>
    public IReadOnlyCollection<string> ChecksumLookups<T>(Dictionary<string, T> batch)
    {
        if (atStart.Checksums) return batch.Keys;
        var result = Committed(batch);
        _askedBatch = batch;
        _asked = [.. result];
        return result;
    }

    /// <summary>
    /// Keys of a batch whose id links must be read from the store. The batch may have lost keys since its checksums were
    /// asked for (records found unchanged), never gained any: the keys found then that it still holds are the answer.
    /// </summary>
    public IReadOnlyCollection<string> LinkLookups<T>(Dictionary<string, T> batch)
    {
        if (atStart.Links) return batch.Keys;
        if (!ReferenceEquals(batch, _askedBatch) || _asked is not { } asked) return Committed(batch);
        _askedBatch = null;
        _asked = null;
        asked.RemoveAll(key => !batch.ContainsKey(key));
        return asked;
    }

    /// <summary>Whether written keys may have dead letters to resolve.</summary>
    public bool MayHaveDeadLetters => atStart.DeadLetters || _deadLettered;

    public void Add(BatchCommit commit)
    {
        if (commit.DeadLetters.Count > 0) _deadLettered = true;
        if (atStart.Checksums && atStart.Links) return;
        foreach (var (key, _) in commit.Checksums) Set(key);
        foreach (var link in commit.Links) Set(link.ExternalId);
    }

    /// <summary>The keys of a batch this run committed (or may have); of the exact set and the batch, the smaller is walked.</summary>
    private List<string> Committed<T>(Dictionary<string, T> batch)
    {
        var result = new List<string>();
        if (_exact is { } exact)
        {
            if (exact.Count < batch.Count)
            {
                foreach (var key in exact)
                    if (batch.ContainsKey(key)) result.Add(key);
            }
            else
            {
                foreach (var key in batch.Keys)
                    if (exact.Contains(key)) result.Add(key);
            }
            return result;
        }
        foreach (var key in batch.Keys)
            if (MayContain(key)) result.Add(key);
        return result;
    }

    private void Set(string key)
    {
        if (_exact is { } exact)
        {
            if (!exact.Add(key) || exact.Count <= ExactUpTo) return;
            _exact = null;
            foreach (var kept in exact) SetBits(kept);
            return;
        }
        SetBits(key);
    }

    private void SetBits(string key)
    {
        _bits ??= new ulong[Bits / 64];
        var (h1, h2) = Hash(key);
        for (var i = 0; i < Hashes; i++)
        {
            var bit = (int)((h1 + (ulong)i * h2) % Bits);
            _bits[bit >> 6] |= 1UL << (bit & 63);
        }
    }

    private bool MayContain(string key)
    {
        var (h1, h2) = Hash(key);
        for (var i = 0; i < Hashes; i++)
        {
            var bit = (int)((h1 + (ulong)i * h2) % Bits);
            if ((_bits![bit >> 6] & (1UL << (bit & 63))) == 0) return false;
        }
        return true;
    }

    /// <summary>64-bit FNV-1a, split into the two hashes of double hashing.</summary>
    private static (ulong, ulong) Hash(string key)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in key)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }
        return (hash & 0xFFFFFFFF, (hash >> 32) | 1);
    }
}
