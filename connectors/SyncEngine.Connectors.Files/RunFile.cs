using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;
using SyncEngine.Core.Model;

namespace SyncEngine.Connectors.Files;

/// <summary>
/// One file per run, built so that nothing committed is ever lost or published twice. Every batch is staged as a part file in
/// a hidden folder beside the target, <c>.syncengine-parts/{flow}/{run time}-{batch}.part</c>, before the batch counts as
/// written. When the run completes, all parts (those a killed earlier run left first) become the run's file:
/// <list type="number">
/// <item>the whole file is written, atomically, as <c>publish.staged</c> in the staging folder;</item>
/// <item>a manifest names the final file, the staged file, the done file and the parts;</item>
/// <item>the staged file is renamed to its final name, the done file written, then the parts and the manifest deleted.</item>
/// </list>
/// A run that finds a manifest finishes that publication first: if the staged file is still there it is renamed, otherwise
/// the rename happened (the manifest is only written once the staged file is complete) and only the clean-up is left, even
/// if the receiver has taken the final file away since. Parts are never published twice, and only parts whose batch the
/// engine committed are published at all (each part's name is its batch's receipt, see <see cref="IReceiptLog"/>): a part a
/// killed run staged without committing is thrown away, as its records are read and written again.
/// </summary>
internal sealed class RunFile(IFileStore store, string folder, StreamContext context, DateTimeOffset runTime)
{
    /// <summary>The hidden staging folder in the target folder; a reader never lists it.</summary>
    public const string StagingFolder = ".syncengine-parts";

    private const string PartExtension = ".part";
    /// <summary>Rows as JSON lines, as staged before version 2; still read, so an upgrade publishes what an older run left.</summary>
    private const string JsonRowsHeader = "#syncengine-part 1 rows";
    private const string RowsHeader = "#syncengine-part 2 rows";
    private const string RecordsHeader = "#syncengine-part 1 records";
    /// <summary>A batch as the file's own lines (csv, json), followed by the format's signature; publishing joins them as they are.</summary>
    private const string LinesHeader = "#syncengine-part 3 lines";

    private readonly string _staging = FileNames.Combine(folder, StagingFolder, SafeName(context.Flow));
    private readonly string _stamp = runTime.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfffffff'Z'", CultureInfo.InvariantCulture);
    private bool _recovered;

    private string ManifestPath => FileNames.Combine(_staging, "manifest.json");

    private string StagedPath => FileNames.Combine(_staging, "publish.staged");

    /// <summary>Stages a batch of mapped rows; once this returns they are durably on the store. Returns the batch's receipt.</summary>
    public async Task<string> AddRowsAsync(int batch, IReadOnlyList<MappedRow> rows, RecordFormat format, CancellationToken cancellationToken)
    {
        await RecoverAsync(cancellationToken);
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(256 * 1024);
        buffer.ResetWrittenCount();
        if (format.Concatenates)
        {
            Encoding.UTF8.GetBytes(LinesHeader + " " + format.LinesSignature + "\n", buffer);
            WriteLines(format, buffer, rows);
        }
        else
        {
            Encoding.ASCII.GetBytes(RowsHeader + "\n", buffer);
            new BinaryRows(buffer).Write(rows);
        }
        await store.WriteAtomicAsync(PartPath(batch), (stream, ct) => stream.WriteAsync(buffer.WrittenMemory, ct).AsTask(), cancellationToken);
        return Receipt(PartPath(batch));
    }

    /// <summary>A batch's part is built here, then written in one go; reused from batch to batch.</summary>
    private ArrayBufferWriter<byte>? _buffer;

    /// <summary>From this many rows a batch's lines are written in slices, one per core.</summary>
    private const int ParallelLinesFrom = 2000;

    private ArrayBufferWriter<byte>[]? _slices;

