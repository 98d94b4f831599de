using SyncEngine.Core.Model;

namespace SyncEngine.Connectors.Database.Tests;

/// <summary>Canonical shop orders and the mapping that writes them into the ERP's document tables.</summary>
public static class Orders
{
    public static Order Create(string id, params (string Sku, decimal Quantity, decimal Price)[] lines) => new()
    {
        Id = id,
        OrderNumber = "SR-" + id,
        OrderedAt = new DateTimeOffset(2026, 11, 20, 9, 15, 0, TimeSpan.FromHours(1)),
        Currency = "HUF",
        Customer = new Customer { Id = "C-77", FirstName = "Éva", LastName = "Kovács" },
        Payment = new PaymentInfo { Code = "COD" },
        Lines = lines.Select((l, i) => new OrderLine { LineNumber = i + 1, Sku = l.Sku, Quantity = l.Quantity, UnitPriceNet = l.Price, TaxRate = 27 }).ToList(),
        Totals = new OrderTotals { Gross = Math.Round(lines.Sum(l => l.Quantity * l.Price), 2) },
    };

    /// <summary>Header fields from line 5 on, so tests can name the lines errors point at.</summary>
    public static string Mapping(string childKey = "") => $$"""
        {
          "record": "Order",
          "direction": "write",
          "valueMaps": { "payment": { "COD": "NN", "BANK": "VK" }, "vat": { "27": "1", "18": "2", "5": "3" } },
          "fields": {
            "Mandant": 1,
            "Referenz": "OrderNumber",
            "Belegdatum": { "path": "OrderedAt", "format": "yyyy-MM-dd" },
            "Kunde": "Customer.Id",
            "Zahlungsart": { "path": "Payment.Code", "map": "payment" },
            "Waehrung": "Currency",
            "Brutto": "Totals.Gross"
          },
          "children": {
            "positionen": {
              "path": "Lines",
              "fields": {
                "Position": "$index",
                "Artikelnummer": "Sku",
                "Menge": "Quantity",
                "Einzelpreis": { "path": "UnitPriceNet", "round": 2 },
                "Steuerschluessel": { "path": "TaxRate", "map": "vat" }
              }
            }
          },
          "database": {
            "table": "KHKVKBelege",
            "key": ["Mandant", "Referenz"],
            "identity": "BelID",
            "children": {
              "positionen": { "table": "KHKVKBelegePositionen", "parentKey": { "BelID": "BelID" }{{childKey}} }
            }
          }
        }
        """;

    public static Dictionary<string, string?> Flow(string mappingFile, int batchSize) => new()
    {
        ["SyncEngine:Flows:orders:From"] = "shop/orders",
        ["SyncEngine:Flows:orders:To"] = "erp/orders",
        ["SyncEngine:Flows:orders:Mapping"] = mappingFile,
        ["SyncEngine:Flows:orders:BatchSize"] = batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public const string Headers = "SELECT BelID, Mandant, Referenz, Belegdatum, Kunde, Zahlungsart, Waehrung, Brutto FROM KHKVKBelege ORDER BY Referenz";

    public const string Lines =
        "SELECT b.Referenz, p.BelID, p.Position, p.Artikelnummer, p.Menge, p.Einzelpreis, p.Steuerschluessel " +
        "FROM KHKVKBelegePositionen p JOIN KHKVKBelege b ON b.BelID = p.BelID ORDER BY b.Referenz, p.Position";
}
