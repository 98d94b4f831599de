using System.Globalization;
using SyncEngine.Core.Model;
using SyncEngine.Core.State;
using SyncEngine.Testing;

namespace SyncEngine.Connectors.Database.Tests;

/// <summary>Large batches of flat rows (stock levels) take the provider's bulk path: binary COPY on PostgreSQL, multi-row upserts on SQLite.</summary>
public sealed class DatabaseBulkTests : IAsyncLifetime
{
    private const string Mapping = """
        {
          "record": "StockLevel",
          "direction": "write",
          "fields": {
            "Mandant": 1,
            "Lager": "Warehouse",
            "Artikelnummer": "Sku",
            "Bestand": "Quantity",
            "Reserviert": "Reserved"
          },
          "database": { "table": "KHKLagerplatzbestaende", "key": ["Mandant", "Lager", "Artikelnummer"] }
        }
        """;

    private readonly TempDirectory _folder = new();
    private readonly MemorySystem _shop = new();
    private Engine? _engine;
    private TestDatabase? _database;

    private async Task<Engine> StartAsync(string provider, int batchSize)
    {
        _database = await TestDatabase.CreateAsync(provider, _folder);
        File.WriteAllText(_folder["erp-stock.json"], Mapping);
        _engine = Engine.Start(_folder, _database, _shop, new Dictionary<string, string?>
        {
            ["SyncEngine:Flows:stock:From"] = "shop/stock",
            ["SyncEngine:Flows:stock:To"] = "erp/stock",
            ["SyncEngine:Flows:stock:Mapping"] = "erp-stock.json",
            ["SyncEngine:Flows:stock:BatchSize"] = batchSize.ToString(CultureInfo.InvariantCulture),
        });
        Assert.Empty(_engine.Validator.Validate());
        return _engine;
    }

    private static StockLevel Stock(int i, decimal quantity, decimal reserved = 0) =>
        new() { Id = StockLevel.KeyOf("W1", $"SKU-{i:D5}"), Warehouse = "W1", Sku = $"SKU-{i:D5}", Quantity = quantity, Reserved = reserved };

    private string Method => _database!.IsPostgres ? "binary COPY" : "multi-row INSERT";

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task Five_thousand_stock_rows_are_loaded_in_bulk_exactly_and_a_second_load_updates_them(string provider)
    {
        for (var i = 1; i <= 5000; i++) _shop.Records.Add(Stock(i, i + 0.5m));
        var engine = await StartAsync(provider, batchSize: 5000);

        var run = await engine.RunAsync("stock");

        Assert.Equal((RunStatus.Succeeded, 5000L), (run.Status, run.Written));
        Assert.Contains($"Debug: Wrote 5000 rows to KHKLagerplatzbestaende by {Method}", engine.Logs.Messages);
        Assert.Equal("5000|12505000", await _database!.ScalarAsync("SELECT COUNT(*), SUM(Bestand) FROM KHKLagerplatzbestaende"));
        Assert.Equal(["1|W1|SKU-00001|1.5|0", "1|W1|SKU-02500|2500.5|0", "1|W1|SKU-05000|5000.5|0"], await _database.RowsAsync(
            "SELECT Mandant, Lager, Artikelnummer, Bestand, Reserviert FROM KHKLagerplatzbestaende WHERE Artikelnummer IN ('SKU-00001', 'SKU-02500', 'SKU-05000') ORDER BY Artikelnummer"));

        for (var i = 1; i <= 5000; i++) _shop.Records.Add(Stock(i, i % 2 == 0 ? 0 : i + 0.5m, reserved: 1));
        var second = await engine.RunAsync("stock");

        Assert.Equal((RunStatus.Succeeded, 5000L), (second.Status, second.Written));
        Assert.Equal("5000|6251250|5000", await _database.ScalarAsync("SELECT COUNT(*), SUM(Bestand), SUM(Reserviert) FROM KHKLagerplatzbestaende"));
        Assert.Equal(["SKU-00001|1.5|1", "SKU-00002|0|1"], await _database.RowsAsync(
            "SELECT Artikelnummer, Bestand, Reserviert FROM KHKLagerplatzbestaende WHERE Artikelnummer IN ('SKU-00001', 'SKU-00002') ORDER BY Artikelnummer"));
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task A_row_the_database_refuses_in_a_bulk_batch_fails_alone_after_the_batch_is_written_record_by_record(string provider)
    {
        for (var i = 1; i <= 1500; i++) _shop.Records.Add(Stock(i, i, reserved: i == 700 ? -1 : 0));
        var engine = await StartAsync(provider, batchSize: 1500);

        var run = await engine.RunAsync("stock");

        Assert.Equal((RunStatus.CompletedWithErrors, 1499L, 1L), (run.Status, run.Written, run.DeadLettered));
        Assert.Contains(engine.Logs.Messages, m => m.StartsWith($"Warning: Bulk write of 1500 rows to KHKLagerplatzbestaende by {Method} was refused", StringComparison.Ordinal));
        Assert.Equal("1499|0", await _database!.ScalarAsync("SELECT COUNT(*), COUNT(CASE WHEN Artikelnummer = 'SKU-00700' THEN 1 END) FROM KHKLagerplatzbestaende"));
        var letter = Assert.Single(await engine.State.GetDeadLettersAsync("stock", null, default));
        Assert.Equal("W1|SKU-00700", letter.RecordKey);
        Assert.StartsWith("table 'KHKLagerplatzbestaende' refused the record:", letter.Error);
        Assert.Contains("reserviert", letter.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task A_batch_of_which_some_rows_are_already_in_the_table_updates_those_and_adds_the_others_once(string provider)
    {
        for (var i = 1; i <= 1000; i++) _shop.Records.Add(Stock(i, 1));
        var engine = await StartAsync(provider, batchSize: 2500);
        await engine.RunAsync("stock");

        // One batch: 500 rows already there (new quantity), 2000 new ones; then one more batch of new rows.
        for (var i = 501; i <= 3000; i++) _shop.Records.Add(Stock(i, 2));
        for (var i = 3001; i <= 3100; i++) _shop.Records.Add(Stock(i, 3));
        var second = await engine.RunAsync("stock");

        Assert.Equal((RunStatus.Succeeded, 2600L), (second.Status, second.Written));
        Assert.Equal("3100|500|2500|100", await _database!.ScalarAsync(
            "SELECT COUNT(*), SUM(CASE WHEN Bestand = 1 THEN 1 END), SUM(CASE WHEN Bestand = 2 THEN 1 END), SUM(CASE WHEN Bestand = 3 THEN 1 END) FROM KHKLagerplatzbestaende"));
        Assert.Equal("0", await _database.ScalarAsync(
            "SELECT COUNT(*) FROM (SELECT Artikelnummer FROM KHKLagerplatzbestaende GROUP BY Mandant, Lager, Artikelnummer HAVING COUNT(*) > 1) doubled"));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_engine is not null) await _engine.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        _folder.Dispose();
    }
}