    /// <summary>
    /// The rows' lines; a large batch's are written in slices on every core and joined with the format's separator, as the
    /// run's parts are joined into its file, so the bytes are the same.
    /// </summary>
    private void WriteLines(RecordFormat format, ArrayBufferWriter<byte> output, IReadOnlyList<MappedRow> rows)
    {
        var count = Math.Min(Environment.ProcessorCount, 8);
        if (rows.Count < ParallelLinesFrom || count < 2)
        {
            format.WriteLines(output, rows);
            return;
        }
        var slices = _slices ??= Enumerable.Range(0, count).Select(_ => new ArrayBufferWriter<byte>(64 * 1024)).ToArray();
        OnEveryCore.ForSlices(rows.Count, count, (s, from, to) =>
        {
            var slice = new MappedRow[to - from];
            for (var i = 0; i < slice.Length; i++) slice[i] = rows[from + i];
            slices[s].ResetWrittenCount();
            format.WriteLines(slices[s], slice);
        });
        for (var s = 0; s < count; s++)
        {
            if (s > 0) output.Write(format.Separator.Span);
            output.Write(slices[s].WrittenSpan);
        }
    }

    /// <summary>Stages a batch of canonical records (a stream without a mapping). Returns the batch's receipt.</summary>
    public async Task<string> AddRecordsAsync(int batch, IReadOnlyList<Entity> records, CancellationToken cancellationToken)
    {
        await RecoverAsync(cancellationToken);
        await store.WriteAtomicAsync(PartPath(batch), async (stream, ct) =>
        {
            await using var writer = new StreamWriter(stream, new UTF8Encoding(false), 64 * 1024, leaveOpen: true) { NewLine = "\n" };
            await writer.WriteLineAsync(RecordsHeader);
            foreach (var record in records) await writer.WriteLineAsync(RecordTypes.NameOf(record.GetType()) + "\t" + CanonicalJson.Serialize(record));
        }, cancellationToken);
        return Receipt(PartPath(batch));
    }

    /// <summary>
    /// Publishes every staged part as <paramref name="path"/>, written by <paramref name="write"/> from the parts' rows or records;
    /// false when nothing was staged (then no file is written at all).
    /// </summary>
    public async Task<bool> PublishAsync(string path, string? doneFile, Func<Stream, IReadOnlyList<string>, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        await RecoverAsync(cancellationToken);
        var parts = await CommittedPartsAsync((await ScanAsync(cancellationToken)).Parts, cancellationToken);
        if (parts.Count == 0) return false;
        await store.WriteAtomicAsync(StagedPath, (stream, ct) => write(stream, parts, ct), cancellationToken);
        var manifest = new Manifest { File = path, Staged = StagedPath, DoneFile = doneFile, Parts = parts };
        await store.WriteAtomicAsync(ManifestPath, (stream, ct) => JsonSerializer.SerializeAsync(stream, manifest, cancellationToken: ct), cancellationToken);
        await FinishAsync(manifest, staged: true, cancellationToken);
        return true;
    }

    /// <summary>The mapped rows of the parts, in order, streamed part by part.</summary>
    public async IAsyncEnumerable<MappedRow> ReadRowsAsync(IReadOnlyList<string> parts, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        foreach (var part in parts)
        {
            var (header, body) = await ReadPartAsync(part, buffer, cancellationToken);
            if (header != RowsHeader && header != JsonRowsHeader) throw Mismatch(part, header, RowsHeader);
            await foreach (var row in RowsOfAsync(part, header, body, cancellationToken)) yield return row;
        }
    }

    /// <summary>The rows of a part staged as rows, read already: binary (version 2) or JSON lines (before).</summary>
    private async IAsyncEnumerable<MappedRow> RowsOfAsync(string part, string header, ReadOnlyMemory<byte> body, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (header == JsonRowsHeader)
        {
            await foreach (var line in LinesAsync([part], JsonRowsHeader, cancellationToken)) yield return PartCodec.DecodeRow(line);
            yield break;
        }
        var reader = new BinaryRows.Reader(body);
        while (reader.Next() is { } row) yield return row;
    }

    /// <summary>
    /// Writes the run's file of a format that <see cref="RecordFormat.Concatenates"/>: its head, then each part's lines as
    /// staged; parts an earlier version staged as rows are written as lines here.
    /// </summary>
    public async Task WriteLinesAsync(Stream output, IReadOnlyList<string> parts, RecordFormat format, CancellationToken cancellationToken)
    {
        await format.WriteHeadAsync(output, cancellationToken);
        var expected = LinesHeader + " " + format.LinesSignature;
        var buffer = new MemoryStream();
        var lines = new ArrayBufferWriter<byte>();
        for (var i = 0; i < parts.Count; i++)
        {
            var part = parts[i];
            if (i > 0) await output.WriteAsync(format.Separator, cancellationToken);
            var (header, body) = await ReadPartAsync(part, buffer, cancellationToken);
            if (header == expected)
            {
                await output.WriteAsync(body, cancellationToken);
                continue;
            }
            if (header != RowsHeader && header != JsonRowsHeader) throw Mismatch(part, header, expected);
            var rows = new List<MappedRow>();
            await foreach (var row in RowsOfAsync(part, header, body, cancellationToken)) rows.Add(row);
            lines.ResetWrittenCount();
            format.WriteLines(lines, rows);
            await output.WriteAsync(lines.WrittenMemory, cancellationToken);
        }
        await output.WriteAsync(format.Tail, cancellationToken);
    }

