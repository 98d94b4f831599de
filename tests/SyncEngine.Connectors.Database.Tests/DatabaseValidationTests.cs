using System.Net;
using System.Net.Sockets;
using SyncEngine.Core.State;
using SyncEngine.Testing;

namespace SyncEngine.Connectors.Database.Tests;

/// <summary><c>syncengine validate</c> checks database mappings against the real tables and query, naming file, line and field.</summary>
public sealed class DatabaseValidationTests : IAsyncLifetime
{
    private const string OrdersMapping = """
        {
          "record": "Order",
          "direction": "write",
          "fields": {
            "Mandant": 1,
            "Referenz": "OrderNumber",
            "Kundennummer": "Customer.CustomerNumber",
            "Kunde": "Customer.Id"
          },
          "children": {
            "positionen": {
              "path": "Lines",
              "fields": { "Position": "$index", "Artikelnummer": "Sku", "Rabatt": "DiscountPercent" }
            }
          },
          "database": {
            "table": "KHKVKBelege", "key": ["Mandant", "Referenz"], "identity": "BelID",
            "children": { "positionen": { "table": "KHKVKBelegePositionen", "parentKey": { "BelID": "BelID" } } }
          }
        }
        """;

    private const string ArticlesMapping = """
        {
          "record": "Product",
          "direction": "read",
          "fields": {
            "Id": "Artikelnummer",
            "Sku": "Artikelnummer",
            "Weight": "Gewicht"
          },
          "database": { "query": "SELECT Artikelnummer, Aenderungsdatum FROM KHKArtikel WHERE Aenderungsdatum >= @cursor ORDER BY Aenderungsdatum", "cursor": "Aenderungsdatum" }
        }
        """;

    private readonly TempDirectory _folder = new();
    private readonly MemorySystem _shop = new();
    private readonly List<Engine> _engines = [];
    private TestDatabase? _database;

    private Engine Start(string provider, string connectionString, string schema, Dictionary<string, string?> flows)
    {
        var engine = Engine.Start(_folder, provider, connectionString, schema, _shop, flows);
        _engines.Add(engine);
        return engine;
    }

