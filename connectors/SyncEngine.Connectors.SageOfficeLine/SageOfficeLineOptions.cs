namespace SyncEngine.Connectors.SageOfficeLine;

/// <summary>
/// A <c>"Type": "SageOfficeLine"</c> connection: one Sage 100 database and client (Mandant), seen by one shop.
/// Several shops write into one Sage database through one connection each, with its own number range and warehouse.
/// </summary>
public sealed class SageOfficeLineOptions
{
    /// <summary><c>SqlServer</c> for a real Sage 100; <c>Sqlite</c> and <c>PostgreSql</c> for tests and demos on the Sage-shaped subset.</summary>
    public string? Provider { get; set; }

    public string? ConnectionString { get; set; }

    /// <summary>
    /// Demos and tests only: <c>sage-subset</c> creates the shipped Sage-shaped tables with seed data (SQLite, PostgreSQL),
    /// or a path to a script of one's own. A real Sage database is never changed.
    /// </summary>
    public string? Setup { get; set; }

    /// <summary>The Sage client (Mandant) every row read and written belongs to.</summary>
    public int? Mandant { get; set; }

    /// <summary>The shop's code, stored in front of its order and customer ids (<c>SR1:172</c>); defaults to the flow's source connection.</summary>
    public string? Shop { get; set; }

    /// <summary>Sage's document type of an imported order: <c>VVA</c> (Auftragsbestätigung), as web shop imports use it.</summary>
    public string Belegkennzeichen { get; set; } = "VVA";

    /// <summary>The Belegnummer range of this shop's documents; each shop (connection) has its own.</summary>
    public NumberRangeOptions? NumberRange { get; set; }

    /// <summary>The account numbers (Kto) of customers this shop creates: <c>Prefix</c> + a number from <c>From</c> to <c>To</c>.</summary>
    public NumberRangeOptions? CustomerNumbers { get; set; }

    /// <summary>The warehouse (Lagerkennung) whose stock this shop sells; the <c>stock</c> stream's <c>@Lager</c>.</summary>
    public string? Warehouse { get; set; }

    /// <summary>The price list (KHKPreislisten.ID) of the shop's sale prices; the <c>prices</c> stream's <c>@Preisliste</c>.</summary>
    public int? PriceList { get; set; }

    /// <summary>User-defined field of KHKVKBelege holding the shop's order id, looked up before a document is created.</summary>
    public string OrderKeyColumn { get; set; } = "USER_ShopOrderId";

    /// <summary>User-defined field of KHKKontokorrent holding a registered shop customer's id.</summary>
    public string CustomerKeyColumn { get; set; } = "USER_ShopCustomerId";

    /// <summary>Stream mappings by stream name; default <c>mappings/sage/{stream}.json</c>.</summary>
    public Dictionary<string, SageStreamOptions> Streams { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

public sealed class NumberRangeOptions
{
    public long From { get; set; }

    public long To { get; set; }

    /// <summary>Customer numbers only: text in front of the number (<c>W</c> gives W200000).</summary>
    public string? Prefix { get; set; }

    public override string ToString() => $"{Prefix}{From}-{Prefix}{To}";
}

public sealed class SageStreamOptions
{
    /// <summary>The stream's own mapping; a flow's mapping of the right direction takes its place.</summary>
    public string? Mapping { get; set; }
}
