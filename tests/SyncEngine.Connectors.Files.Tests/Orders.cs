using SyncEngine.Core.Model;

namespace SyncEngine.Connectors.Files.Tests;

/// <summary>Orders as a shop sends them, with text that tests quoting and encodings.</summary>
internal static class Orders
{
    public static Order Kovacs => new()
    {
        Id = "1001",
        OrderNumber = "SR-1001",
        OrderedAt = new DateTimeOffset(2026, 11, 20, 9, 15, 0, TimeSpan.FromHours(1)),
        Currency = "HUF",
        Customer = new Customer { Id = "C-77", FirstName = "Éva", LastName = "Kovács" },
        CustomerComment = "Bitte \"vorsichtig\"; liefern, danke",
        Lines =
        [
            new OrderLine { LineNumber = 1, Sku = "KE-100", Name = "Fényképező táska", Quantity = 2, UnitPriceNet = 7874.02m, TaxRate = 27 },
            new OrderLine { LineNumber = 2, Sku = "SD-64", Name = "SD kártya", Quantity = 1, UnitPriceNet = 3149.61m, TaxRate = 5 },
        ],
        Totals = new OrderTotals { Gross = 25500.5m, Discount = -12.5m },
    };

    public static Order Nagy => new()
    {
        Id = "1002",
        OrderNumber = "SR-1002",
        OrderedAt = new DateTimeOffset(2026, 11, 21, 16, 40, 0, TimeSpan.FromHours(1)),
        Currency = "EUR",
        Customer = new Customer { Id = "C-78", FirstName = "Béla", LastName = "Nagy" },
        CustomerComment = "Hátsó bejárat",
        Lines = [new OrderLine { LineNumber = 1, Sku = "AB-1", Name = "Akku", Quantity = 3, UnitPriceNet = 10, TaxRate = 27 }],
        Totals = new OrderTotals { Gross = 1234.56m },
    };

    public static Order WithName(this Order order, string lastName) => order with { Customer = order.Customer! with { LastName = lastName } };

    /// <summary>A write mapping of an order and its lines; <paramref name="file"/> is the mapping's "file" section.</summary>
    public static string WriteMapping(string file, string culture = "de-DE") => $$"""
        {
          "record": "Order",
          "culture": "{{culture}}",
          "fields": {
            "Belegnummer": "OrderNumber",
            "Datum": "OrderedAt",
            "Kunde": "Customer.LastName",
            "Betrag": "Totals.Gross"
          },
          "children": {
            "positionen": {
              "path": "Lines",
              "fields": { "Pos": "$index", "Artikel": "Sku", "Menge": "Quantity", "Preis": "UnitPriceNet" }
            }
          },
          "file": {{file}}
        }
        """;
}
