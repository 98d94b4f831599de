using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using SyncEngine.Core.Connectors;

namespace SyncEngine.Core.Mapping;

/// <summary>Where an expression takes its values from: a canonical record (write) or a source row (read).</summary>
internal sealed class Scope
{
    public required object Current { get; init; }
    public Scope? Parent { get; init; }
    public int Index { get; init; }
    public required MappingRun Run { get; init; }

    public object? Resolve(string path)
    {
        if (path == "$index") return Index;
        if (path.StartsWith("$parent.", StringComparison.Ordinal))
            return (Parent ?? throw new RecordException("'$parent' is used outside a child mapping", path)).Resolve(path["$parent.".Length..]);
        if (path.StartsWith("$root.", StringComparison.Ordinal))
        {
            var root = this;
            while (root.Parent is not null) root = root.Parent;
            return root.Resolve(path["$root.".Length..]);
        }
        if (Current is ISourceRow row) return row.TryGet(path, out var value) ? value : null;
        return ModelPath.Find(Current.GetType(), path)?.Get(Current);
    }
}

/// <summary>One mapping of one record: the run-wide settings and the id links looked up for it.</summary>
internal sealed class MappingRun
{
    public required CultureInfo Culture { get; init; }
    public required TimeZoneInfo TimeZone { get; init; }

    /// <summary>The zone formatted instants are written in: the mapping's, when it names one.</summary>
    public TimeZoneInfo? FormatZone { get; init; }

    public required MappingDirection Direction { get; init; }
    public MappingContext? Context { get; init; }

    /// <summary>The links looked up for this record; a run of a mapping that looks nothing up has none, and is shared.</summary>
    public Dictionary<LookupKey, string?> Links => _links ??= [];

    private Dictionary<LookupKey, string?>? _links;
}

internal readonly record struct LookupKey(string System, string Entity, string Id, string TargetSystem);

/// <summary>A value: where it comes from, then default, value map, rounding, format and text changes, in that order.</summary>
internal sealed class ValueExpression
{
    public required Source Source { get; init; }
    public object? Default { get; init; }
    public ValueMap? Map { get; init; }
    public UnmappedPolicy OnUnmapped { get; init; } = UnmappedPolicy.Fail;
    public int? Round { get; init; }
    public string? Format { get; init; }
    public CultureInfo? Culture { get; init; }
    public IReadOnlyList<Func<string, string>> Text { get; init; } = [];
    public bool Required { get; init; }

    /// <summary>The mapping file's field this expression belongs to, for messages.</summary>
    public required string Field { get; init; }

    public object? Evaluate(Scope scope)
    {
        var value = Source.Evaluate(scope, this);
        if (Default is not null && IsEmpty(value)) value = Default;
        if (Map is not null && !IsEmpty(value)) value = Map.Apply(value!, OnUnmapped, Field, scope.Run.Culture);
        if (Round is { } digits && value is not null) value = Rounded(value, digits);
        var culture = Culture ?? scope.Run.Culture;
        if (Format is not null && scope.Run.Direction == MappingDirection.Write && value is IFormattable formattable)
            value = InZone(formattable, scope.Run.FormatZone).ToString(Format, culture);
        if (Text.Count > 0 && value is not null)
        {
            var text = ValueConverter.ToText(value, culture)!;
            foreach (var change in Text) text = change(text);
            value = text;
        }
        if (Required && IsEmpty(value))
            throw new RecordException($"field '{Field}': a value is required but {Source.Describe()} is empty", Field, null);
        return value;
    }

