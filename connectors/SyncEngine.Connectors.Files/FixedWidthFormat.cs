using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;

namespace SyncEngine.Connectors.Files;

/// <summary>
/// Fixed-width text: every field at its columns, padded and aligned as the mapping's <c>"file": { "widths": ... }</c> says.
/// Child rows are lines of their own after their record's line, told apart by the record type in the first columns.
/// </summary>
internal sealed class FixedWidthFormat(FileLayout layout) : RecordFormat(layout)
{
    protected override object? Value(string field, string name, object? value, RowLayout row)
    {
        var text = EncodableText(field, value) ?? string.Empty;
        var width = Width(row, name);
        if (text.AsSpan().IndexOfAny('\r', '\n') >= 0)
            throw new RecordException($"field '{field}': '{text}' holds a line break, which a fixed-width line cannot", field, text);
        // A value cut to fit would change the record; the mapping cuts deliberately with maxLength or substring.
        if (text.Length > width.Length)
            throw new RecordException($"field '{field}': '{text}' has {text.Length} characters, but the field holds {width.Length} (columns {width.Start}-{width.End})", field, text);
        return Pad(text, width);
    }

    public override async Task WriteAsync(Stream stream, IAsyncEnumerable<MappedRow> rows, bool single, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(stream, Layout.WriteEncoding, 64 * 1024, leaveOpen: true) { NewLine = Layout.NewLine };
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            await writer.WriteLineAsync(Line(Layout.Record, row).AsMemory(), cancellationToken);
            foreach (var child in Layout.Children)
            {
                foreach (var line in row.Children.GetValueOrDefault(child.Name) ?? [])
                    await writer.WriteLineAsync(Line(child.Layout, line).AsMemory(), cancellationToken);
            }
        }
        await writer.FlushAsync(cancellationToken);
    }

    private static string Line(RowLayout layout, MappedRow row)
    {
        var length = Math.Max(layout.Marker?.Length ?? 0, layout.Widths.Count == 0 ? 0 : layout.Widths.Max(w => w.End));
        var line = new char[length];
        Array.Fill(line, ' ');
        layout.Marker?.CopyTo(0, line, 0, layout.Marker.Length);
        foreach (var (name, value) in row.Fields)
        {
            var width = layout.Widths.First(w => string.Equals(w.Name, name, StringComparison.OrdinalIgnoreCase));
            ((string)value!).CopyTo(0, line, width.Start - 1, width.Length);
        }
        return new string(line);
    }

    private static FieldWidth Width(RowLayout row, string name) =>
        row.Widths.FirstOrDefault(w => string.Equals(w.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new InvalidOperationException($"no width for '{name}'; the layout check should have reported it");

    private static string Pad(string text, FieldWidth width)
    {
        if (!width.AlignRight) return text.PadRight(width.Length, width.Pad);
        // -12 in five zero-padded columns is -0012, not 00-12.
        if (width.Pad == '0' && text.Length > 0 && text[0] is '-' or '+') return text[0] + text[1..].PadLeft(width.Length - 1, '0');
        return text.PadLeft(width.Length, width.Pad);
    }

    /// <summary>The value of a field with its padding taken off: the reverse of <see cref="Pad"/>.</summary>
    private static string Unpad(string text, FieldWidth width)
    {
        if (!width.AlignRight) return text.TrimEnd(width.Pad);
        var trimmed = text.TrimStart(width.Pad);
        // Zero written in zero-padded columns reads as 0, not as empty.
        return trimmed.Length == 0 && width.Pad == '0' && text.Length > 0 ? "0" : trimmed;
    }

    public override IRowReader OpenReader(TextReader reader, string fileName) => new Reader(Layout, reader);

    private sealed class Reader(FileLayout layout, TextReader text) : LineRowReader(layout)
    {
        private readonly int _markerLength = layout.HasRecordTypes ? layout.Record.Marker!.Length : 0;
        private int _line;

        protected override async ValueTask<FileLine?> ReadLineAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var line = await text.ReadLineAsync(cancellationToken);
                _line++;
                if (line is null) return null;
                if (line.Length == 0) continue;

                var row = Layout.Record;
                ChildLayout? child = null;
                if (Layout.HasRecordTypes)
                {
                    var marker = line.Length >= _markerLength ? line[.._markerLength] : line;
                    child = Layout.Children.FirstOrDefault(c => c.Layout.Marker == marker);
                    if (child is null && marker != Layout.Record.Marker)
                        return new FileLine(_line, line, null, false, null, $"record type '{marker}' is none of {MarkerList()}");
                    row = child?.Layout ?? Layout.Record;
                }
                var values = new Dictionary<string, object?>(row.Widths.Count, StringComparer.OrdinalIgnoreCase);
                foreach (var width in row.Widths)
                {
                    // A line cut short (trailing blanks trimmed by an editor) reads as empty fields.
                    var start = Math.Min(width.Start - 1, line.Length);
                    values[width.Name] = Unpad(line.Substring(start, Math.Min(width.Length, line.Length - start)), width);
                }
                return new FileLine(_line, line, child, true, values, Undecodable(values));
            }
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
