using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;

namespace SyncEngine.Connectors.ShopRenter.Api;

/// <summary>
/// What orders, products and customers only link to (status names, tax classes, shipping modes, languages, countries,
/// customer groups), fetched in the same batch as the data that needs it and kept for the life of the connection:
/// a shop's reference data changes seldom, and every request counts against 3 per second.
/// </summary>
internal sealed class ShopLookups(ShopRenterClient client, ShopRenterOptions options, TimeProvider time)
{
    /// <summary>Tax classes are read again after this long, so a renamed class shows up.</summary>
    private static readonly TimeSpan TaxClassLifetime = TimeSpan.FromHours(1);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private IReadOnlyList<TaxClass>? _taxClasses;
    private DateTimeOffset _taxClassesRead;
    private IReadOnlyDictionary<string, string>? _languages;

    public ConcurrentDictionary<string, IReadOnlyList<(string? LanguageId, string Name)>> StatusNames { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, ShippingMode> ShippingModes { get; } = new(StringComparer.Ordinal);

    /// <summary>Product resource id -> its tax class id (read only for lines whose rate more than one class has).</summary>
    public ConcurrentDictionary<string, string?> ProductTaxClasses { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, string?> Countries { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, string?> CustomerGroups { get; } = new(StringComparer.Ordinal);

    /// <summary>SKU -> product resource id, for stock and price updates.</summary>
    public ConcurrentDictionary<string, string> ProductIds { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<TaxClass> TaxClasses => _taxClasses ?? [];

    /// <summary>Reads the tax classes (one request, <c>taxClassExtend?full=1</c>) when they are not known or are an hour old.</summary>
    public async Task EnsureTaxClassesAsync(CancellationToken cancellationToken)
    {
        if (_taxClasses is not null && time.GetUtcNow() - _taxClassesRead < TaxClassLifetime) return;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_taxClasses is not null && time.GetUtcNow() - _taxClassesRead < TaxClassLifetime) return;
            var classes = new List<TaxClass>();
            await foreach (var item in ReadAllAsync("taxClassExtend", cancellationToken))
            {
                var rates = item.List("taxRates").Select(r => r.Dec("rate", "tax rate")).OfType<decimal>().ToList();
                if (item.Str("id") is { } id) classes.Add(new TaxClass(id, item.Str("name") ?? id, rates));
            }
            _taxClasses = classes;
            _taxClassesRead = time.GetUtcNow();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Reads the shop's languages once (one request), to tell which description is in <see cref="ShopRenterOptions.Language"/>.</summary>
    public async Task<IReadOnlyDictionary<string, string>> LanguagesAsync(CancellationToken cancellationToken)
    {
        if (_languages is not null) return _languages;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_languages is not null) return _languages;
            var languages = new Dictionary<string, string>(StringComparer.Ordinal);
            await foreach (var item in ReadAllAsync("languages", cancellationToken))
            {
                if (item.Str("id") is { } id && item.Str("code") is { } code) languages[id] = code;
            }
            return _languages = languages;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The tax classes with this rate; one of them is the line's VAT key.</summary>
    public IReadOnlyList<TaxClass> ClassesWithRate(decimal rate) => TaxClasses.Where(c => c.Rates.Contains(rate)).ToList();

    public string? TaxClassName(string? id) => id is null ? null : TaxClasses.FirstOrDefault(c => c.Id == id)?.Name;

    public string? StatusName(string statusId, string? languageId)
    {
        if (!StatusNames.TryGetValue(statusId, out var names) || names.Count == 0) return null;
        return names.FirstOrDefault(n => n.LanguageId == languageId).Name ?? names[0].Name;
    }

    /// <summary>Picks the description in the configured language from a list of <c>{name, language}</c> objects.</summary>
    public static JsonElement? InLanguage(IEnumerable<JsonElement> descriptions, IReadOnlyDictionary<string, string> languages, string language)
    {
        JsonElement? first = null;
        foreach (var description in descriptions)
        {
            first ??= description;
            var id = description.LinkId("language");
            if (id is not null && languages.TryGetValue(id, out var code) && string.Equals(code, language, StringComparison.OrdinalIgnoreCase)) return description;
        }
        return first;
    }

    private async IAsyncEnumerable<JsonElement> ReadAllAsync(string resource, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var page = 0; ; page++)
        {
            using var result = await client.GetPageAsync(resource, [new("full", "1"), new("limit", options.PageSize.ToString(CultureInfo.InvariantCulture))], page, cancellationToken);
            if (result.Fault is not null) throw new ShopRenterException(result.Fault);
            foreach (var item in result.Items) yield return item.Clone();
            if (!result.HasNext) yield break;
        }
    }
}

internal sealed record TaxClass(string Id, string Name, IReadOnlyList<decimal> Rates);

internal sealed record ShippingMode(string? InnerId, string? Extension);
