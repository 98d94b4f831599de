using System.Globalization;
using System.Runtime.CompilerServices;
using Newtonsoft.Json.Linq;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Model;

namespace SyncEngine.Core.Mapping;

public enum MappingDirection
{
    /// <summary>Canonical records to rows or file fields (an ERP table, an export file).</summary>
    Write,
    /// <summary>Rows or file fields to canonical records (an ERP article table, a supplier's CSV).</summary>
    Read,
}

/// <summary>What a mapping needs from the flow it runs in: id links, and which systems "source" and "target" mean.</summary>
public sealed class MappingContext
{
    public required ILinkLookup Links { get; init; }
    public required string SourceSystem { get; init; }
    public required string TargetSystem { get; init; }

    public static MappingContext For(StreamContext stream) => new() { Links = stream.Links, SourceSystem = stream.FromConnection, TargetSystem = stream.ToConnection };
}

public sealed class FieldMapping
{
    internal FieldMapping(string name, int line, ValueExpression expression)
    {
        Name = name;
        Line = line;
        Expression = expression;
    }

    /// <summary>Write: the column or file field. Read: the canonical path.</summary>
    public string Name { get; }
    public int Line { get; }
    internal ValueExpression Expression { get; }

    /// <summary>The path the value comes from when it is a plain path (for column checks).</summary>
    public IEnumerable<string> SourcePaths => Expression.Source.Paths();
}

public sealed class ChildMapping
{
    internal ChildMapping(string name, string path, int line, Type elementType, IReadOnlyList<FieldMapping> fields, ModelWriter? writer)
    {
        Name = name;
        Path = path;
        Line = line;
        ElementType = elementType;
        Fields = fields;
        Names = fields.Select(f => f.Name).ToArray();
        Writer = writer;
    }

    /// <summary>The fields' names, shared by every row mapped.</summary>
    internal string[] Names { get; }

    /// <summary>Write: the child rows' name (table or element). Read: the canonical collection (Lines).</summary>
    public string Name { get; }
    /// <summary>Write: the canonical collection (Lines). Read: the source rows' name.</summary>
    public string Path { get; }
    public int Line { get; }
    public Type ElementType { get; }
    public IReadOnlyList<FieldMapping> Fields { get; }
    internal ModelWriter? Writer { get; }

    /// <summary>Read: where each field goes on a child record.</summary>
    internal (FieldMapping Field, ModelWriter? Writer)[] Writers => _writers ??= Fields.Select(f => (f, ModelWriter.Find(ElementType, f.Name))).ToArray();

    private (FieldMapping Field, ModelWriter? Writer)[]? _writers;

    /// <summary>Read: the list the child records are collected in.</summary>
    internal Type ListType => _listType ??= typeof(List<>).MakeGenericType(ElementType);

    private Type? _listType;
}

/// <summary>A loaded, checked mapping file: how one canonical record type maps to one external shape.</summary>
public sealed class RecordMapping
{
    private readonly (FieldMapping Field, ModelWriter? Writer)[] _writers;
    private readonly LookupSource[] _lookups;
    private readonly MappingRun _readRun;

    /// <summary>Read: the compiled lane for the typed columns last seen (one reader's), and those of every reader still open.</summary>
    private ReadLane? _lane;
    private readonly ConditionalWeakTable<object, ReadLane> _lanes = new();

    /// <summary>A run keeps nothing per record unless the mapping looks links up: without lookups one serves every record.</summary>
    private MappingRun? _writeRun;

    /// <summary>Write: per field, its value read from a record in one compiled step, where it is a plain path (else null).</summary>
    private Func<object, object?>?[]? _compiled;
    /// <summary>Every field compiled and no child rows: a row is the getters' values alone.</summary>
    private bool _compiledWhole;
    /// <summary>The fields' names, shared by every row mapped.</summary>
    private readonly string[] _names;

    internal RecordMapping(string file, JObject root, MappingDirection direction, Type recordType, CultureInfo culture, TimeZoneInfo timeZone,
        IReadOnlyList<FieldMapping> fields, IReadOnlyList<ChildMapping> children)
    {
        File = file;
        Root = root;
        Direction = direction;
        RecordType = recordType;
        Culture = culture;
        TimeZone = timeZone;
        Fields = fields;
        _names = fields.Select(f => f.Name).ToArray();
        Children = children;
        _writers = direction == MappingDirection.Read ? fields.Select(f => (f, ModelWriter.Find(recordType, f.Name))).ToArray() : [];
        _lookups = fields.Concat(children.SelectMany(c => c.Fields)).SelectMany(f => f.Expression.Lookups()).ToArray();
        _readRun = new MappingRun { Culture = Culture, TimeZone = TimeZone, Direction = MappingDirection.Read };
    }

    public string File { get; }
    public MappingDirection Direction { get; }
    public Type RecordType { get; }
    public CultureInfo Culture { get; }
    public TimeZoneInfo TimeZone { get; }

    /// <summary>The mapping names its <c>timeZone</c>: formatted instants are written in it (else as the record has them).</summary>
    public bool TimeZoneGiven { get; init; }

