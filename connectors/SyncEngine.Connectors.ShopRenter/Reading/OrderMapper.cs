using System.Globalization;
using System.Text.Json;
using SyncEngine.Connectors.ShopRenter.Api;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Model;

namespace SyncEngine.Connectors.ShopRenter.Reading;

/// <summary>What one page of orders needed from other resources, fetched in one batch.</summary>
internal sealed class OrderExtras
{
    /// <summary>Order product id -> chosen options (name -> value).</summary>
    public Dictionary<string, IReadOnlyDictionary<string, string>> Options { get; } = new(StringComparer.Ordinal);

    /// <summary>Order product id -> why its options could not be read.</summary>
    public Dictionary<string, string> OptionErrors { get; } = new(StringComparer.Ordinal);

    /// <summary>Order resource id -> its add-ons (deposit fees), read with <c>orderProductAddons?orderId=</c>.</summary>
    public Dictionary<string, IReadOnlyList<JsonElement>> Addons { get; } = new(StringComparer.Ordinal);

    /// <summary>Order resource id -> loyalty points used on it.</summary>
    public Dictionary<string, decimal> LoyaltyPoints { get; } = new(StringComparer.Ordinal);
}

/// <summary>An <c>orderExtend</c> item (field names as in the API's fixtures) to a canonical <see cref="Order"/>.</summary>
internal sealed class OrderMapper(ShopRenterOptions options, TimeZoneInfo zone, ShopLookups lookups)
{
    public Order Map(JsonElement o, OrderExtras extras)
    {
        var innerId = o.Str("innerId") ?? throw new RecordException("an order has no innerId", "innerId");
        var where = $"order {innerId}";
        var resourceId = o.Str("id");
        var currency = o.Prop("currency")?.Str("code") ?? throw new RecordException($"{where}: field 'currency' has no code", "currency");
        var languageId = o.LinkId("language");
        var rate = o.Dec("value", where) is { } v && v != 0 ? v : 1m;

        var totals = o.List("orderTotals").Select(t => (
            Type: t.Str("type")?.Trim().ToUpperInvariant() ?? string.Empty,
            Name: t.Str("name")?.Trim().TrimEnd(':').Trim(),
            Value: t.DecOrZero("value", $"{where} total '{t.Str("name")}'"),
            Key: t.Str("key"))).ToList();
        decimal Sum(string type) => totals.Where(t => t.Type == type).Sum(t => t.Value);
        bool Has(string type) => totals.Any(t => t.Type == type);

        var statusId = o.LinkId("orderStatus");
        var shippingModeId = o.LinkId("shippingMode");
        var shippingCode = o.IsExpanded("shippingMode") ? o.Prop("shippingMode")!.Value.Str("innerId")
            : shippingModeId is not null && lookups.ShippingModes.TryGetValue(shippingModeId, out var mode) ? mode.InnerId : null;
        shippingCode ??= o.Str("shippingMethodExtension");
        var shippingRate = o.DecOrZero("shippingMethodTaxRate", where);
        var paymentRate = o.DecOrZero("paymentMethodTaxRate", where);
        var paymentCode = o.Str("paymentMethodCode");

        var services = new List<OrderService>();
        foreach (var total in totals.Where(t => t.Type is "SHIPPING" or "PAYMENT"))
        {
            var taxRate = total.Type == "SHIPPING" ? shippingRate : paymentRate;
            services.Add(new OrderService
            {
                Name = total.Name ?? (total.Type == "SHIPPING" ? o.Str("shippingMethodName") : o.Str("paymentMethodName")) ?? total.Type,
                Code = total.Type == "SHIPPING" ? shippingCode : paymentCode,
                Gross = total.Value,
                Net = Net(total.Value, taxRate),
                TaxRate = taxRate,
            });
        }

        var coupons = new List<OrderCoupon>();
        var coupon = o.Prop("coupon");
        var couponCode = coupon?.Str("code");
        if (Has("COUPON") || couponCode is not null)
        {
            coupons.Add(new OrderCoupon
            {
                Code = couponCode ?? string.Empty,
                Description = totals.FirstOrDefault(t => t.Type == "COUPON").Name,
                Amount = Math.Abs(Sum("COUPON")),
            });
        }

        var gross = Has("TOTAL") ? Sum("TOTAL") : o.DecOrZero("total", where);
        var tax = Sum("TAX");
        var cartDiscount = totals.Where(t => t.Type != "COUPON" && string.Equals(t.Key, "CART_AMOUNT_DISCOUNT", StringComparison.OrdinalIgnoreCase)).Sum(t => Math.Abs(t.Value));

        var attributes = new Dictionary<string, string?>(StringComparer.Ordinal);
        void Put(string key, string? value)
        {
            if (value is not null) attributes[key] = value;
        }
        Put("id", resourceId);
        Put("innerId", innerId);
        if (o.Str("invoiceId") is { } invoice && invoice != "0") Put("invoiceNumber", (o.Str("invoicePrefix") ?? string.Empty) + invoice);
        Put("orderStatusId", statusId);
        Put("customerGroupId", o.LinkId("customerGroup"));
        Put("shippingModeId", shippingModeId);
        Put("shippingMethodExtension", o.Str("shippingMethodExtension"));
        Put("shippingMethodTaxName", o.Str("shippingMethodTaxName"));
        Put("shippingReceivingPointId", o.Str("shippingReceivingPointId") is { } point && point != "0" ? point : null);
        Put("pickPackPontShopCode", o.Str("pickPackPontShopCode"));
        Put("paymentMethodAfter", o.Str("paymentMethodAfter"));
        Put("paymentMethodTaxName", o.Str("paymentMethodTaxName"));
        Put("currencyValue", o.Str("value"));
        Put("ip", o.Str("ip"));
        Put("couponDiscountType", coupon?.Str("discountType"));
        Put("loyaltyPointsToGet", Has("LOYALTYPOINTS_TO_GET") ? ShopJson.Number(Sum("LOYALTYPOINTS_TO_GET")) : null);
        if (o.Prop("externalInfo") is { ValueKind: JsonValueKind.Object } external)
        {
            foreach (var property in external.EnumerateObject()) Put("externalInfo." + property.Name, ShopJson.Text(property.Value));
        }

        var billing = Address(o, "payment", o.Prop("paymentCountry")) with { Phone = o.Str("phone"), Email = o.Str("email"), VatId = o.Str("taxNumber") };
        var shipping = Address(o, "shipping", o.Prop("shippingCountry"));
        var (given, family) = Names(o.Str("firstname"), o.Str("lastname"));
        var customerId = o.LinkId("customer");
        var email = o.Str("email");
        var customer = new Customer
        {
            Id = customerId ?? GuestKey(email, given, family),
            IsGuest = customerId is null,
            Email = email,
            FirstName = given,
            LastName = family,
            Company = billing.Company,
            Phone = o.Str("phone"),
            VatId = o.Str("taxNumber"),
            CustomerGroup = o.LinkId("customerGroup"),
            Language = o.Prop("language")?.Str("code"),
            BillingAddress = billing,
            ShippingAddress = shipping,
        };

        var lines = new List<OrderLine>();
        foreach (var line in o.List("orderProducts"))
        {
            var lineId = line.Str("id");
            var lineWhere = $"{where} line {lines.Count + 1} ('{line.Str("name")}')";
            if (lineId is not null && extras.OptionErrors.TryGetValue(lineId, out var optionError))
                throw new RecordException($"{lineWhere}: its options could not be read: {optionError}", "orderProductOptions");
            var net = line.Dec("priceCurrency", lineWhere) ?? line.DecOrZero("price", lineWhere) * rate;
            var taxRate = line.DecOrZero("taxRate", lineWhere);
            var quantity = line.DecOrZero("stock1", lineWhere) + line.DecOrZero("stock2", lineWhere) + line.DecOrZero("stock3", lineWhere) + line.DecOrZero("stock4", lineWhere);
            var price = line.DecOrZero("price", lineWhere);
            if (quantity == 0 && price != 0) quantity = Math.Round(line.DecOrZero("total", lineWhere) / price, 4);
            var productId = line.LinkId("product");
            lines.Add(new OrderLine
            {
                LineNumber = lines.Count + 1,
                Sku = line.Str("sku") ?? string.Empty,
                ProductId = productId,
                Name = line.Str("name"),
                Options = lineId is not null && extras.Options.TryGetValue(lineId, out var chosen) ? chosen : new Dictionary<string, string>(0),
                Quantity = quantity,
                UnitPriceNet = net,
                UnitPriceGross = line.Dec("grossPriceCurrency", lineWhere) ?? Math.Round(net * (1 + taxRate / 100), 4),
                TaxRate = taxRate,
                TaxKey = TaxKey(taxRate, productId),
            });
        }
        // Products removed in the shop's admin leave an order that sells nothing: no document for the ERP.
        if (lines.Count == 0) throw new RecordException($"{where}: field 'orderProducts' is empty; an order without products is not imported", "orderProducts");
        var addons = resourceId is not null && extras.Addons.TryGetValue(resourceId, out var read) ? read : o.List("orderProductAddons").ToList();
        foreach (var addon in addons)
        {
            var addonWhere = $"{where} addon '{addon.Str("name")}'";
            var net = addon.DecOrZero("price", addonWhere) * rate;
            var taxRate = addon.DecOrZero("taxRate", addonWhere);
            var productId = addon.LinkId("product");
            lines.Add(new OrderLine
            {
                LineNumber = lines.Count + 1,
                Sku = addon.Str("sku") ?? string.Empty,
                ProductId = productId,
                Name = addon.Str("name"),
                Quantity = addon.DecOrZero("quantity", addonWhere),
                UnitPriceNet = net,
                UnitPriceGross = Math.Round(net * (1 + taxRate / 100), 4),
                TaxRate = taxRate,
                TaxKey = TaxKey(taxRate, productId),
            });
        }

        var creditCard = o.List("orderCreditCards").FirstOrDefault();
        return new Order
        {
            Id = innerId,
            OrderNumber = innerId,
            Channel = options.ShopName,
            OrderedAt = o.Date("dateCreated", zone, where) ?? throw new RecordException($"{where}: field 'dateCreated' is empty", "dateCreated"),
            UpdatedAt = o.Date("dateUpdated", zone, where),
            Status = statusId is null ? null : lookups.StatusName(statusId, languageId),
            Currency = currency,
            Language = o.Prop("language")?.Str("code"),
            Customer = customer,
            BillingAddress = billing,
            ShippingAddress = shipping,
            Lines = lines,
            Services = services,
            Coupons = coupons,
            Payment = new PaymentInfo
            {
                Code = paymentCode,
                Name = o.Str("paymentMethodName"),
                FeeGross = Sum("PAYMENT"),
                FeeNet = Net(Sum("PAYMENT"), paymentRate),
                TransactionId = creditCard.ValueKind == JsonValueKind.Object ? creditCard.Str("transactionId") : null,
            },
            Shipping = new ShippingInfo
            {
                Code = shippingCode,
                Name = o.Str("shippingMethodName"),
                CostGross = Sum("SHIPPING"),
                CostNet = Net(Sum("SHIPPING"), shippingRate),
                TaxRate = shippingRate,
            },
            Totals = new OrderTotals
            {
                Gross = gross,
                Tax = tax,
                Net = gross - tax,
                Discount = Math.Abs(Sum("COUPON")) + cartDiscount,
                LoyaltyPointsValue = Math.Abs(Sum("LOYALTYPOINTS_TO_USE")),
                LoyaltyPointsUsed = resourceId is not null && extras.LoyaltyPoints.TryGetValue(resourceId, out var points) ? points : 0,
            },
            CustomerComment = o.Str("comment"),
            Attributes = attributes,
        };
    }

