using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using SyncEngine.Cli;
using SyncEngine.Testing;
using Xunit;

namespace SyncEngine.Testing.ShopRenter;

/// <summary>
/// A customer's installation, in a folder of its own: two ShopRenter shops (the simulator) and one Sage Office Line
/// database (the Sage-shaped subset) that both write into through a Sage connection each, with the flows of the
/// README and the repository's shipped mappings. Everything runs through the real command line, in this process.
/// </summary>
public sealed class ShopRenterSage : IAsyncDisposable
{
    /// <summary>The articles of the Sage subset's seed data that both shops sell: SKU, name, net price.</summary>
    public static readonly (string Sku, string Name, decimal Net)[] SageArticles =
    [
        ("KE-100", "Fényképezőgép-táska", 7874.02m),
        ("SD-64", "SD kártya 64 GB", 3149.61m),
        ("OB-2", "Objektív 50 mm", 78740.16m),
        ("KV-5", "Könyv: Fotózás őszintén", 4761.90m),
    ];

    private ShopRenterSage(TempDirectory folder, ShopRenterSimulator simulator, TestDatabase sage)
    {
        Folder = folder;
        Simulator = simulator;
        Sage = sage;
        Shop1 = simulator.AddShop("kovacsbolt");
        Shop2 = simulator.AddShop("szepbolt");
        foreach (var shop in new[] { Shop1, Shop2 })
        {
            // The shops sell Sage's articles too, under the same SKU and at the price of Sage's price list 1; their
            // stock (1) is Sage's to correct.
            foreach (var (sku, name, net) in SageArticles) shop.AddProduct(sku, name, net, stock: 1);
        }
    }

    public TempDirectory Folder { get; }
    public ShopRenterSimulator Simulator { get; }
    public TestDatabase Sage { get; }

    /// <summary>Shop 1 (connection <c>shop1</c>, flows <c>sr1-*</c>): Sage connection <c>sage-sr1</c>, documents 500000-599999, warehouse BP, price list 1.</summary>
    public SimulatedShop Shop1 { get; }

    /// <summary>Shop 2 (connection <c>shop2</c>, flows <c>sr2-*</c>): Sage connection <c>sage-sr2</c>, documents 600000-699999, warehouse DEB, price list 2.</summary>
    public SimulatedShop Shop2 { get; }

    public string ConfigFile => Folder["syncengine.json"];

    /// <param name="postgresServer">For PostgreSQL, a server other than the test script's (see <see cref="PostgresServer"/>).</param>
    public static async Task<ShopRenterSage> StartAsync(string provider, string? postgresServer = null)
    {
        var folder = new TempDirectory();
        var simulator = ShopRenterSimulator.Start();
        var sage = await TestDatabase.CreateAsync(provider, folder, "sage/OLReweAbf.db", midnightAsDay: true, server: postgresServer);
        var setup = new ShopRenterSage(folder, simulator, sage);
        CopyFolder(Path.Combine(Repository.Root, "mappings"), folder["mappings"]);
        setup.Configuration = setup.Config();
        await setup.SaveConfigurationAsync();
        return setup;
    }

    /// <summary>The configuration file's content; change it and call <see cref="SaveConfigurationAsync"/>.</summary>
    public JsonObject Configuration { get; private set; } = [];

    /// <summary>The <c>SyncEngine</c> section of <see cref="Configuration"/>.</summary>
    public JsonObject Engine => Configuration["SyncEngine"]!.AsObject();

