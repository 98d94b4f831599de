using System.Diagnostics.CodeAnalysis;

namespace SyncEngine.Core.Mapping;

/// <summary>
/// A record's attributes as a read lane sets them: the mapping's keys, shared by every record it reads, and this record's
/// values. Case-insensitive and in the mapping's order, as the dictionary the general path builds, at a third of its size.
/// </summary>
internal sealed class AttributeBag(string[] keys) : IReadOnlyDictionary<string, string?>
{
    private readonly string?[] _values = new string?[keys.Length];

    public void SetAt(int index, string? value) => _values[index] = value;

    /// <summary>Sets a key the bag has; false for any other.</summary>
    public bool TrySet(string key, string? value)
    {
        var index = IndexOf(key);
        if (index < 0) return false;
        _values[index] = value;
        return true;
    }

    /// <summary>The value of a key, null where the bag has none.</summary>
    public string? Find(string key) => IndexOf(key) is var index and >= 0 ? _values[index] : null;

    private int IndexOf(string key)
    {
        for (var i = 0; i < keys.Length; i++)
            if (string.Equals(keys[i], key, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    public string? this[string key] => IndexOf(key) is var index and >= 0 ? _values[index] : throw new KeyNotFoundException($"no attribute '{key}'");

    public IEnumerable<string> Keys => keys;

    public IEnumerable<string?> Values => _values;

    public int Count => keys.Length;

    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string? value)
    {
        var index = IndexOf(key);
        value = index < 0 ? null : _values[index];
        return index >= 0;
    }

    public IEnumerator<KeyValuePair<string, string?>> GetEnumerator()
    {
        for (var i = 0; i < keys.Length; i++) yield return new(keys[i], _values[i]);
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