    /// <summary>
    /// The value rounded half away from zero. Text (an attribute's) is read as the canonical model writes numbers, so "1,5"
    /// is no number rather than fifteen; text that is no number is the record's fault.
    /// </summary>
    private decimal? Rounded(object value, int digits)
    {
        try
        {
            return ValueConverter.Convert(value, typeof(decimal), CultureInfo.InvariantCulture, null, TimeZoneInfo.Utc) is decimal number
                ? Math.Round(number, digits, MidpointRounding.AwayFromZero)
                : null;
        }
        catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException)
        {
            var text = ValueConverter.ToText(value, CultureInfo.InvariantCulture);
            throw new RecordException($"field '{Field}': '{text}' is not a number to round to {digits} decimals", Field, text);
        }
    }

    /// <summary>
    /// An instant formatted for a file or column is the wall clock of the mapping's time zone, as a date column is written:
    /// a UTC 23:30 is the next day in Budapest. A mapping that names no zone writes it as the record has it, whatever the
    /// server's zone.
    /// </summary>
    public static IFormattable InZone(IFormattable value, TimeZoneInfo? timeZone) =>
        value is DateTimeOffset instant && timeZone is not null ? TimeZoneInfo.ConvertTime(instant, timeZone) : value;

    public static bool IsEmpty(object? value) => value is null || value is DBNull || (value is string s && s.Length == 0);

    public IEnumerable<LookupSource> Lookups() => Source.Lookups();

    /// <summary>
    /// A write mapping's plain path, with at most a format: read (and formatted) from a record of <paramref name="recordType"/>
    /// in one compiled step, giving what <see cref="Evaluate"/> gives. Null for anything else, which is evaluated.
    /// </summary>
    public Func<object, object?>? Compile(Type recordType, CultureInfo culture, TimeZoneInfo? formatZone)
    {
        if (Source is not PathSource { IsPlain: true } path || Default is not null || Map is not null || Round is not null || Text.Count > 0 || Required)
            return null;
        if (ModelPath.Find(recordType, path.Path) is not { } model) return null;
        if (Format is null) return model.Get;
        // Text (a name, an attribute) is no IFormattable: a format leaves it as it is.
        return ModelPath.CompileFormatted(recordType, path.Path, Format, Culture ?? culture, formatZone) ?? (model.ValueType == typeof(string) ? model.Get : null);
    }
}

internal enum UnmappedPolicy
{
    /// <summary>A value the map does not know dead-letters the record.</summary>
    Fail,
    /// <summary>A value the map does not know passes unchanged.</summary>
    Keep,
}

internal sealed class ValueMap(string name, IReadOnlyDictionary<string, string?> entries, string? fallback)
{
    private readonly Dictionary<string, string?> _exact = new(entries, StringComparer.Ordinal);
    private readonly Dictionary<string, string?> _anyCase = entries.GroupBy(e => e.Key, StringComparer.OrdinalIgnoreCase)
        .ToDictionary(g => g.Key, g => g.First().Value, StringComparer.OrdinalIgnoreCase);

    public string Name { get; } = name;

    public object? Apply(object value, UnmappedPolicy policy, string field, CultureInfo culture)
    {
        var key = ValueConverter.ToText(value, CultureInfo.InvariantCulture)!;
        if (_exact.TryGetValue(key, out var mapped) || _anyCase.TryGetValue(key, out mapped)) return mapped;
        if (fallback is not null) return fallback;
        if (policy == UnmappedPolicy.Keep) return value;
        throw new RecordException($"field '{field}': value '{key}' is not in value map '{Name}' (known: {string.Join(", ", _exact.Keys.Take(12))}{(_exact.Count > 12 ? ", ..." : "")})", field, key);
    }
}

internal abstract class Source
{
    public abstract object? Evaluate(Scope scope, ValueExpression owner);
    public abstract string Describe();
    public virtual IEnumerable<LookupSource> Lookups() => [];
    public virtual IEnumerable<string> Paths() => [];
}

internal sealed class PathSource : Source
{
    private readonly PathSource? _rest;
    private readonly bool _index;
    private readonly bool _root;
    /// <summary>The compiled accessor of the record type last seen; mappings serve one type, so it is found once, not per record.</summary>
    private Accessor? _accessor;
    /// <summary>The field's position in the positional rows last seen (one reader's columns).</summary>
    private Position? _position;

    public PathSource(string path)
    {
        Path = path;
        _index = path == "$index";
        if (path.StartsWith("$parent.", StringComparison.Ordinal)) _rest = new PathSource(path["$parent.".Length..]);
        else if (path.StartsWith("$root.", StringComparison.Ordinal))
        {
            _rest = new PathSource(path["$root.".Length..]);
            _root = true;
        }
    }

    public string Path { get; }

