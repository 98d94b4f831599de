using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SyncEngine.Connectors.ShopRenter.Api;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Model;

namespace SyncEngine.Connectors.ShopRenter.Writing;

/// <summary>
/// Stock (<c>stock</c>: StockLevel of the shop's warehouse -> <c>stock1</c>) and normal net price (<c>prices</c>:
/// Product.Prices.Base -> <c>price</c>) of existing products, found by SKU. Products are looked up with
/// <c>GET /products?sku=</c> inside <c>/batch</c> calls (id kept for the connection and stored by the engine as the
/// record's target id), then updated with <c>POST /products/{id}</c> sub-requests, 200 per batch. Only the field that
/// changed is sent; a product the lookup shows already holding the value is not written again.
/// </summary>
internal sealed partial class ProductUpdateTarget(ShopRenterConnector connector, bool stock, ILogger logger) : IRecordTarget
{
    private sealed record Change(WriteItem Item, string Sku, string Field, decimal Value)
    {
        public string? ProductId { get; set; }

        /// <summary>Only the gross price is known: the net one follows from the shop product's tax class, so it is always looked up.</summary>
        public bool FromGross { get; init; }

        public decimal Net { get; set; }
    }

    public async Task<WriteResult> WriteAsync(IReadOnlyList<WriteItem> batch, CancellationToken cancellationToken)
    {
        var outcomes = new Dictionary<string, RecordOutcome>(StringComparer.Ordinal);
        var changes = new List<Change>();
        foreach (var item in batch)
        {
            var (change, refused) = stock ? Stock(item) : Price(item);
            if (refused is not null) outcomes[item.Key] = refused;
            else changes.Add(change!);
        }

        var lookups = connector.Lookups;
        foreach (var change in changes)
        {
            // The id the engine stored for this record on an earlier run, else one this connection looked up before.
            change.Net = change.Value;
            if (!change.FromGross) change.ProductId = change.Item.TargetId ?? (lookups.ProductIds.TryGetValue(change.Sku, out var known) ? known : null);
        }

        await ResolveAsync(changes.Where(c => c.ProductId is null).ToList(), outcomes, cancellationToken);
        var stale = await UpdateAsync(changes.Where(c => c.ProductId is not null && !outcomes.ContainsKey(c.Item.Key)).ToList(), outcomes, cancellationToken);
        if (stale.Count > 0)
        {
            // Ids from an earlier run whose product is gone (deleted, or recreated under a new id): looked up once more.
            foreach (var change in stale)
            {
                lookups.ProductIds.TryRemove(change.Sku, out _);
                change.ProductId = null;
            }
            await ResolveAsync(stale, outcomes, cancellationToken);
            var gone = await UpdateAsync(stale.Where(c => c.ProductId is not null && !outcomes.ContainsKey(c.Item.Key)).ToList(), outcomes, cancellationToken);
            foreach (var change in gone)
                outcomes[change.Item.Key] = RecordOutcome.Failed(change.Item.Key, $"SKU '{change.Sku}': the shop answered 404 for product {change.ProductId} twice");
        }
        LogWritten(connector.Name, stock ? "stock" : "prices", outcomes.Values.Count(o => o.Kind == OutcomeKind.Written),
            outcomes.Values.Count(o => o.Kind == OutcomeKind.Skipped), outcomes.Values.Count(o => o.Kind == OutcomeKind.Failed));
        return new WriteResult(batch.Select(i => outcomes.GetValueOrDefault(i.Key) ?? RecordOutcome.Failed(i.Key, "no outcome")).ToList());
    }

    private (Change?, RecordOutcome?) Stock(WriteItem item)
    {
        if (item.Record is not StockLevel level) return (null, RecordOutcome.Failed(item.Key, $"the stock stream takes StockLevel records, not {item.Record.GetType().Name}"));
        var warehouse = connector.Options.Warehouse;
        if (!string.Equals(level.Warehouse, warehouse, StringComparison.OrdinalIgnoreCase))
            return (null, RecordOutcome.Skipped(item.Key, item.TargetId, $"warehouse '{level.Warehouse}' is not this shop's warehouse '{warehouse}'"));
        if (string.IsNullOrWhiteSpace(level.Sku)) return (null, RecordOutcome.Failed(item.Key, "the stock level has no SKU"));
        // What the shop can sell: on hand less reserved, whole units, never below zero.
        var available = Math.Max(0, Math.Floor(level.Quantity - level.Reserved));
        return (new Change(item, level.Sku.Trim(), connector.Options.StockField, available), null);
    }

    private (Change?, RecordOutcome?) Price(WriteItem item)
    {
        if (item.Record is not Product product) return (null, RecordOutcome.Failed(item.Key, $"the prices stream takes Product records, not {item.Record.GetType().Name}"));
        if (string.IsNullOrWhiteSpace(product.Sku)) return (null, RecordOutcome.Failed(item.Key, "the product has no SKU"));
        var net = product.Prices.Base;
        var fromGross = false;
        if (net is null && product.Prices.BaseGross is { } gross)
        {
            // The API takes the net price; a gross one is divided by the rate given, else by the shop product's tax class rate.
            if (product.TaxRate is { } rate) net = Math.Round(gross / (1 + rate / 100), 4);
            else (net, fromGross) = (gross, true);
        }
        if (net is null)
            return (null, RecordOutcome.Failed(item.Key, $"SKU '{product.Sku}': no normal price (Prices.Base, net; or Prices.BaseGross)"));
        if (net < 0) return (null, RecordOutcome.Failed(item.Key, $"SKU '{product.Sku}': price {net} is negative"));
        return (new Change(item, product.Sku.Trim(), "price", net.Value) { FromGross = fromGross }, null);
    }