    /// <summary>A part read whole (it holds one batch, so memory is bounded by the batch size): its header line and the rest.</summary>
    private async Task<(string Header, ReadOnlyMemory<byte> Body)> ReadPartAsync(string part, MemoryStream buffer, CancellationToken cancellationToken)
    {
        buffer.SetLength(0);
        await using (var stream = await store.OpenReadAsync(part, cancellationToken))
            await stream.CopyToAsync(buffer, cancellationToken);
        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        var newline = bytes.Span.IndexOf((byte)'\n');
        return newline < 0 ? (string.Empty, ReadOnlyMemory<byte>.Empty) : (Encoding.UTF8.GetString(bytes.Span[..newline]), bytes[(newline + 1)..]);
    }

    /// <summary>The canonical records of the parts, in order, streamed part by part.</summary>
    public async IAsyncEnumerable<Entity> ReadRecordsAsync(IReadOnlyList<string> parts, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var line in LinesAsync(parts, RecordsHeader, cancellationToken))
        {
            var tab = line.IndexOf('\t');
            var type = tab < 0 ? null : RecordTypes.Find(line[..tab]);
            if (type is null) throw new InvalidDataException($"a staged record names no record type: '{line[..Math.Min(line.Length, 40)]}'");
            yield return CanonicalJson.Deserialize(line[(tab + 1)..], type);
        }
    }

    private async IAsyncEnumerable<string> LinesAsync(IReadOnlyList<string> parts, string header, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var part in parts)
        {
            await using var stream = await store.OpenReadAsync(part, cancellationToken);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var first = await reader.ReadLineAsync(cancellationToken);
            if (first != header) throw Mismatch(part, first, header);
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length > 0) yield return line;
            }
        }
    }

    private InvalidDataException Mismatch(string part, string? first, string header) => new(
        $"staged part '{part}' on {store.Display} starts with '{first}', not '{header}': it was staged with another mapping, file settings or version. " +
        "Move it away, and write its records again with a full run if they are needed.");

    /// <summary>Finishes a publication a crash interrupted, once per run, before anything new is staged or published.</summary>
    private async Task RecoverAsync(CancellationToken cancellationToken)
    {
        if (_recovered) return;
        var scan = await ScanAsync(cancellationToken);
        if (scan.Manifest)
        {
            Manifest manifest;
            await using (var stream = await store.OpenReadAsync(ManifestPath, cancellationToken))
            {
                manifest = await JsonSerializer.DeserializeAsync<Manifest>(stream, cancellationToken: cancellationToken)
                    ?? throw new InvalidDataException($"'{ManifestPath}' on {store.Display} is empty");
            }
            await FinishAsync(manifest, scan.Staged, cancellationToken);
        }
        else if (scan.Staged)
        {
            // A file staged by a run that stopped before its manifest: it is built again from the parts.
            await store.DeleteAsync(StagedPath, cancellationToken);
        }
        // Uploads a killed run cut off half-way.
        IReadOnlyList<string> temporary;
        try
        {
            temporary = await store.ListNamesAsync(_staging, FileNames.TempPrefix + "*", cancellationToken);
        }
        catch (FileStoreException ex) when (ex.NotFound)
        {
            temporary = [];
        }
        foreach (var name in temporary) await store.DeleteAsync(FileNames.Combine(_staging, name), cancellationToken);
        _recovered = true;
    }

    /// <summary>The parts whose batches the engine committed; the others are deleted (their records come again).</summary>
    private async Task<IReadOnlyList<string>> CommittedPartsAsync(IReadOnlyList<string> parts, CancellationToken cancellationToken)
    {
        var committed = await context.Receipts.GetCommittedAsync(context.Flow, parts.Select(Receipt).ToList(), cancellationToken);
        var result = new List<string>(parts.Count);
        foreach (var part in parts)
        {
            if (committed.Contains(Receipt(part))) result.Add(part);
            else await store.DeleteAsync(part, cancellationToken);
        }
        return result;
    }

    /// <param name="staged">Whether the staged file is still there: then it is not yet renamed.</param>
    private async Task FinishAsync(Manifest manifest, bool staged, CancellationToken cancellationToken)
    {
        if (staged) await store.RenameAsync(manifest.Staged, manifest.File, cancellationToken);
        // After a crash the receiver may have taken the file already; a done file then marks nothing.
        if (manifest.DoneFile is not null && (staged || await store.ExistsAsync(manifest.File, cancellationToken)))
            await store.WriteTextAsync(manifest.DoneFile, string.Empty, cancellationToken);
        foreach (var part in manifest.Parts) await store.DeleteAsync(part, cancellationToken);
        await store.DeleteAsync(ManifestPath, cancellationToken);
        await context.Receipts.ForgetAsync(context.Flow, manifest.Parts.Select(Receipt).ToList(), cancellationToken);
    }

    /// <summary>What the staging folder holds, in one listing: a manifest, a staged file, and the parts in the order they are published.</summary>
    private async Task<(bool Manifest, bool Staged, IReadOnlyList<string> Parts)> ScanAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> names;
        try
        {
            names = await store.ListNamesAsync(_staging, "*", cancellationToken);
        }
        catch (FileStoreException ex) when (ex.NotFound)
        {
            names = [];
        }
        // Names start with the run time, then the batch: oldest run first, batches in order.
        var parts = names.Where(n => n.EndsWith(PartExtension, StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            .Select(n => FileNames.Combine(_staging, n)).ToList();
        return (names.Contains(FileNames.NameOf(ManifestPath)), names.Contains(FileNames.NameOf(StagedPath)), parts);
    }

    private string PartPath(int batch) => FileNames.Combine(_staging, $"{_stamp}-{batch.ToString("D6", CultureInfo.InvariantCulture)}{PartExtension}");

    private static string Receipt(string partPath) => FileNames.NameOf(partPath)[..^PartExtension.Length];

    internal static string SafeName(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text) builder.Append(char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_');
        return builder.ToString();
    }

    private sealed class Manifest
    {
        public required string File { get; init; }
        public required string Staged { get; init; }
        public string? DoneFile { get; init; }
        public required IReadOnlyList<string> Parts { get; init; }
    }
}

