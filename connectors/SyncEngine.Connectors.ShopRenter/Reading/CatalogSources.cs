using System.Runtime.CompilerServices;
using System.Text.Json;
using SyncEngine.Connectors.ShopRenter.Api;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Model;

namespace SyncEngine.Connectors.ShopRenter.Reading;

/// <summary>Registered customers through <c>customerExtend?full=1</c> (addresses inline), incrementally by <c>updatedAtMin</c>.</summary>
internal sealed class CustomerSource(ShopRenterConnector connector) : IRecordSource
{
    public IAsyncEnumerable<SourceRecord> ReadAsync(string? cursor, CancellationToken cancellationToken) =>
        connector.Reader.ReadAsync("customerExtend", "updatedAtMin", [new("full", "1")], cursor, null, BuildAsync, cancellationToken);

    private async Task<PageRecords> BuildAsync(JsonPage page, CancellationToken cancellationToken)
    {
        var lookups = connector.Lookups;
        var countries = page.Items.SelectMany(c => c.List("addresses")).Select(a => a.LinkId("country")).OfType<string>().Distinct().Where(id => !lookups.Countries.ContainsKey(id)).ToList();
        var groups = page.Items.Select(c => c.LinkId("customerGroup")).OfType<string>().Distinct().Where(id => !lookups.CustomerGroups.ContainsKey(id)).ToList();
        var requests = countries.Select(id => new BatchRequest("GET", "countries/" + ShopJson.Escape(id)))
            .Concat(groups.Select(id => new BatchRequest("GET", "customerGroups/" + ShopJson.Escape(id)))).ToList();
        if (requests.Count > 0)
        {
            var results = await connector.Client.BatchAsync(requests, cancellationToken);
            for (var i = 0; i < countries.Count; i++) lookups.Countries[countries[i]] = results[i].IsSuccess ? results[i].Body?.Str("isoCode2") : null;
            for (var i = 0; i < groups.Count; i++) lookups.CustomerGroups[groups[i]] = results[countries.Count + i].IsSuccess ? results[countries.Count + i].Body?.Str("name") : null;
        }

        var records = new List<SourceRecord>();
        DateTime? latest = null;
        foreach (var item in page.Items)
        {
            var key = item.Str("id") ?? item.Str("innerId") ?? "customer without id";
            if (item.Str("dateUpdated") is { } text && ShopJson.ParseLocal(text, connector.Zone) is { } updated && (latest is null || updated > latest)) latest = updated;
            try
            {
                records.Add(SourceRecord.Ok(Map(item), null));
            }
            catch (RecordException ex)
            {
                records.Add(SourceRecord.Unreadable(key, item.GetRawText(), ex.Message, null));
            }
        }
        foreach (var (item, problem) in page.Undecodable)
        {
            var key = item.LossyStr("id") ?? item.LossyStr("innerId") ?? "customer without id";
            records.Add(SourceRecord.Unreadable(key, ShopJson.RawText(item), $"customer {item.LossyStr("innerId") ?? key}: {problem}", null));
        }
        return new PageRecords(records, latest);
    }

    private Customer Map(JsonElement c)
    {
        var id = c.Str("id") ?? throw new RecordException("a customer has no id", "id");
        var where = $"customer {c.Str("innerId") ?? id}";
        var addresses = c.List("addresses").ToList();
        var defaultId = c.LinkId("defaultAddress");
        var main = addresses.FirstOrDefault(a => a.Str("id") == defaultId);
        if (main.ValueKind != JsonValueKind.Object) main = addresses.FirstOrDefault();
        var other = addresses.FirstOrDefault(a => a.ValueKind == JsonValueKind.Object && a.Str("id") != (main.ValueKind == JsonValueKind.Object ? main.Str("id") : null));
        var mapper = new OrderMapper(connector.Options, connector.Zone, connector.Lookups);
        var (given, family) = mapper.Names(c.Str("firstname"), c.Str("lastname"));
        var groupId = c.LinkId("customerGroup");
        var attributes = new Dictionary<string, string?>(StringComparer.Ordinal) { ["id"] = id };
        foreach (var name in new[] { "innerId", "newsletter", "status", "approved", "freeShipping" })
        {
            if (c.Str(name) is { } value) attributes[name] = value;
        }
        if (groupId is not null) attributes["customerGroupId"] = groupId;
        return new Customer
        {
            Id = id,
            IsGuest = false,
            Email = c.Str("email"),
            FirstName = given,
            LastName = family,
            Company = main.ValueKind == JsonValueKind.Object ? main.Str("company") : null,
            Phone = c.Str("telephone"),
            VatId = main.ValueKind == JsonValueKind.Object && main.Str("taxNumber") is { } vat && vat != "0" ? vat : null,
            CustomerGroup = groupId is not null && connector.Lookups.CustomerGroups.TryGetValue(groupId, out var group) ? group ?? groupId : groupId,
            BillingAddress = main.ValueKind == JsonValueKind.Object ? Address(main, mapper, c) : null,
            ShippingAddress = other.ValueKind == JsonValueKind.Object ? Address(other, mapper, c) : null,
            CreatedAt = c.Date("dateCreated", connector.Zone, where),
            UpdatedAt = c.Date("dateUpdated", connector.Zone, where),
            Attributes = attributes,
        };
    }

