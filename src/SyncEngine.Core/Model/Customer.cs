namespace SyncEngine.Core.Model;

public sealed record Customer : Entity
{
    /// <summary>Number the target system gave the customer, when known.</summary>
    public string? CustomerNumber { get; init; }
    public bool IsGuest { get; init; }
    public string? Email { get; init; }
    public string? FirstName { get; init; }
    public string? LastName { get; init; }
    public string? Company { get; init; }
    public string? Phone { get; init; }
    public string? VatId { get; init; }
    public string? CustomerGroup { get; init; }
    public string? Language { get; init; }
    public Address? BillingAddress { get; init; }
    public Address? ShippingAddress { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }
}
