using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Newtonsoft.Json.Linq;
using SyncEngine.Core.Model;

namespace SyncEngine.Connectors.Files;

/// <summary>Canonical records as JSON, without a mapping: a file holds one object, an array of objects, or one object per line.</summary>
internal static class JsonRecordFormat
{
    private static readonly JsonSerializerOptions Indented = new(CanonicalJson.Options) { WriteIndented = true };

    // In a file of another encoding every character beyond ASCII is escaped (\u00E4), so any text fits.
    private static readonly JsonSerializerOptions IndentedAscii = new(CanonicalJson.Options) { WriteIndented = true, Encoder = JavaScriptEncoder.Default };

    public static IRecordReader OpenReader(TextReader text, Type type, string fileName, Encoding encoding) => new Reader(new JsonTokenReader(text), type, fileName, encoding);

    public static async Task WriteAsync(Stream stream, IAsyncEnumerable<Entity> records, bool single, Encoding encoding, CancellationToken cancellationToken)
    {
        var utf8 = encoding.CodePage == Encoding.UTF8.CodePage;
        if (encoding.GetPreamble() is { Length: > 0 } preamble) await stream.WriteAsync(preamble, cancellationToken);
        var options = utf8 ? Indented : IndentedAscii;
        if (single)
        {
            await foreach (var record in records.WithCancellation(cancellationToken))
            {
                await JsonSerializer.SerializeAsync(stream, record, record.GetType(), options, cancellationToken);
                return;
            }
            return;
        }
        await using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = options.Encoder });
        writer.WriteStartArray();
        await foreach (var record in records.WithCancellation(cancellationToken))
        {
            JsonSerializer.Serialize(writer, record, record.GetType(), CanonicalJson.Options);
            // A run's file is streamed out, not built in memory.
            if (writer.BytesPending > 64 * 1024) await writer.FlushAsync(cancellationToken);
        }
        writer.WriteEndArray();
        await writer.FlushAsync(cancellationToken);
    }

    private sealed class Reader(JsonTokenReader tokens, Type type, string fileName, Encoding encoding) : IRecordReader
    {
        private int _index;

        public async ValueTask<ReadItem?> NextAsync(CancellationToken cancellationToken)
        {
            if (await tokens.NextAsync(cancellationToken) is not { } item) return null;
            var where = $"{fileName}, record {++_index}";
            if (item.Token is null) return new ReadItem(null, item.Raw, $"{where} (line {item.Line}): {item.Problem}");
            // Bytes the file's encoding could not decode became U+FFFD: such a value is dead-lettered, never stored as it reads.
            if (item.Raw.Contains(FileEncodings.Undecodable, StringComparison.Ordinal)
                && (item.Token is JContainer container ? container.DescendantsAndSelf() : [item.Token]).OfType<JValue>().FirstOrDefault(v => v.Value is string s && s.Contains(FileEncodings.Undecodable, StringComparison.Ordinal)) is { } bad)
            {
                return new ReadItem(null, item.Raw, $"{where}: field '{bad.Path}': '{bad.Value}' holds bytes that are not valid {encoding.WebName} (line {item.Line})");
            }
            try
            {
                var record = CanonicalJson.Deserialize(item.Raw, type);
                return string.IsNullOrEmpty(record.Id)
                    ? new ReadItem(null, item.Raw, $"{where}: field 'id' is missing (line {item.Line})")
                    : new ReadItem(record, item.Raw, null);
            }
            catch (JsonException ex)
            {
                return new ReadItem(null, item.Raw, $"{where}: {Describe(ex)} (line {item.Line})");
            }
        }

        public ValueTask DisposeAsync() => tokens.DisposeAsync();
    }

    private static string Describe(JsonException ex) =>
        ex.Path is { Length: > 1 } path ? $"field '{path.TrimStart('$', '.')}': {ex.Message.Split(" Path:")[0]}" : ex.Message;
}
