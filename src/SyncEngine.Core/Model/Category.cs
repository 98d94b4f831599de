namespace SyncEngine.Core.Model;

/// <summary>A node of the category tree; the tree is formed by <see cref="ParentId"/>.</summary>
public sealed record Category : Entity
{
    public string? ParentId { get; init; }
    public required string Name { get; init; }
    public int Position { get; init; }
    public bool Active { get; init; } = true;
    public IReadOnlyList<CategoryTranslation> Translations { get; init; } = [];
}

public sealed record CategoryTranslation(string Language, string Name, string? Description = null);
