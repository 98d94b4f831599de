using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SyncEngine.Testing.ShopRenter;

/// <summary>The endpoints: lists with page/limit/full and the documented filters, single resources, product updates.</summary>
public sealed partial class SimulatedShop
{
    private readonly List<JsonObject> _orders = [];

    /// <summary>The next product update is refused with HTTP 400, 40005 and this message.</summary>
    public string? FailNextProductUpdate { get; set; }
    private readonly Dictionary<string, List<JsonObject>> _options = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<JsonObject>> _statusDescriptions = new(StringComparer.Ordinal);
    private readonly List<JsonObject> _products = [];
    private readonly List<JsonObject> _customers = [];
    private readonly List<JsonObject> _paymentModes = [];
    private readonly List<JsonObject> _shippingModes = [];
    private readonly List<JsonObject> _coupons = [];
    private readonly Dictionary<string, List<JsonObject>> _couponDescriptions = new(StringComparer.Ordinal);
    private readonly List<JsonObject> _taxClasses = [];
    private readonly List<JsonObject> _languages = [];
    private readonly List<JsonObject> _countries = [];
    private readonly List<JsonObject> _customerGroups = [];
    private readonly Dictionary<string, List<JsonObject>> _loyaltyUsed = new(StringComparer.Ordinal);

