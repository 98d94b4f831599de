namespace SyncEngine.Core.Model;

public sealed record Address
{
    public string? Company { get; init; }
    public string? FirstName { get; init; }
    public string? LastName { get; init; }
    public string? Street { get; init; }
    public string? Street2 { get; init; }
    public string? PostalCode { get; init; }
    public string? City { get; init; }
    public string? Region { get; init; }
    /// <summary>ISO 3166-1 alpha-2.</summary>
    public string? CountryCode { get; init; }
    public string? Phone { get; init; }
    public string? Email { get; init; }
    public string? VatId { get; init; }
}
