using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SyncEngine.Testing.ShopRenter;

/// <summary>A buyer: family and given name (Hungarian order), e-mail, and the customer id if registered.</summary>
public sealed record Buyer(string Family, string Given, string Email, int? CustomerId = null, string Phone = "+36301234567");

/// <summary>A line of an order to create: product SKU, quantity and chosen options.</summary>
public sealed record Item(string Sku, int Quantity, params (string Name, string Value)[] Options);

/// <summary>An order to create in the shop; prices come from the products, totals are computed as the shop does.</summary>
public sealed record OrderSpec(Buyer Buyer, params Item[] Items)
{
    public string Comment { get; init; } = string.Empty;
    public int ShippingModeId { get; init; } = 18;
    public decimal ShippingGross { get; init; } = 1490m;
    public string PaymentCode { get; init; } = "cod";
    public string? CouponCode { get; init; }
    public int LoyaltyPoints { get; init; }
    public int StatusId { get; init; } = 1;
    public string Currency { get; init; } = "HUF";
    public (string Street, string PostCode, string City)? ShipTo { get; init; }
    public Buyer? Recipient { get; init; }
}

/// <summary>The shop's data, built from the official fixtures: each object is a fixture's object with our values.</summary>
public sealed partial class SimulatedShop
{
    public const string Hungarian = "bGFuZ3VhZ2UtbGFuZ3VhZ2VfaWQ9MQ==";
    public const string English = "bGFuZ3VhZ2UtbGFuZ3VhZ2VfaWQ9Mg==";
    public const string DefaultGroup = "Y3VzdG9tZXJHcm91cC1jdXN0b21lcl9ncm91cF9pZD04";
    public const string Vat27 = "dGF4Q2xhc3MtdGF4X2NsYXNzX2lkPTEw";
    public const string Vat0 = "dGF4Q2xhc3MtdGF4X2NsYXNzX2lkPTEx";

    public static readonly string[] ProductNames =
    [
        "Árvíztűrő tükörfúrógép", "Kávéfőző Ékes", "Őszi bögre", "Teáskanna Ágnes", "Gyapjú sál, piros", "Fűszeres mézeskalács",
        "Ökotáska", "Üveg karaffa", "Szőlőmag olaj", "Tökmagos pogácsa", "Pálinkás pohár", "Kézműves szappan",
    ];

    private int _nextOrder = 1001;
    private int _nextLine = 5001;
    private int _nextTotal = 9001;

    /// <summary>Product SKU -> (id, net price), for building orders.</summary>
    public IReadOnlyList<JsonObject> Products
    {
        get { lock (_gate) return _products.Select(p => (JsonObject)p.DeepClone()).ToList(); }
    }

    public JsonObject Product(string sku)
    {
        lock (_gate) return (JsonObject)_products.First(p => Str(p, "sku") == sku).DeepClone();
    }

    public JsonObject Order(string innerId)
    {
        lock (_gate) return (JsonObject)_orders.First(o => Str(o, "innerId") == innerId).DeepClone();
    }

    public int OrderCount
    {
        get { lock (_gate) return _orders.Count; }
    }

    /// <summary>The latest <c>dateUpdated</c> of the shop's orders, as the shop writes it (shop time): where an import's cursor ends.</summary>
    public string? LatestOrderUpdate
    {
        get { lock (_gate) return _orders.Select(o => Str(o, "dateUpdated")).Max(StringComparer.Ordinal); }
    }

