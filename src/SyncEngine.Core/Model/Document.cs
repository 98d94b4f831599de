namespace SyncEngine.Core.Model;

public enum DocumentKind
{
    Quote,
    OrderConfirmation,
    Invoice,
    CreditNote,
}

public sealed record Document : Entity
{
    public required DocumentKind Kind { get; init; }
    public string? Number { get; init; }
    public string? OrderId { get; init; }
    public string? CustomerId { get; init; }
    public DateTimeOffset IssuedAt { get; init; }
    public DateTimeOffset? DueAt { get; init; }
    public string Currency { get; init; } = "EUR";
    public IReadOnlyList<DocumentLine> Lines { get; init; } = [];
    public OrderTotals Totals { get; init; } = new();
    /// <summary>The rendered document, when the source has one.</summary>
    public byte[]? Pdf { get; init; }
}

public sealed record DocumentLine
{
    public int LineNumber { get; init; }
    public required string Sku { get; init; }
    public string? Name { get; init; }
    public decimal Quantity { get; init; }
    public decimal UnitPriceNet { get; init; }
    public decimal TaxRate { get; init; }
}
