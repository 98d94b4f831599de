using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Flows;
using SyncEngine.Core.Mapping;
using SyncEngine.Core.Model;
using SyncEngine.Core.State;
using SyncEngine.Testing;

namespace SyncEngine.Core.Tests;

/// <summary>What the hostile-input corpus (tests/SyncEngine.ReliabilityTests) found in the mapping engine, one test each.</summary>
public sealed class HostileValueTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    private RecordMapping Mapping(string json)
    {
        var path = _folder[$"m{Guid.NewGuid():N}.json"];
        File.WriteAllText(path, json);
        return MappingLoader.Load(path);
    }

    private static Order Order(string lastName) => new()
    {
        Id = "1001",
        OrderedAt = new DateTimeOffset(2026, 11, 20, 9, 15, 0, TimeSpan.FromHours(1)),
        Customer = new Customer { Id = "C-1", LastName = lastName },
    };

    [Fact]
    public void MaxLength_never_cuts_an_emoji_in_half()
    {
        var mapping = Mapping("""{ "record": "Order", "fields": { "Name": { "path": "Customer.LastName", "maxLength": 5 }, "Rest": { "path": "Customer.LastName", "substring": [5, 3] } } }""");

        var row = mapping.ToRow(Order("abcd\U0001F600ef"));

        // "abcd" + the emoji's high surrogate would be no text: the cut falls before the emoji, and a cut starting inside it after.
        Assert.Equal("abcd", row["Name"]);
        Assert.Equal("ef", row["Rest"]);
        Assert.Equal("abc\U0001F600", mapping.ToRow(Order("abc\U0001F600")).Fields[0].Value);
    }

    [Theory]
    [InlineData("de-DE", "1.234,50", "1234.50")]
    [InlineData("de-DE", "-12.345.678", "-12345678")]
    [InlineData("de-DE", "2.5", null)]
    [InlineData("de-DE", "1.2.3,5", null)]
    [InlineData("de-DE", "12.34,5", null)]
    [InlineData("en-US", "1,234.50", "1234.50")]
    [InlineData("en-US", "1,5", null)]
    public void A_group_separator_out_of_place_is_no_number_instead_of_a_number_ten_times_too_large(string culture, string text, string? expected)
    {
        var mapping = Mapping($$"""{ "record": "Order", "direction": "read", "culture": "{{culture}}", "fields": { "Id": "Id", "Totals.Gross": "Betrag" } }""");
        var row = new DictionaryRow(new Dictionary<string, object?> { ["Id"] = "1", ["Betrag"] = text });

        if (expected is null)
        {
            var error = Assert.Throws<RecordException>(() => mapping.FromRow(row));
            Assert.Equal($"field 'Totals.Gross': '{text}' expected a number ({culture} format)", error.Message);
        }
        else
        {
            Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), ((Order)mapping.FromRow(row)).Totals.Gross);
        }
    }

    [Fact]
    public void A_format_whose_offset_is_optional_reads_text_without_one_in_the_mappings_time_zone_not_the_machines()
    {
        var mapping = Mapping("""
            { "record": "Order", "direction": "read", "timeZone": "Europe/Budapest",
              "fields": { "Id": "Id", "OrderedAt": { "path": "Datum", "format": "yyyy-MM-dd'T'HH:mm:ssK" } } }
            """);
        Order Read(string text) => (Order)mapping.FromRow(new DictionaryRow(new Dictionary<string, object?> { ["Id"] = "1", ["Datum"] = text }));

        Assert.Equal(TimeSpan.FromHours(1), Read("2026-11-20T09:15:00").OrderedAt.Offset);
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 9, 15, 0, TimeSpan.FromHours(1)), Read("2026-11-20T09:15:00").OrderedAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 23, 30, 0, TimeSpan.Zero), Read("2026-11-20T23:30:00Z").OrderedAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 8, 0, 0, TimeSpan.FromHours(9)), Read("2026-11-20T08:00:00+09:00").OrderedAt);
    }

    [Fact]
    public void A_formatted_instant_is_written_as_the_wall_clock_of_the_mappings_time_zone()
    {
        var mapping = Mapping("""
            { "record": "Order", "timeZone": "Europe/Budapest",
              "fields": { "Datum": { "path": "OrderedAt", "format": "yyyy-MM-dd HH:mm" }, "Text": { "template": "Bestellung vom {OrderedAt:dd.MM.yyyy}" } } }
            """);

        // 23:30 UTC on New Year's Eve is half past midnight on New Year's Day in Budapest.
        var row = mapping.ToRow(Order("Kovács") with { OrderedAt = new DateTimeOffset(2026, 12, 31, 23, 30, 0, TimeSpan.Zero) });

        Assert.Equal("2027-01-01 00:30", row["Datum"]);
        Assert.Equal("Bestellung vom 01.01.2027", row["Text"]);

        // A mapping that names no zone writes the time as the record has it, not in the server's zone.
        var unzoned = Mapping(""" { "record": "Order", "fields": { "Datum": { "path": "OrderedAt", "format": "yyyy-MM-dd HH:mm" } } } """);
        Assert.Equal("2026-11-20 09:15", unzoned.ToRow(Order("Kovács"))["Datum"]);
    }

    [Fact]
    public void A_value_a_child_row_cannot_map_names_the_line_it_is_on()
    {
        var mapping = Mapping("""
            { "record": "Order", "valueMaps": { "vat": { "27": "1" } }, "fields": { "Nr": "Id" },
              "children": { "positionen": { "path": "Lines", "fields": { "Artikel": "Sku", "Steuer": { "path": "TaxRate", "map": "vat" } } } } }
            """);
        var order = Order("Kovács") with
        {
            Lines = [new OrderLine { Sku = "KE-100", TaxRate = 27 }, new OrderLine { Sku = "SD-64", TaxRate = 19 }],
        };

        var error = Assert.Throws<RecordException>(() => mapping.ToRow(order));

        Assert.Equal("Lines[2]: field 'children.positionen.fields.Steuer': value '19' is not in value map 'vat' (known: 27)", error.Message);
        Assert.Equal(("children.positionen.fields.Steuer", "19"), (error.Field, error.Value));
    }

    [Fact]
    public async Task An_order_line_taking_goods_back_is_dead_lettered_naming_line_and_quantity_and_the_others_are_written()
    {
        var shops = new MemoryShops();
        Order Create(string id, decimal quantity) => Order("Kovács") with
        {
            Id = id,
            Lines = [new OrderLine { Sku = "KE-100", Name = "Táska", Quantity = 1 }, new OrderLine { Sku = "SD-64", Name = "SD kártya", Quantity = quantity }],
        };
        shops["shop"].Records.AddRange([Create("1", 2), Create("2", -3), Create("3", 0.5m)]);
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSyncEngineCore(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SyncEngine:Connections:shop:Type"] = "Memory",
            ["SyncEngine:Connections:erp:Type"] = "Memory",
            ["SyncEngine:Flows:orders:From"] = "shop/orders",
            ["SyncEngine:Flows:orders:To"] = "erp/orders",
        }).Build(), new EngineEnvironment(_folder.Path, _folder["data"]));
        services.AddConnector<MemoryConnectorFactory>();
        services.AddSingleton(shops);
        services.AddSingleton<IStateStore>(TestEngine.CreateState(StateBackend.Sqlite, _folder, null));
        await using var provider = services.BuildServiceProvider();

        var run = await provider.GetRequiredService<FlowRunner>().RunAsync("orders", new RunOptions(), default);

        Assert.Equal((RunStatus.CompletedWithErrors, 2L, 1L), (run.Status, run.Written, run.DeadLettered));
        Assert.Equal(["1", "3"], shops["erp"].Written.Select(o => o.Id));
        var letter = Assert.Single(await provider.GetRequiredService<IStateStore>().GetDeadLettersAsync("orders", null, default));
        Assert.Equal(("2", "Order"), (letter.RecordKey, letter.RecordType));
        Assert.Equal("field 'Lines[2].Quantity': '-3' is negative (SKU SD-64, 'SD kártya'); an order line cannot take goods back, a return is a credit note", letter.Error);
        Assert.Contains("\"quantity\":-3", letter.Payload);
        await provider.GetRequiredService<ConnectorRegistry>().DisposeAsync();
        SqliteConnection.ClearAllPools();
    }

    [Theory]
    [InlineData(StateBackend.Sqlite)]
    [InlineData(StateBackend.PostgreSql)]
    public async Task A_dead_letter_holding_a_NUL_or_half_a_surrogate_pair_is_stored_with_them_made_visible(StateBackend backend)
    {
        await using var postgres = backend == StateBackend.PostgreSql ? await PostgresDatabase.CreateAsync() : null;
        var store = TestEngine.CreateState(backend, _folder, postgres);
        // An unreadable csv line keeps its raw text, NUL and all; PostgreSQL refused it and the run failed at every commit.
        var letter = new DeadLetter { Flow = "csv", RecordKey = "orders.csv#7\0", Payload = "K;7;a\0b;\uD83D", Error = "line 7: 9 columns, but the header names 8" };

        await store.CommitBatchAsync(new BatchCommit { Flow = "csv", DeadLetters = [letter], Checksums = [new("k\0", "abc")] }, default);

        var stored = Assert.Single(await store.GetDeadLettersAsync("csv", null, default));
        Assert.Equal(("orders.csv#7\u2400", "K;7;a\u2400b;\uFFFD"), (stored.RecordKey, stored.Payload));
        Assert.Equal("abc", (await store.GetChecksumsAsync("csv", ["k\0"], default)).Values.Single());
        SqliteConnection.ClearAllPools();
    }

    public void Dispose() => _folder.Dispose();
}
