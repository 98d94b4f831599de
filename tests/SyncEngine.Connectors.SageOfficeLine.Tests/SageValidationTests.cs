using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SyncEngine.Core.Connectors;
using SyncEngine.Testing;

namespace SyncEngine.Connectors.SageOfficeLine.Tests;

/// <summary><c>syncengine validate</c> on Sage connections: settings, mappings and the real tables, each error where an administrator fixes it.</summary>
public sealed class SageValidationTests : IAsyncLifetime
{
    private readonly TempDirectory _folder = new();
    private readonly MemoryShops _shops = new();
    private readonly List<SageEngine> _engines = [];
    private TestDatabase? _database;

    private async Task<IReadOnlyList<ConfigError>> ValidateAsync(string provider, params IDictionary<string, string?>[] settings)
    {
        _database ??= await TestDatabase.CreateAsync(provider, _folder, "sage.db", midnightAsDay: true);
        var engine = SageEngine.Start(_folder, _shops, Config.Merge([Config.Shop("shop1"), .. settings]));
        _engines.Add(engine);
        return engine.Validator.Validate();
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task The_shipped_mappings_validate_against_the_sage_subset(string provider)
    {
        _database = await TestDatabase.CreateAsync(provider, _folder, "sage.db", midnightAsDay: true);

        var errors = await ValidateAsync(provider,
            Config.Sage("sage1", _database, "SR1", 500000, 599999),
            Config.Flow("orders", "shop1/orders", "sage1/orders", Config.Mapping("shoprenter", "orders.json")),
            Config.Flow("customers", "shop1/customers", "sage1/customers", Config.Mapping("shoprenter", "customers.json")),
            Config.Flow("products", "shop1/products", "sage1/articles", Config.Mapping("shoprenter", "products.json")),
            Config.Flow("stock", "sage1/stock", "shop1/stock", Config.Mapping("shoprenter", "stock.json")),
            Config.Flow("prices", "sage1/prices", "shop1/products", Config.Mapping("shoprenter", "prices.json")),
            Config.Flow("default-orders", "shop1/orders", "sage1/orders", null),
            Config.Flow("default-customers", "shop1/customers", "sage1/customers", null),
            Config.Flow("default-articles", "sage1/articles", "shop1/products", null),
            Config.Flow("default-stock", "sage1/stock", "shop1/stock", null),
            Config.Flow("default-prices", "sage1/prices", "shop1/products", null));

        Assert.Empty(errors);
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task A_write_mapping_is_checked_against_sages_tables_naming_file_line_and_field(string provider)
    {
        File.WriteAllText(_folder["orders.json"], """
            {
              "record": "Order",
              "direction": "write",
              "fields": {
                "Belegdatum": "OrderedAt",
                "Belegnummer": "OrderNumber",
                "Lieferbedingung": "Shipping.Code",
                "KHKAdressen.Fax": "Customer.Phone",
                "KHKAdressen.Matchcode": "Customer.LastName",
                "KHKFoo.Bar": "Currency"
              },
              "children": {
                "positionen": { "path": "Lines", "fields": { "Artikelnummer": "Sku", "Menge": "Quantity", "KHKArtikel.Farbe": "Name" } },
                "gutscheine": { "path": "Coupons", "fields": { "Artikelnummer": "Code" } }
              }
            }
            """);
        _database = await TestDatabase.CreateAsync(provider, _folder, "sage.db", midnightAsDay: true);

        var errors = await ValidateAsync(provider,
            Config.Sage("sage1", _database, "SR1", 500000, 599999),
            Config.Flow("orders", "shop1/orders", "sage1/orders", _folder["orders.json"]));

        AssertErrors(
        [
            "orders.json:6: fields.Belegnummer: KHKVKBelege.Belegnummer is set by the connector",
            "orders.json:10: fields.KHKFoo.Bar: 'KHKFoo' is not a table written here",
            "orders.json:14: children.gutscheine.path: positions come from Lines (articles) or Services",
        ], errors);

        File.WriteAllText(_folder["orders.json"], """
            {
              "record": "Order",
              "direction": "write",
              "fields": {
                "Belegdatum": "OrderedAt",
                "Referenznummer": "OrderNumber",
                "Lieferbedingung": "Shipping.Code",
                "KHKAdressen.Fax": "Customer.Phone",
                "KHKAdressen.Matchcode": "Customer.LastName",
                "WKz": "Currency"
              },
              "children": {
                "positionen": { "path": "Lines", "fields": { "Artikelnummer": "Sku", "Menge": "Quantity", "KHKArtikel.Farbe": "Name" } },
                "leistungen": { "path": "Services", "fields": { "Artikelnummer": "Code" } }
              }
            }
            """);
        errors = await ValidateAsync(provider,
            Config.Sage("sage1", _database, "SR1", 500000, 599999),
            Config.Flow("orders", "shop1/orders", "sage1/orders", _folder["orders.json"]));

        AssertErrors(
        [
            "orders.json:7: fields.Lieferbedingung: column 'Lieferbedingung' is not in table 'KHKVKBelege'",
            "orders.json:8: fields.KHKAdressen.Fax: column 'Fax' is not in table 'KHKAdressen'",
            "orders.json:13: children.positionen.fields.KHKArtikel.Farbe: column 'Farbe' is not in table 'KHKArtikel'",
        ], errors);
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task Settings_a_stream_needs_and_the_fields_sage_must_have_are_named_by_their_key(string provider)
    {
        _database = await TestDatabase.CreateAsync(provider, _folder, "sage.db", midnightAsDay: true);
        var sage = Config.Sage("sage1", _database, "SR1", 500000, 599999);
        sage.Remove("SyncEngine:Connections:sage1:NumberRange:From");
        sage.Remove("SyncEngine:Connections:sage1:NumberRange:To");
        sage.Remove("SyncEngine:Connections:sage1:Warehouse");
        sage["SyncEngine:Connections:sage1:Belegkennzeichen"] = "VXX";
        sage["SyncEngine:Connections:sage1:OrderKeyColumn"] = "USER_Webshopnummer";
        File.WriteAllText(_folder["stock.json"], File.ReadAllText(Config.Mapping("sage", "stock.json")).Replace("b.Mandant = @Mandant AND ", "", StringComparison.Ordinal));

        var errors = await ValidateAsync(provider, sage,
            Config.Flow("orders", "shop1/orders", "sage1/orders", Config.Mapping("shoprenter", "orders.json")),
            Config.Flow("stock", "sage1/stock", "shop1/stock", _folder["stock.json"]));

        AssertErrors(
        [
            "SyncEngine:Connections:sage1:NumberRange: missing: the Belegnummer range of this shop's documents",
            "SyncEngine:Connections:sage1:OrderKeyColumn: column 'USER_Webshopnummer' is not in table 'KHKVKBelege' (the user-defined field that keeps the shop's order id",
            "SyncEngine:Connections:sage1:Belegkennzeichen: 'VXX' is not a document type of this Sage database (KHKVKBelegarten)",
            "stock.json:14: database.query: the query must read this connection's client only: add WHERE ... Mandant = @Mandant",
            "SyncEngine:Connections:sage1:Warehouse: missing: the query of stock.json reads the stock of @Lager",
        ], errors);
    }

    [Fact]
    public void A_connection_that_cannot_work_is_refused_at_start_naming_each_key()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SyncEngine:Connections:sage:Type"] = "SageOfficeLine",
            ["SyncEngine:Connections:sage:Provider"] = "MySql",
            ["SyncEngine:Connections:sage:NumberRange:From"] = "0",
            ["SyncEngine:Connections:sage:NumberRange:To"] = "10",
            ["SyncEngine:Connections:sage:CustomerNumbers:From"] = "9000",
            ["SyncEngine:Connections:sage:CustomerNumbers:To"] = "12000",
            ["SyncEngine:Connections:sage:Streams:invoices:Mapping"] = "x.json",
        }).Build();
        var context = new ConnectionContext
        {
            Name = "sage", Settings = configuration.GetSection("SyncEngine:Connections:sage"), BaseDirectory = _folder.Path,
            Services = new ServiceCollection().BuildServiceProvider(),
        };

        var error = Assert.Throws<ConfigurationException>(() => new SageOfficeLineConnectorFactory().Create(context));

        Assert.Equal(
        [
            "SyncEngine:Connections:sage:Mandant",
            "SyncEngine:Connections:sage:NumberRange",
            "SyncEngine:Connections:sage:CustomerNumbers",
            "SyncEngine:Connections:sage:Streams:invoices",
            "SyncEngine:Connections:sage:Provider",
            "SyncEngine:Connections:sage:ConnectionString",
        ], error.Errors.Select(e => e.Key));
        Assert.Contains("SqlServer", error.Errors.Single(e => e.Key.EndsWith(":Provider", StringComparison.Ordinal)).Message);
    }