    /// <summary>Rewrites the hosts of a fixture's hrefs to this shop's (the fixtures use the legacy host, sometimes mistyped).</summary>
    private JsonNode Local(JsonNode node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o.ToList())
                {
                    if (key == "href" && value is JsonValue v && v.ToString() is { } href)
                        o[key] = Regex.Replace(href, @"^https?://[^/]+/", ApiBase + "/");
                    else if (value is not null) Local(value);
                }
                break;
            case JsonArray a:
                foreach (var item in a)
                    if (item is not null) Local(item);
                break;
        }
        return node;
    }

    private JsonObject Load(string path) => (JsonObject)Local(FixtureObject(path));

    private void SeedReferenceData()
    {
        var hu = Load("language/response/json/get_id.json");
        var en = (JsonObject)hu.DeepClone();
        en["href"] = $"{ApiBase}/languages/{English}";
        en["id"] = English;
        en["innerId"] = "2";
        en["name"] = "English";
        en["code"] = "en";
        en["locale"] = "en_US.UTF-8,en_US,en-gb,english";
        _languages.AddRange([hu, en]);

        _countries.Add(Load("country/response/json/get_id.json"));
        var group = Load("customer_group/response/json/get_id.json");
        var normal = (JsonObject)group.DeepClone();
        normal["href"] = $"{ApiBase}/customerGroups/{DefaultGroup}";
        normal["id"] = DefaultGroup;
        normal["innerId"] = "8";
        normal["name"] = "Vásárló";
        normal["percentDiscount"] = "0";
        _customerGroups.AddRange([group, normal]);

        // The fixture's three tax classes, as they are: "27 %", "0 %" and "Test", which also has 27 %.
        foreach (var item in Load("tax_class_extend/response/json/get_page.json")["items"]!.AsArray()) _taxClasses.Add((JsonObject)item!.DeepClone());

        var status = Load("order_status_description/response/json/get_id.json");
        foreach (var (id, names) in new[] { (1, ("Függőben", "Pending")), (2, ("Feldolgozás alatt", "Processing")), (5, ("Teljesítve", "Complete")) })
        {
            var statusId = Id("orderStatus-order_status_id", id);
            _statusDescriptions[statusId] = [StatusDescription(status, statusId, id, 1, names.Item1), StatusDescription(status, statusId, id, 2, names.Item2)];
        }

        var payment = Load("payment_mode/response/json/get_page.json")["items"]![0]!.AsObject();
        _paymentModes.Add((JsonObject)payment.DeepClone());
        var transfer = (JsonObject)payment.DeepClone();
        var transferId = Id("paymentMode-extension_id", 24);
        transfer["href"] = $"{ApiBase}/paymentModes/{transferId}";
        transfer["id"] = transferId;
        transfer["innerId"] = "24";
        transfer["code"] = "bank_transfer";
        transfer["paymentDescription"]![0]!["name"] = "Banki átutalás";
        transfer["paymentDescription"]![1]!["name"] = "Bank transfer";
        _paymentModes.Add(transfer);
        _paymentModes[0]["paymentDescription"]![0]!["name"] = "Utánvét";

        var mode = Load("shipping_mode_extend/response/json/get_id.json");
        foreach (var (id, hungarian, english) in new[] { (18, "GLS futárszolgálat", "GLS courier"), (3, "Személyes átvétel (1025 Budapest, Szépvölgyi út 25.)", "Personal pick-up") })
        {
            var copy = (JsonObject)mode.DeepClone();
            var modeId = Id("shippingMode-id", id);
            copy["href"] = $"{ApiBase}/shippingModeExtend/{modeId}";
            copy["id"] = modeId;
            copy["innerId"] = id.ToString(CultureInfo.InvariantCulture);
            copy["extension"] = id == 18 ? "GLSPARCELPOINT" : "WSESHIP";
            copy["shippingType"] = id == 18 ? "COURIER_SERVICE" : "PERSONAL_RECEIPT";
            var descriptions = copy["shippingModeDescriptions"]!.AsArray();
            descriptions[0]!["name"] = hungarian;
            if (descriptions.Count > 1) descriptions[1]!["name"] = english;
            _shippingModes.Add(copy);
        }

        var coupon = Load("coupon/response/json/get_id.json");
        var summer = (JsonObject)coupon.DeepClone();
        var summerId = Id("coupon-coupon_id", 7);
        summer["href"] = $"{ApiBase}/coupons/{summerId}";
        summer["id"] = summerId;
        summer["code"] = "NYAR10";
        summer["freeShipping"] = "0";
        summer["dateStart"] = "2026-06-01";
        summer["dateEnd"] = "2026-12-31";
        _coupons.AddRange([coupon, summer]);
        var description = Load("coupon_description/response/json/get_id.json");
        _couponDescriptions[Str(coupon, "id")!] = [(JsonObject)description.DeepClone()];
        var summerDescription = (JsonObject)description.DeepClone();
        summerDescription["id"] = Id("couponDescription-coupon_id=7&language_id", 1);
        summerDescription["name"] = "Nyári kedvezmény";
        summerDescription["description"] = "10 % kedvezmény minden termékre";
        summerDescription["coupon"] = new JsonObject { ["href"] = $"{ApiBase}/coupons/{summerId}" };
        _couponDescriptions[summerId] = [summerDescription];

        for (var i = 0; i < ProductNames.Length; i++)
            AddProduct($"HU-{1001 + i}", ProductNames[i], 1000m + 250m * i, stock: 10 + i);
    }

    private JsonObject StatusDescription(JsonObject template, string statusId, int id, int language, string name)
    {
        var copy = (JsonObject)template.DeepClone();
        var descriptionId = Id($"orderStatusDescription-order_status_id={id}&language_id", language);
        copy["href"] = $"{ApiBase}/orderStatusDescriptions/{descriptionId}";
        copy["id"] = descriptionId;
        copy["name"] = name;
        copy["orderStatus"] = new JsonObject { ["href"] = $"{ApiBase}/orderStatuses/{statusId}" };
        copy["language"] = new JsonObject { ["href"] = $"{ApiBase}/languages/{(language == 1 ? Hungarian : English)}" };
        return copy;
    }

    /// <summary>A product shaped as the productExtend fixture (net price, stock1, tax class 27 %, Hungarian and English descriptions).</summary>
    public JsonObject AddProduct(string sku, string name, decimal net, int stock, string taxClass = Vat27)
    {
        lock (_gate)
        {
            var template = Load("product_extend/response/json/get_page.json")["items"]![0]!.AsObject();
            var number = 100 + _products.Count;
            var id = Id("product-product_id", number);
            var product = (JsonObject)template.DeepClone();
            product["href"] = $"{ApiBase}/productExtend/{id}";
            product["id"] = id;
            product["innerId"] = number.ToString(CultureInfo.InvariantCulture);
            product["sku"] = sku;
            product["gtin"] = "599" + number.ToString("D10", CultureInfo.InvariantCulture);
            product["price"] = net.ToString("0.0000", CultureInfo.InvariantCulture);
            product["stock1"] = stock.ToString(CultureInfo.InvariantCulture);
            product["stock2"] = "0";
            product["dateCreated"] = "2026-01-15T10:00:00";
            product["dateUpdated"] = "2026-01-15T10:00:00";
            product["taxClass"] = new JsonObject { ["href"] = $"{ApiBase}/taxClasses/{taxClass}" };
            product["parentProduct"] = new JsonObject { ["href"] = $"{ApiBase}/products/{id}" };
            var rate = taxClass == Vat27 ? 27m : 0m;
            var prices = product["productPrices"]!.AsArray();
            foreach (var price in prices)
            {
                price!["net"] = net.ToString("0", CultureInfo.InvariantCulture);
                price["netOriginal"] = net.ToString("0", CultureInfo.InvariantCulture);
                price["gross"] = Math.Round(net * (1 + rate / 100)).ToString("0", CultureInfo.InvariantCulture);
                price["grossOriginal"] = price["gross"]!.ToString();
            }
            var descriptions = product["productDescriptions"]!.AsArray();
            descriptions[0]!["name"] = name;
            descriptions[0]!["shortDescription"] = name + " – rövid leírás";
            descriptions[0]!["description"] = name + " – hosszú leírás";
            descriptions[0]!["measurementUnit"] = "db";
            descriptions[0]!["product"] = new JsonObject { ["href"] = $"{ApiBase}/products/{id}" };
            descriptions[1]!["name"] = name + " (EN)";
            descriptions[1]!["product"] = new JsonObject { ["href"] = $"{ApiBase}/products/{id}" };
            _products.Add(product);
            return product;
        }
    }

    /// <summary>A registered customer shaped as the customerExtend fixture, with one address.</summary>
    public JsonObject AddCustomer(Buyer buyer, string street, string postcode, string city, string company = "")
    {
        lock (_gate)
        {
            var customer = Load("customer_extend/response/json/get_id.json");
            var id = Id("customer-customer_id", buyer.CustomerId ?? throw new ArgumentException("a registered buyer needs a customer id"));
            customer["href"] = $"{ApiBase}/customerExtend/{id}";
            customer["id"] = id;
            customer["innerId"] = buyer.CustomerId.Value.ToString(CultureInfo.InvariantCulture);
            customer["firstname"] = buyer.Family;
            customer["lastname"] = buyer.Given;
            customer["email"] = buyer.Email;
            customer["telephone"] = buyer.Phone;
            customer["dateCreated"] = Stamp(Now.AddDays(-30));
            customer["dateUpdated"] = Stamp(Now.AddDays(-30));
            customer["customerGroup"] = new JsonObject { ["href"] = $"{ApiBase}/customerGroups/{DefaultGroup}" };
            var addresses = customer["addresses"]!.AsArray();
            addresses.RemoveAt(1);
            var address = addresses[0]!.AsObject();
            var addressId = Id("address-address_id", buyer.CustomerId.Value);
            address["href"] = $"{ApiBase}/addresses/{addressId}";
            address["id"] = addressId;
            address["company"] = company;
            address["firstname"] = buyer.Family;
            address["lastname"] = buyer.Given;
            address["taxNumber"] = company.Length > 0 ? "12345678-2-42" : "0";
            address["address1"] = street;
            address["address2"] = "";
            address["postcode"] = postcode;
            address["city"] = city;
            address["customer"] = new JsonObject { ["href"] = $"{ApiBase}/customers/{id}" };
            customer["defaultAddress"] = new JsonObject { ["href"] = $"{ApiBase}/addresses/{addressId}" };
            customer.Remove("password");
            customer["password"] = "$2y$10$notarealhash";
            _customers.Add(customer);
            return customer;
        }
    }

    /// <summary>The fixture order <c>order_extend/response/json/get_id.json</c> as it is (hosts rewritten), dated now.</summary>
    public JsonObject AddFixtureOrder()
    {
        lock (_gate)
        {
            var order = Load("order_extend/response/json/get_id.json");
            order["dateUpdated"] = Stamp(Now);
            _orders.Add(order);
            return order;
        }
    }

    /// <summary>An order shaped as <c>order_extend/response/json/get_id.json</c>, with our values; returns its innerId.</summary>
    public string AddOrder(OrderSpec spec)
    {
        lock (_gate)
        {
            var order = BuildOrder(spec, _nextOrder++);
            _orders.Add(order);
            return Str(order, "innerId")!;
        }
    }

    /// <summary>Changes an order as the shop would (its dateUpdated becomes the shop's now).</summary>
    public void UpdateOrder(string innerId, Action<JsonObject> change)
    {
        lock (_gate)
        {
            var order = _orders.First(o => Str(o, "innerId") == innerId);
            change(order);
            order["dateUpdated"] = Stamp(Now);
        }
    }

    /// <summary>Changes a product as the shop's admin would (its dateUpdated becomes the shop's now).</summary>
    public void UpdateProduct(string sku, Action<JsonObject> change)
    {
        lock (_gate)
        {
            var product = _products.First(p => Str(p, "sku") == sku);
            change(product);
            product["dateUpdated"] = Stamp(Now);
        }
    }

    /// <summary><paramref name="count"/> orders of the people below, one to three lines each, some with coupon, options, points.</summary>
    public IReadOnlyList<string> AddOrders(int count)
    {
        Buyer[] buyers =
        [
            new("Kovács", "Éva", "kovacs.eva@example.hu", 101),
            new("Szőke", "Ödön", "szoke.odon@example.hu"),
            new("Tóth", "Ágnes", "toth.agnes@example.hu", 102),
        ];
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var items = Enumerable.Range(0, 1 + i % 3).Select(k => new Item($"HU-{1001 + (i + k * 5) % ProductNames.Length}", 1 + (i + k) % 3)).ToArray();
            if (i % 4 == 0) items[0] = items[0] with { Options = [("Szín", "Piros"), ("Méret", "XL")] };
            ids.Add(AddOrder(new OrderSpec(buyers[i % 3], items)
            {
                Comment = i % 5 == 0 ? "Kérem, délután szállítsák ki!" : string.Empty,
                CouponCode = i % 6 == 0 ? "NYAR10" : null,
                PaymentCode = i % 2 == 0 ? "cod" : "bank_transfer",
            }));
        }
        return ids;
    }

    private JsonObject BuildOrder(OrderSpec spec, int number)
    {
        var template = Load("order_extend/response/json/get_id.json");
        var id = Id("order-order_id", number);
        var order = (JsonObject)template.DeepClone();
        var now = Now;
        var buyer = spec.Buyer;
        var recipient = spec.Recipient ?? buyer;
        var (shipStreet, shipPost, shipCity) = spec.ShipTo ?? ("Fő utca 12.", "1051", "Budapest");
        order["href"] = $"{ApiBase}/orderExtend/{id}";
        order["id"] = id;
        order["innerId"] = number.ToString(CultureInfo.InvariantCulture);
        order["invoiceId"] = "0";
        order["invoicePrefix"] = "";
        order["firstname"] = buyer.Family;
        order["lastname"] = buyer.Given;
        order["phone"] = buyer.Phone;
        order["email"] = buyer.Email;
        order["shippingFirstname"] = recipient.Family;
        order["shippingLastname"] = recipient.Given;
        order["shippingAddress1"] = shipStreet;
        order["shippingCity"] = shipCity;
        order["shippingPostcode"] = shipPost;
        order["shippingZoneName"] = shipCity == "Budapest" ? "Budapest" : "Hajdú-Bihar";
        order["paymentFirstname"] = buyer.Family;
        order["paymentLastname"] = buyer.Given;
        order["paymentAddress1"] = "Petőfi Sándor utca 3.";
        order["paymentCity"] = "Debrecen";
        order["paymentPostcode"] = "4025";
        order["paymentZoneName"] = "Hajdú-Bihar";
        var mode = _shippingModes.First(m => Str(m, "innerId") == spec.ShippingModeId.ToString(CultureInfo.InvariantCulture));
        var shippingName = mode["shippingModeDescriptions"]![0]!["name"]!.ToString();
        order["shippingMethodName"] = shippingName;
        order["shippingMethodTaxRate"] = "27.0000";
        order["shippingMethodTaxName"] = "27 %";
        order["shippingMethodExtension"] = Str(mode, "extension");
        order["shippingMode"] = mode.DeepClone();
        var payment = _paymentModes.First(p => Str(p, "code") == spec.PaymentCode);
        var paymentName = payment["paymentDescription"]![0]!["name"]!.ToString();
        order["paymentMethodName"] = paymentName;
        order["paymentMethodCode"] = spec.PaymentCode;
        order["paymentMethodTaxRate"] = "27.0000";
        order["paymentMethodTaxName"] = "27 %";
        order["comment"] = spec.Comment;
        order["dateCreated"] = Stamp(now);
        order["dateUpdated"] = Stamp(now);
        order["customer"] = buyer.CustomerId is { } customer ? new JsonObject { ["href"] = $"{ApiBase}/customers/{Id("customer-customer_id", customer)}" } : null;
        order["customerGroup"] = new JsonObject { ["href"] = $"{ApiBase}/customerGroups/{DefaultGroup}" };
        order["orderStatus"] = new JsonObject { ["href"] = $"{ApiBase}/orderStatuses/{Id("orderStatus-order_status_id", spec.StatusId)}" };
        order["currency"]!["code"] = spec.Currency;
        order["currency"]!["name"] = spec.Currency;
        order.Remove("orderProductAddons");
        order["orderProductAddons"] = new JsonArray();
        order["orderCreditCards"] = new JsonArray();
        order["externalInfo"] = new JsonObject();

        var lineTemplate = (JsonObject)template["orderProducts"]![0]!;
        var lines = new JsonArray();
        decimal net = 0, tax = 0;
        foreach (var item in spec.Items)
        {
            var product = _products.First(p => Str(p, "sku") == item.Sku);
            var price = decimal.Parse(Str(product, "price")!, CultureInfo.InvariantCulture);
            var gross = Math.Round(price * 1.27m);
            var line = (JsonObject)lineTemplate.DeepClone();
            var lineId = Id("orderProduct-order_product_id", _nextLine++);
            line["href"] = $"{ApiBase}/orderProducts/{lineId}";
            line["id"] = lineId;
            line["name"] = product["productDescriptions"]![0]!["name"]!.ToString();
            line["sku"] = item.Sku;
            line["price"] = price.ToString("0.0000", CultureInfo.InvariantCulture);
            line["total"] = (price * item.Quantity).ToString("0.0000", CultureInfo.InvariantCulture);
            line["taxRate"] = "27.0000";
            line["originalPriceCurrency"] = line["price"]!.ToString();
            line["priceCurrency"] = line["price"]!.ToString();
            line["grossPriceCurrency"] = gross.ToString("0.0000", CultureInfo.InvariantCulture);
            line["originalGrossPriceCurrency"] = line["grossPriceCurrency"]!.ToString();
            line["stock1"] = item.Quantity.ToString(CultureInfo.InvariantCulture);
            line["gtin"] = Str(product, "gtin");
            line["dateCreated"] = Stamp(now);
            line["dateUpdated"] = Stamp(now);
            line["order"] = new JsonObject { ["href"] = $"{ApiBase}/orders/{id}" };
            line["product"] = new JsonObject { ["href"] = $"{ApiBase}/products/{Str(product, "id")}" };
            line["orderProductOptions"] = new JsonObject { ["href"] = $"{ApiBase}/orderProductOptions?orderProductId={lineId}" };
            lines.Add(line);
            _options[lineId] = item.Options.Select((o, n) => Option(lineId, o.Name, o.Value, n)).ToList();
            net += price * item.Quantity;
            tax += (gross - price) * item.Quantity;
        }
        order["orderProducts"] = lines;

        var totals = new JsonArray();
        var subGross = net + tax;
        var sort = 1;
        void Total(string type, string name, decimal value, string key = "")
        {
            var total = (JsonObject)template["orderTotals"]![0]!.DeepClone();
            var totalId = Id("orderTotal-order_total_id", _nextTotal++);
            total["href"] = $"{ApiBase}/orderTotals/{totalId}";
            total["id"] = totalId;
            total["name"] = name;
            total["valueText"] = value.ToString("#,0", CultureInfo.GetCultureInfo("hu-HU")) + " Ft";
            total["value"] = value.ToString("0.0000", CultureInfo.InvariantCulture);
            total["sortOrder"] = (sort++).ToString(CultureInfo.InvariantCulture);
            total["type"] = type;
            total["key"] = key;
            total["order"] = new JsonObject { ["href"] = $"{ApiBase}/orders/{id}" };
            totals.Add(total);
        }
        Total("SUB_TOTAL", "Nettó részösszeg:", net);
        Total("TAX", "ÁFA (27%):", tax);
        Total("SUB_TOTAL_WITH_TAX", "Bruttó részösszeg:", subGross);
        Total("SHIPPING", shippingName + ":", spec.ShippingGross);
        var grand = subGross + spec.ShippingGross;
        if (spec.PaymentCode == "cod")
        {
            Total("PAYMENT", "Utánvét kezelési díja:", 390m);
            grand += 390m;
        }
        if (spec.CouponCode is { } code)
        {
            var coupon = _coupons.First(c => Str(c, "code") == code);
            order["coupon"] = coupon.DeepClone();
            var discount = -Math.Round(subGross * decimal.Parse(Str(coupon, "percentDiscountValue")!, CultureInfo.InvariantCulture) / 100);
            Total("COUPON", $"Kupon ({code}):", discount);
            grand += discount;
        }
        else
        {
            order["coupon"] = null;
        }
        if (spec.LoyaltyPoints > 0)
        {
            Total("LOYALTYPOINTS_TO_USE", $"Felhasznált hűségpontok ({spec.LoyaltyPoints} pont):", -spec.LoyaltyPoints);
            grand -= spec.LoyaltyPoints;
            var used = Load("loyalty_point_used/response/json/get_id.json");
            used["value"] = spec.LoyaltyPoints.ToString(CultureInfo.InvariantCulture);
            used["order"] = new JsonObject { ["href"] = $"{ApiBase}/orders/{id}" };
            _loyaltyUsed[id] = [used];
        }
        Total("TOTAL", "Bruttó végösszeg:", grand);
        order["orderTotals"] = totals;
        order["total"] = grand.ToString("0.0000", CultureInfo.InvariantCulture);
        return order;
    }

    private JsonObject Option(string lineId, string name, string value, int n)
    {
        var option = Load("order_product_option/response/json/get_id.json");
        var optionId = Id("orderProductOption-order_option_id", _nextLine * 10 + n);
        option["href"] = $"{ApiBase}/orderProductOptions/{optionId}";
        option["id"] = optionId;
        option["name"] = name;
        option["valueName"] = value;
        option["price"] = "0.0000";
        option["orderProduct"] = new JsonObject { ["href"] = $"{ApiBase}/orderProducts/{lineId}" };
        return option;
    }

    /// <summary>What the shop would POST for <c>order_confirm</c> of this order, shaped as the documentation's sample.</summary>
    public string WebhookPayload(string innerId)
    {
        var sample = JsonNode.Parse(Fixture("synthetic/webhook_order_confirm.json"))!;
        var order = Order(innerId);
        var item = sample["orders"]!["order"]![0]!.AsObject();
        item["storeName"] = Name;
        item["innerId"] = innerId;
        item["innerResourceId"] = "orders/" + Str(order, "id");
        item["firstname"] = Str(order, "firstname");
        item["lastname"] = Str(order, "lastname");
        item["email"] = Str(order, "email");
        return sample.ToJsonString(JsonOptions);
    }
}
