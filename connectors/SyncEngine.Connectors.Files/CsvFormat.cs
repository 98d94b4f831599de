using System.Buffers;
using System.Globalization;
using System.Text;
using CsvHelper;
using SyncEngine.Core.Mapping;

namespace SyncEngine.Connectors.Files;

/// <summary>
/// Delimited text, RFC 4180 quoting. Child rows are lines of their own after their record's line, each starting with its
/// record type (<c>K;...</c> then <c>P;...</c>); with a header, the file starts with one header line per record type.
/// </summary>
internal sealed class CsvFormat(FileLayout layout) : RecordFormat(layout)
{
    /// <summary>A record longer than this is no csv line but an unclosed quote running through the file.</summary>
    private const int MaxRecordBytes = 16 * 1024 * 1024;

    protected override object? Value(string field, string name, object? value, RowLayout row) => EncodableText(field, value);

    public override async Task WriteAsync(Stream stream, IAsyncEnumerable<MappedRow> rows, bool single, CancellationToken cancellationToken)
    {
        await using var text = new StreamWriter(stream, Layout.WriteEncoding, 64 * 1024, leaveOpen: true);
        await using (var csv = CsvWriter.Create(text, WriterOptions(), leaveOpen: true))
        {
            if (Layout.Header)
            {
                Line(csv, Layout.Record.Marker, FieldNames(Layout.Record).ToList());
                foreach (var child in Layout.Children) Line(csv, child.Layout.Marker, FieldNames(child.Layout).ToList());
            }
            await foreach (var row in rows.WithCancellation(cancellationToken)) Lines(csv, row);
            await csv.FlushAsync(cancellationToken);
        }
        await text.FlushAsync(cancellationToken);
    }

    /// <summary>A csv file is its header, then each record's lines: what a batch adds is known when it is staged.</summary>
    public override bool Concatenates => true;

    public override void WriteLines(IBufferWriter<byte> output, IReadOnlyList<MappedRow> rows)
    {
        using var writer = LinesWriter(output);
        using var csv = CsvWriter.Create(writer, WriterOptions(), leaveOpen: true);
        foreach (var row in rows) Lines(csv, row);
        csv.Flush();
    }

    public override string LinesSignature =>
        $"csv {Layout.WriteEncoding.WebName} {Convert.ToHexString(Encoding.UTF8.GetBytes(Layout.Delimiter + "|" + Layout.NewLine))} {(Layout.QuoteAll ? "all" : "needed")}";

    private CsvWriterOptions WriterOptions() => new()
    {
        Separator = Layout.Delimiter,
        NewLine = Layout.NewLine,
        Quoting = Layout.QuoteAll ? CsvQuoting.Always : CsvQuoting.WhenNeeded,
        // Record lines and child lines have different numbers of columns.
        ValidateFieldCount = false,
    };

    private void Lines(CsvWriter csv, MappedRow row)
    {
        Line(csv, Layout.Record.Marker, row.Values);
        foreach (var child in Layout.Children)
        {
            foreach (var line in row.Children.GetValueOrDefault(child.Name) ?? []) Line(csv, child.Layout.Marker, line.Values);
        }
    }

    private static void Line(CsvWriter csv, string? marker, IReadOnlyList<string> names)
    {
        if (marker is not null) csv.WriteField(marker);
        foreach (var name in names) csv.WriteField(name);
        csv.EndRecord();
    }

    private static void Line(CsvWriter csv, string? marker, object?[] values)
    {
        if (marker is not null) csv.WriteField(marker);
        for (var i = 0; i < values.Length; i++) csv.WriteField((string?)values[i]);
        csv.EndRecord();
    }

    /// <summary>
    /// The column sets of the files read, by their names: the files with one header share one set, and a mapping reads them
    /// through one compiled lane.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, LineColumns> _columns = new(StringComparer.Ordinal);

    public override IRowReader OpenReader(TextReader reader, string fileName) => new Reader(Layout, reader, _columns);

    private sealed class Reader : LineRowReader
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, LineColumns> _columns;
        private readonly CsvReader _csv;
        private readonly Dictionary<long, string> _malformed = [];
        private readonly Dictionary<RowLayout, IReadOnlyList<string>> _headers = [];
        private readonly Dictionary<RowLayout, IReadOnlyList<string>> _required = [];