    private Address Address(JsonElement a, OrderMapper mapper, JsonElement customer)
    {
        var (given, family) = mapper.Names(a.Str("firstname"), a.Str("lastname"));
        var country = a.LinkId("country");
        return new Address
        {
            Company = a.Str("company"),
            FirstName = given,
            LastName = family,
            Street = a.Str("address1"),
            Street2 = a.Str("address2"),
            PostalCode = a.Str("postcode"),
            City = a.Str("city"),
            CountryCode = country is not null && connector.Lookups.Countries.TryGetValue(country, out var iso) ? iso : null,
            Phone = a.Str("telephone") ?? customer.Str("telephone"),
            Email = customer.Str("email"),
            VatId = a.Str("taxNumber") is { } vat && vat != "0" ? vat : null,
        };
    }
}

/// <summary>Products through <c>productExtend?full=1</c>, incrementally by <c>updatedAfter</c>, keyed by SKU.</summary>
internal sealed class ProductSource(ShopRenterConnector connector) : IRecordSource
{
    private static readonly string[] StockFields = ["stock1", "stock2", "stock3", "stock4"];

    public IAsyncEnumerable<SourceRecord> ReadAsync(string? cursor, CancellationToken cancellationToken) =>
        connector.Reader.ReadAsync("productExtend", "updatedAfter", [new("full", "1")], cursor, null, BuildAsync, cancellationToken);

    private async Task<PageRecords> BuildAsync(JsonPage page, CancellationToken cancellationToken)
    {
        await connector.Lookups.EnsureTaxClassesAsync(cancellationToken);
        var languages = await connector.Lookups.LanguagesAsync(cancellationToken);
        var records = new List<SourceRecord>();
        DateTime? latest = null;
        foreach (var item in page.Items)
        {
            if (item.Str("dateUpdated") is { } text && ShopJson.ParseLocal(text, connector.Zone) is { } updated && (latest is null || updated > latest)) latest = updated;
            var key = item.Str("sku") ?? "product " + (item.Str("innerId") ?? item.Str("id"));
            try
            {
                records.Add(SourceRecord.Ok(Map(item, languages), null));
            }
            catch (RecordException ex)
            {
                records.Add(SourceRecord.Unreadable(key, item.GetRawText(), ex.Message, null));
            }
        }
        foreach (var (item, problem) in page.Undecodable)
        {
            var key = item.LossyStr("sku") ?? "product " + (item.LossyStr("innerId") ?? item.LossyStr("id"));
            records.Add(SourceRecord.Unreadable(key, ShopJson.RawText(item), $"product {item.LossyStr("innerId") ?? item.LossyStr("id")}: {problem}", null));
        }
        return new PageRecords(records, latest);
    }

