namespace SyncEngine.Core.Model;

public sealed record DeliveryNote : Entity
{
    public required string Number { get; init; }
    public required string Supplier { get; init; }
    public DateTimeOffset DeliveredAt { get; init; }
    public string? OrderReference { get; init; }
    public IReadOnlyList<DeliveryNoteLine> Lines { get; init; } = [];
}

public sealed record DeliveryNoteLine
{
    public int LineNumber { get; init; }
    public required string Sku { get; init; }
    public string? SupplierSku { get; init; }
    public string? Ean { get; init; }
    public string? Description { get; init; }
    public decimal Quantity { get; init; }
    public decimal? UnitPrice { get; init; }
}