    public Task SaveConfigurationAsync() =>
        File.WriteAllTextAsync(ConfigFile, Configuration.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));

    /// <summary>The configuration file, as a customer with two shops on one Sage database writes it.</summary>
    private JsonObject Config()
    {
        JsonObject Shop(SimulatedShop shop, string warehouse) => new()
        {
            ["Type"] = "ShopRenter",
            ["ShopName"] = shop.Name,
            ["ClientId"] = shop.ClientId,
            ["ClientSecret"] = shop.ClientSecret,
            ["Warehouse"] = warehouse,
            // The simulator instead of {shopName}.api2.myshoprenter.hu and oauth.app.shoprenter.net.
            ["ApiBaseUrl"] = Simulator.ApiBaseUrl,
            ["TokenUrl"] = Simulator.TokenUrl,
            ["RetryBaseDelaySeconds"] = 0.05,
            ["RetryMaxDelaySeconds"] = 1,
        };
        JsonObject SageConnection(string shop, int from, int customersFrom, string warehouse, int priceList) => new()
        {
            ["Type"] = "SageOfficeLine",
            ["Provider"] = Sage.Provider,
            ["ConnectionString"] = Sage.ConfigConnectionString,
            ["Setup"] = "sage-subset",
            ["Mandant"] = 1,
            ["Shop"] = shop,
            ["NumberRange"] = new JsonObject { ["From"] = from, ["To"] = from + 99999 },
            ["CustomerNumbers"] = new JsonObject { ["From"] = customersFrom, ["To"] = customersFrom + 49999 },
            ["Warehouse"] = warehouse,
            ["PriceList"] = priceList,
        };
        JsonObject Flow(string from, string to, string mapping) => new()
        {
            ["From"] = from,
            ["To"] = to,
            ["Mapping"] = $"mappings/shoprenter/{mapping}.json",
            ["Schedule"] = "0 0/5 * * * ?",
        };
        var config = new JsonObject
        {
            ["SyncEngine"] = new JsonObject
            {
                ["DataDirectory"] = "data",
                ["Control"] = new JsonObject { ["Enabled"] = false },
                ["Connections"] = new JsonObject
                {
                    ["shop1"] = Shop(Shop1, "BP"),
                    ["shop2"] = Shop(Shop2, "DEB"),
                    ["sage-sr1"] = SageConnection("SR1", 500000, 200000, "BP", 1),
                    ["sage-sr2"] = SageConnection("SR2", 600000, 250000, "DEB", 2),
                },
                ["Flows"] = new JsonObject
                {
                    ["sr1-orders"] = Flow("shop1/orders", "sage-sr1/orders", "orders"),
                    ["sr1-customers"] = Flow("shop1/customers", "sage-sr1/customers", "customers"),
                    ["sr1-stock"] = Flow("sage-sr1/stock", "shop1/stock", "stock"),
                    ["sr1-prices"] = Flow("sage-sr1/prices", "shop1/prices", "prices"),
                    ["sr2-orders"] = Flow("shop2/orders", "sage-sr2/orders", "orders"),
                    ["sr2-stock"] = Flow("sage-sr2/stock", "shop2/stock", "stock"),
                },
            },
        };
        return config;
    }

    /// <summary><c>syncengine sync FLOW --json --config syncengine.json</c>, in this process, as the command line runs it.</summary>
    public Task<SyncResult> SyncAsync(string flow) => CliAsync("sync", flow, "--json");

    /// <summary><c>syncengine ARGS --config syncengine.json</c>, in this process.</summary>
    public async Task<SyncResult> CliAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await CliApp.RunAsync([.. args, "--config", ConfigFile], Cli.Connectors.AddAll, output, error);
        return new SyncResult(exit, output.ToString(), error.ToString());
    }

    /// <summary>Runs the flow and requires it to succeed.</summary>
    public async Task<SyncResult> SyncOkAsync(string flow)
    {
        var result = await SyncAsync(flow);
        Assert.True(result.ExitCode == 0 && result.Status == "succeeded", $"sync {flow}: {result}");
        return result;
    }

    /// <summary>Starts the real <c>syncengine</c> program in the installation's folder: a process of its own that can be killed.</summary>
    public Process StartProcess(params string[] args) => SyncengineProgram.Start(Folder.Path, ConfigFile, args);

    /// <summary>Runs the real <c>syncengine</c> program to its end and returns what it printed.</summary>
    public Task<SyncResult> RunProcessAsync(params string[] args) => SyncengineProgram.RunAsync(Folder.Path, ConfigFile, args);

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }


    public async ValueTask DisposeAsync()
    {
        await Simulator.DisposeAsync();
        await Sage.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Folder.Dispose();
    }
}