    private Product Map(JsonElement p, IReadOnlyDictionary<string, string> languages)
    {
        var where = $"product {p.Str("innerId") ?? p.Str("id")}";
        var sku = p.Str("sku") ?? throw new RecordException($"{where}: field 'sku' is empty; products are matched by SKU", "sku");
        var descriptions = p.List("productDescriptions").ToList();
        var main = ShopLookups.InLanguage(descriptions, languages, connector.Options.Language);
        var taxClassId = p.LinkId("taxClass");
        var prices = p.List("productPrices").ToList();
        var normal = prices.FirstOrDefault(x => x.Prop("customerGroup")?.Str("default") == "true" || x.Prop("customerGroup")?.Str("default") == "1");
        var attributes = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in new[] { "id", "innerId", "modelNumber", "orderable", "subtractStock", "multiplier", "quantity" })
        {
            if (p.Str(name) is { } value) attributes[name] = value;
        }
        if (p.LinkId("parentProduct") is { } parent && parent != p.Str("id")) attributes["parentProductId"] = parent;
        return new Product
        {
            Id = sku,
            Sku = sku,
            Ean = p.Str("gtin"),
            Name = main?.Str("name"),
            ShortDescription = main?.Str("shortDescription"),
            Description = main?.Str("description"),
            Unit = main?.Str("measurementUnit"),
            Manufacturer = p.IsExpanded("manufacturer") ? p.Prop("manufacturer")!.Value.Str("name") : null,
            Weight = p.Dec("weight", where) is { } weight && weight != 0 ? weight : null,
            Active = p.Str("status") == "1",
            TaxClass = connector.Lookups.TaxClassName(taxClassId),
            TaxRate = connector.Lookups.TaxClasses.FirstOrDefault(c => c.Id == taxClassId)?.Rates.FirstOrDefault(),
            Translations = descriptions
                .Select(d => (Code: d.LinkId("language") is { } id && languages.TryGetValue(id, out var code) ? code : null, Description: d))
                .Where(d => d.Code is not null)
                .Select(d => new ProductTranslation
                {
                    Language = d.Code!,
                    Name = d.Description.Str("name"),
                    ShortDescription = d.Description.Str("shortDescription"),
                    Description = d.Description.Str("description"),
                    MetaDescription = d.Description.Str("metaDescription"),
                })
                .ToList(),
            Prices = new ProductPrices
            {
                Currency = normal.ValueKind == JsonValueKind.Object ? normal.Str("currencyCode") : null,
                Base = p.Dec("price", where),
                BaseGross = normal.ValueKind == JsonValueKind.Object ? normal.Dec("gross", where) : null,
                PriceGroups = prices.Where(x => x.Prop("customerGroup")?.Str("innerId") is not null && x.Dec("net", where) is not null)
                    .Select(x => new GroupPrice(x.Prop("customerGroup")!.Value.Str("innerId")!, x.Dec("net", where)!.Value)).ToList(),
            },
            Stock = StockFields.Select(f => new WarehouseStock(f, p.DecOrZero(f, where))).ToList(),
            UpdatedAt = p.Date("dateUpdated", connector.Zone, where),
            Attributes = attributes,
        };
    }
}

