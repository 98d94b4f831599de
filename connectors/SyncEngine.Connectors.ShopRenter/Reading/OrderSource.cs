using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SyncEngine.Connectors.ShopRenter.Api;
using SyncEngine.Core.Connectors;

namespace SyncEngine.Connectors.ShopRenter.Reading;

/// <summary>
/// Orders through <c>orderExtend?full=1</c>, incrementally by <c>updatedAtMin</c>, abandoned carts left out. Per page
/// one <c>/batch</c> fetches what the page only links to: status names and shipping modes not yet known, the options of
/// every line, the add-ons (deposit fees) of every order, loyalty points where the order used some, and a product's tax
/// class where its rate is ambiguous.
/// </summary>
internal sealed partial class OrderSource(ShopRenterConnector connector, ILogger logger) : IRecordSource
{
    private readonly OrderMapper _mapper = new(connector.Options, connector.Zone, connector.Lookups);

    public async IAsyncEnumerable<SourceRecord> ReadAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var before = connector.Client.Stats.Requests;
        var count = 0;
        await foreach (var record in connector.Reader.ReadAsync("orderExtend", "updatedAtMin", [new("full", "1"), new("excludeAbandonedCart", "1")],
            cursor, connector.Options.OrdersSince, BuildAsync, cancellationToken))
        {
            count++;
            yield return record;
        }
        LogRead(connector.Name, count, connector.Client.Stats.Requests - before);
    }

    private async Task<PageRecords> BuildAsync(JsonPage page, CancellationToken cancellationToken)
    {
        await connector.Lookups.EnsureTaxClassesAsync(cancellationToken);
        var extras = await FetchExtrasAsync(page.Items, cancellationToken);
        var records = new List<SourceRecord>(page.Items.Count);
        DateTime? latest = null;
        for (var i = 0; i < page.Items.Count; i++)
        {
            var item = page.Items[i];
            var key = item.Str("innerId") ?? $"orderExtend page {page.Page} item {i + 1}";
            if (item.Str("dateUpdated") is { } text && ShopJson.ParseLocal(text, connector.Zone) is { } updated && (latest is null || updated > latest)) latest = updated;
            try
            {
                records.Add(SourceRecord.Ok(_mapper.Map(item, extras), null));
            }
            catch (RecordException ex)
            {
                records.Add(SourceRecord.Unreadable(key, item.GetRawText(), ex.Message, null));
            }
        }
        foreach (var (item, problem) in page.Undecodable)
        {
            var key = item.LossyStr("innerId") ?? $"orderExtend page {page.Page}, an order without innerId";
            if (item.LossyStr("dateUpdated") is { } text && ShopJson.ParseLocal(text, connector.Zone) is { } updated && (latest is null || updated > latest)) latest = updated;
            records.Add(SourceRecord.Unreadable(key, ShopJson.RawText(item), $"order {key}: {problem}", null));
        }
        return new PageRecords(records, latest);
    }

    private async Task<OrderExtras> FetchExtrasAsync(IReadOnlyList<JsonElement> orders, CancellationToken cancellationToken)
    {
        var extras = new OrderExtras();
        var lookups = connector.Lookups;
        var work = new List<(BatchRequest Request, Action<BatchResult> Apply)>();
        var limit = "&full=1&limit=200";

        foreach (var statusId in orders.Select(o => o.LinkId("orderStatus")).OfType<string>().Distinct().Where(id => !lookups.StatusNames.ContainsKey(id)))
        {
            work.Add((new BatchRequest("GET", $"orderStatusDescriptions?orderStatusId={ShopJson.Escape(statusId)}{limit}"), result =>
            {
                if (!result.IsSuccess) return;
                lookups.StatusNames[statusId] = ShopJson.Items(result.Body?.Prop("items"))
                    .Where(d => d.Str("name") is not null)
                    .Select(d => (d.LinkId("language"), d.Str("name")!))
                    .ToList();
            }));
        }
        foreach (var modeId in orders.Where(o => !o.IsExpanded("shippingMode")).Select(o => o.LinkId("shippingMode")).OfType<string>().Distinct()
            .Where(id => !lookups.ShippingModes.ContainsKey(id)))
        {
            work.Add((new BatchRequest("GET", $"shippingModeExtend/{ShopJson.Escape(modeId)}"), result =>
                lookups.ShippingModes[modeId] = result.IsSuccess && result.Body is { } body ? new ShippingMode(body.Str("innerId"), body.Str("extension")) : new ShippingMode(null, null)));
        }
        var ambiguous = new HashSet<string>(StringComparer.Ordinal);
        foreach (var order in orders)
        {
            foreach (var line in order.List("orderProducts"))
            {
                var lineId = line.Str("id");
                if (connector.Options.ReadLineOptions && lineId is not null)
                {
                    work.Add((new BatchRequest("GET", $"orderProductOptions?orderProductId={ShopJson.Escape(lineId)}{limit}"), result =>
                    {
                        if (result.IsSuccess) extras.Options[lineId] = Options(result.Body);
                        else if (result.Status == 404) extras.Options[lineId] = new Dictionary<string, string>(0);
                        else extras.OptionErrors[lineId] = $"HTTP {result.Status}: {result.Message}";
                    }));
                }
                var productId = line.LinkId("product");
                if (productId is not null && line.Dec("taxRate", "line") is { } rate && lookups.ClassesWithRate(rate).Count > 1 && !lookups.ProductTaxClasses.ContainsKey(productId))
                    ambiguous.Add(productId);
            }
            var orderId = order.Str("id");
            if (connector.Options.ReadAddons && orderId is not null)
            {
                work.Add((new BatchRequest("GET", $"orderProductAddons?orderId={ShopJson.Escape(orderId)}{limit}"), result =>
                {
                    if (result.IsSuccess) extras.Addons[orderId] = ShopJson.Items(result.Body?.Prop("items")).ToList();
                    else if (result.Status != 404) throw new ShopRenterException($"ShopRenter shop '{connector.Client.Shop}': the add-ons of order {order.Str("innerId")} could not be read: HTTP {result.Status}: {result.Message}", result.Status);
                }));
            }
            if (orderId is not null && order.List("orderTotals").Any(t => string.Equals(t.Str("type"), "LOYALTYPOINTS_TO_USE", StringComparison.OrdinalIgnoreCase)))
            {
                work.Add((new BatchRequest("GET", $"loyaltyPointsUsed?orderId={ShopJson.Escape(orderId)}{limit}"), result =>
                {
                    if (result.IsSuccess)
                        extras.LoyaltyPoints[orderId] = ShopJson.Items(result.Body?.Prop("items")).Sum(p => p.Dec("value", "loyalty points") ?? 0);
                }));
            }
        }
        foreach (var productId in ambiguous)
        {
            work.Add((new BatchRequest("GET", $"products/{ShopJson.Escape(productId)}"), result =>
                lookups.ProductTaxClasses[productId] = result.IsSuccess ? result.Body?.LinkId("taxClass") : null));
        }
        if (work.Count == 0) return extras;

        var results = await connector.Client.BatchAsync(work.Select(w => w.Request).ToList(), cancellationToken);
        for (var i = 0; i < work.Count; i++)
        {
            if (results[i].Status is 401 or 403)
                throw new ShopRenterException($"ShopRenter shop '{connector.Client.Shop}': {work[i].Request.Relative.Split('?')[0]} refused (HTTP {results[i].Status}: {results[i].Message}); does the API client have the scope?", results[i].Status);
            work[i].Apply(results[i]);
        }
        return extras;
    }

    private static IReadOnlyDictionary<string, string> Options(JsonElement? body)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var option in ShopJson.Items(body?.Prop("items")))
        {
            var name = option.Str("name");
            if (name is null) continue;
            var key = name;
            for (var n = 2; options.ContainsKey(key); n++) key = string.Create(CultureInfo.InvariantCulture, $"{name} ({n})");
            options[key] = option.Str("valueName") ?? string.Empty;
        }
        return options;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "ShopRenter {Connection}: read {Orders} orders with {Requests} API requests")]
    private partial void LogRead(string connection, int orders, long requests);
}