    /// <summary>A path into the current record or row, not <c>$index</c>, <c>$parent.</c> or <c>$root.</c>.</summary>
    public bool IsPlain => !_index && _rest is null;

    public override object? Evaluate(Scope scope, ValueExpression owner) => Get(scope);

    /// <summary>What <see cref="Scope.Resolve"/> gives for this path, without looking the path up again for every record.</summary>
    private object? Get(Scope scope)
    {
        if (_index) return scope.Index;
        if (_rest is not null)
        {
            if (_root)
            {
                var root = scope;
                while (root.Parent is not null) root = root.Parent;
                return _rest.Get(root);
            }
            return _rest.Get(scope.Parent ?? throw new RecordException("'$parent' is used outside a child mapping", Path));
        }
        var current = scope.Current;
        if (current is IPositionalRow positional)
        {
            var position = _position;
            if (position is null || !ReferenceEquals(position.Columns, positional.Columns))
                _position = position = new Position(positional.Columns, positional.PositionOf(Path));
            return position.Index < 0 ? null : positional.ValueAt(position.Index);
        }
        if (current is ISourceRow row) return row.TryGet(Path, out var value) ? value : null;
        var type = current.GetType();
        var accessor = _accessor;
        if (accessor is null || accessor.Type != type) _accessor = accessor = new Accessor(type, ModelPath.Find(type, Path));
        return accessor.Path?.Get(current);
    }

    public override string Describe() => $"'{Path}'";
    public override IEnumerable<string> Paths() => [Path];

    private sealed record Accessor(Type Type, ModelPath? Path);

    private sealed record Position(object Columns, int Index);
}

internal sealed class ConstSource(object? value) : Source
{
    public override object? Evaluate(Scope scope, ValueExpression owner) => value;
    public override string Describe() => "the constant";
}

internal sealed partial class TemplateSource : Source
{
    private readonly string _template;
    private readonly List<(string Path, string? Format)> _parts;
    /// <summary>The template split once into literal text and placeholders, so a record costs no regular expression.</summary>
    private readonly (string Literal, PathSource? Path, string? Format)[] _segments;

    public TemplateSource(string template)
    {
        _template = template;
        var matches = Token().Matches(template);
        _parts = matches.Select(m => (m.Groups[1].Value, m.Groups[2].Success ? m.Groups[2].Value : null)).ToList();
        var segments = new List<(string, PathSource?, string?)>();
        var at = 0;
        foreach (Match match in matches)
        {
            if (match.Index > at) segments.Add((template[at..match.Index], null, null));
            segments.Add((string.Empty, new PathSource(match.Groups[1].Value), match.Groups[2].Success ? match.Groups[2].Value : null));
            at = match.Index + match.Length;
        }
        if (at < template.Length) segments.Add((template[at..], null, null));
        _segments = [.. segments];
    }

    public override object? Evaluate(Scope scope, ValueExpression owner)
    {
        var culture = owner.Culture ?? scope.Run.Culture;
        // One builder per thread, taken while in use: every record's id may be a template.
        var text = _builder ?? new StringBuilder(64);
        _builder = null;
        text.Clear();
        foreach (var (literal, path, format) in _segments)
        {
            if (path is null)
            {
                text.Append(literal);
                continue;
            }
            var value = path.Evaluate(scope, owner);
            if (format is not null && value is IFormattable formattable) value = ValueExpression.InZone(formattable, scope.Run.FormatZone);
            text.Append(ValueConverter.ToText(value, culture, format));
        }
        // "{LastName}, {FirstName}" of a customer with no first name reads "Kovács", not "Kovács, ".
        var result = text.ToString().Trim().Trim(',').Trim();
        if (text.Capacity <= 1024) _builder = text;
        return result;
    }

    [ThreadStatic]
    private static StringBuilder? _builder;

    public override string Describe() => $"template '{_template}'";
    public override IEnumerable<string> Paths() => _parts.Select(p => p.Path);

    [GeneratedRegex(@"\{([A-Za-z$][A-Za-z0-9_.$]*)(?::([^}]+))?\}")]
    private static partial Regex Token();
}