    private static Dictionary<string, string?> OrdersFlow(string mapping) => new()
    {
        ["SyncEngine:Flows:orders:From"] = "shop/orders",
        ["SyncEngine:Flows:orders:To"] = "erp/orders",
        ["SyncEngine:Flows:orders:Mapping"] = mapping,
    };

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task Validate_reports_each_column_the_tables_or_the_query_lack_with_mapping_file_line_and_field(string provider)
    {
        _database = await TestDatabase.CreateAsync(provider, _folder);
        File.WriteAllText(_folder["erp-orders.json"], OrdersMapping);
        File.WriteAllText(_folder["erp-articles.json"], ArticlesMapping);
        var flows = OrdersFlow("erp-orders.json");
        flows["SyncEngine:Flows:articles:From"] = "erp/articles";
        flows["SyncEngine:Flows:articles:To"] = "shop/products";
        flows["SyncEngine:Flows:articles:Mapping"] = "erp-articles.json";
        var engine = Start(provider, _database.ConnectionString, _database.Schema(), flows);

        var errors = engine.Validator.Validate();

        Assert.Equal(
        [
            ("erp-articles.json", 7, "fields.Weight"),
            ("erp-orders.json", 7, "fields.Kundennummer"),
            ("erp-orders.json", 13, "children.positionen.fields.Rabatt"),
        ], errors.Select(e => (Path.GetFileName(e.File!), e.Line!.Value, e.Key)).Order());
        Assert.All(errors, e => Assert.True(Path.IsPathRooted(e.File)));
        var byKey = errors.ToDictionary(e => e.Key);
        Assert.StartsWith("column 'Kundennummer' is not in table 'KHKVKBelege'; it has: ", byKey["fields.Kundennummer"].Message);
        Assert.Contains("Referenz", byKey["fields.Kundennummer"].Message, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("column 'Rabatt' is not in table 'KHKVKBelegePositionen'", byKey["children.positionen.fields.Rabatt"].Message);
        Assert.StartsWith("column 'Gewicht' is not in the query's result; it returns: ", byKey["fields.Weight"].Message);
        Assert.Equal($"{_folder["erp-orders.json"]}:7: fields.Kundennummer: {byKey["fields.Kundennummer"].Message}", byKey["fields.Kundennummer"].ToString());
    }

    [Fact]
    public async Task A_write_mapping_must_map_its_key_columns_and_name_a_table_for_its_child_rows()
    {
        _database = await TestDatabase.CreateAsync("Sqlite", _folder);
        File.WriteAllText(_folder["erp-orders.json"], OrdersMapping
            .Replace("\"Referenz\": \"OrderNumber\",", string.Empty, StringComparison.Ordinal)
            .Replace("\"children\": { \"positionen\": { \"table\": \"KHKVKBelegePositionen\", \"parentKey\": { \"BelID\": \"BelID\" } } }", "\"children\": { }", StringComparison.Ordinal));
        var engine = Start("Sqlite", _database.ConnectionString, _database.Schema(), OrdersFlow("erp-orders.json"));

        var errors = engine.Validator.Validate();

        Assert.Equal([("database.children.positionen", 11), ("database.key", 17)], errors.Select(e => (e.Key, e.Line!.Value)).Order());
        Assert.Contains(errors, e => e.Message == "key column 'Referenz' is not mapped; map it under fields so a rerun finds the row again");
    }

    [Fact]
    public async Task An_unreachable_database_is_one_error_naming_connection_host_and_database_but_never_the_password()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        File.WriteAllText(_folder["erp-orders.json"], OrdersMapping.Replace("\"Kundennummer\": \"Customer.CustomerNumber\",", string.Empty, StringComparison.Ordinal));
        var connectionString = $"Host=127.0.0.1;Port={port};Username=erp;Password=Geheim-123;Database=office;Timeout=5";
        var engine = Start("PostgreSql", connectionString, "CREATE TABLE IF NOT EXISTS x (y INTEGER);", OrdersFlow("erp-orders.json"));

        var error = Assert.Single(engine.Validator.Validate());

        Assert.Equal("SyncEngine:Connections:erp", error.Key);
        Assert.StartsWith($"connection 'erp' (PostgreSQL 127.0.0.1:{port}/office): cannot connect", error.Message);
        Assert.DoesNotContain("Geheim-123", error.Message);
        _shop.Records.Add(Orders.Create("1001", ("KE-100", 1, 1m)));
        var run = await engine.RunAsync("orders");
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.StartsWith($"connection 'erp' (PostgreSQL 127.0.0.1:{port}/office): cannot connect", run.Error);
        Assert.DoesNotContain("Geheim-123", run.Error);
        Assert.Null(await engine.State.GetCursorAsync("orders", default));
    }

    [Fact]
    public async Task The_setup_script_runs_at_first_use_only_while_a_table_it_creates_is_missing()
    {
        // A relative SQLite file is found beside the configuration.
        _database = await TestDatabase.CreateAsync("Sqlite", _folder);
        var schema = _database.Schema();
        File.WriteAllText(_folder["erp-orders.json"], Orders.Mapping());
        var setupRan = (Engine e) => e.Logs.Messages.Where(m => m.Contains("setup script", StringComparison.Ordinal)).ToList();

        var first = Start("Sqlite", "Data Source=erp.db", schema, OrdersFlow("erp-orders.json"));
        Assert.Empty(first.Validator.Validate());
        Assert.True(File.Exists(_folder["erp.db"]));
        Assert.Single(setupRan(first));
        Assert.Empty(first.Validator.Validate());
        Assert.Single(setupRan(first));

        var second = Start("Sqlite", "Data Source=erp.db", schema, OrdersFlow("erp-orders.json"));
        Assert.Empty(second.Validator.Validate());
        Assert.Empty(setupRan(second));

        await _database.ExecAsync("DROP TABLE KHKArtikel");
        var third = Start("Sqlite", "Data Source=erp.db", schema, OrdersFlow("erp-orders.json"));
        Assert.Empty(third.Validator.Validate());
        Assert.EndsWith("(4 statements; missing tables: KHKArtikel)", Assert.Single(setupRan(third)));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var engine in _engines) await engine.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        _folder.Dispose();
    }
}
