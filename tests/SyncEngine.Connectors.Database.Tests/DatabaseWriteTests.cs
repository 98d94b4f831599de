using Npgsql;
using SyncEngine.Core.Model;
using SyncEngine.Core.State;
using SyncEngine.Testing;

namespace SyncEngine.Connectors.Database.Tests;

/// <summary>Orders written into an ERP's header and position tables, the same on SQLite and on a real PostgreSQL.</summary>
public sealed class DatabaseWriteTests : IAsyncLifetime
{
    private readonly TempDirectory _folder = new();
    private readonly MemorySystem _shop = new();
    private readonly List<Engine> _engines = [];
    private TestDatabase? _database;

    private TestDatabase Database => _database!;

    private async Task<Engine> StartAsync(string provider, int batchSize = 10, string childKey = "")
    {
        _database ??= await TestDatabase.CreateAsync(provider, _folder);
        File.WriteAllText(_folder["erp-orders.json"], Orders.Mapping(childKey));
        var engine = Engine.Start(_folder, Database, _shop, Orders.Flow("erp-orders.json", batchSize));
        _engines.Add(engine);
        Assert.Empty(engine.Validator.Validate());
        return engine;
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task Orders_with_lines_land_in_header_and_position_tables_and_the_generated_id_flows_into_the_positions(string provider)
    {
        _shop.Records.Add(Orders.Create("1001", ("KE-100", 2, 7874.0157m), ("SD-64", 1, 3149.61m)));
        _shop.Records.Add(Orders.Create("1002", ("AKKU-7", 3, 4990m)));
        var engine = await StartAsync(provider);

        var run = await engine.RunAsync("orders");

        Assert.Equal((RunStatus.Succeeded, 2L), (run.Status, run.Written));
        Assert.Equal(
        [
            "1|1|SR-1001|2026-11-20|C-77|NN|HUF|18897.64",
            "2|1|SR-1002|2026-11-20|C-77|NN|HUF|14970",
        ], await Database.RowsAsync(Orders.Headers));
        Assert.Equal(
        [
            "SR-1001|1|1|KE-100|2|7874.02|1",
            "SR-1001|1|2|SD-64|1|3149.61|1",
            "SR-1002|2|1|AKKU-7|3|4990|1",
        ], await Database.RowsAsync(Orders.Lines));
        var links = await engine.State.GetLinksAsync("shop", "Order", "erp", ["1001", "1002"], default);
        Assert.Equal(("1", "2"), (links["1001"], links["1002"]));
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task A_price_with_decimals_is_written_after_a_restart_when_the_table_already_holds_whole_number_prices(string provider)
    {
        _shop.Records.Add(Orders.Create("1001", ("KE-100", 2, 7874m)));
        await (await StartAsync(provider)).RunAsync("orders");

        // A new process: the table's columns are read again, now from a table whose first row holds 7874 in the DECIMAL column.
        _shop.Records.Add(Orders.Create("1002", ("SD-64", 1, 3149.61m)));
        var run = await (await StartAsync(provider)).RunAsync("orders");

        Assert.Equal((RunStatus.Succeeded, 1L, 0L), (run.Status, run.Written, run.DeadLettered));
        Assert.Equal(["SR-1001|1|1|KE-100|2|7874|1", "SR-1002|2|1|SD-64|1|3149.61|1"], await Database.RowsAsync(Orders.Lines));
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task A_changed_order_updates_its_header_and_replaces_its_positions_instead_of_doubling_them(string provider)
    {
        _shop.Records.Add(Orders.Create("1001", ("KE-100", 2, 7874m), ("SD-64", 1, 3149.61m)));
        _shop.Records.Add(Orders.Create("1002", ("AKKU-7", 3, 4990m)));
        var engine = await StartAsync(provider);
        await engine.RunAsync("orders");
        var untouched = await Database.RowsAsync("SELECT BelPosID, BelID, Artikelnummer FROM KHKVKBelegePositionen WHERE BelID = 2");

        _shop.Records.Add(Orders.Create("1001", ("KE-100", 5, 7874m)) with { Payment = new PaymentInfo { Code = "BANK" } });
        var run = await engine.RunAsync("orders");

        Assert.Equal((RunStatus.Succeeded, 1L), (run.Status, run.Written));
        Assert.Equal(
        [
            "1|1|SR-1001|2026-11-20|C-77|VK|HUF|39370",
            "2|1|SR-1002|2026-11-20|C-77|NN|HUF|14970",
        ], await Database.RowsAsync(Orders.Headers));
        Assert.Equal(
        [
            "SR-1001|1|1|KE-100|5|7874|1",
            "SR-1002|2|1|AKKU-7|3|4990|1",
        ], await Database.RowsAsync(Orders.Lines));
        Assert.Equal(untouched, await Database.RowsAsync("SELECT BelPosID, BelID, Artikelnummer FROM KHKVKBelegePositionen WHERE BelID = 2"));
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task With_a_position_key_positions_are_updated_in_place_and_those_gone_from_the_order_are_deleted(string provider)
    {
        _shop.Records.Add(Orders.Create("1001", ("KE-100", 2, 10m), ("SD-64", 1, 20m), ("AKKU-7", 1, 30m)));
        var engine = await StartAsync(provider, childKey: """, "key": ["BelID", "Position"]""");
        await engine.RunAsync("orders");
        Assert.Equal(["1|1|KE-100|2", "2|2|SD-64|1", "3|3|AKKU-7|1"],
            await Database.RowsAsync("SELECT BelPosID, Position, Artikelnummer, Menge FROM KHKVKBelegePositionen ORDER BY Position"));

        _shop.Records.Add(Orders.Create("1001", ("KE-100", 4, 10m), ("SD-64", 1, 20m)));
        var run = await engine.RunAsync("orders");

        Assert.Equal((RunStatus.Succeeded, 1L), (run.Status, run.Written));
        Assert.Equal(["1|1|KE-100|4", "2|2|SD-64|1"],
            await Database.RowsAsync("SELECT BelPosID, Position, Artikelnummer, Menge FROM KHKVKBelegePositionen ORDER BY Position"));
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task A_record_the_mapping_or_the_database_refuses_fails_alone_and_the_rest_of_its_batch_is_written(string provider)
    {
        _shop.Records.Add(Orders.Create("2001", ("KE-100", 1, 100m)));
        _shop.Records.Add(Orders.Create("2002", ("KE-100", 1, 100m)) with { Payment = new PaymentInfo { Code = "PAYPAL" } });
        _shop.Records.Add(Orders.Create("2003", ("KE-100", 1, 100m)) with { Customer = null });
        // The header is fine; its second position breaks a CHECK after the header was written: the header must go too.
        _shop.Records.Add(Orders.Create("2004", ("KE-100", 1, 100m), ("SD-64", 0, 5m)));
        _shop.Records.Add(Orders.Create("2005", ("SD-64", 2, 5m)));
        var engine = await StartAsync(provider);

        var run = await engine.RunAsync("orders");

        Assert.Equal((RunStatus.CompletedWithErrors, 2L, 3L), (run.Status, run.Written, run.DeadLettered));
        Assert.Equal(["SR-2001|C-77|NN|100", "SR-2005|C-77|NN|10"],
            await Database.RowsAsync("SELECT Referenz, Kunde, Zahlungsart, Brutto FROM KHKVKBelege ORDER BY Referenz"));
        Assert.Equal(["SR-2001|1|KE-100|1", "SR-2005|1|SD-64|2"],
            await Database.RowsAsync("SELECT b.Referenz, p.Position, p.Artikelnummer, p.Menge FROM KHKVKBelegePositionen p JOIN KHKVKBelege b ON b.BelID = p.BelID ORDER BY b.Referenz"));
        var letters = (await engine.State.GetDeadLettersAsync("orders", null, default)).ToDictionary(l => l.RecordKey);
        Assert.Equal(["2002", "2003", "2004"], letters.Keys.Order());
        Assert.Contains("field 'fields.Zahlungsart': value 'PAYPAL' is not in value map 'payment'", letters["2002"].Error);
        Assert.StartsWith("table 'KHKVKBelege' refused the record:", letters["2003"].Error);
        Assert.Contains("kunde", letters["2003"].Error, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("table 'KHKVKBelegePositionen' refused the record:", letters["2004"].Error);
        Assert.Contains("menge", letters["2004"].Error, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"orderNumber\":\"SR-2003\"", letters["2003"].Payload);
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task A_table_gone_in_the_middle_of_a_run_fails_the_run_and_the_cursor_stays_at_the_last_committed_batch(string provider)
    {
        for (var i = 1; i <= 4; i++) _shop.Records.Add(Orders.Create($"300{i}", ("KE-100", i, 10m)));
        var engine = await StartAsync(provider, batchSize: 2);
        // Once the first batch is committed, the ERP's table disappears (the engine reads the next batch meanwhile).
        _shop.BeforeRead = async position =>
        {
            if (position != 3) return;
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (await engine.State.GetCursorAsync("orders", default) != "2" && DateTime.UtcNow < deadline) await Task.Delay(10);
            await Database.ExecAsync("ALTER TABLE KHKVKBelege RENAME TO KHKVKBelege_weg");
        };

        var failed = await engine.RunAsync("orders");

        Assert.Equal((RunStatus.Failed, 2L), (failed.Status, failed.Written));
        Assert.Contains("connection 'erp'", failed.Error);
        Assert.Contains("writing to table 'KHKVKBelege' failed", failed.Error);
        if (new NpgsqlConnectionStringBuilder(Database.IsPostgres ? Database.ConnectionString : string.Empty).Password is { Length: > 0 } password)
            Assert.DoesNotContain(password, failed.Error);
        Assert.Equal("2", await engine.State.GetCursorAsync("orders", default));
        Assert.Equal(["SR-3001", "SR-3002"], await Database.RowsAsync("SELECT Referenz FROM KHKVKBelege_weg ORDER BY Referenz"));

        await Database.ExecAsync("ALTER TABLE KHKVKBelege_weg RENAME TO KHKVKBelege");
        _shop.BeforeRead = null;
        var rerun = await engine.RunAsync("orders");

        Assert.Equal((RunStatus.Succeeded, 2L), (rerun.Status, rerun.Written));
        Assert.Equal(["SR-3001", "SR-3002", "SR-3003", "SR-3004"], await Database.RowsAsync("SELECT Referenz FROM KHKVKBelege ORDER BY Referenz"));
        Assert.Equal("4", await Database.ScalarAsync("SELECT COUNT(*) FROM KHKVKBelegePositionen"));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task A_value_the_column_cannot_hold_is_dead_lettered_naming_table_column_and_limit_the_same_on_every_database(string provider)
    {
        _shop.Records.Add(Orders.Create("3001", ("KE-100", 1, 100m)));
        _shop.Records.Add(Orders.Create("3002", ("KE-100", 1, 100m)) with { OrderNumber = new string('9', 10_000) });
        _shop.Records.Add(Orders.Create("3003", ("KE-100", 1, 100m), ("SD-64", 100_000_000_000_000m, 5m)));
        _shop.Records.Add(Orders.Create("3004", ("KE-\0100", 1, 100m)));
        _shop.Records.Add(Orders.Create("3005", ("KE-\uD83D", 1, 100m)));
        _shop.Records.Add(Orders.Create("3006", ("ÁRVÍZTŰRŐ-\U0001F600-1234567890123456789012345678", 1, 100m)));
        var engine = await StartAsync(provider);

        var run = await engine.RunAsync("orders");

        // SQLite enforces no VARCHAR length and stores a NUL; PostgreSQL refuses both without naming the column, and the half
        // character failed the whole batch there. Now each is refused alike, before the database sees it.
        var letters = (await engine.State.GetDeadLettersAsync("orders", null, default)).ToDictionary(l => l.RecordKey, l => l.Error);
        Assert.Equal(["3002", "3003", "3004", "3005"], letters.Keys.Order());
        Assert.Equal((RunStatus.CompletedWithErrors, 2L, 4L), (run.Status, run.Written, run.DeadLettered));
        Assert.Equal($"table 'KHKVKBelege', column 'Referenz': '{new string('9', 57)}...' has 10000 characters, but the column holds 40", letters["3002"]);
        Assert.Equal("Lines[2]: table 'KHKVKBelegePositionen', column 'Menge': '100000000000000' has 15 digits before the decimal point, but the column holds 14 (precision 18, scale 4)", letters["3003"]);
        Assert.Equal("Lines[1]: table 'KHKVKBelegePositionen', column 'Artikelnummer': 'KE-\\0100' holds the NUL character (U+0000) at position 4, which PostgreSQL cannot store and many programs take for the end of the text; remove it at the source or map the field with \"clean\": true", letters["3004"]);
        Assert.Equal("Lines[1]: table 'KHKVKBelegePositionen', column 'Artikelnummer': 'KE-\\uD83D' holds half of a character (U+D83D without its pair) at position 4, which is no text", letters["3005"]);
        // 40 characters, one of them beyond U+FFFF: it fits, though it is 41 UTF-16 units.
        Assert.Equal(["SR-3001|1|1|KE-100|1|100|1", "SR-3006|2|1|ÁRVÍZTŰRŐ-\U0001F600-1234567890123456789012345678|1|100|1"], await Database.RowsAsync(Orders.Lines));
    }

    public async Task DisposeAsync()
    {
        foreach (var engine in _engines) await engine.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        _folder.Dispose();
    }
}
