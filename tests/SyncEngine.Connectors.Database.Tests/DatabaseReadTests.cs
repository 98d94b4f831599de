using System.Globalization;
using SyncEngine.Core.Model;
using SyncEngine.Core.State;
using SyncEngine.Testing;

namespace SyncEngine.Connectors.Database.Tests;

/// <summary>Articles read from an ERP table by a query with a cursor column, the same on SQLite and on a real PostgreSQL.</summary>
public sealed class DatabaseReadTests : IAsyncLifetime
{
    private const string Mapping = """
        {
          "record": "Product",
          "direction": "read",
          "culture": "de-DE",
          "timeZone": "Europe/Vienna",
          "fields": {
            "Id": "Artikelnummer",
            "Sku": "Artikelnummer",
            "Name": "Bezeichnung",
            "Prices.Base": "Preis",
            "Active": "Aktiv",
            "UpdatedAt": "Aenderungsdatum"
          },
          "database": {
            "query": "SELECT Artikelnummer, Bezeichnung, Preis, Aktiv, Aenderungsdatum FROM KHKArtikel WHERE Aenderungsdatum >= @cursor ORDER BY Aenderungsdatum, Artikelnummer",
            "cursor": "Aenderungsdatum"
          }
        }
        """;

    private readonly TempDirectory _folder = new();
    private readonly MemorySystem _shop = new();
    private Engine? _engine;
    private TestDatabase? _database;

    private TestDatabase Database => _database!;

    private async Task<Engine> StartAsync(string provider, int batchSize = 2)
    {
        _database = await TestDatabase.CreateAsync(provider, _folder);
        File.WriteAllText(_folder["erp-articles.json"], Mapping);
        _engine = Engine.Start(_folder, _database, _shop, new Dictionary<string, string?>
        {
            ["SyncEngine:Flows:articles:From"] = "erp/articles",
            ["SyncEngine:Flows:articles:To"] = "shop/products",
            ["SyncEngine:Flows:articles:Mapping"] = "erp-articles.json",
            ["SyncEngine:Flows:articles:BatchSize"] = batchSize.ToString(CultureInfo.InvariantCulture),
        });
        // Validation is the first use of the connection: the setup script creates the tables.
        Assert.Empty(_engine.Validator.Validate());
        return _engine;
    }

    /// <summary>Four articles, two of them at one change time: with batches of two, A2 ends the first batch, A3 and A4 the second.</summary>
    private async Task AddFourAsync()
    {
        await AddAsync("A1", "10,00", "2026-11-20 08:00:00");
        await AddAsync("A2", "20,00", "2026-11-20 09:00:00");
        await AddAsync("A3", "30,00", "2026-11-21 08:00:00");
        await AddAsync("A4", "40,00", "2026-11-21 08:00:00");
    }

    private Task AddAsync(string number, string price, string changed) => Database.ExecAsync(
        $"INSERT INTO KHKArtikel (Artikelnummer, Bezeichnung, Preis, Aktiv, Aenderungsdatum) VALUES ('{number}', 'Brillenfassung {number}', '{price}', 1, '{changed}')");

