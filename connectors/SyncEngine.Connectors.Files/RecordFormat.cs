using System.Globalization;
using SyncEngine.Core.Mapping;

namespace SyncEngine.Connectors.Files;

/// <summary>
/// One file format with a mapping: prepares mapped rows for the file, writes them, and reads rows back.
/// Preparing checks every value before anything is written, so a value that does not fit fails its record alone.
/// </summary>
internal abstract class RecordFormat(FileLayout layout)
{
    protected FileLayout Layout { get; } = layout;

    protected RecordMapping Mapping => Layout.Mapping!;

    protected CultureInfo Culture => Mapping.Culture;

    /// <summary>
    /// The record's values as the file holds them; throws a RecordException naming field and value, and writes nothing. The
    /// row is taken over (a mapping's fresh row): its values are replaced in place.
    /// </summary>
    public MappedRow Prepare(MappedRow row) => Prepare(row, Layout.Record, string.Empty);

    /// <summary>
    /// Writes the prepared rows as one file: a record (<paramref name="single"/>), a batch or a whole run. The rows are streamed,
    /// so a run's file is never all in memory.
    /// </summary>
    public abstract Task WriteAsync(Stream stream, IAsyncEnumerable<MappedRow> rows, bool single, CancellationToken cancellationToken);

    public abstract IRowReader OpenReader(TextReader reader, string fileName);

    /// <summary>
    /// Whether a file of rows is exactly its head (<see cref="WriteHeadAsync"/>), then <see cref="WriteLines"/> of each part
    /// of the rows with <see cref="Separator"/> between two parts, then <see cref="Tail"/>: then a run's batches are staged
    /// as the file's own bytes, and publishing only joins them.
    /// </summary>
    public virtual bool Concatenates => false;

    /// <summary>What a file starts with before its first row (byte order mark, header lines); by default a file of no rows.</summary>
    public virtual Task WriteHeadAsync(Stream stream, CancellationToken cancellationToken) =>
        WriteAsync(stream, AsyncEnumerable.Empty<MappedRow>(), single: false, cancellationToken);

    /// <summary>Bytes between the lines of two parts.</summary>
    public virtual ReadOnlyMemory<byte> Separator => ReadOnlyMemory<byte>.Empty;

    /// <summary>Bytes after the last row.</summary>
    public virtual ReadOnlyMemory<byte> Tail => ReadOnlyMemory<byte>.Empty;

    /// <summary>What the staged lines depend on besides the mapping (format, encoding, delimiter): parts staged otherwise are not joined.</summary>
    public virtual string LinesSignature => GetType().Name;

    /// <summary>The rows as the file holds them, without the file's head; only where <see cref="Concatenates"/>.</summary>
    public virtual void WriteLines(System.Buffers.IBufferWriter<byte> output, IReadOnlyList<MappedRow> rows) =>
        throw new NotSupportedException($"{GetType().Name} stages rows, not lines");

    /// <summary>
    /// A writer of text in the file's encoding, without a byte order mark (that belongs to the file's head alone), straight
    /// into <paramref name="output"/>. One encoder, so a pair of surrogates split between two writes is still one character.
    /// </summary>
    protected EncodingWriter LinesWriter(System.Buffers.IBufferWriter<byte> output) => new(output, Layout.WriteEncoding);

    /// <summary>One value as the file holds it.</summary>
    /// <param name="field">The field as messages name it, e.g. <c>positionen[2].Menge</c>.</param>
    protected abstract object? Value(string field, string name, object? value, RowLayout row);

    /// <summary>Typed values in the mapping's culture; values the mapping formatted are text already.</summary>
    protected string? Text(object? value) => value is string text ? text : ValueConverter.ToText(value, Culture);

    protected string? EncodableText(string field, object? value)
    {
        var text = Text(value);
        if (text is not null) FileEncodings.CheckEncodable(Layout.WriteEncoding, field, text);
        return text;
    }

    protected IEnumerable<string> FieldNames(RowLayout row) =>
        (row == Layout.Record ? Mapping.Fields : Layout.Children.First(c => c.Layout == row).Mapping.Fields).Select(f => f.Name);

