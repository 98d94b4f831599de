using System.Globalization;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;

namespace SyncEngine.Connectors.Files;

/// <summary>
/// JSON with a mapping: one object per record with the mapped fields in order, child rows as arrays of objects under the
/// child's name. A file holds one array of records (one object when a file is written per record) or one object per line (ndjson).
/// Numbers and yes/no stay JSON numbers and booleans; dates are ISO 8601 text.
/// </summary>
internal sealed class JsonFormat(FileLayout layout) : RecordFormat(layout)
{
    protected override object? Value(string field, string name, object? value, RowLayout row) => value switch
    {
        null or bool or decimal or int or long or short or byte or sbyte or ushort or uint or ulong => value,
        double d when !double.IsFinite(d) => throw new RecordException($"field '{field}': '{d}' is not a number JSON can hold", field, d.ToString(CultureInfo.InvariantCulture)),
        float f when !float.IsFinite(f) => throw new RecordException($"field '{field}': '{f}' is not a number JSON can hold", field, f.ToString(CultureInfo.InvariantCulture)),
        double or float => value,
        _ => EncodableText(field, value),
    };

    public override async Task WriteAsync(Stream stream, IAsyncEnumerable<MappedRow> rows, bool single, CancellationToken cancellationToken)
    {
        await using var text = new StreamWriter(stream, Layout.WriteEncoding, 64 * 1024, leaveOpen: true) { NewLine = Layout.NewLine };
        if (Layout.Ndjson)
        {
            await foreach (var row in rows.WithCancellation(cancellationToken))
            {
                await WriteAsync(text, Formatting.None, json =>
                {
                    WriteRow(json, row, Layout.Children);
                    return Task.CompletedTask;
                }, cancellationToken);
                await text.WriteAsync(Layout.NewLine.AsMemory(), cancellationToken);
            }
        }
        else
        {
            var formatting = Layout.Indent ? Formatting.Indented : Formatting.None;
            await WriteAsync(text, formatting, async json =>
            {
                if (single)
                {
                    await foreach (var row in rows.WithCancellation(cancellationToken))
                    {
                        WriteRow(json, row, Layout.Children);
                        return;
                    }
                    return;
                }
                await json.WriteStartArrayAsync(cancellationToken);
                await foreach (var row in rows.WithCancellation(cancellationToken)) WriteRow(json, row, Layout.Children);
                await json.WriteEndArrayAsync(cancellationToken);
            }, cancellationToken);
            await text.WriteAsync(Layout.NewLine.AsMemory(), cancellationToken);
        }
        await text.FlushAsync(cancellationToken);
    }

    /// <summary>One object per line, or an array written without indentation: a batch's objects are known when it is staged.</summary>
    public override bool Concatenates => Layout.Ndjson || !Layout.Indent;

    public override string LinesSignature =>
        $"json {Layout.WriteEncoding.WebName} {(Layout.Ndjson ? "ndjson" : "array")} {Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(Layout.NewLine))}";

