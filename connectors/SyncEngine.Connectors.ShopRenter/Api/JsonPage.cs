using System.Text;
using System.Text.Json;

namespace SyncEngine.Connectors.ShopRenter.Api;

/// <summary>One page of a list: its items (objects with <c>full=1</c>), whether more follow, and what was wrong with it, if anything.</summary>
internal sealed class JsonPage : IDisposable
{
    /// <summary>How much of a malformed body is kept in its dead letter.</summary>
    private const int MaxRaw = 256 * 1024;

    private readonly List<JsonDocument> _documents = [];

    private JsonPage(int page, DateTimeOffset? serverDate)
    {
        Page = page;
        ServerDate = serverDate;
    }

    public int Page { get; }

    public IReadOnlyList<JsonElement> Items { get; private set; } = [];

    /// <summary>
    /// Items holding text that is not UTF-8, left out of <see cref="Items"/> (their text cannot be read), each with the
    /// field, value and bytes at fault; the sources dead-letter them and read the page's other items.
    /// </summary>
    public IReadOnlyList<(JsonElement Item, string Problem)> Undecodable { get; private set; } = [];

    public bool HasNext { get; private set; }

    /// <summary>The page is past the last one (HTTP 400, 40008 "Page not found").</summary>
    public bool IsPastEnd { get; private set; }

    /// <summary>The server's clock when it answered (the HTTP Date header).</summary>
    public DateTimeOffset? ServerDate { get; }

    /// <summary>Why the page could not be read whole; <see cref="Items"/> then holds the items before the fault.</summary>
    public string? Fault { get; private set; }

    /// <summary>The body of a malformed page, for its dead letter.</summary>
    public string? Raw { get; private set; }

    public static JsonPage PastEnd(int page, DateTimeOffset? serverDate) => new(page, serverDate) { IsPastEnd = true };

    /// <exception cref="JsonException">The body is not valid JSON.</exception>
    public static JsonPage Parse(int page, ApiResponse response)
    {
        var document = JsonDocument.Parse(response.Body);
        var result = new JsonPage(page, response.ServerDate);
        result._documents.Add(document);
        var root = document.RootElement;
        result.Sort(ShopJson.Items(root.Prop("items")));
        var pageCount = root.Int("pageCount");
        var next = root.Prop("next") is { ValueKind: JsonValueKind.Object } link && link.Str("href") is not null;
        result.HasNext = result.Items.Count + result.Undecodable.Count > 0 && next && (pageCount is null || page + 1 < pageCount);
        return result;
    }

    /// <summary>The complete items before the point where the body stops being JSON; a next page is assumed.</summary>
    public static JsonPage Salvage(int page, ApiResponse response, string fault)
    {
        var result = new JsonPage(page, response.ServerDate) { Fault = fault, HasNext = true };
        var text = response.Text;
        result.Raw = text.Length > MaxRaw ? text[..MaxRaw] : text;
        var items = new List<JsonElement>();
        try
        {
            var reader = new Utf8JsonReader(response.Body, new JsonReaderOptions { AllowTrailingCommas = false });
            while (reader.Read())
            {
                if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("items"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartArray) break;
                    while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                    {
                        var start = (int)reader.TokenStartIndex;
                        reader.Skip();
                        var end = (int)reader.BytesConsumed;
                        var document = JsonDocument.Parse(response.Body.AsMemory(start, end - start));
                        result._documents.Add(document);
                        items.Add(document.RootElement);
                    }
                    break;
                }
            }
        }
        catch (JsonException)
        {
            // The fault itself: what was read before it stays.
        }
        result.Sort(items);
        return result;
    }

    private void Sort(IEnumerable<JsonElement> items)
    {
        var good = new List<JsonElement>();
        var bad = new List<(JsonElement, string)>();
        foreach (var item in items)
        {
            if (ShopJson.Undecodable(item) is { } problem) bad.Add((item, problem));
            else good.Add(item);
        }
        Items = good;
        Undecodable = bad;
    }

    public void Dispose()
    {
        foreach (var document in _documents) document.Dispose();
    }

    public override string ToString() => new StringBuilder().Append("page ").Append(Page).Append(": ").Append(Items.Count).Append(" items").ToString();
}