internal sealed class CoalesceSource(IReadOnlyList<ValueExpression> options) : Source
{
    public override object? Evaluate(Scope scope, ValueExpression owner)
    {
        foreach (var option in options)
        {
            var value = option.Evaluate(scope);
            if (!ValueExpression.IsEmpty(value)) return value;
        }
        return null;
    }

    public override string Describe() => "every coalesce option";
    public override IEnumerable<LookupSource> Lookups() => options.SelectMany(o => o.Lookups());
    public override IEnumerable<string> Paths() => options.SelectMany(o => o.Source.Paths());
}

internal sealed class ConditionSource(Condition condition, ValueExpression then, ValueExpression? otherwise) : Source
{
    public override object? Evaluate(Scope scope, ValueExpression owner) =>
        condition.Test(scope) ? then.Evaluate(scope) : otherwise?.Evaluate(scope);

    public override string Describe() => "the chosen branch";
    public override IEnumerable<LookupSource> Lookups() => then.Lookups().Concat(otherwise?.Lookups() ?? []);
    public override IEnumerable<string> Paths() => [condition.Path, .. then.Source.Paths(), .. otherwise?.Source.Paths() ?? []];
}

internal sealed class Condition
{
    public required string Path { get; init; }
    public object? EqualsValue { get; init; }
    public bool HasEquals { get; init; }
    public IReadOnlyList<string>? In { get; init; }
    public bool? NotEmpty { get; init; }

    public bool Test(Scope scope)
    {
        var value = scope.Resolve(Path);
        var text = ValueConverter.ToText(value, CultureInfo.InvariantCulture);
        if (HasEquals) return string.Equals(text, ValueConverter.ToText(EqualsValue, CultureInfo.InvariantCulture), StringComparison.OrdinalIgnoreCase);
        if (In is not null) return text is not null && In.Contains(text, StringComparer.OrdinalIgnoreCase);
        var notEmpty = !ValueExpression.IsEmpty(value) && value is not false;
        return NotEmpty is false ? !notEmpty : notEmpty;
    }
}

/// <summary>The id another record got in a target system: "the ERP customer number of this shop customer".</summary>
internal sealed class LookupSource(string? system, string entity, ValueExpression id, string? targetSystem) : Source
{
    public string Entity { get; } = entity;

    public LookupKey? Key(Scope scope, MappingContext context)
    {
        var value = ValueConverter.ToText(id.Evaluate(scope), CultureInfo.InvariantCulture);
        return value is null ? null : new LookupKey(system ?? context.SourceSystem, Entity, value, targetSystem ?? context.TargetSystem);
    }

    public override object? Evaluate(Scope scope, ValueExpression owner)
    {
        var key = Key(scope, scope.Run.Context!);
        return key is null ? null : scope.Run.Links.GetValueOrDefault(key.Value);
    }

    public override string Describe() => $"the {Entity} link";
    public override IEnumerable<LookupSource> Lookups() => [this];
    public override IEnumerable<string> Paths() => id.Source.Paths();
}

internal static class TextChanges
{
    /// <summary>Cuts by UTF-16 units but never through a character beyond U+FFFF (an emoji): half of one is no text, and PostgreSQL refuses it.</summary>
    public static Func<string, string> Substring(int start, int length) => s =>
    {
        if (start >= s.Length) return string.Empty;
        var end = (int)Math.Min(s.Length, (long)start + length);
        var from = start > 0 && char.IsLowSurrogate(s[start]) && char.IsHighSurrogate(s[start - 1]) ? start + 1 : start;
        if (end < s.Length && char.IsHighSurrogate(s[end - 1]) && char.IsLowSurrogate(s[end])) end--;
        return from >= end ? string.Empty : s[from..end];
    };

    public static Func<string, string> PadLeft(int width, char c) => s => s.PadLeft(width, c);
    public static Func<string, string> PadRight(int width, char c) => s => s.PadRight(width, c);

    /// <summary>Removes control characters that break files and ERP fields, keeping tab and line breaks out too.</summary>
    public static string Clean(string s)
    {
        var builder = new StringBuilder(s.Length);
        foreach (var c in s) builder.Append(char.IsControl(c) ? ' ' : c);
        return builder.ToString();
    }
}