    [Fact]
    public void The_sage_subset_is_never_set_up_on_sql_server()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SyncEngine:Connections:sage:Type"] = "SageOfficeLine",
            ["SyncEngine:Connections:sage:Provider"] = "SqlServer",
            ["SyncEngine:Connections:sage:ConnectionString"] = "Server=sage.local;Database=OLReweAbf;User Id=sync;Password=geheim;TrustServerCertificate=true",
            ["SyncEngine:Connections:sage:Mandant"] = "1",
            ["SyncEngine:Connections:sage:Setup"] = "sage-subset",
        }).Build();
        var context = new ConnectionContext
        {
            Name = "sage", Settings = configuration.GetSection("SyncEngine:Connections:sage"), BaseDirectory = _folder.Path,
            Services = new ServiceCollection().BuildServiceProvider(),
        };

        var error = Assert.Throws<ConfigurationException>(() => new SageOfficeLineConnectorFactory().Create(context));

        var only = Assert.Single(error.Errors);
        Assert.Equal("SyncEngine:Connections:sage:Setup", only.Key);
        Assert.DoesNotContain("geheim", error.Message);
    }

    /// <summary>Each error as an administrator reads it, "file:line: field: message", with the file's name only.</summary>
    private static List<string> Texts(IEnumerable<ConfigError> errors) =>
        errors.Select(e => e.File is null ? e.ToString() : e.ToString().Replace(e.File, Path.GetFileName(e.File), StringComparison.Ordinal)).ToList();

    /// <summary>The errors, in order, each beginning with the text expected of it.</summary>
    private static void AssertErrors(IReadOnlyList<string> expected, IEnumerable<ConfigError> errors)
    {
        var actual = Texts(errors);
        Assert.True(expected.Count == actual.Count && expected.Zip(actual).All(p => p.Second.StartsWith(p.First, StringComparison.Ordinal)),
            $"expected errors beginning with:{Environment.NewLine}{string.Join(Environment.NewLine, expected)}{Environment.NewLine}but got:{Environment.NewLine}{string.Join(Environment.NewLine, actual)}");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var engine in _engines) await engine.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        _folder.Dispose();
    }
}
