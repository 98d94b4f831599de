using SyncEngine.Core.Model;
using SyncEngine.Core.State;
using SyncEngine.Testing;

namespace SyncEngine.Connectors.SageOfficeLine.Tests;

/// <summary>Shop customers written as Sage customers: address and account, matched and updated, or created.</summary>
public sealed class SageCustomerTests : IAsyncLifetime
{
    private const string Customers =
        "SELECT k.Kto, k.KtoArt, k.Matchcode, k.Kundengruppe, k.USER_ShopCustomerId, a.Adresse, a.Name1, a.Strasse, a.Ort, a.EMail " +
        "FROM KHKKontokorrent k JOIN KHKAdressen a ON a.Mandant = k.Mandant AND a.Adresse = k.Adresse WHERE k.Mandant = 1 ORDER BY k.Kto";

    private readonly TempDirectory _folder = new();
    private readonly MemoryShops _shops = new();
    private SageEngine? _engine;
    private TestDatabase? _database;

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task Customers_are_matched_and_updated_or_created_as_address_and_account(string provider)
    {
        var shop = _shops["shop1"];
        // Shop customer 34 is account 100002 and moved; 90 is new; a guest with the name and e-mail of account 100001; one naming its account.
        shop.Records.Add(Customer("34", "Szabó", "Éva", "eva.szabo@example.hu", "Nagyerdei körút 1.", "Debrecen"));
        shop.Records.Add(Customer("90", "Fekete", "Zoltán", "zoltan.fekete@example.hu", "Rákóczi út 5.", "Miskolc"));
        shop.Records.Add(Customer("0", null, null, "RENDELES@kovacs-tarsa.hu", "Váci út 14.", "Budapest") with { IsGuest = true, Company = "Kovács és Társa Kft." });
        shop.Records.Add(Customer("91", "Fehér", "Ilona", "ilona@example.hu", "Fő tér 2.", "Győr") with { CustomerNumber = "100001", Company = "Kovács és Társa Kft." });
        _database = await TestDatabase.CreateAsync(provider, _folder, "sage.db", midnightAsDay: true);
        _engine = SageEngine.Start(_folder, _shops, Config.Merge(
            Config.Shop("shop1"),
            Config.Sage("sage1", _database, "SR1", 500000, 599999),
            Config.Flow("customers", "shop1/customers", "sage1/customers", Config.Mapping("shoprenter", "customers.json"))));
        Assert.Empty(_engine.Validator.Validate());

        var run = await _engine.RunAsync("customers");

        Assert.Equal((RunStatus.Succeeded, 4L), (run.Status, run.Written));
        Assert.Equal(
        [
            "100001|D|KOVÁCS ÉS TÁRSA KFT.|WEB|SR1:91|1|Kovács és Társa Kft.|Fő tér 2.|Győr|ilona@example.hu",
            "100002|D|SZABÓ, ÉVA|WEB|SR1:34|2|Szabó Éva|Nagyerdei körút 1.|Debrecen|eva.szabo@example.hu",
            "200000|D|FEKETE, ZOLTÁN|WEB|SR1:90|3|Fekete Zoltán|Rákóczi út 5.|Miskolc|zoltan.fekete@example.hu",
        ], await _database.RowsAsync(Customers));
        var links = await _engine.State.GetLinksAsync("shop1", "Customer", "sage1", ["34", "90", "0", "91"], default);
        Assert.Equal(("100002", "200000", "100001", "100001"), (links["34"], links["90"], links["0"], links["91"]));
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task New_customers_take_the_next_numbers_of_a_prefixed_range_above_those_already_there(string provider)
    {
        _database = await TestDatabase.CreateAsync(provider, _folder, "sage.db", midnightAsDay: true);
        var sage = Config.Sage("sage1", _database, "SR1", 500000, 599999, customersFrom: 1000, customersTo: 9999);
        sage["SyncEngine:Connections:sage1:CustomerNumbers:Prefix"] = "W";
        _engine = SageEngine.Start(_folder, _shops, Config.Merge(Config.Shop("shop1"), sage,
            Config.Flow("customers", "shop1/customers", "sage1/customers", Config.Mapping("shoprenter", "customers.json"))));
        Assert.Empty(_engine.Validator.Validate());
        // Accounts someone created by hand: one in the range, one longer that only sorts into it as text, one of another prefix.
        await _database.ExecAsync("""
            INSERT INTO KHKAdressen (Adresse, Mandant, Matchcode) VALUES (10, 1, 'A'), (11, 1, 'B'), (12, 1, 'C');
            INSERT INTO KHKKontokorrent (Kto, KtoArt, Mandant, Matchcode, Adresse) VALUES ('W1041', 'D', 1, 'A', 10), ('W10411', 'D', 1, 'B', 11), ('X5000', 'D', 1, 'C', 12);
            """);
        _shops["shop1"].Records.Add(Customer("501", "Molnár", "Kata", "kata@example.hu", "Fő utca 1.", "Pécs"));
        _shops["shop1"].Records.Add(Customer("502", "Balogh", "Ádám", "adam@example.hu", "Fő utca 2.", "Pécs"));

        Assert.Equal(RunStatus.Succeeded, (await _engine.RunAsync("customers")).Status);

        Assert.Equal(["W1042|SR1:501|13", "W1043|SR1:502|14"],
            await _database.RowsAsync("SELECT Kto, USER_ShopCustomerId, Adresse FROM KHKKontokorrent WHERE USER_ShopCustomerId IS NOT NULL AND Mandant = 1 AND Kto LIKE 'W%' ORDER BY Kto"));
    }

    private static Customer Customer(string id, string? lastName, string? firstName, string email, string street, string city) => new()
    {
        Id = id, LastName = lastName, FirstName = firstName, Email = email,
        BillingAddress = new Address { Street = street, City = city, PostalCode = "1000", CountryCode = "HU" },
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_engine is not null) await _engine.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        _folder.Dispose();
    }
}
