namespace SyncEngine.Core.Mapping;

/// <summary>
/// One record in the external system's terms: named fields in mapping order, and child rows (document lines) by child name.
/// Values are typed (string, decimal, long, bool, DateTimeOffset, ...) unless the mapping formatted them as text. The names
/// are the mapping's, shared by all its rows; the values are this row's own.
/// </summary>
public sealed class MappedRow : IReadOnlyList<KeyValuePair<string, object?>>
{
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<MappedRow>> NoChildren = new Dictionary<string, IReadOnlyList<MappedRow>>(0);

    public MappedRow(IReadOnlyList<string> names, object?[] values, IReadOnlyDictionary<string, IReadOnlyList<MappedRow>> children)
    {
        if (names.Count != values.Length) throw new ArgumentException($"{names.Count} field names for {values.Length} values", nameof(values));
        Names = names;
        Values = values;
        Children = children;
    }

    public MappedRow(IReadOnlyList<KeyValuePair<string, object?>> fields, IReadOnlyDictionary<string, IReadOnlyList<MappedRow>> children)
        : this(fields.Select(f => f.Key).ToArray(), fields.Select(f => f.Value).ToArray(), children)
    {
    }

    /// <summary>The fields as name and value, in mapping order.</summary>
    public IReadOnlyList<KeyValuePair<string, object?>> Fields => this;

    public IReadOnlyList<string> Names { get; }

    /// <summary>The values by field position; a file format preparing the row for its file replaces them in place.</summary>
    public object?[] Values { get; }

    public IReadOnlyDictionary<string, IReadOnlyList<MappedRow>> Children { get; }

    public object? this[string field]
    {
        get
        {
            for (var i = 0; i < Values.Length; i++)
                if (string.Equals(Names[i], field, StringComparison.OrdinalIgnoreCase)) return Values[i];
            return null;
        }
    }

    KeyValuePair<string, object?> IReadOnlyList<KeyValuePair<string, object?>>.this[int index] => new(Names[index], Values[index]);

    int IReadOnlyCollection<KeyValuePair<string, object?>>.Count => Values.Length;

    IEnumerator<KeyValuePair<string, object?>> IEnumerable<KeyValuePair<string, object?>>.GetEnumerator()
    {
        for (var i = 0; i < Values.Length; i++) yield return new(Names[i], Values[i]);
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)this).GetEnumerator();
}

/// <summary>A row read from a file or table, for a read mapping to build a canonical record from.</summary>
public interface ISourceRow
{
    /// <summary>The field's value: a string from a file, a typed value from a database; false when the row has no such field.</summary>
    bool TryGet(string field, out object? value);

    /// <summary>Nested rows (XML child elements, JSON arrays); empty when there are none.</summary>
    IReadOnlyList<ISourceRow> Children(string name);
}

/// <summary>
/// A source row whose fields sit at fixed positions (a database reader): a mapping finds a field's position once per
/// <see cref="Columns"/>, not by name for every row.
/// </summary>
public interface IPositionalRow : ISourceRow
{
    /// <summary>Stands for the row's set of columns; positions found for it hold as long as it is the same object.</summary>
    object Columns { get; }

    /// <summary>The field's position, or -1 when the row has no such field.</summary>
    int PositionOf(string field);

    /// <summary>The value at a position found by <see cref="PositionOf"/>; null for a database NULL.</summary>
    object? ValueAt(int position);

    /// <summary>
    /// The type every value at the position has, when the source's columns are typed (a PostgreSQL result); null when values
    /// may differ from row to row (SQLite). A mapping then reads the column as that type, without boxing.
    /// </summary>
    Type? FixedTypeAt(int position);

    /// <summary>Whether the value at the position is a database NULL.</summary>
    bool IsNullAt(int position);

    /// <summary>The value at the position as <see cref="FixedTypeAt"/>'s type; not for a NULL.</summary>
    T TypedValueAt<T>(int position);
}

/// <summary>A flat row of named values, e.g. a CSV line or a database row.</summary>
public sealed class DictionaryRow(IReadOnlyDictionary<string, object?> values, IReadOnlyDictionary<string, IReadOnlyList<ISourceRow>>? children = null) : ISourceRow
{
    public bool TryGet(string field, out object? value) => values.TryGetValue(field, out value);

    public IReadOnlyList<ISourceRow> Children(string name) => children?.GetValueOrDefault(name) ?? [];
}
