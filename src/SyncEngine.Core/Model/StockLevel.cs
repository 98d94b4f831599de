namespace SyncEngine.Core.Model;

/// <summary>"Set the quantity of this SKU in this warehouse to N": idempotent by nature.</summary>
public sealed record StockLevel : Entity
{
    public required string Sku { get; init; }
    public required string Warehouse { get; init; }
    public decimal Quantity { get; init; }
    public decimal Reserved { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }

    public static string KeyOf(string warehouse, string sku) => warehouse + "|" + sku;
}