    private TimeZoneInfo? FormatZone => TimeZoneGiven ? TimeZone : null;
    public IReadOnlyList<FieldMapping> Fields { get; }
    public IReadOnlyList<ChildMapping> Children { get; }

    /// <summary>The whole mapping file, for a connector's own section (<c>"file"</c>, <c>"database"</c>).</summary>
    public JObject Root { get; }

    public JObject? Section(string name) => Root[name] as JObject;

    /// <summary>Maps a canonical record to a row with its child rows. Throws <see cref="RecordException"/> naming field and value.</summary>
    public async ValueTask<MappedRow> ToRowAsync(Entity record, MappingContext context, CancellationToken cancellationToken)
    {
        if (_lookups.Length == 0) return ToRow(record);
        var run = new MappingRun { Culture = Culture, TimeZone = TimeZone, FormatZone = FormatZone, Direction = MappingDirection.Write, Context = context };
        var scope = new Scope { Current = record, Run = run };
        await ResolveLinksAsync(scope, context, cancellationToken);
        return ToRow(scope, _names, Fields, Children, Compiled(record));
    }

    /// <summary>Whether <see cref="ToRowAsync"/> looks up id links; without, <see cref="ToRow(Entity)"/> maps, on any thread.</summary>
    public bool LooksUpLinks => _lookups.Length > 0;

    /// <summary>Maps a canonical record that needs no id lookups; faster on the hot path of large exports.</summary>
    public MappedRow ToRow(Entity record)
    {
        if (_lookups.Length > 0) throw new InvalidOperationException($"{File} looks up id links; use ToRowAsync.");
        var compiled = Compiled(record);
        if (compiled is not null && _compiledWhole)
        {
            var values = new object?[compiled.Length];
            for (var i = 0; i < values.Length; i++) values[i] = compiled[i]!(record);
            return new MappedRow(_names, values, MappedRow.NoChildren);
        }
        var run = _writeRun ??= new MappingRun { Culture = Culture, TimeZone = TimeZone, FormatZone = FormatZone, Direction = MappingDirection.Write };
        return ToRow(new Scope { Current = record, Run = run }, _names, Fields, Children, compiled);
    }

    /// <summary>The compiled fields, for a record of the mapping's own type (built once; on several threads at once, alike).</summary>
    private Func<object, object?>?[]? Compiled(Entity record)
    {
        if (record.GetType() != RecordType) return null;
        if (Volatile.Read(ref _compiled) is { } compiled) return compiled;
        compiled = Fields.Select(f => f.Expression.Compile(RecordType, Culture, FormatZone)).ToArray();
        _compiledWhole = Children.Count == 0 && Array.TrueForAll(compiled, get => get is not null);
        // Published after the flag, so a thread that sees the getters sees the flag that goes with them.
        Volatile.Write(ref _compiled, compiled);
        return compiled;
    }

    /// <summary>Builds a canonical record from a row. Throws <see cref="RecordException"/> naming field and value.</summary>
    public Entity FromRow(ISourceRow row)
    {
        var run = _readRun;
        var record = Children.Count == 0 && row is IPositionalRow positional ? FromLane(positional) : null;
        if (record is null)
        {
            record = ModelWriter.Create(RecordType);
            Fill(record, new Scope { Current = row, Run = run }, _writers);
        }
        // Before the child rows are read, so a file reader names the record's own line, not its last child line.
        if (string.IsNullOrWhiteSpace(((Entity)record).Id)) throw new RecordException("field 'Id': the record has no id", "Id", null);
        foreach (var child in Children)
        {
            var items = (System.Collections.IList)ModelWriter.Create(child.ListType);
            var index = 0;
            foreach (var childRow in row.Children(child.Path))
            {
                var item = ModelWriter.Create(child.ElementType);
                var childScope = new Scope { Current = childRow, Parent = new Scope { Current = row, Run = run }, Index = ++index, Run = run };
                Fill(item, childScope, child.Writers);
                items.Add(item);
            }
            child.Writer!.Set(record, items);
        }
        return (Entity)record;
    }

    /// <summary>
    /// The record built by the mapping's compiled lane for the row's columns; null where it takes none, or where a value does
    /// not convert: the general path then reads the record again and names the field, the value and where it was read.
    /// </summary>
    private object? FromLane(IPositionalRow row)
    {
        var lane = _lane;
        // Two flows reading through one mapping at once take turns here: each reader's lane is compiled once all the same.
        if (lane is null || !ReferenceEquals(lane.Columns, row.Columns)) _lane = lane = LaneFor(row);
        if (lane.Build is not { } build) return null;
        try
        {
            return build(row);
        }
        catch (Exception ex) when (ex is RecordException or FormatException or InvalidCastException or OverflowException)
        {
            return null;
        }
    }

    /// <summary>Apart from <see cref="FromLane"/>, whose every call would otherwise allocate this lambda's closure.</summary>
    private ReadLane LaneFor(IPositionalRow row) => _lanes.GetValue(row.Columns, _ => ReadLane.For(this, row));

    /// <summary>Read: where each field goes on a record.</summary>
    internal (FieldMapping Field, ModelWriter? Writer)[] Writers => _writers;

