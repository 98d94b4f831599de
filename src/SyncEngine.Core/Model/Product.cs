namespace SyncEngine.Core.Model;

public sealed record Product : Entity
{
    public required string Sku { get; init; }
    public string? Ean { get; init; }
    public string? Name { get; init; }
    public string? ShortDescription { get; init; }
    public string? Description { get; init; }
    public string? Manufacturer { get; init; }
    public string? Unit { get; init; }
    public decimal? Weight { get; init; }
    public bool Active { get; init; } = true;
    public decimal? TaxRate { get; init; }
    public string? TaxClass { get; init; }
    public IReadOnlyList<ProductTranslation> Translations { get; init; } = [];
    public IReadOnlyList<ProductVariant> Variants { get; init; } = [];
    public IReadOnlyList<string> CategoryIds { get; init; } = [];
    public IReadOnlyList<ProductImage> Images { get; init; } = [];
    public IReadOnlyList<Attachment> Attachments { get; init; } = [];
    public ProductPrices Prices { get; init; } = new();
    public IReadOnlyList<WarehouseStock> Stock { get; init; } = [];
    public IReadOnlyList<ProductRelation> Relations { get; init; } = [];
    public IReadOnlyList<BomComponent> BillOfMaterials { get; init; } = [];
    public DateTimeOffset? UpdatedAt { get; init; }
}

public sealed record ProductTranslation
{
    /// <summary>IETF language tag or the shop's language code (hu, de, en-GB).</summary>
    public required string Language { get; init; }
    public string? Name { get; init; }
    public string? ShortDescription { get; init; }
    public string? Description { get; init; }
    public string? MetaTitle { get; init; }
    public string? MetaDescription { get; init; }
    public string? Slug { get; init; }
}

public sealed record ProductVariant
{
    public required string Sku { get; init; }
    public string? Ean { get; init; }
    /// <summary>Option name to value, e.g. Color = Black, Size = 52.</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>(0);
    public ProductPrices Prices { get; init; } = new();
    public IReadOnlyList<WarehouseStock> Stock { get; init; } = [];
    public bool Active { get; init; } = true;
}

public sealed record ProductImage
{
    public required string Url { get; init; }
    public int Position { get; init; }
    public string? AltText { get; init; }
}

public sealed record Attachment
{
    public required string Name { get; init; }
    public string? Url { get; init; }
    public string MimeType { get; init; } = "application/pdf";
    public byte[]? Content { get; init; }
}

public sealed record ProductPrices
{
    public string? Currency { get; init; }
    /// <summary>Normal sale price, net.</summary>
    public decimal? Base { get; init; }
    public decimal? BaseGross { get; init; }
    public decimal? PurchasePrice { get; init; }
    public IReadOnlyList<GroupPrice> PriceGroups { get; init; } = [];
    public IReadOnlyList<TierPrice> Tiers { get; init; } = [];
    public IReadOnlyList<ActionPrice> Actions { get; init; } = [];
    public IReadOnlyList<CustomerPrice> CustomerPrices { get; init; } = [];
}

public sealed record GroupPrice(string Group, decimal Price);

public sealed record TierPrice(decimal MinQuantity, decimal Price, string? Group = null);

/// <summary>A promotional price valid from/to the given instants (open ended when null).</summary>
public sealed record ActionPrice(decimal Price, DateTimeOffset? ValidFrom, DateTimeOffset? ValidTo);

/// <summary>A B2B price agreed with one customer.</summary>
public sealed record CustomerPrice(string CustomerId, decimal Price, decimal MinQuantity = 1);

public sealed record WarehouseStock(string Warehouse, decimal Quantity);

public enum RelationKind
{
    CrossSell,
    UpSell,
    Accessory,
}

public sealed record ProductRelation(RelationKind Kind, string Sku, int Position = 0);

public sealed record BomComponent(string Sku, decimal Quantity);