/// <summary>
/// Mapped rows as one JSON line each, typed so that a row read back writes exactly the bytes it would have written:
/// text as a JSON string, yes/no as a JSON boolean, numbers as <c>["m", "12.50"]</c> (decimal), <c>["l", "7"]</c> (integer),
/// <c>["u", ...]</c>, <c>["d", ...]</c>, <c>["f", ...]</c>; fields as name/value pairs in order, child rows by name.
/// </summary>
internal static class PartCodec
{
    public static string EncodeRow(MappedRow row)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
            Write(json, row);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static MappedRow DecodeRow(string line)
    {
        using var document = JsonDocument.Parse(line);
        return Read(document.RootElement);
    }

    private static void Write(Utf8JsonWriter json, MappedRow row)
    {
        json.WriteStartObject();
        json.WriteStartArray("f");
        for (var i = 0; i < row.Values.Length; i++)
        {
            json.WriteStartArray();
            json.WriteStringValue(row.Names[i]);
            WriteValue(json, row.Values[i]);
            json.WriteEndArray();
        }
        json.WriteEndArray();
        if (row.Children.Count > 0)
        {
            json.WriteStartObject("c");
            foreach (var (name, children) in row.Children)
            {
                json.WriteStartArray(name);
                foreach (var child in children) Write(json, child);
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNullValue();
                return;
            case string text:
                json.WriteStringValue(text);
                return;
            case bool flag:
                json.WriteBooleanValue(flag);
                return;
        }
        var (type, text2) = value switch
        {
            decimal d => ("m", d.ToString(CultureInfo.InvariantCulture)),
            ulong u => ("u", u.ToString(CultureInfo.InvariantCulture)),
            long or int or short or sbyte or byte or ushort or uint => ("l", Convert.ToInt64(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture)),
            double d => ("d", d.ToString("R", CultureInfo.InvariantCulture)),
            float f => ("f", f.ToString("R", CultureInfo.InvariantCulture)),
            _ => throw new InvalidOperationException($"a value of type {value.GetType().Name} cannot be staged"),
        };
        json.WriteStartArray();
        json.WriteStringValue(type);
        json.WriteStringValue(text2);
        json.WriteEndArray();
    }

    private static MappedRow Read(JsonElement element)
    {
        var fields = new List<KeyValuePair<string, object?>>();
        foreach (var pair in element.GetProperty("f").EnumerateArray())
            fields.Add(new(pair[0].GetString()!, ReadValue(pair[1])));
        if (!element.TryGetProperty("c", out var children)) return new MappedRow(fields, MappedRow.NoChildren);
        var rows = new Dictionary<string, IReadOnlyList<MappedRow>>(StringComparer.OrdinalIgnoreCase);
        foreach (var child in children.EnumerateObject()) rows[child.Name] = child.Value.EnumerateArray().Select(Read).ToList();
        return new MappedRow(fields, rows);
    }

    private static object? ReadValue(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.String => value.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Array => value[0].GetString() switch
        {
            "m" => decimal.Parse(value[1].GetString()!, NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture),
            "u" => ulong.Parse(value[1].GetString()!, CultureInfo.InvariantCulture),
            "l" => long.Parse(value[1].GetString()!, CultureInfo.InvariantCulture),
            "d" => double.Parse(value[1].GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture),
            "f" => float.Parse(value[1].GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture),
            var other => throw new InvalidDataException($"a staged value of unknown type '{other}'"),
        },
        _ => throw new InvalidDataException($"a staged value of kind {value.ValueKind}"),
    };
}

/// <summary>
/// Mapped rows in a compact binary form, for staged parts: a part is written once and read once, so the cheaper the better.
/// Values keep their type exactly as <see cref="PartCodec"/> does (text, yes/no, decimal, integer, unsigned, double, float), so
/// a row read back writes exactly the bytes it would have written. Field and child names are written once per part.
/// </summary>
internal sealed class BinaryRows(IBufferWriter<byte> output)
{
    private const byte Null = 0, Text = 1, True = 2, False = 3, Decimal = 4, Integer = 5, Unsigned = 6, Double = 7, Float = 8;
    private readonly Dictionary<string, int> _names = new(StringComparer.Ordinal);