    /// <summary>
    /// The VAT key of a line: the name of the shop's tax class with the line's rate; where several classes have that
    /// rate, the class of the line's product. Null when it cannot be told.
    /// </summary>
    private string? TaxKey(decimal rate, string? productId)
    {
        var classes = lookups.ClassesWithRate(rate);
        if (classes.Count == 1) return classes[0].Name;
        if (classes.Count == 0 || productId is null || !lookups.ProductTaxClasses.TryGetValue(productId, out var classId)) return null;
        return classes.FirstOrDefault(c => c.Id == classId)?.Name;
    }

    private Address Address(JsonElement o, string prefix, JsonElement? country)
    {
        var (given, family) = Names(o.Str(prefix + "Firstname"), o.Str(prefix + "Lastname"));
        return new Address
        {
            Company = o.Str(prefix + "Company"),
            FirstName = given,
            LastName = family,
            Street = o.Str(prefix + "Address1"),
            Street2 = o.Str(prefix + "Address2"),
            PostalCode = o.Str(prefix + "Postcode"),
            City = o.Str(prefix + "City"),
            Region = o.Str(prefix + "ZoneName"),
            CountryCode = country?.Str("isoCode2"),
        };
    }

    /// <summary>(given name, family name) from ShopRenter's <c>firstname</c> and <c>lastname</c>.</summary>
    public (string? Given, string? Family) Names(string? firstname, string? lastname) =>
        options.FamilyNameFirst ? (lastname, firstname) : (firstname, lastname);

    /// <summary>A guest is the same customer when name and e-mail are the same.</summary>
    public static string GuestKey(string? email, string? given, string? family) =>
        "guest:" + (email ?? string.Empty).Trim().ToLowerInvariant() + "|" +
        string.Join(' ', new[] { family, given }.Where(n => !string.IsNullOrWhiteSpace(n)).Select(n => n!.Trim())).ToLower(CultureInfo.GetCultureInfo("hu-HU"));

    private static decimal Net(decimal gross, decimal taxRate) => taxRate <= 0 ? gross : Math.Round(gross / (1 + taxRate / 100), 4);
}