    public override async Task WriteHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        await using var text = new StreamWriter(stream, Layout.WriteEncoding, 1024, leaveOpen: true);
        if (!Layout.Ndjson) await text.WriteAsync('[');
        await text.FlushAsync(cancellationToken);
    }

    public override ReadOnlyMemory<byte> Separator => Layout.Ndjson ? ReadOnlyMemory<byte>.Empty : Layout.WriteEncoding.GetBytes(",");

    public override ReadOnlyMemory<byte> Tail => Layout.Ndjson ? ReadOnlyMemory<byte>.Empty : Layout.WriteEncoding.GetBytes("]" + Layout.NewLine);

    public override void WriteLines(System.Buffers.IBufferWriter<byte> output, IReadOnlyList<MappedRow> rows)
    {
        using var text = LinesWriter(output);
        text.NewLine = Layout.NewLine;
        for (var i = 0; i < rows.Count; i++)
        {
            if (i > 0 && !Layout.Ndjson) text.Write(',');
            using (var json = new JsonTextWriter(text) { Formatting = Formatting.None, CloseOutput = false })
                WriteRow(json, rows[i], Layout.Children);
            if (Layout.Ndjson) text.Write(Layout.NewLine);
        }
    }

    private static async Task WriteAsync(TextWriter text, Formatting formatting, Func<JsonTextWriter, Task> write, CancellationToken cancellationToken)
    {
        await using var json = new JsonTextWriter(text) { Formatting = formatting, Indentation = 2, CloseOutput = false };
        await write(json);
        await json.FlushAsync(cancellationToken);
    }

    /// <summary>Synchronous: a row goes into the writers' buffers, which reach the file whenever they fill (a local file, for every store).</summary>
    private static void WriteRow(JsonTextWriter json, MappedRow row, IReadOnlyList<ChildLayout> children)
    {
        json.WriteStartObject();
        for (var i = 0; i < row.Values.Length; i++)
        {
            var value = row.Values[i];
            json.WritePropertyName(row.Names[i]);
            switch (value)
            {
                case null:
                    json.WriteNull();
                    break;
                // 2.50m is written 2.5, as in every other format; Newtonsoft would write 2.50 or 2.0.
                case decimal d:
                    json.WriteRawValue(ValueConverter.ToText(d, CultureInfo.InvariantCulture));
                    break;
                // The typed overloads: the object one looks the value's type up in a table first.
                case string text:
                    json.WriteValue(text);
                    break;
                case int number:
                    json.WriteValue(number);
                    break;
                case long number:
                    json.WriteValue(number);
                    break;
                case bool flag:
                    json.WriteValue(flag);
                    break;
                default:
                    json.WriteValue(value);
                    break;
            }
        }
        foreach (var child in children)
        {
            json.WritePropertyName(child.Name);
            json.WriteStartArray();
            foreach (var line in row.Children.GetValueOrDefault(child.Name) ?? []) WriteRow(json, line, []);
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    public override IRowReader OpenReader(TextReader reader, string fileName) => new Reader(Layout, reader);

    private sealed class Reader(FileLayout layout, TextReader text) : IRowReader
    {
        private readonly JsonTokenReader _tokens = new(text);
        private int _index;

        public async ValueTask<RowRecord?> NextAsync(CancellationToken cancellationToken)
        {
            if (await _tokens.NextAsync(cancellationToken) is not { } item) return null;
            var where = $"record {++_index}, line {item.Line}";
            if (item.Token is null) return new RowRecord(where, item.Raw, null, item.Problem);
            if (item.Token is not JObject record) return new RowRecord(where, item.Raw, null, $"a record is a JSON object, not {item.Token.Type.ToString().ToLowerInvariant()}");
            if (item.Raw.Contains(FileEncodings.Undecodable))
            {
                var bad = record.Descendants().OfType<JValue>().FirstOrDefault(v => v.Value is string s && s.Contains(FileEncodings.Undecodable));
                var what = bad is null ? "the record" : $"'{bad.Path}': '{bad.Value}'";
                return new RowRecord(where, item.Raw, null, $"{what} holds bytes that are not valid {layout.ReadEncoding.WebName}");
            }
            return new RowRecord(where, item.Raw, Row(record, item.Line, new RowTrace()), null);
        }

        /// <summary>Values by name (nested objects as <c>Kunde.Name</c>), arrays of objects as child rows.</summary>
        private static FileRow Row(JObject record, int line, RowTrace trace)
        {
            var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            var children = new Dictionary<string, IReadOnlyList<ISourceRow>>(StringComparer.OrdinalIgnoreCase);
            Flatten(record, string.Empty, values);
            foreach (var property in record.Properties())
            {
                if (property.Value is JArray array)
                    children.TryAdd(property.Name, array.OfType<JObject>().Select(o => (ISourceRow)Row(o, line, trace)).ToList());
            }
            return new FileRow(line, values, children, trace);
        }

        private static void Flatten(JObject value, string prefix, Dictionary<string, object?> values)
        {
            foreach (var property in value.Properties())
            {
                switch (property.Value)
                {
                    case JObject nested:
                        Flatten(nested, $"{prefix}{property.Name}.", values);
                        break;
                    case JValue scalar:
                        values.TryAdd(prefix + property.Name, scalar.Value);
                        break;
                }
            }
        }

        public ValueTask DisposeAsync() => _tokens.DisposeAsync();
    }
}
