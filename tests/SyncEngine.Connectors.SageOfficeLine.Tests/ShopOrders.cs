using SyncEngine.Core.Model;

namespace SyncEngine.Connectors.SageOfficeLine.Tests;

/// <summary>Canonical orders as a shop connector hands them over, built in the test.</summary>
public static class ShopOrders
{
    public static readonly DateTimeOffset OrderedAt = new(2026, 11, 20, 9, 15, 0, TimeSpan.FromHours(1));

    public static Customer Guest(string lastName, string firstName, string email, string? company = null) => new()
    {
        Id = "0", IsGuest = true, LastName = lastName, FirstName = firstName, Email = email, Company = company,
    };

    public static Customer Registered(string id, string lastName, string firstName, string email) => new()
    {
        Id = id, IsGuest = false, LastName = lastName, FirstName = firstName, Email = email,
    };

    public static OrderLine Line(string sku, string name, decimal quantity, decimal net, decimal taxRate = 27, string? taxKey = null) => new()
    {
        Sku = sku, Name = name, Quantity = quantity, UnitPriceNet = net, UnitPriceGross = Math.Round(net * (1 + taxRate / 100), 2), TaxRate = taxRate, TaxKey = taxKey,
    };

    /// <summary>An order of Kiss Anna (a guest) from Szeged, cash on delivery by GLS, unless the test says otherwise.</summary>
    public static Order Create(string id, params OrderLine[] lines)
    {
        var customer = Guest("Kiss", "Anna", "anna.kiss@example.hu");
        var net = lines.Sum(l => l.Quantity * l.UnitPriceNet);
        var gross = lines.Sum(l => l.Quantity * l.UnitPriceGross);
        return new Order
        {
            Id = id,
            OrderNumber = "SR-" + id,
            Channel = "shoprenter",
            OrderedAt = OrderedAt,
            Currency = "HUF",
            Customer = customer,
            BillingAddress = Address(customer),
            ShippingAddress = Address(customer),
            Lines = lines.Select((l, i) => l with { LineNumber = i + 1 }).ToList(),
            Payment = new PaymentInfo { Code = "COD", Name = "Utánvét" },
            Shipping = new ShippingInfo { Code = "GLS", Name = "GLS futárszolgálat" },
            Totals = new OrderTotals { Net = net, Tax = gross - net, Gross = gross },
        };
    }

    public static Order For(this Order order, Customer customer) => order with
    {
        Customer = customer, BillingAddress = Address(customer), ShippingAddress = Address(customer),
    };

    public static Address Address(Customer customer) => new()
    {
        Company = customer.Company, FirstName = customer.FirstName, LastName = customer.LastName,
        Street = "Petőfi Sándor utca 7.", PostalCode = "6720", City = "Szeged", CountryCode = "HU", Email = customer.Email,
    };
}