    private MappedRow Prepare(MappedRow row, RowLayout layout, string prefix)
    {
        // The mapping made the row for this file alone: its values are replaced in place.
        var values = row.Values;
        for (var i = 0; i < values.Length; i++)
        {
            var name = row.Names[i];
            values[i] = Value(prefix + name, name, values[i], layout);
        }
        if (Layout.Children.Count == 0) return row;
        var children = new Dictionary<string, IReadOnlyList<MappedRow>>(Layout.Children.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var child in Layout.Children)
        {
            var rows = row.Children.GetValueOrDefault(child.Name) ?? [];
            var prepared = new List<MappedRow>(rows.Count);
            for (var i = 0; i < rows.Count; i++) prepared.Add(Prepare(rows[i], child.Layout, $"{child.Name}[{i + 1}]."));
            children[child.Name] = prepared;
        }
        return new MappedRow(row.Names, values, children);
    }
}

/// <summary>One line of a csv or fixed-width file, split into named values.</summary>
/// <param name="Child">The child rows the line belongs to; null for a record's own line.</param>
/// <param name="Known">False when the line's record type is none the layout knows.</param>
/// <param name="Problem">Why the line cannot be read (column count, undecodable bytes); null when it can.</param>
internal sealed record FileLine(int Number, string Raw, ChildLayout? Child, bool Known, IReadOnlyDictionary<string, object?>? Values, string? Problem);

/// <summary>
/// Reads csv and fixed-width files line by line. With record types a record is its line and the child lines after it,
/// up to the next record's line; a bad line makes its whole record unreadable, as a document without one of its lines is wrong.
/// </summary>
internal abstract class LineRowReader(FileLayout layout) : IRowReader
{
    private FileLine? _pending;

    protected FileLayout Layout { get; } = layout;

    /// <summary>The next non-empty line, or null at the end of the file.</summary>
    protected abstract ValueTask<FileLine?> ReadLineAsync(CancellationToken cancellationToken);

    public async ValueTask<RowRecord?> NextAsync(CancellationToken cancellationToken)
    {
        Group? current = null;
        while (true)
        {
            var line = _pending ?? await ReadLineAsync(cancellationToken);
            _pending = null;
            if (line is null) return current?.ToRecord();
            if (!Layout.HasRecordTypes) return Group.Single(line);
            if (line.Known && line.Child is null)
            {
                if (current is not null)
                {
                    _pending = line;
                    return current.ToRecord();
                }
                current = new Group(line);
                continue;
            }
            if (current is null)
            {
                var orphan = new Group(line);
                orphan.Fail(line.Number, line.Problem ?? $"a '{line.Child!.Layout.Marker}' line before the first '{Layout.Record.Marker}' line belongs to no record");
                return orphan.ToRecord();
            }
            current.Add(line);
        }
    }

    protected string MarkerList() => string.Join(", ", new[] { Layout.Record.Marker }.Concat(Layout.Children.Select(c => c.Layout.Marker)));

    /// <summary>Names the first field holding bytes the file's encoding could not decode.</summary>
    protected string? Undecodable(IReadOnlyDictionary<string, object?> values)
    {
        foreach (var (name, value) in values)
        {
            if (value is string text && text.Contains(FileEncodings.Undecodable))
                return $"column '{name}': '{text}' holds bytes that are not valid {Layout.ReadEncoding.WebName}";
        }
        return null;
    }

    public abstract ValueTask DisposeAsync();

    private sealed class Group
    {
        private readonly FileLine _first;
        private readonly List<FileLine> _lines = [];
        private (int Line, string Message)? _problem;

        public Group(FileLine first)
        {
            _first = first;
            _lines.Add(first);
            if (first.Problem is not null) _problem = (first.Number, first.Problem);
        }

        public void Add(FileLine line)
        {
            _lines.Add(line);
            if (_problem is null && line.Problem is not null) _problem = (line.Number, line.Problem);
        }

        public void Fail(int line, string message) => _problem ??= (line, message);

        /// <summary>A record that is one line, as a file without record types has them: no group to gather.</summary>
        public static RowRecord Single(FileLine line) => line.Problem is { } problem
            ? new RowRecord($"line {line.Number}", line.Raw, null, problem)
            : new RowRecord($"line {line.Number}", line.Raw,
                line.Values is LineValues values ? new LineRow(line.Number, values, new RowTrace()) : new FileRow(line.Number, line.Values!, null, new RowTrace()), null);

