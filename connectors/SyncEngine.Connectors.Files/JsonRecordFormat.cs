using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using SyncEngine.Core.Model;

namespace SyncEngine.Connectors.Files;

/// <summary>Canonical records as JSON: a file holds one object, an array of objects, or one object per line.</summary>
internal static class JsonRecordFormat
{
    private static readonly JsonSerializerOptions Indented = new(CanonicalJson.Options) { WriteIndented = true };

    public static async IAsyncEnumerable<(int Index, Entity? Record, string Raw, string? Error)> ReadAsync(
        Stream stream, Type type, string fileName, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var text = await reader.ReadToEndAsync(cancellationToken);
        var trimmed = text.TrimStart();
        IEnumerable<string> items;
        if (trimmed.StartsWith('['))
        {
            List<string> elements;
            try
            {
                using var document = JsonDocument.Parse(text);
                elements = document.RootElement.EnumerateArray().Select(e => e.GetRawText()).ToList();
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{fileName}: not valid JSON: {ex.Message}", ex);
            }
            items = elements;
        }
        else if (LooksLikeOneObject(trimmed))
        {
            items = [text];
        }
        else
        {
            items = text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0);
        }

        var index = 0;
        foreach (var raw in items)
        {
            index++;
            Entity? record = null;
            string? error = null;
            try
            {
                record = CanonicalJson.Deserialize(raw, type);
            }
            catch (JsonException ex)
            {
                error = $"{fileName}, record {index}: {Describe(ex)}";
            }
            if (record is not null && string.IsNullOrEmpty(record.Id))
            {
                error = $"{fileName}, record {index}: field 'id' is missing";
                record = null;
            }
            yield return (index, record, raw, error);
        }
    }

    public static async Task WriteAsync(Stream stream, IReadOnlyList<Entity> records, bool single, CancellationToken cancellationToken)
    {
        if (single)
        {
            await JsonSerializer.SerializeAsync(stream, records[0], records[0].GetType(), Indented, cancellationToken);
            return;
        }
        await using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = CanonicalJson.Options.Encoder });
        writer.WriteStartArray();
        foreach (var record in records) JsonSerializer.Serialize(writer, record, record.GetType(), CanonicalJson.Options);
        writer.WriteEndArray();
        await writer.FlushAsync(cancellationToken);
    }

    private static bool LooksLikeOneObject(string trimmed)
    {
        // One object over several lines, as opposed to one object per line.
        var firstLineEnd = trimmed.IndexOf('\n');
        return firstLineEnd < 0 || trimmed[..firstLineEnd].TrimEnd() == "{";
    }

    private static string Describe(JsonException ex) =>
        ex.Path is { Length: > 1 } path ? $"field '{path.TrimStart('$', '.')}': {ex.Message.Split(" Path:")[0]}" : ex.Message;
}
