using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SyncEngine.Connectors.ShopRenter.Api;
using SyncEngine.Connectors.ShopRenter.Reading;
using SyncEngine.Connectors.ShopRenter.Writing;
using SyncEngine.Core;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Model;

namespace SyncEngine.Connectors.ShopRenter;

public static class ShopRenterServiceCollectionExtensions
{
    /// <summary>Connections of <c>"Type": "ShopRenter"</c>: one ShopRenter shop each, through its API2 with OAuth client credentials.</summary>
    public static IServiceCollection AddShopRenterConnector(this IServiceCollection services) => services.AddConnector<ShopRenterConnectorFactory>();
}

public sealed class ShopRenterConnectorFactory : IConnectorFactory
{
    public string Type => "ShopRenter";

    public IConnector Create(ConnectionContext connection)
    {
        var key = connection.Settings.Path;
        ShopRenterOptions options;
        try
        {
            options = connection.Settings.Get<ShopRenterOptions>() ?? new ShopRenterOptions();
        }
        catch (InvalidOperationException ex)
        {
            // The binder's message names the key and the value; a secret is never among the numbers it parses.
            throw new ConfigurationException(key, ex.Message);
        }
        var errors = Check(key, options);
        TimeZoneInfo? zone = null;
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(options.TimeZone);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            errors.Add(new ConfigError(key + ":TimeZone", $"'{options.TimeZone}' is not a time zone this machine knows (e.g. Europe/Budapest)"));
        }
        if (errors.Count > 0) throw new ConfigurationException(errors);
        var loggers = connection.Services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var time = connection.Services.GetService<TimeProvider>() ?? TimeProvider.System;
        return new ShopRenterConnector(connection.Name, options, zone!, time, loggers);
    }

    internal static List<ConfigError> Check(string key, ShopRenterOptions options)
    {
        var errors = new List<ConfigError>();
        if (string.IsNullOrWhiteSpace(options.ShopName))
            errors.Add(new ConfigError(key + ":ShopName", "missing: the shop's name, as in {shopName}.shoprenter.hu"));
        else if (!options.ShopName.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            errors.Add(new ConfigError(key + ":ShopName", $"'{options.ShopName}' is not a shop name (letters, digits, '-' and '_')"));
        if (string.IsNullOrWhiteSpace(options.ClientId)) errors.Add(new ConfigError(key + ":ClientId", "missing: the API client's id (Settings > API Settings in the shop's admin)"));
        if (string.IsNullOrWhiteSpace(options.ClientSecret)) errors.Add(new ConfigError(key + ":ClientSecret", "missing: the API client's secret (set it in an environment variable or a secrets file, not in appsettings.json)"));
        if (!string.IsNullOrWhiteSpace(options.ShopName))
        {
            foreach (var (name, value) in new[] { ("ApiBaseUrl", options.ResolvedApiBaseUrl), ("TokenUrl", options.ResolvedTokenUrl) })
            {
                if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
                    errors.Add(new ConfigError($"{key}:{name}", $"'{value}' is not an http(s) URL"));
            }
        }
        if (options.RequestsPerSecond is < 1 or > 100) errors.Add(new ConfigError(key + ":RequestsPerSecond", $"'{options.RequestsPerSecond}' must be 1 to 100 (ShopRenter allows 3)"));
        if (options.PageSize is < 1 or > 200) errors.Add(new ConfigError(key + ":PageSize", $"'{options.PageSize}' must be 1 to 200 (the API's maximum)"));
        if (options.OverlapSeconds is < 0 or > 86400) errors.Add(new ConfigError(key + ":OverlapSeconds", $"'{options.OverlapSeconds}' must be 0 to 86400"));
        if (options.StockField is not ("stock1" or "stock2" or "stock3" or "stock4"))
            errors.Add(new ConfigError(key + ":StockField", $"'{options.StockField}' must be stock1, stock2, stock3 or stock4"));
        if (options.NameOrder is not ("FamilyFirst" or "GivenFirst"))
            errors.Add(new ConfigError(key + ":NameOrder", $"'{options.NameOrder}' must be FamilyFirst or GivenFirst"));
        if (options.RequestTimeoutSeconds < 1) errors.Add(new ConfigError(key + ":RequestTimeoutSeconds", $"'{options.RequestTimeoutSeconds}' must be at least 1"));
        if (options.MaxRetries is < 0 or > 20) errors.Add(new ConfigError(key + ":MaxRetries", $"'{options.MaxRetries}' must be 0 to 20"));
        if (options.RetryBudgetPerMinute < 0) errors.Add(new ConfigError(key + ":RetryBudgetPerMinute", $"'{options.RetryBudgetPerMinute}' must not be negative"));
        if (options.RetryBaseDelaySeconds < 0 || options.RetryMaxDelaySeconds < options.RetryBaseDelaySeconds)
            errors.Add(new ConfigError(key + ":RetryBaseDelaySeconds", "must be at least 0 and at most RetryMaxDelaySeconds"));
        return errors;
    }
}