        public Reader(FileLayout layout, TextReader text, System.Collections.Concurrent.ConcurrentDictionary<string, LineColumns> columns) : base(layout)
        {
            _columns = columns;
            _csv = CsvReader.Create(text, new CsvReaderOptions
            {
                Separator = layout.Delimiter,
                HasHeader = false,
                Mode = CsvMode.Rfc4180,
                SkipEmptyLines = true,
                TrimWhitespace = false,
                TrackLineNumbers = true,
                MaxRecordSize = MaxRecordBytes,
                FieldCountMismatch = CsvFieldCountHandling.Allow,
                MalformedData = CsvMalformedDataHandling.Recover,
                // A stray quote inside a field (12" Monitor) is kept as text; broken quoting around a field makes the line unreadable.
                OnMalformedRecord = m =>
                {
                    if (m.Reason is CsvMalformedReason.TextAfterClosingQuote or CsvMalformedReason.UnterminatedQuote)
                        _malformed[m.RecordNumber] = m.Reason == CsvMalformedReason.UnterminatedQuote ? "a quoted field is never closed" : "text follows the closing quote of a field";
                },
            }, leaveOpen: true);
            var mapping = layout.Mapping!;
            _required[layout.Record] = FileLayout.FileFields(mapping, mapping.Fields);
            foreach (var child in layout.Children) _required[child.Layout] = FileLayout.FileFields(mapping, child.Mapping.Fields);
        }

        protected override async ValueTask<FileLine?> ReadLineAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                try
                {
                    if (!await _csv.ReadAsync(cancellationToken)) return null;
                }
                catch (CsvFormatException ex)
                {
                    throw new BrokenFileException($"not valid csv from line {ex.LineNumber} on: {ex.Message}", (int)ex.LineNumber, ex);
                }
                var number = (int)_csv.LineNumber;
                var raw = Encoding.UTF8.GetString(_csv.RawRecord);
                var fields = new string[_csv.FieldCount];
                for (var i = 0; i < fields.Length; i++) fields[i] = _csv.GetString(i) ?? string.Empty;

                var row = Layout.Record;
                ChildLayout? child = null;
                var values = fields;
                if (Layout.HasRecordTypes)
                {
                    var marker = fields.Length > 0 ? fields[0] : string.Empty;
                    child = Layout.Children.FirstOrDefault(c => c.Layout.Marker == marker);
                    if (child is null && marker != Layout.Record.Marker)
                        return new FileLine(number, raw, null, false, null, $"record type '{marker}' is none of {MarkerList()}");
                    row = child?.Layout ?? Layout.Record;
                    values = values[1..];
                }
                if (Layout.Header && !_headers.ContainsKey(row))
                {
                    _headers[row] = Header(values, row, number);
                    continue;
                }
                if (_malformed.Remove(_csv.RowNumber, out var quoting))
                    return new FileLine(number, raw, child, true, null, quoting);
                var names = _headers.GetValueOrDefault(row) ?? row.Columns;
                if (names is not null && values.Length != names.Count)
                {
                    var named = Layout.Header ? "the header names" : "file.columns names";
                    return new FileLine(number, raw, child, true, null, $"{values.Length} columns, but {named} {names.Count}");
                }
                var line = new LineValues(Columns(names, values.Length), values);
                return new FileLine(number, raw, child, true, line, Array.Exists(values, v => v.Contains(FileEncodings.Undecodable)) ? Undecodable(line) : null);
            }
        }

        private readonly Dictionary<IReadOnlyList<string>, LineColumns> _named = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<int, LineColumns> _numbered = [];

        /// <summary>
        /// The columns of a line: by the header's or file.columns' names (one set per record type), else numbered from 1.
        /// Found once per set of names in this file, and shared with the files read before that have the same names.
        /// </summary>
        private LineColumns Columns(IReadOnlyList<string>? names, int count)
        {
            if (names is null)
            {
                if (!_numbered.TryGetValue(count, out var numbered))
                    _numbered[count] = numbered = Shared(Enumerable.Range(1, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList());
                return numbered;
            }
            if (!_named.TryGetValue(names, out var columns)) _named[names] = columns = Shared(names);
            return columns;
        }

        private LineColumns Shared(IReadOnlyList<string> names) => _columns.GetOrAdd(string.Join('\0', names), _ => new LineColumns(names));

        /// <summary>A header that lacks a column the mapping reads would give every record empty values: the file is refused.</summary>
        private IReadOnlyList<string> Header(string[] names, RowLayout row, int line)
        {
            var duplicate = names.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null) throw new BrokenFileException($"the header on line {line} names column '{duplicate.Key}' twice", line);
            var missing = _required[row].Where(r => !names.Contains(r, StringComparer.OrdinalIgnoreCase)).ToList();
            if (missing.Count > 0)
            {
                throw new BrokenFileException(
                    $"the header on line {line} lacks the column{(missing.Count == 1 ? "" : "s")} {string.Join(", ", missing.Select(m => $"'{m}'"))} that the mapping reads; it has: {string.Join(", ", names)}" +
                    (names.Length == 1 && names[0].Contains(Layout.Delimiter == ';' ? ',' : ';') ? $" (is the delimiter '{Layout.Delimiter}' right?)" : string.Empty), line);
            }
            return names;
        }

        public override ValueTask DisposeAsync() => _csv.DisposeAsync();
    }
}