/// <summary>
/// Payment modes, shipping modes and coupons: short lists read whole on every run (the API has no update filter for
/// them), as <see cref="Product"/> records, since the canonical model has no type of its own for them. The engine's
/// checksums pass on only what changed.
/// </summary>
internal sealed class ReferenceSource(ShopRenterConnector connector, string stream) : IRecordSource
{
    public async IAsyncEnumerable<SourceRecord> ReadAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var resource = stream switch
        {
            ShopRenterConnector.PaymentMethods => "paymentModes",
            ShopRenterConnector.ShippingMethods => "shippingModeExtend",
            _ => "coupons",
        };
        var languages = await connector.Lookups.LanguagesAsync(cancellationToken);
        if (stream == ShopRenterConnector.ShippingMethods) await connector.Lookups.EnsureTaxClassesAsync(cancellationToken);
        for (var page = 0; ; page++)
        {
            List<SourceRecord> records;
            bool hasNext;
            using (var result = await connector.Client.GetPageAsync(resource, [new("full", "1"), new("limit", "200")], page, cancellationToken))
            {
                if (result.IsPastEnd) yield break;
                var descriptions = stream == ShopRenterConnector.Coupons ? await CouponDescriptionsAsync(result.Items, cancellationToken) : null;
                records = [];
                foreach (var item in result.Items)
                {
                    var key = item.Str("code") ?? item.Str("innerId") ?? item.Str("id") ?? "?";
                    try
                    {
                        records.Add(SourceRecord.Ok(stream switch
                        {
                            ShopRenterConnector.PaymentMethods => Payment(item, languages),
                            ShopRenterConnector.ShippingMethods => Shipping(item, languages),
                            _ => Coupon(item, languages, descriptions!),
                        }, null));
                    }
                    catch (RecordException ex)
                    {
                        records.Add(SourceRecord.Unreadable(key, item.GetRawText(), ex.Message, null));
                    }
                }
                foreach (var (item, problem) in result.Undecodable)
                {
                    var key = item.LossyStr("code") ?? item.LossyStr("innerId") ?? item.LossyStr("id") ?? "?";
                    records.Add(SourceRecord.Unreadable(key, ShopJson.RawText(item), $"{resource} {key}: {problem}", null));
                }
                if (result.Fault is not null) records.Add(SourceRecord.Unreadable($"{resource} page {page}", result.Raw, result.Fault, null));
                hasNext = result.HasNext;
            }
            foreach (var record in records) yield return record;
            if (!hasNext) yield break;
        }
    }

    private async Task<Dictionary<string, List<JsonElement>>> CouponDescriptionsAsync(IReadOnlyList<JsonElement> coupons, CancellationToken cancellationToken)
    {
        var ids = coupons.Select(c => c.Str("id")).OfType<string>().ToList();
        var map = new Dictionary<string, List<JsonElement>>(StringComparer.Ordinal);
        if (ids.Count == 0) return map;
        var results = await connector.Client.BatchAsync(ids.Select(id => new BatchRequest("GET", $"couponDescriptions?couponId={ShopJson.Escape(id)}&full=1&limit=200")).ToList(), cancellationToken);
        for (var i = 0; i < ids.Count; i++) map[ids[i]] = results[i].IsSuccess ? ShopJson.Items(results[i].Body?.Prop("items")).ToList() : [];
        return map;
    }

    private static Product Payment(JsonElement m, IReadOnlyDictionary<string, string> languages, string language)
    {
        var innerId = m.Str("innerId") ?? m.Str("id") ?? throw new RecordException("a payment mode has no id", "innerId");
        var descriptions = m.List("paymentDescription").Concat(m.List("paymentDescriptions"));
        var name = ShopLookups.InLanguage(descriptions, languages, language)?.Str("name");
        return new Product
        {
            Id = innerId,
            Sku = m.Str("code") ?? innerId,
            Name = name,
            Active = m.Str("status") == "1",
            Attributes = Bag(m, "id", "innerId", "code", "sortOrder", "status"),
        };
    }

    private Product Payment(JsonElement m, IReadOnlyDictionary<string, string> languages) => Payment(m, languages, connector.Options.Language);

    private Product Shipping(JsonElement m, IReadOnlyDictionary<string, string> languages)
    {
        var innerId = m.Str("innerId") ?? m.Str("id") ?? throw new RecordException("a shipping mode has no id", "innerId");
        var name = ShopLookups.InLanguage(m.List("shippingModeDescriptions"), languages, connector.Options.Language)?.Str("name");
        var lane = m.List("shippingLanes").FirstOrDefault();
        var attributes = Bag(m, "id", "innerId", "extension", "shippingType", "costCalculationBy", "freeShippingFrom", "sortOrder", "enabled");
        var taxClass = connector.Lookups.TaxClasses.FirstOrDefault(c => c.Id == m.LinkId("taxClass"));
        return new Product
        {
            // The order's Shipping.Code is this innerId, so orders and methods match.
            Id = innerId,
            Sku = innerId,
            Name = name,
            Active = m.Str("enabled") == "1",
            TaxClass = taxClass?.Name,
            TaxRate = taxClass?.Rates.FirstOrDefault(),
            Prices = new ProductPrices { Base = lane.ValueKind == JsonValueKind.Object ? lane.Dec("costNet", $"shipping mode {innerId}") : null },
            Attributes = attributes,
        };
    }

    private Product Coupon(JsonElement c, IReadOnlyDictionary<string, string> languages, Dictionary<string, List<JsonElement>> descriptions)
    {
        var code = c.Str("code") ?? throw new RecordException($"coupon {c.Str("id")}: field 'code' is empty", "code");
        var name = c.Str("id") is { } id && descriptions.TryGetValue(id, out var list) ? ShopLookups.InLanguage(list, languages, connector.Options.Language)?.Str("name") : null;
        var taxClass = connector.Lookups.TaxClasses.FirstOrDefault(t => t.Id == c.LinkId("taxClass"));
        return new Product
        {
            Id = code,
            Sku = code,
            Name = name ?? code,
            Active = c.Str("status") == "1",
            TaxClass = taxClass?.Name,
            Prices = new ProductPrices { Base = string.Equals(c.Str("discountType"), "FIXED", StringComparison.OrdinalIgnoreCase) ? c.Dec("fixDiscountValue", $"coupon {code}") : null },
            Attributes = Bag(c, "id", "discountType", "percentDiscountValue", "fixDiscountValue", "freeShipping", "loginRequired", "dateStart", "dateEnd",
                "totalNumberOfCoupons", "totalNumberOfCouponsPerCustomer", "minOrderLimit", "maxOrderLimit", "targetType", "status", "email"),
        };
    }

    private static Dictionary<string, string?> Bag(JsonElement item, params string[] names)
    {
        var bag = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var value = item.Str(name);
            if (value is not null && !value.StartsWith("0000-00-00", StringComparison.Ordinal)) bag[name] = value;
        }
        return bag;
    }
}
