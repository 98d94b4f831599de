using System.Text.Json;
using SyncEngine.Connectors.ShopRenter.Api;

namespace SyncEngine.Connectors.ShopRenter;

/// <summary>One order a webhook names: its number (<c>innerId</c>) and resource id (from <c>innerResourceId</c> "orders/&lt;id&gt;").</summary>
public sealed record WebhookOrder(string? InnerId, string? ResourceId);

/// <summary>What a ShopRenter webhook said: the shop that sent it and the orders it names (none for newsletter events).</summary>
public sealed record WebhookNotice(string? StoreName, IReadOnlyList<WebhookOrder> Orders, bool IsNewsletter);

/// <summary>
/// Reads the JSON ShopRenter sends for <c>order_confirm</c> and <c>order_status_change</c>
/// (<c>{"orders":{"order":[{...}]}}</c>, one order possibly as a bare object) and for the newsletter events
/// (<c>{"newsletter":{"subscriber":[...]}}</c>). ShopRenter does not sign webhooks; treat one as a hint and read the
/// orders through the API.
/// </summary>
public static class ShopRenterWebhook
{
    /// <exception cref="FormatException">The payload is not JSON of a known webhook; the message says what is wrong.</exception>
    public static WebhookNotice Parse(string payload)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"the ShopRenter webhook is not valid JSON: {ex.Message}", ex);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("the ShopRenter webhook is not a JSON object");
            if (root.Prop("newsletter") is not null) return new WebhookNotice(null, [], true);
            if (root.Prop("orders") is not { ValueKind: JsonValueKind.Object } orders)
                throw new FormatException("the ShopRenter webhook has neither 'orders' nor 'newsletter'; expected {\"orders\":{\"order\":[...]}}");
            var list = orders.List("order").ToList();
            if (list.Count == 0) throw new FormatException("the ShopRenter webhook's 'orders' names no 'order'");
            string? store = null;
            var named = new List<WebhookOrder>();
            foreach (var order in list)
            {
                store ??= order.Str("storeName");
                var resource = order.Str("innerResourceId") is { } path ? ShopJson.LastSegment(path) : null;
                var innerId = order.Str("innerId");
                if (innerId is null && resource is null) throw new FormatException("an order of the ShopRenter webhook has neither 'innerId' nor 'innerResourceId'");
                named.Add(new WebhookOrder(innerId, resource));
            }
            return new WebhookNotice(store, named, false);
        }
    }
}
