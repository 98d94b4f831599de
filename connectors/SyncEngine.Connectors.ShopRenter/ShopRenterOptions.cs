namespace SyncEngine.Connectors.ShopRenter;

/// <summary>A <c>"Type": "ShopRenter"</c> connection: one shop, its API client and the ERP warehouse whose stock it shows.</summary>
public sealed class ShopRenterOptions
{
    public const string DefaultApiBaseUrl = "https://{shopName}.api2.myshoprenter.hu/api";
    public const string DefaultTokenUrl = "https://oauth.app.shoprenter.net/{shopName}/app/token";

    /// <summary>The shop's name, as in <c>{shopName}.shoprenter.hu</c>; also the orders' <c>Channel</c>.</summary>
    public string? ShopName { get; set; }

    /// <summary>Of the shop's custom API client (Settings &gt; API Settings) or of a registered app.</summary>
    public string? ClientId { get; set; }

    /// <summary>Never logged and never part of a message.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>API2 base URL; <c>{shopName}</c> is replaced by <see cref="ShopName"/>.</summary>
    public string ApiBaseUrl { get; set; } = DefaultApiBaseUrl;

    /// <summary>OAuth token endpoint (client credentials); <c>{shopName}</c> is replaced by <see cref="ShopName"/>.</summary>
    public string TokenUrl { get; set; } = DefaultTokenUrl;

    /// <summary>The ERP warehouse whose StockLevel records this shop receives on its <c>stock</c> stream.</summary>
    public string? Warehouse { get; set; }

    /// <summary>The product field the stock goes to: <c>stock1</c> (the shop's primary warehouse) to <c>stock4</c>.</summary>
    public string StockField { get; set; } = "stock1";

    /// <summary>The documented limit is 3 requests per application, shop and second.</summary>
    public int RequestsPerSecond { get; set; } = 3;

    /// <summary>Items per page of a list, at most 200 (the API's maximum).</summary>
    public int PageSize { get; set; } = 200;

    /// <summary>How far before the stored cursor an incremental read starts again, so nothing updated at the edge is missed.</summary>
    public int OverlapSeconds { get; set; } = 120;

    /// <summary>The time zone of the shop's time stamps, which carry no offset.</summary>
    public string TimeZone { get; set; } = "Europe/Budapest";

    /// <summary>Language code (<c>hu</c>, <c>en</c>, ...) of the names taken from descriptions (products, methods, statuses).</summary>
    public string Language { get; set; } = "hu";

    /// <summary>Orders updated before this (shop time) are not read on the first or a full run; empty reads every order.</summary>
    public DateTime? OrdersSince { get; set; }

    /// <summary>Read each order line's chosen options (one batched sub-request per line).</summary>
    public bool ReadLineOptions { get; set; } = true;

    /// <summary>
    /// Read each order's add-ons (deposit fees, <c>orderProductAddons?orderId=</c>; one batched sub-request per order):
    /// the list of <c>orderExtend</c> leaves them out. Shops that charge no deposit can turn this off.
    /// </summary>
    public bool ReadAddons { get; set; } = true;

    /// <summary>
    /// <c>FamilyFirst</c>: ShopRenter's <c>firstname</c> holds the family name, written first in Hungarian (the API
    /// describes <c>firstname</c> as "Lastname"). <c>GivenFirst</c>: the fields mean what their names say.
    /// </summary>
    public string NameOrder { get; set; } = "FamilyFirst";

    public int RequestTimeoutSeconds { get; set; } = 100;

    /// <summary>Retries of one request after a 429, a 5xx, a time-out or a broken connection.</summary>
    public int MaxRetries { get; set; } = 5;

    /// <summary>Retries allowed per shop within any minute; beyond them requests fail at once (no retry storm).</summary>
    public int RetryBudgetPerMinute { get; set; } = 30;

    /// <summary>First back-off delay; doubled per retry, with jitter.</summary>
    public double RetryBaseDelaySeconds { get; set; } = 1;

    public double RetryMaxDelaySeconds { get; set; } = 60;

    /// <summary>A token is renewed this long before it expires (at most a fifth of its lifetime).</summary>
    public int TokenRefreshSeconds { get; set; } = 60;

    internal string ResolvedApiBaseUrl => Resolve(ApiBaseUrl).TrimEnd('/');

    internal string ResolvedTokenUrl => Resolve(TokenUrl);

    internal bool FamilyNameFirst => !string.Equals(NameOrder, "GivenFirst", StringComparison.OrdinalIgnoreCase);

    private string Resolve(string template) => template.Replace("{shopName}", ShopName, StringComparison.OrdinalIgnoreCase);
}