        public RowRecord ToRecord()
        {
            var raw = _lines.Count == 1 ? _first.Raw : string.Join("\n", _lines.Select(l => l.Raw));
            if (_problem is { } problem) return new RowRecord($"line {problem.Line}", raw, null, problem.Message);
            var trace = new RowTrace();
            var children = _lines.Count == 1 ? null : _lines.Skip(1)
                .GroupBy(l => l.Child!.Name, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => (IReadOnlyList<Core.Mapping.ISourceRow>)g.Select(l => new FileRow(l.Number, l.Values!, null, trace)).ToList(),
                    StringComparer.OrdinalIgnoreCase);
            return new RowRecord($"line {_first.Number}", raw, new FileRow(_first.Number, _first.Values!, children, trace), null);
        }
    }
}

/// <summary>The names of a file's columns and where each is, shared by all lines with those columns; a name given twice is its last column.</summary>
internal sealed class LineColumns
{
    public LineColumns(IReadOnlyList<string> names)
    {
        Names = names;
        for (var i = 0; i < names.Count; i++) Positions[names[i]] = i;
    }

    public IReadOnlyList<string> Names { get; }

    public Dictionary<string, int> Positions { get; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>One line's values by column name, case-insensitive, without a dictionary of its own.</summary>
internal sealed class LineValues(LineColumns columns, string[] values) : IReadOnlyDictionary<string, object?>
{
    public LineColumns Columns => columns;

    /// <summary>The values in column order.</summary>
    public string[] Items => values;

    public object? this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"no column '{key}'");

    public IEnumerable<string> Keys => columns.Positions.Keys;

    public IEnumerable<object?> Values => columns.Positions.Values.Select(i => (object?)values[i]);

    public int Count => columns.Positions.Count;

    public bool ContainsKey(string key) => columns.Positions.ContainsKey(key);

    public bool TryGetValue(string key, out object? value)
    {
        if (columns.Positions.TryGetValue(key, out var position))
        {
            value = values[position];
            return true;
        }
        value = null;
        return false;
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        // In column order, as the line has them; a name given twice once, with its last column.
        for (var i = 0; i < values.Length; i++)
        {
            var name = columns.Names[i];
            if (columns.Positions[name] == i) yield return new(name, values[i]);
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Text encoded as it is written into a byte buffer; disposing it ends the text (a dangling surrogate included).</summary>
internal sealed class EncodingWriter(System.Buffers.IBufferWriter<byte> output, System.Text.Encoding encoding) : TextWriter(System.Globalization.CultureInfo.InvariantCulture)
{
    private readonly System.Text.Encoder _encoder = encoding.GetEncoder();
    // Writers write a token at a time (a quote, a name, a colon): encoding each one alone cost more than the writing.
    private readonly char[] _pending = new char[4096];
    private int _count;

    public override System.Text.Encoding Encoding => encoding;

    public override void Write(char value)
    {
        if (_count == _pending.Length) Encode(flush: false);
        _pending[_count++] = value;
    }

    public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

    public override void Write(string? value) => Write(value.AsSpan());

    public override void Write(ReadOnlySpan<char> buffer)
    {
        if (buffer.Length > _pending.Length - _count)
        {
            Encode(flush: false);
            if (buffer.Length > _pending.Length)
            {
                Encode(buffer, flush: false);
                return;
            }
        }
        buffer.CopyTo(_pending.AsSpan(_count));
        _count += buffer.Length;
    }

    /// <summary>Everything written so far reaches the output, but half of a surrogate pair, which waits for its other half.</summary>
    public override void Flush() => Encode(flush: false);

    protected override void Dispose(bool disposing)
    {
        if (disposing) Encode(flush: true);
        base.Dispose(disposing);
    }

    private void Encode(bool flush)
    {
        Encode(_pending.AsSpan(0, _count), flush);
        _count = 0;
    }

    private void Encode(ReadOnlySpan<char> chars, bool flush)
    {
        var span = output.GetSpan(encoding.GetMaxByteCount(chars.Length + 1));
        output.Advance(_encoder.GetBytes(chars, span, flush));
    }
}
