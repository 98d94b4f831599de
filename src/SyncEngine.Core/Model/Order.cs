using System.Globalization;

namespace SyncEngine.Core.Model;

public sealed record Order : Entity
{
    /// <summary>The number the shop shows the customer (stored in the ERP document so it can be found again).</summary>
    public string? OrderNumber { get; init; }
    /// <summary>Shop or marketplace the order came through.</summary>
    public string? Channel { get; init; }
    public DateTimeOffset OrderedAt { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }
    public string? Status { get; init; }
    public string Currency { get; init; } = "EUR";
    public string? Language { get; init; }
    public Customer? Customer { get; init; }
    public Address? BillingAddress { get; init; }
    public Address? ShippingAddress { get; init; }
    public IReadOnlyList<OrderLine> Lines { get; init; } = [];
    /// <summary>Charged services that are not products: shipping, payment fee, gift wrap.</summary>
    public IReadOnlyList<OrderService> Services { get; init; } = [];
    public IReadOnlyList<OrderCoupon> Coupons { get; init; } = [];
    public PaymentInfo? Payment { get; init; }
    public ShippingInfo? Shipping { get; init; }
    public OrderTotals Totals { get; init; } = new();
    public string? CustomerComment { get; init; }
    public string? InternalNote { get; init; }

    public override string? Problem()
    {
        for (var i = 0; i < Lines.Count; i++)
        {
            var line = Lines[i];
            if (line.Quantity >= 0) continue;
            var what = line.Name is null ? $"SKU {line.Sku}" : $"SKU {line.Sku}, '{line.Name}'";
            return $"field 'Lines[{i + 1}].Quantity': '{line.Quantity.ToString("0.############", CultureInfo.InvariantCulture)}' is negative ({what}); " +
                "an order line cannot take goods back, a return is a credit note";
        }
        return null;
    }
}

public sealed record OrderLine
{
    public int LineNumber { get; init; }
    public required string Sku { get; init; }
    public string? ProductId { get; init; }
    public string? Name { get; init; }
    /// <summary>Chosen product options (size, colour, engraving text).</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>(0);
    public decimal Quantity { get; init; }
    public string? Unit { get; init; }
    public decimal UnitPriceNet { get; init; }
    public decimal UnitPriceGross { get; init; }
    /// <summary>Percent, e.g. 27 for 27 %.</summary>
    public decimal TaxRate { get; init; }
    public string? TaxKey { get; init; }
    public decimal DiscountPercent { get; init; }
}

public sealed record OrderService
{
    public required string Name { get; init; }
    public string? Code { get; init; }
    public decimal Net { get; init; }
    public decimal Gross { get; init; }
    public decimal TaxRate { get; init; }
}

public sealed record OrderCoupon
{
    public required string Code { get; init; }
    public string? Description { get; init; }
    /// <summary>Gross amount taken off the order.</summary>
    public decimal Amount { get; init; }
}

public sealed record PaymentInfo
{
    public string? Code { get; init; }
    public string? Name { get; init; }
    public decimal FeeNet { get; init; }
    public decimal FeeGross { get; init; }
    public string? TransactionId { get; init; }
}

public sealed record ShippingInfo
{
    public string? Code { get; init; }
    public string? Name { get; init; }
    public decimal CostNet { get; init; }
    public decimal CostGross { get; init; }
    public decimal TaxRate { get; init; }
}

public sealed record OrderTotals
{
    public decimal Net { get; init; }
    public decimal Tax { get; init; }
    public decimal Gross { get; init; }
    public decimal Discount { get; init; }
    public decimal LoyaltyPointsUsed { get; init; }
    public decimal LoyaltyPointsValue { get; init; }
}
