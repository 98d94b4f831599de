using System.Globalization;
using SyncEngine.Core.Connectors;

namespace SyncEngine.Connectors.SageOfficeLine;

internal sealed record ResolvedArticle(string Artikelnummer, int AuspraegungID, bool Created);

/// <summary>
/// Finds the article a position names: by Artikelnummer (the shop's SKU) in KHKArtikel, else by EAN in
/// KHKArtikelVarianten (the variant's article and AuspraegungID), else creates a minimal KHKArtikel from the mapping's
/// <c>KHKArtikel.</c> columns, its Memo saying which shop order created it.
/// </summary>
internal static class Articles
{
    public static async Task<ResolvedArticle> ResolveAsync(SageSession session, string number, IReadOnlyList<KeyValuePair<string, object?>> columns, string createdBy,
        Dictionary<string, ResolvedArticle> known, CancellationToken cancellationToken, bool variants = true)
    {
        if (known.TryGetValue(number, out var resolved)) return resolved;
        var articles = session.Schema[Sage.Artikel];
        var rows = await session.SelectAsync(articles, ["Artikelnummer"], [new("Mandant", session.Mandant), new("Artikelnummer", number)], cancellationToken);
        if (rows.Count > 0)
        {
            resolved = new ResolvedArticle(Convert.ToString(rows[0][0], CultureInfo.InvariantCulture)!, 0, false);
        }
        else if (variants && session.Schema.Has(Sage.Varianten) && await FindVariantAsync(session, number, cancellationToken) is { } variant)
        {
            resolved = variant;
        }
        else
        {
            List<KeyValuePair<string, object?>> row = [new("Artikelnummer", number), new("Mandant", session.Mandant), .. columns];
            if (articles.Has("Memo") && !columns.Any(c => string.Equals(c.Key, "Memo", StringComparison.OrdinalIgnoreCase))) row.Add(new("Memo", createdBy));
            await session.InsertAsync(articles, row, cancellationToken);
            resolved = new ResolvedArticle(number, 0, true);
        }
        known[number] = resolved;
        return resolved;
    }

    private static async Task<ResolvedArticle?> FindVariantAsync(SageSession session, string number, CancellationToken cancellationToken)
    {
        var variants = session.Schema[Sage.Varianten];
        if (!variants.Has("EANNummer")) return null;
        var rows = await session.SelectAsync(variants, ["Artikelnummer", "AuspraegungID"], [new("Mandant", session.Mandant), new("EANNummer", number)], cancellationToken,
            orderBy: "AuspraegungID");
        return rows.Count == 0 ? null
            : new ResolvedArticle(Convert.ToString(rows[0][0], CultureInfo.InvariantCulture)!, Convert.ToInt32(rows[0][1], CultureInfo.InvariantCulture), false);
    }

    /// <summary>The Artikelnummer a position maps, as text; a position without one cannot be written.</summary>
    public static string Number(object? value, string field)
    {
        var text = value is null ? null : Convert.ToString(value, CultureInfo.InvariantCulture)?.Trim();
        return string.IsNullOrEmpty(text) ? throw new RecordException($"field '{field}': a position needs an article number, but the value is empty", field, null) : text;
    }
}