    public void Write(IReadOnlyList<MappedRow> rows)
    {
        foreach (var row in rows) Write(row);
    }

    private void Write(MappedRow row)
    {
        Count(row.Values.Length);
        for (var i = 0; i < row.Values.Length; i++)
        {
            Name(row.Names[i]);
            Value(row.Values[i]);
        }
        Count(row.Children.Count);
        foreach (var (name, children) in row.Children)
        {
            Name(name);
            Count(children.Count);
            foreach (var child in children) Write(child);
        }
    }

    private void Name(string name)
    {
        if (_names.TryGetValue(name, out var index))
        {
            Count(index + 1);
            return;
        }
        _names[name] = _names.Count;
        Count(0);
        String(name);
    }

    private void Value(object? value)
    {
        switch (value)
        {
            case null:
                Byte(Null);
                break;
            case string text:
                Byte(Text);
                String(text);
                break;
            case bool flag:
                Byte(flag ? True : False);
                break;
            case decimal number:
                Byte(Decimal);
                var span = output.GetSpan(16);
                decimal.GetBits(number, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(span[..16]));
                output.Advance(16);
                break;
            case ulong number:
                Byte(Unsigned);
                BinaryPrimitives.WriteUInt64LittleEndian(output.GetSpan(8), number);
                output.Advance(8);
                break;
            case long or int or short or sbyte or byte or ushort or uint:
                Byte(Integer);
                BinaryPrimitives.WriteInt64LittleEndian(output.GetSpan(8), Convert.ToInt64(value, CultureInfo.InvariantCulture));
                output.Advance(8);
                break;
            case double number:
                Byte(Double);
                BinaryPrimitives.WriteDoubleLittleEndian(output.GetSpan(8), number);
                output.Advance(8);
                break;
            case float number:
                Byte(Float);
                BinaryPrimitives.WriteSingleLittleEndian(output.GetSpan(4), number);
                output.Advance(4);
                break;
            default:
                throw new InvalidOperationException($"a value of type {value.GetType().Name} cannot be staged");
        }
    }