    private List<string> WrittenSince(int count) =>
        _shop.Written.Skip(count).Select(p => p.Id + ":" + ((Product)p).Prices.Base?.ToString(CultureInfo.InvariantCulture)).ToList();

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task An_incremental_read_gives_only_new_and_changed_rows_and_loses_none_that_share_the_last_cursor_value(string provider)
    {
        var engine = await StartAsync(provider);
        await AddAsync("A1", "10,00", "2026-11-20 08:00:00");
        await AddAsync("A2", "20,00", "2026-11-21 08:00:00");
        await AddAsync("A3", "30,00", "2026-11-21 08:00:00");

        var first = await engine.RunAsync("articles");

        Assert.Equal((RunStatus.Succeeded, 3L, 3L), (first.Status, first.Read, first.Written));
        Assert.Equal(Database.IsPostgres ? "2026-11-21T08:00:00.0000000" : "2026-11-21 08:00:00", await engine.State.GetCursorAsync("articles", default));

        // Written after the read with the same time stamp as the last row read, then a change and a new article.
        await AddAsync("A4", "40,00", "2026-11-21 08:00:00");
        await Database.ExecAsync("UPDATE KHKArtikel SET Preis = '11,50', Aenderungsdatum = '2026-11-22 08:00:00' WHERE Artikelnummer = 'A1'");
        await AddAsync("A5", "50,00", "2026-11-22 08:00:00");
        var before = _shop.Written.Count;

        var second = await engine.RunAsync("articles");

        Assert.Equal((RunStatus.Succeeded, 5L, 3L, 2L), (second.Status, second.Read, second.Written, second.Skipped));
        Assert.Equal(["A4:40.00", "A1:11.50", "A5:50.00"], WrittenSince(before));
        Assert.Equal(Database.IsPostgres ? "2026-11-22T08:00:00.0000000" : "2026-11-22 08:00:00", await engine.State.GetCursorAsync("articles", default));
        var a1 = (Product)_shop.Written[before + 1];
        Assert.Equal(("A1", "Brillenfassung A1", true), (a1.Sku, a1.Name, a1.Active));
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.FromHours(1)), a1.UpdatedAt);

        var third = await engine.RunAsync("articles");
        Assert.Equal((2L, 0L, 2L), (third.Read, third.Written, third.Skipped));

        before = _shop.Written.Count;
        var full = await engine.RunAsync("articles", full: true);
        Assert.Equal((5L, 5L), (full.Read, full.Written));
        Assert.Equal(["A2:20.00", "A3:30.00", "A4:40.00", "A1:11.50", "A5:50.00"], WrittenSince(before));
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task A_first_run_keeps_checksums_only_at_its_last_cursor_values_and_the_next_run_skips_the_rows_read_there_again(string provider)
    {
        var engine = await StartAsync(provider);
        await AddFourAsync();

        await engine.RunAsync("articles");

        // Batches of two: the last cursor value of each batch (A2; A3 and A4) is where a later run can read a row again.
        Assert.Equal(["A2", "A3", "A4"], (await engine.State.GetChecksumsAsync("articles", ["A1", "A2", "A3", "A4"], default)).Keys.Order());

        await Database.ExecAsync("UPDATE KHKArtikel SET Preis = '12,00', Aenderungsdatum = '2026-11-22 08:00:00' WHERE Artikelnummer = 'A1'");
        var before = _shop.Written.Count;
        var next = await engine.RunAsync("articles");

        Assert.Equal((3L, 1L, 2L), (next.Read, next.Written, next.Skipped));
        Assert.Equal(["A1:12.00"], WrittenSince(before));
        // A1 was the last cursor value of its batch.
        Assert.Equal(["A1", "A2", "A3", "A4"], (await engine.State.GetChecksumsAsync("articles", ["A1", "A2", "A3", "A4"], default)).Keys.Order());
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task In_large_batches_a_run_keeps_checksums_of_the_rows_at_each_batchs_last_cursor_value_the_shop_took(string provider)
    {
        var engine = await StartAsync(provider, batchSize: 20);
        // 24 articles a minute apart, but A19 and A20 at one time: they end the first batch of 20, A24 the second.
        for (var i = 1; i <= 24; i++)
        {
            var minute = i == 20 ? 19 : i;
            await AddAsync($"A{i:00}", $"{i},00", $"2026-11-20 08:{minute:00}:00");
        }
        _shop.Refuse = product => product.Id == "A19" ? "the shop refused A19" : null;

        var first = await engine.RunAsync("articles");

        Assert.Equal((24L, 23L, 1L), (first.Read, first.Written, first.DeadLettered));
        var all = Enumerable.Range(1, 24).Select(i => $"A{i:00}").ToList();
        Assert.Equal(["A20", "A24"], (await engine.State.GetChecksumsAsync("articles", all, default)).Keys.Order());

        // The next run reads A24 again, at the cursor, and skips it unchanged.
        _shop.Refuse = null;
        var next = await engine.RunAsync("articles");
        Assert.Equal((1L, 0L, 1L), (next.Read, next.Written, next.Skipped));
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task A_run_behind_a_cursor_keeps_stored_checksums_current_and_stores_none_for_rows_it_cannot_read_again_unchanged(string provider)
    {
        var engine = await StartAsync(provider);
        await AddFourAsync();
        Assert.Equal(4L, (await engine.RunAsync("articles", full: true)).Written);
        var all = new[] { "A1", "A2", "A3", "A4", "A5", "A6" };
        Assert.Equal(["A1", "A2", "A3", "A4"], (await engine.State.GetChecksumsAsync("articles", all, default)).Keys.Order());

        await Database.ExecAsync("UPDATE KHKArtikel SET Preis = '12,00', Aenderungsdatum = '2026-11-22 08:00:00' WHERE Artikelnummer = 'A1'");
        await Database.ExecAsync("UPDATE KHKArtikel SET Preis = '22,00', Aenderungsdatum = '2026-11-22 09:00:00' WHERE Artikelnummer = 'A2'");
        await AddAsync("A5", "50,00", "2026-11-22 10:00:00");
        await AddAsync("A6", "60,00", "2026-11-22 10:30:00");
        var before = _shop.Written.Count;
        var delta = await engine.RunAsync("articles");

        // Batches of two: A3 A4 (read again at the cursor, unchanged) | A1 A2 | A5 A6.
        Assert.Equal((6L, 4L, 2L), (delta.Read, delta.Written, delta.Skipped));
        Assert.Equal(["A1:12.00", "A2:22.00", "A5:50.00", "A6:60.00"], WrittenSince(before));
        // A1 had a checksum: it is now the one of A1 as written. A2 and A6 end their batches; A5 cannot come again unchanged.
        var checksums = await engine.State.GetChecksumsAsync("articles", all, default);
        Assert.Equal(["A1", "A2", "A3", "A4", "A6"], checksums.Keys.Order());
        Assert.Equal(CanonicalJson.Checksum(_shop.Written[before]), checksums["A1"]);

        var again = await engine.RunAsync("articles");
        Assert.Equal((1L, 0L, 1L), (again.Read, again.Written, again.Skipped));
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task Prices_kept_as_German_text_are_read_as_numbers_and_an_unreadable_row_is_dead_lettered_naming_row_and_field(string provider)
    {
        var engine = await StartAsync(provider);
        await AddAsync("A1", "1.234,50", "2026-11-20 08:00:00");
        await AddAsync("A2", "12,5O", "2026-11-20 09:00:00");
        await AddAsync("A3", "0,99", "2026-11-20 10:00:00");

        var run = await engine.RunAsync("articles");

        Assert.Equal((RunStatus.CompletedWithErrors, 3L, 2L, 1L), (run.Status, run.Read, run.Written, run.DeadLettered));
        Assert.Equal(["A1:1234.50", "A3:0.99"], WrittenSince(0));
        var letter = Assert.Single(await engine.State.GetDeadLettersAsync("articles", null, default));
        Assert.Equal("A2", letter.RecordKey);
        Assert.Equal("row 2: field 'Prices.Base': '12,5O' expected a number (de-DE format)", letter.Error);
        Assert.Contains("\"Preis\":\"12,5O\"", letter.Payload, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"Artikelnummer\":\"A2\"", letter.Payload, StringComparison.OrdinalIgnoreCase);
        // The unreadable row does not hold the cursor back: it is in the dead letters, not read again.
        Assert.Equal(Database.IsPostgres ? "2026-11-20T10:00:00.0000000" : "2026-11-20 10:00:00", await engine.State.GetCursorAsync("articles", default));
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task A_date_column_is_read_as_midnight_of_the_mapping_time_zone_through_the_streams_own_mapping_without_a_cursor(string provider)
    {
        var engine = await StartAsync(provider);
        await Database.ExecAsync("""
            INSERT INTO KHKVKBelege (Mandant, Referenz, Belegdatum, Kunde, Waehrung, Brutto) VALUES (1, 'SR-1001', '2026-11-20', 'C-77', 'HUF', 25500);
            INSERT INTO KHKVKBelege (Mandant, Referenz, Belegdatum, Kunde, Waehrung, Brutto) VALUES (1, 'SR-1002', '2026-07-01', 'C-78', 'EUR', 19.99);
            """);
        File.WriteAllText(_folder["erp-documents.json"], """
            {
              "record": "Order", "direction": "read", "timeZone": "Europe/Vienna",
              "fields": {
                "Id": "Referenz", "OrderNumber": "Referenz", "OrderedAt": "Belegdatum", "Currency": "Waehrung",
                "Customer.Id": "Kunde", "Totals.Gross": "Brutto", "Attributes.Belegdatum": "Belegdatum"
              },
              "database": { "query": "SELECT Referenz, Belegdatum, Kunde, Waehrung, Brutto FROM KHKVKBelege ORDER BY Referenz" }
            }
            """);
        // The flow names no mapping: the stream's own mapping is used.
        await using var documents = Engine.Start(_folder, Database, _shop, new Dictionary<string, string?>
        {
            ["SyncEngine:Connections:erp:Streams:orders:Mapping"] = "erp-documents.json",
            ["SyncEngine:Flows:documents:From"] = "erp/orders",
            ["SyncEngine:Flows:documents:To"] = "shop/orders",
        });
        Assert.Empty(documents.Validator.Validate());

        var run = await documents.RunAsync("documents");

        Assert.Equal((RunStatus.Succeeded, 2L), (run.Status, run.Written));
        var orders = _shop.Written.Cast<Order>().ToList();
        Assert.Equal(
        [
            ("SR-1001", new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.FromHours(1)), "2026-11-20", "C-77", 25500m),
            ("SR-1002", new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.FromHours(2)), "2026-07-01", "C-78", 19.99m),
        ], orders.Select(o => (o.OrderNumber, o.OrderedAt, o.Attributes["Belegdatum"], o.Customer!.Id, o.Totals.Gross)));
        Assert.Null(await documents.State.GetCursorAsync("documents", default));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_engine is not null) await _engine.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        _folder.Dispose();
    }
}
