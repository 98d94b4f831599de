namespace SyncEngine.Core.Model;

public enum StockMovementKind
{
    Receipt,
    Sale,
    Return,
    ReturnToSupplier,
    Adjustment,
    TransferIn,
    TransferOut,
    Consumption,
}

public sealed record StockMovement : Entity
{
    public required string Sku { get; init; }
    public required string Warehouse { get; init; }
    public required StockMovementKind Kind { get; init; }
    /// <summary>Always positive; <see cref="Kind"/> says the direction.</summary>
    public decimal Quantity { get; init; }
    public DateTimeOffset OccurredAt { get; init; }
    public string? Reference { get; init; }
}