    /// <summary>Answers one request (direct or inside a batch); called under the shop's lock.</summary>
    private SimResponse Route(string method, string path, IReadOnlyDictionary<string, string> query, string? body, bool inBatch)
    {
        var parts = path.Split('/', 2);
        var resource = parts[0];
        var id = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : null;
        if (method == "POST" && resource == "products" && id is not null) return UpdateProduct(id, body, inBatch);
        if (method != "GET") return NotFound(path);
        return (resource, id) switch
        {
            ("orderExtend", null) => OrderList(query),
            ("orderExtend", _) => One(_orders, id, o => o),
            ("orderProductOptions", null) => Page("orderProductOptions", _options.GetValueOrDefault(query.GetValueOrDefault("orderProductId") ?? string.Empty) ?? [], query),
            ("orderStatusDescriptions", null) => Page("orderStatusDescriptions", _statusDescriptions.GetValueOrDefault(query.GetValueOrDefault("orderStatusId") ?? string.Empty) ?? [], query),
            ("orderProductAddons", null) => Page("orderProductAddons",
                (_orders.FirstOrDefault(o => Str(o, "id") == query.GetValueOrDefault("orderId"))?["orderProductAddons"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [], query),
            ("loyaltyPointsUsed", null) => Page("loyaltyPointsUsed", _loyaltyUsed.GetValueOrDefault(query.GetValueOrDefault("orderId") ?? string.Empty) ?? [], query),
            ("shippingModeExtend", null) => Page("shippingModeExtend", _shippingModes, query),
            ("shippingModeExtend" or "shippingModes", _) => One(_shippingModes, id, m => m),
            ("taxClassExtend", null) => Page("taxClassExtend", _taxClasses, query),
            ("languages", null) => Page("languages", _languages, query),
            ("countries", _) => One(_countries, id, c => c),
            ("customerGroups", _) => One(_customerGroups, id, g => g),
            ("customerExtend", null) => Page("customerExtend", Since(_customers, query, "updatedAtMin", "updatedAtMax") ?? [], query),
            ("customerExtend", _) => One(_customers, id, c => c),
            ("productExtend", null) => Page("productExtend", Since(_products, query, "updatedAfter", "updatedBefore")?.Where(p => !query.TryGetValue("sku", out var s) || Str(p, "sku") == s).ToList() ?? [], query),
            ("products", null) => Page("products", _products.Where(p => !query.TryGetValue("sku", out var s) || Str(p, "sku") == s).ToList(), query, ProductShape),
            ("products", _) => One(_products, id, ProductShape),
            ("paymentModes", null) => Page("paymentModes", _paymentModes, query),
            ("coupons", null) => Page("coupons", _coupons.Where(c => !query.TryGetValue("code", out var s) || Str(c, "code") == s).ToList(), query),
            ("couponDescriptions", null) => Page("couponDescriptions", _couponDescriptions.GetValueOrDefault(query.GetValueOrDefault("couponId") ?? string.Empty) ?? [], query),
            _ => NotFound(path),
        };
    }

    private SimResponse OrderList(IReadOnlyDictionary<string, string> query)
    {
        IEnumerable<JsonObject> orders = Since(_orders, query, "updatedAtMin", "updatedAtMax") ?? [];
        if (query.TryGetValue("createdAtMin", out var createdMin)) orders = orders.Where(o => string.CompareOrdinal(Str(o, "dateCreated"), createdMin) >= 0);
        if (query.GetValueOrDefault("excludeAbandonedCart") == "1") orders = orders.Where(o => Str(o, "abandoned") is null);
        if (query.TryGetValue("innerId", out var inner)) orders = orders.Where(o => Str(o, "innerId") == inner);
        var list = orders.OrderBy(o => int.Parse(Str(o, "innerId")!, CultureInfo.InvariantCulture)).ToList();
        var page = Page("orderExtend", list, query, ListShape);
        var broken = list.Select(o => Str(o, "innerId")!).FirstOrDefault(i => _brokenOrders.Contains(i) && page.Text.Contains($"\"innerId\":\"{i}\"", StringComparison.Ordinal));
        if (broken is null || page.Status != 200) return page;
        // Cut off in the middle of the broken order, as a connection that stopped mid-body would leave it.
        var at = page.Text.IndexOf($"\"innerId\":\"{broken}\"", StringComparison.Ordinal);
        return page with { Body = Encoding.UTF8.GetBytes(page.Text[..(at + 8)]) };
    }

    /// <summary>A list item of orderExtend: as in the fixture's get_page, without addons and external info, shipping mode as a link.</summary>
    private static JsonObject ListShape(JsonObject order)
    {
        var item = (JsonObject)order.DeepClone();
        item.Remove("orderProductAddons");
        item.Remove("externalInfo");
        item.Remove("abandoned");
        if (item["shippingMode"] is JsonObject mode && mode["href"] is { } href) item["shippingMode"] = new JsonObject { ["href"] = href.DeepClone() };
        return item;
    }

    /// <summary>A product as <c>/products</c> shows it: the productExtend object without the inline related lists.</summary>
    private JsonObject ProductShape(JsonObject product)
    {
        var item = (JsonObject)product.DeepClone();
        var id = Str(product, "id");
        item["href"] = $"{ApiBase}/products/{id}";
        foreach (var name in new[] { "productAttributeExtend", "productPrices", "productRelatedProductRelations", "productCategoryRelations", "productDescriptions" }) item.Remove(name);
        item["productDescriptions"] = new JsonObject { ["href"] = $"{ApiBase}/productDescriptions?productId={id}" };
        return item;
    }

    private static List<JsonObject>? Since(List<JsonObject> items, IReadOnlyDictionary<string, string> query, string min, string max)
    {
        IEnumerable<JsonObject> result = items;
        foreach (var (name, isMin) in new[] { (min, true), (max, false) })
        {
            if (!query.TryGetValue(name, out var value)) continue;
            if (!Regex.IsMatch(value, @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")) return null;
            result = result.Where(o => isMin ? string.CompareOrdinal(Str(o, "dateUpdated"), value) >= 0 : string.CompareOrdinal(Str(o, "dateUpdated"), value) <= 0);
        }
        return result.ToList();
    }

    private SimResponse Page(string resource, List<JsonObject>? items, IReadOnlyDictionary<string, string> query, Func<JsonObject, JsonObject>? shape = null)
    {
        if (items is null)
        {
            var bad = query.FirstOrDefault(q => q.Key.StartsWith("updated", StringComparison.Ordinal));
            return SimResponse.Json(400, new JsonObject { ["error"] = 40009, ["message"] = $"The given datetime parameter: {bad.Key} is invalid! Valid datetime format is 1990-01-01T00:00:00" });
        }
        var limit = int.TryParse(query.GetValueOrDefault("limit"), CultureInfo.InvariantCulture, out var l) ? l : 25;
        var page = int.TryParse(query.GetValueOrDefault("page"), CultureInfo.InvariantCulture, out var p) ? p : 0;
        if (limit is < 1 or > 200) return SimResponse.Json(400, new JsonObject { ["error"] = 40005, ["message"] = "The given data is wrong! limit must be between 1 and 200" });
        var pageCount = (items.Count + limit - 1) / limit;
        if (page < 0 || page >= Math.Max(1, pageCount))
            return SimResponse.Json(400, new JsonObject { ["error"] = 40008, ["message"] = $"Page not found! This Resource minimum page is 0 and maximum page is {Math.Max(0, pageCount - 1)}" });
        var full = query.GetValueOrDefault("full") == "1";
        var filter = string.Join("&", query.Where(q => q.Key is not ("page" or "limit" or "full")).Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value)}"));
        string Href(int n) => $"{ApiBase}/{resource}?{(full ? "full=1&" : string.Empty)}{(filter.Length > 0 ? filter + "&" : string.Empty)}page={n}&limit={limit}";
        JsonObject? Link(int n) => n < 0 || n >= pageCount ? null : new JsonObject { ["href"] = Href(n) };
        var array = new JsonArray();
        foreach (var item in items.Skip(page * limit).Take(limit))
        {
            var shaped = shape is null ? (JsonObject)item.DeepClone() : shape(item);
            array.Add(full ? shaped : new JsonObject { ["href"] = shaped["href"]?.DeepClone() });
        }
        return SimResponse.Json(200, new JsonObject
        {
            ["href"] = Href(page),
            ["page"] = page,
            ["pageCount"] = pageCount,
            ["limit"] = limit,
            ["first"] = new JsonObject { ["href"] = Href(0) },
            ["previous"] = Link(page - 1),
            ["next"] = Link(page + 1),
            ["last"] = new JsonObject { ["href"] = Href(Math.Max(0, pageCount - 1)) },
            ["items"] = array,
        });
    }

    private SimResponse One(List<JsonObject> items, string? id, Func<JsonObject, JsonObject> shape) =>
        items.FirstOrDefault(i => Str(i, "id") == id) is { } item ? SimResponse.Json(200, shape(item)) : NotFound(id ?? string.Empty);

    private SimResponse UpdateProduct(string id, string? body, bool inBatch)
    {
        var product = _products.FirstOrDefault(p => Str(p, "id") == id);
        if (product is null) return SimResponse.Json(404, new JsonObject { ["error"] = 40007, ["message"] = $"The given resource id is wrong: {id}!" });
        JsonObject? data;
        try
        {
            var root = body is null ? null : JsonNode.Parse(body) as JsonObject;
            // Direct calls wrap the fields in "data"; batch sub-requests send them as they are. Both are accepted.
            data = !inBatch && root?["data"] is JsonObject wrapped ? wrapped : root;
        }
        catch (System.Text.Json.JsonException)
        {
            data = null;
        }
        if (data is null || data.Count == 0) return SimResponse.Json(400, new JsonObject { ["error"] = 40001, ["message"] = "Data parameter not found in POST/PUT!" });
        if (FailNextProductUpdate is { } refusal)
        {
            FailNextProductUpdate = null;
            return SimResponse.Json(400, new JsonObject { ["error"] = 40005, ["message"] = refusal });
        }
        foreach (var (field, value) in data)
        {
            var text = value?.ToString();
            var valid = field switch
            {
                "stock1" or "stock2" or "stock3" or "stock4" => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
                "price" => decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var price) && price >= 0,
                "id" or "innerId" or "href" => false,
                _ => true,
            };
            if (!valid) return SimResponse.Json(400, new JsonObject { ["error"] = 40005, ["message"] = $"The given data is wrong! {field}: {text}" });
        }
        foreach (var (field, value) in data)
        {
            product[field] = field == "price"
                ? decimal.Parse(value!.ToString(), CultureInfo.InvariantCulture).ToString("0.0000", CultureInfo.InvariantCulture)
                : value?.ToString();
        }
        product["dateUpdated"] = Stamp(Now);
        _updates.Add(new ProductUpdate(id, Str(product, "sku"), data.ToJsonString(JsonOptions), inBatch));
        return SimResponse.Json(200, ProductShape(product));
    }

    private static SimResponse NotFound(string what) =>
        SimResponse.Json(404, new JsonObject { ["error"] = 40401, ["message"] = $"Resource not found! {what}" });

    public static string? Str(JsonObject item, string name) => item[name] is JsonValue value ? value.ToString() : null;
}
