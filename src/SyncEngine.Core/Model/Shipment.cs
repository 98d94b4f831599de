namespace SyncEngine.Core.Model;

public sealed record Shipment : Entity
{
    public required string OrderId { get; init; }
    public string? Carrier { get; init; }
    public string? TrackingCode { get; init; }
    public string? TrackingUrl { get; init; }
    public DateTimeOffset? ShippedAt { get; init; }
    public IReadOnlyList<ShipmentLine> Lines { get; init; } = [];
}

public sealed record ShipmentLine(string Sku, decimal Quantity);