    /// <summary>Finds product ids by SKU, 200 look-ups per batch; a SKU the shop does not have fails its record.</summary>
    private async Task ResolveAsync(List<Change> changes, Dictionary<string, RecordOutcome> outcomes, CancellationToken cancellationToken)
    {
        var skus = changes.Select(c => c.Sku).Distinct(StringComparer.Ordinal).ToList();
        if (skus.Count == 0) return;
        if (changes.Any(c => c.FromGross)) await connector.Lookups.EnsureTaxClassesAsync(cancellationToken);
        var results = await connector.Client.BatchAsync(skus.Select(s => new BatchRequest("GET", $"products?sku={ShopJson.Escape(s)}&full=1&limit=200")).ToList(), cancellationToken);
        var found = new Dictionary<string, (string? Id, JsonElement? Product, string? Error)>(StringComparer.Ordinal);
        for (var i = 0; i < skus.Count; i++)
        {
            var result = results[i];
            if (!result.IsSuccess)
            {
                found[skus[i]] = (null, null, result.Status == 404 ? null : $"looking it up answered HTTP {result.Status}: {result.Message}");
                continue;
            }
            var matches = ShopJson.Items(result.Body?.Prop("items")).Where(p => string.Equals(p.Str("sku"), skus[i], StringComparison.Ordinal)).ToList();
            if (matches.Count > 1)
                found[skus[i]] = (null, null, $"{matches.Count} products in the shop have this SKU");
            else if (matches.Count == 1 && ShopJson.IdOf(matches[0]) is { } id)
            {
                found[skus[i]] = (id, matches[0], null);
                connector.Lookups.ProductIds[skus[i]] = id;
            }
        }
        foreach (var change in changes)
        {
            var (id, product, error) = found.GetValueOrDefault(change.Sku);
            if (id is null)
            {
                outcomes[change.Item.Key] = RecordOutcome.Failed(change.Item.Key, error is null
                    ? $"SKU '{change.Sku}' is not in shop '{connector.Client.Shop}'"
                    : $"SKU '{change.Sku}': {error}");
                continue;
            }
            change.ProductId = id;
            if (change.FromGross)
            {
                var classId = product?.LinkId("taxClass");
                var rate = connector.Lookups.TaxClasses.FirstOrDefault(c => c.Id == classId)?.Rates.FirstOrDefault();
                if (rate is null)
                {
                    outcomes[change.Item.Key] = RecordOutcome.Failed(change.Item.Key, $"SKU '{change.Sku}': only a gross price is given and the shop product's tax class is unknown; give Prices.Base (net) or TaxRate");
                    continue;
                }
                change.Net = Math.Round(change.Value / (1 + rate.Value / 100), 4);
            }
            if (product?.Dec(change.Field, $"product {id}") is { } current && current == change.Net)
                outcomes[change.Item.Key] = RecordOutcome.Skipped(change.Item.Key, id, $"the shop already has {change.Field} = {ShopJson.Number(change.Net)}");
        }
    }

    /// <summary>Sends the updates; returns those whose product id the shop no longer knows (404).</summary>
    private async Task<List<Change>> UpdateAsync(List<Change> changes, Dictionary<string, RecordOutcome> outcomes, CancellationToken cancellationToken)
    {
        var stale = new List<Change>();
        if (changes.Count == 0) return stale;
        var requests = changes.Select(c => new BatchRequest("POST", "products/" + ShopJson.Escape(c.ProductId!), new JsonObject { [c.Field] = Value(c) })).ToList();
        var results = await connector.Client.BatchAsync(requests, cancellationToken);
        for (var i = 0; i < changes.Count; i++)
        {
            var change = changes[i];
            var result = results[i];
            if (result.IsSuccess) outcomes[change.Item.Key] = RecordOutcome.Written(change.Item.Key, change.ProductId);
            else if (result.Status == 404) stale.Add(change);
            else
                outcomes[change.Item.Key] = RecordOutcome.Failed(change.Item.Key,
                    $"SKU '{change.Sku}': shop '{connector.Client.Shop}' refused {change.Field} = {ShopJson.Number(change.Net)} for product {change.ProductId}: HTTP {result.Status}: {result.Message}");
        }
        return stale;
    }

    private static JsonNode Value(Change change) =>
        change.Field == "price"
            ? JsonValue.Create(decimal.Parse(ShopJson.Number(change.Net), CultureInfo.InvariantCulture))
            : JsonValue.Create(decimal.ToInt64(change.Net));

    [LoggerMessage(Level = LogLevel.Information, Message = "ShopRenter {Connection}: {Stream} written {Written}, skipped {Skipped}, failed {Failed}")]
    private partial void LogWritten(string connection, string stream, int written, int skipped, int failed);
}
