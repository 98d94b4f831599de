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

    /// <summary>The value of a key a compiled path reads from bag after bag: found by name once for all bags with the same keys.</summary>
    public string? Find(AttributeKey key)
    {
        if (key.Last is { } last && ReferenceEquals(last.Keys, keys)) return last.Index >= 0 ? _values[last.Index] : null;
        var index = IndexOf(key.Name);
        key.Last = new AttributeKey.Position(keys, index);
        return index >= 0 ? _values[index] : null;
    }

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

/// <summary>An attribute key a compiled path reads, with where it was found in the last bag's keys.</summary>
internal sealed class AttributeKey(string name)
{
    public string Name { get; } = name;

    /// <summary>Replaced whole, so threads reading bags at once each see a matching pair of keys and index.</summary>
    public Position? Last { get; set; }

    public sealed record Position(string[] Keys, int Index);
}
