namespace SyncEngine.Core.Model;

/// <summary>Base of every canonical record: its identity in the system it came from and a bag of unnamed fields.</summary>
public abstract record Entity
{
    /// <summary>The record's stable identity in its source system (shop order id, SKU, warehouse|SKU, ...).</summary>
    public required string Id { get; init; }

    /// <summary>Fields the model does not name, so an administrator can map a custom field without code.</summary>
    public IReadOnlyDictionary<string, string?> Attributes { get; init; } = Model.Attributes.Empty;

    /// <summary>
    /// Why the record is no valid record of its kind whatever the target (an order line taking goods back), naming field
    /// and value; null when it is one. The flow runner dead-letters such a record instead of writing it.
    /// </summary>
    public virtual string? Problem() => null;
}

public static class Attributes
{
    public static readonly IReadOnlyDictionary<string, string?> Empty = new Dictionary<string, string?>(0);
}
