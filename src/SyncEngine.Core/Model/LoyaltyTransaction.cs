using System.Text.Json.Serialization;

namespace SyncEngine.Core.Model;

public enum LoyaltyTransactionKind
{
    Collect,
    Redeem,
    Reversal,
}

public sealed record LoyaltyTransaction : Entity
{
    public required string Program { get; init; }
    public required LoyaltyTransactionKind Kind { get; init; }
    /// <summary>The loyalty card number; never logged in full.</summary>
    public required string CardNumber { get; init; }
    /// <summary>Unique per sale, so a repeated submission is recognised by the programme.</summary>
    public required string ReceiptId { get; init; }
    public string? OriginalReceiptId { get; init; }
    public decimal Points { get; init; }
    public decimal Amount { get; init; }
    public string Currency { get; init; } = "EUR";
    public DateTimeOffset OccurredAt { get; init; }
    public IReadOnlyList<string> Coupons { get; init; } = [];

    /// <summary>The card number as it may appear in a log: last four digits only.</summary>
    [JsonIgnore]
    public string MaskedCardNumber => CardNumber.Length <= 4 ? "****" : new string('*', CardNumber.Length - 4) + CardNumber[^4..];
}