    /// <summary>Read: converts and sets field <paramref name="index"/> from its source value, as the general path does.</summary>
    internal void SetField(object target, int index, object? raw) => Set(target, _writers[index], raw);

    /// <summary>Read: the scope a row's fields are evaluated in, as the general path makes one per record.</summary>
    internal Scope ReadScope(IPositionalRow row) => new() { Current = row, Run = _readRun };

    /// <summary>Read: evaluates field <paramref name="index"/> in the row's scope and sets it, as the general path does.</summary>
    internal void FillField(object target, int index, Scope scope) => Set(target, _writers[index], _writers[index].Field.Expression.Evaluate(scope));

    /// <summary>Read: the value of a field that is the same for every row (a constant), converted; false when it does not convert.</summary>
    internal bool ConstantOf(int index, IPositionalRow row, out object? value)
    {
        var pair = _writers[index];
        value = null;
        if (pair.Writer is null || pair.Field.Expression.Lookups().Any()) return false;
        try
        {
            value = Converted(pair, pair.Field.Expression.Evaluate(ReadScope(row)));
            return true;
        }
        catch (Exception ex) when (ex is RecordException or FormatException or InvalidCastException or OverflowException)
        {
            return false;
        }
    }

    private void Fill(object target, Scope scope, (FieldMapping Field, ModelWriter? Writer)[] writers)
    {
        foreach (var pair in writers) Set(target, pair, pair.Field.Expression.Evaluate(scope));
    }

    /// <summary>Sets one field from its source value, converted to the field's type; throws <see cref="RecordException"/> naming field and value.</summary>
    private void Set(object target, (FieldMapping Field, ModelWriter? Writer) pair, object? raw)
    {
        var value = Converted(pair, raw);
        if (value is null && pair.Writer!.NeedsValue) return;
        pair.Writer!.Set(target, value);
    }

    /// <summary>A field's source value converted to the field's type; throws <see cref="RecordException"/> naming field and value.</summary>
    private object? Converted((FieldMapping Field, ModelWriter? Writer) pair, object? raw)
    {
        var (field, writer) = pair;
        try
        {
            return ValueConverter.ConvertPlain(raw, writer!.PlainType, field.Expression.Culture ?? Culture, field.Expression.Format, TimeZone);
        }
        catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException)
        {
            var text = ValueConverter.ToText(raw, CultureInfo.InvariantCulture);
            throw new RecordException($"field '{field.Name}': '{Shorten(text)}' {ex.Message}", field.Name, text);
        }
    }

    private static MappedRow ToRow(Scope scope, string[] names, IReadOnlyList<FieldMapping> fields, IReadOnlyList<ChildMapping> children,
        Func<object, object?>?[]? compiled = null)
    {
        var values = new object?[fields.Count];
        for (var i = 0; i < fields.Count; i++)
            values[i] = compiled?[i] is { } get ? get(scope.Current) : fields[i].Expression.Evaluate(scope);
        if (children.Count == 0) return new MappedRow(names, values, MappedRow.NoChildren);

        var rows = new Dictionary<string, IReadOnlyList<MappedRow>>(children.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var child in children)
        {
            var list = new List<MappedRow>();
            if (ModelPath.Find(scope.Current.GetType(), child.Path)?.Get(scope.Current) is System.Collections.IEnumerable items)
            {
                var index = 0;
                foreach (var item in items)
                {
                    var childScope = new Scope { Current = item!, Parent = scope, Index = ++index, Run = scope.Run };
                    try
                    {
                        list.Add(ToRow(childScope, child.Names, child.Fields, []));
                    }
                    catch (RecordException ex)
                    {
                        // Which of the record's lines: the field alone does not say.
                        throw new RecordException($"{child.Path}[{index}]: {ex.Message}", ex.Field, ex.Value, ex);
                    }
                }
            }
            rows[child.Name] = list;
        }
        return new MappedRow(names, values, rows);
    }

    private async Task ResolveLinksAsync(Scope scope, MappingContext context, CancellationToken cancellationToken)
    {
        var keys = new HashSet<LookupKey>();
        foreach (var lookup in _lookups)
        {
            if (lookup.Key(scope, context) is { } key) keys.Add(key);
        }
        foreach (var child in Children)
        {
            var childLookups = child.Fields.SelectMany(f => f.Expression.Lookups()).ToList();
            if (childLookups.Count == 0) continue;
            if (ModelPath.Find(scope.Current.GetType(), child.Path)?.Get(scope.Current) is not System.Collections.IEnumerable items) continue;
            var index = 0;
            foreach (var item in items)
            {
                var childScope = new Scope { Current = item!, Parent = scope, Index = ++index, Run = scope.Run };
                foreach (var lookup in childLookups)
                    if (lookup.Key(childScope, context) is { } key) keys.Add(key);
            }
        }
        foreach (var key in keys)
            scope.Run.Links[key] = await context.Links.FindTargetIdAsync(key.System, key.Entity, key.Id, key.TargetSystem, cancellationToken);
    }

    private static string? Shorten(string? text) => text is { Length: > 60 } ? text[..57] + "..." : text;
}