/// <summary>
/// One ShopRenter shop. Streams: <c>orders</c>, <c>customers</c>, <c>products</c>, <c>paymentMethods</c>,
/// <c>shippingMethods</c> and <c>coupons</c> in; <c>stock</c> and <c>prices</c> out. Its webhooks
/// (<c>order_confirm</c>, <c>order_status_change</c>) run the flows reading its orders and customers at once.
/// </summary>
public sealed class ShopRenterConnector : IConnector, IStreamValidator, IWebhookConnector
{
    public const string Orders = "orders";
    public const string Customers = "customers";
    public const string Products = "products";
    public const string PaymentMethods = "paymentMethods";
    public const string ShippingMethods = "shippingMethods";
    public const string Coupons = "coupons";
    public const string Stock = "stock";
    public const string Prices = "prices";

    private readonly ILoggerFactory _loggers;

    internal ShopRenterConnector(string name, ShopRenterOptions options, TimeZoneInfo zone, TimeProvider time, ILoggerFactory loggers)
    {
        Name = name;
        Options = options;
        Zone = zone;
        _loggers = loggers;
        Client = new ShopRenterClient(options, time, loggers.CreateLogger<ShopRenterClient>());
        Lookups = new ShopLookups(Client, options, time);
        Reader = new IncrementalReader(Client, options, zone);
    }

    public string Name { get; }

    public IReadOnlyList<StreamInfo> Streams { get; } =
    [
        new(Orders, typeof(Order), StreamAccess.Read),
        new(Customers, typeof(Customer), StreamAccess.Read),
        new(Products, typeof(Product), StreamAccess.Read),
        new(PaymentMethods, typeof(Product), StreamAccess.Read),
        new(ShippingMethods, typeof(Product), StreamAccess.Read),
        new(Coupons, typeof(Product), StreamAccess.Read),
        new(Stock, typeof(StockLevel), StreamAccess.Write),
        new(Prices, typeof(Product), StreamAccess.Write),
    ];

    internal ShopRenterOptions Options { get; }

    internal TimeZoneInfo Zone { get; }

    internal ShopRenterClient Client { get; }

    internal ShopLookups Lookups { get; }

    internal IncrementalReader Reader { get; }

    public IRecordSource OpenSource(StreamContext context) => Stream(context.Stream) switch
    {
        Orders => new OrderSource(this, _loggers.CreateLogger<OrderSource>()),
        Customers => new CustomerSource(this),
        Products => new ProductSource(this),
        PaymentMethods or ShippingMethods or Coupons => new ReferenceSource(this, Stream(context.Stream)),
        var other => throw new ConfigurationException($"{context.Flow}:From", $"stream '{other}' of ShopRenter connection '{Name}' cannot be read"),
    };

    public IRecordTarget OpenTarget(StreamContext context) => Stream(context.Stream) switch
    {
        Stock when string.IsNullOrWhiteSpace(Options.Warehouse) =>
            throw new ConfigurationException($"SyncEngine:Connections:{Name}:Warehouse", "missing: the ERP warehouse whose stock this shop receives"),
        Stock => new ProductUpdateTarget(this, stock: true, _loggers.CreateLogger<ProductUpdateTarget>()),
        Prices => new ProductUpdateTarget(this, stock: false, _loggers.CreateLogger<ProductUpdateTarget>()),
        var other => throw new ConfigurationException($"{context.Flow}:To", $"stream '{other}' of ShopRenter connection '{Name}' cannot be written"),
    };

    public IEnumerable<ConfigError> Validate(StreamContext context, StreamAccess access)
    {
        var key = $"SyncEngine:Connections:{Name}";
        if (access == StreamAccess.Write && Stream(context.Stream) == Stock && string.IsNullOrWhiteSpace(Options.Warehouse))
            yield return new ConfigError(key + ":Warehouse", $"missing: flow '{context.Flow}' writes stock to this shop; name the ERP warehouse whose stock it receives");
        if (context.MappingFile is not null)
        {
            yield return new ConfigError($"SyncEngine:Flows:{context.Flow}:Mapping",
                $"ShopRenter streams are read and written as canonical records; '{Path.GetFileName(context.MappingFile)}' belongs on the flow's other side");
        }
    }

    /// <summary>
    /// An order webhook (<c>order_confirm</c>, <c>order_status_change</c>) runs the flows reading this shop's orders and
    /// customers; a newsletter webhook or one from another shop runs nothing.
    /// </summary>
    public IReadOnlyList<string> StreamsChangedBy(string payload)
    {
        var notice = ShopRenterWebhook.Parse(payload);
        if (notice.IsNewsletter) return [];
        if (notice.StoreName is not null && !string.Equals(notice.StoreName, Options.ShopName, StringComparison.OrdinalIgnoreCase)) return [];
        return [Orders, Customers];
    }

    public ValueTask DisposeAsync()
    {
        Client.Dispose();
        return ValueTask.CompletedTask;
    }

    private string Stream(string name) =>
        Streams.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))?.Name
        ?? throw new ConfigurationException($"SyncEngine:Connections:{Name}", $"ShopRenter has no stream '{name}'; it has: {string.Join(", ", Streams.Select(s => s.Name))}");
}
