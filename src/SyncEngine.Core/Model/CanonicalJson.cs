using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SyncEngine.Core.Model;

/// <summary>
/// One JSON form of the canonical records, used for dead letters and checksums.
/// Attribute bags are written with sorted keys so equal records always hash equal.
/// </summary>
public static class CanonicalJson
{
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            WriteIndented = false,
            // Names like "Kovács Éva" stay readable in files, dead letters and logs; JSON stays valid either way.
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.Converters.Add(new SortedDictionaryConverter<string?>());
        options.Converters.Add(new SortedDictionaryConverter<string>());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    public static string Serialize(Entity record) => JsonSerializer.Serialize(record, record.GetType(), Options);

    public static byte[] SerializeToUtf8(Entity record) => JsonSerializer.SerializeToUtf8Bytes(record, record.GetType(), Options);

    public static Entity Deserialize(string json, Type type) =>
        (Entity?)JsonSerializer.Deserialize(json, type, Options)
        ?? throw new JsonException($"The JSON of a {type.Name} record is empty.");

    /// <summary>A short, stable fingerprint of the record's content, for delta detection.</summary>
    public static string Checksum(Entity record)
    {
        // One buffer and writer per thread: a run checksums every record, and a fresh array each time is garbage to collect.
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(1024);
        var writer = _writer ??= new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = Options.Encoder, SkipValidation = true });
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        JsonSerializer.Serialize(writer, record, record.GetType(), Options);
        writer.Flush();
        Span<byte> hash = stackalloc byte[32];
        // One hash object per thread too: the one-shot call sets up and frees the native digest for every record.
        var sha = _sha ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(buffer.WrittenSpan);
        sha.GetHashAndReset(hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _buffer;

    [ThreadStatic]
    private static IncrementalHash? _sha;

    [ThreadStatic]
    private static Utf8JsonWriter? _writer;

    private sealed class SortedDictionaryConverter<TValue> : JsonConverter<IReadOnlyDictionary<string, TValue>>
    {
        public override IReadOnlyDictionary<string, TValue>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            JsonSerializer.Deserialize<Dictionary<string, TValue>>(ref reader, options);

        public override void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, TValue> value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            if (value.Count > 0)
            {
                // Sorted in a buffer of the thread's, taken while in use (a value may hold a dictionary of its own): every
                // record's attributes are written for its checksum. Keys are distinct, so an unstable sort gives the one order.
                var pairs = _pairs is { } held && held.Length >= value.Count ? held : new KeyValuePair<string, TValue>[Math.Max(8, value.Count)];
                _pairs = null;
                var count = 0;
                foreach (var pair in value) pairs[count++] = pair;
                var sorted = pairs.AsSpan(0, count);
                if (count > 1) sorted.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
                foreach (var pair in sorted)
                {
                    writer.WritePropertyName(pair.Key);
                    // Text values are written as the serializer would.
                    if (pair.Value is string text) writer.WriteStringValue(text);
                    else if (pair.Value is null) writer.WriteNullValue();
                    else JsonSerializer.Serialize(writer, pair.Value, options);
                }
                sorted.Clear();
                _pairs = pairs;
            }
            writer.WriteEndObject();
        }

        [ThreadStatic]
        private static KeyValuePair<string, TValue>[]? _pairs;
    }
}
