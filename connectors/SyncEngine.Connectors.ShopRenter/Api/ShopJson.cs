using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Unicode;
using SyncEngine.Core.Connectors;

namespace SyncEngine.Connectors.ShopRenter.Api;

/// <summary>
/// Tolerant reading of ShopRenter JSON: numbers come as strings or numbers, empty values as <c>""</c>, <c>null</c>,
/// <c>{}</c> or <c>[]</c> (XML artefacts), one-item lists as a bare object, and links as <c>{"href": ...}</c>.
/// </summary>
internal static partial class ShopJson
{
    private static readonly string[] DateFormats = ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF"];
    private static readonly string[] OffsetFormats = ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"];

    /// <summary>The format of the API's date-time filters (<c>updatedAtMin</c>, <c>updatedAfter</c>).</summary>
    public const string FilterFormat = "yyyy-MM-dd'T'HH:mm:ss";

    public static JsonElement? Prop(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : null;

    /// <summary>The value as text; null for missing, null, empty string, <c>{}</c> and <c>[]</c>.</summary>
    public static string? Str(this JsonElement element, string name) => Text(element.Prop(name));

    public static string? Text(JsonElement? value) => value?.ValueKind switch
    {
        JsonValueKind.String => value.Value.GetString() is { Length: > 0 } s ? s : null,
        JsonValueKind.Number => value.Value.GetRawText(),
        JsonValueKind.True => "1",
        JsonValueKind.False => "0",
        _ => null,
    };

    /// <summary>A decimal field; a value that is present but not a number is an error naming field and value.</summary>
    public static decimal? Dec(this JsonElement element, string name, string where)
    {
        var text = element.Str(name);
        if (text is null) return null;
        if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return value;
        throw new RecordException($"{where}: field '{name}': '{text}' is not a number", name, text);
    }

    public static decimal DecOrZero(this JsonElement element, string name, string where) => element.Dec(name, where) ?? 0m;

    /// <summary>A shop time stamp (no offset; shop time) as an instant; zero dates are null.</summary>
    public static DateTimeOffset? Date(this JsonElement element, string name, TimeZoneInfo zone, string where)
    {
        var text = element.Str(name);
        if (text is null || text.StartsWith("0000-00-00", StringComparison.Ordinal) || text.StartsWith("-0001-", StringComparison.Ordinal)) return null;
        var local = ParseLocal(text, zone) ?? throw new RecordException($"{where}: field '{name}': '{text}' is not a date (expected 2019-09-06T15:47:59)", name, text);
        return ToInstant(local, zone);
    }

    /// <summary>
    /// A time stamp as shop time. The API writes none with an offset; one that states it anyway is that instant on the
    /// shop's clock, not the machine's (which DateTime parsing would take it to).
    /// </summary>
    public static DateTime? ParseLocal(string text, TimeZoneInfo zone)
    {
        if (text.EndsWith('Z') || OffsetAtEnd().IsMatch(text))
        {
            return DateTimeOffset.TryParseExact(text, OffsetFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant)
                ? TimeZoneInfo.ConvertTime(instant, zone).DateTime
                : null;
        }
        return DateTime.TryParseExact(text, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value) ? DateTime.SpecifyKind(value, DateTimeKind.Unspecified) : null;
    }

    [GeneratedRegex(@"[+-]\d\d:?\d\d$")]
    private static partial Regex OffsetAtEnd();

    public static DateTimeOffset ToInstant(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        // A time that does not exist (spring forward) is taken an hour later; an ambiguous one (fall back) as the earlier.
        if (zone.IsInvalidTime(local)) local = local.AddHours(1);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    public static string FormatFilter(DateTime local) => local.ToString(FilterFormat, CultureInfo.InvariantCulture);

    /// <summary>The items of a list field: an array, a single object, or nothing.</summary>
    public static IEnumerable<JsonElement> List(this JsonElement element, string name) => Items(element.Prop(name));

    public static IEnumerable<JsonElement> Items(JsonElement? value)
    {
        if (value is not { } v) yield break;
        if (v.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in v.EnumerateArray())
                if (item.ValueKind == JsonValueKind.Object) yield return item;
        }
        else if (v.ValueKind == JsonValueKind.Object && v.EnumerateObject().Any())
        {
            yield return v;
        }
    }

    /// <summary>The id a link or an expanded object points to: its <c>id</c>, else the last segment of its <c>href</c>.</summary>
    public static string? LinkId(this JsonElement element, string name) => element.Prop(name) is { } link ? IdOf(link) : null;

    public static string? IdOf(JsonElement link)
    {
        if (link.ValueKind != JsonValueKind.Object) return null;
        if (link.Str("id") is { } id) return id;
        return link.Str("href") is { } href ? LastSegment(href) : null;
    }

    /// <summary>The last path segment of an href, URL-decoded; the host and path prefix are ignored (legacy and API2 differ).</summary>
    public static string? LastSegment(string href)
    {
        var path = href;
        var query = path.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0) path = path[..query];
        var slash = path.TrimEnd('/').LastIndexOf('/');
        var segment = slash >= 0 ? path[(slash + 1)..] : path;
        return segment.Length == 0 ? null : Uri.UnescapeDataString(segment);
    }