    private void Byte(byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    private void Count(int value)
    {
        var span = output.GetSpan(5);
        var length = 0;
        var rest = (uint)value;
        while (rest >= 0x80)
        {
            span[length++] = (byte)(rest | 0x80);
            rest >>= 7;
        }
        span[length++] = (byte)rest;
        output.Advance(length);
    }

    private void String(string text)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        var span = output.GetSpan(max + 5);
        var length = Encoding.UTF8.GetBytes(text, span[5..]);
        // The length first, as a varint; the text is moved up behind it.
        var prefix = 0;
        var rest = (uint)length;
        Span<byte> head = stackalloc byte[5];
        while (rest >= 0x80)
        {
            head[prefix++] = (byte)(rest | 0x80);
            rest >>= 7;
        }
        head[prefix++] = (byte)rest;
        span.Slice(5, length).CopyTo(span[prefix..]);
        head[..prefix].CopyTo(span);
        output.Advance(prefix + length);
    }

    /// <summary>Reads the rows of one part back, one at a time.</summary>
    public sealed class Reader(ReadOnlyMemory<byte> bytes)
    {
        private readonly List<string> _names = [];
        private string[] _row = [];
        private int _at;

        public MappedRow? Next() => _at >= bytes.Length ? null : Row();

        private MappedRow Row()
        {
            var count = Count();
            var values = new object?[count];
            var names = _row.Length == count ? _row : new string[count];
            var same = ReferenceEquals(names, _row);
            for (var i = 0; i < count; i++)
            {
                var name = Name();
                if (same && !ReferenceEquals(names[i], name))
                {
                    var own = new string[count];
                    Array.Copy(names, own, i);
                    names = own;
                    same = false;
                }
                names[i] = name;
                values[i] = Value();
            }
            // Rows with the names of the row before share its array of names, as the rows of one mapping do.
            if (!same) _row = names;
            var childCount = Count();
            if (childCount == 0) return new MappedRow(names, values, MappedRow.NoChildren);
            var children = new Dictionary<string, IReadOnlyList<MappedRow>>(childCount, StringComparer.OrdinalIgnoreCase);
            for (var c = 0; c < childCount; c++)
            {
                var name = Name();
                var rows = new MappedRow[Count()];
                for (var r = 0; r < rows.Length; r++) rows[r] = Row();
                children[name] = rows;
            }
            return new MappedRow(names, values, children);
        }

        private string Name()
        {
            var index = Count();
            if (index > 0) return _names[index - 1];
            var name = String();
            _names.Add(name);
            return name;
        }

        private object? Value()
        {
            var span = bytes.Span;
            var tag = span[_at++];
            switch (tag)
            {
                case Null: return null;
                case Text: return String();
                case True: return true;
                case False: return false;
                case Decimal:
                    var value = new decimal(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(span.Slice(_at, 16)));
                    _at += 16;
                    return value;
                case Integer:
                    _at += 8;
                    return BinaryPrimitives.ReadInt64LittleEndian(span.Slice(_at - 8, 8));
                case Unsigned:
                    _at += 8;
                    return BinaryPrimitives.ReadUInt64LittleEndian(span.Slice(_at - 8, 8));
                case Double:
                    _at += 8;
                    return BinaryPrimitives.ReadDoubleLittleEndian(span.Slice(_at - 8, 8));
                case Float:
                    _at += 4;
                    return BinaryPrimitives.ReadSingleLittleEndian(span.Slice(_at - 4, 4));
                default:
                    throw new InvalidDataException($"a staged value of unknown type {tag}");
            }
        }

        private int Count()
        {
            var span = bytes.Span;
            uint value = 0;
            var shift = 0;
            byte next;
            do
            {
                next = span[_at++];
                value |= (uint)(next & 0x7F) << shift;
                shift += 7;
            }
            while ((next & 0x80) != 0);
            return (int)value;
        }

        private string String()
        {
            var length = Count();
            var text = Encoding.UTF8.GetString(bytes.Span.Slice(_at, length));
            _at += length;
            return text;
        }
    }
}