    public static bool IsExpanded(this JsonElement element, string name) =>
        element.Prop(name) is { ValueKind: JsonValueKind.Object } value && value.EnumerateObject().Any(p => p.Name != "href");

    /// <summary>The page envelope's <c>page</c>, <c>limit</c> and <c>pageCount</c>, which come as strings or numbers.</summary>
    public static int? Int(this JsonElement element, string name) =>
        int.TryParse(element.Str(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>An id for a URL path or query: escaped, except the base64 padding '=' which the API writes as it is.</summary>
    public static string Escape(string id) => Uri.EscapeDataString(id).Replace("%3D", "=", StringComparison.Ordinal);

    /// <summary>
    /// Where a value of <paramref name="item"/> is no text: bytes that are not UTF-8 (a shop whose database holds Latin-2
    /// text), or an escaped half of a surrogate pair (<c>\uD83D</c> alone), which well-formed JSON may hold but no string
    /// can be read from. Names the field, the value as far as it reads and what is wrong; null when all of it is text.
    /// </summary>
    public static string? Undecodable(JsonElement item)
    {
        var raw = JsonMarshal.GetRawUtf8Value(item);
        return Utf8.IsValid(raw) && !MayEscapeSurrogate(raw) ? null : FindUndecodable(item, null);
    }

    private static bool MayEscapeSurrogate(ReadOnlySpan<byte> raw) => raw.IndexOf("\\uD"u8) >= 0 || raw.IndexOf("\\ud"u8) >= 0;

    private static string? FindUndecodable(JsonElement element, string? path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var name = JsonMarshal.GetRawUtf8PropertyName(property);
                    if (!Utf8.IsValid(name)) return Describe(path is null ? "a field name" : $"a field name in '{path}'", name);
                    if (FindUndecodable(property.Value, path is null ? property.Name : $"{path}.{property.Name}") is { } found) return found;
                }
                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var value in element.EnumerateArray())
                {
                    if (FindUndecodable(value, $"{path}[{index++}]") is { } found) return found;
                }
                return null;
            case JsonValueKind.String:
                var raw = JsonMarshal.GetRawUtf8Value(element);
                var text = raw[1..^1];
                if (!Utf8.IsValid(text)) return Describe($"field '{path}'", text);
                if (!MayEscapeSurrogate(text)) return null;
                try
                {
                    element.GetString();
                    return null;
                }
                catch (InvalidOperationException)
                {
                    var shown = Encoding.UTF8.GetString(text);
                    if (shown.Length > 60) shown = shown[..57] + "...";
                    return $"field '{path}': '{shown}' holds an escaped half of a character (\\uD800-\\uDFFF without its pair), which is no text";
                }
            default:
                return null;
        }
    }

    private static string Describe(string what, ReadOnlySpan<byte> text)
    {
        var at = 0;
        while (Rune.DecodeFromUtf8(text[at..], out _, out var consumed) == OperationStatus.Done) at += consumed;
        var shown = Encoding.UTF8.GetString(text);
        if (shown.Length > 60) shown = shown[..57] + "...";
        return $"{what}: '{shown}' holds bytes that are not valid UTF-8 (0x{text[at]:X2} at byte {at + 1} of the value)";
    }

    /// <summary>The item's JSON as text for a dead letter; bytes that are not UTF-8 become U+FFFD.</summary>
    public static string RawText(JsonElement item) => Encoding.UTF8.GetString(JsonMarshal.GetRawUtf8Value(item));

    /// <summary>A field as text even where it holds bytes that are not UTF-8 (they become U+FFFD), for naming an item.</summary>
    public static string? LossyStr(this JsonElement element, string name) =>
        element.Prop(name) is { ValueKind: JsonValueKind.String } value && !Utf8.IsValid(JsonMarshal.GetRawUtf8Value(value))
            ? Encoding.UTF8.GetString(JsonMarshal.GetRawUtf8Value(value)[1..^1])
            : element.Str(name);

    public static string Number(decimal value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
