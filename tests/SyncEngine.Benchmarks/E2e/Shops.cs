using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using SyncEngine.Testing.ShopRenter;
using SyncEngine.Testing;

namespace SyncEngine.Benchmarks.E2e;

/// <summary>ShopRenter shops (the simulator, with its documented limit of 3 requests per second) and the Sage database their orders go to.</summary>
public static class Shops
{
    /// <summary>A ShopRenter connection to <paramref name="shop"/>, as the simulator's settings give it.</summary>
    public static JsonObject ShopConnection(ShopRenterSimulator simulator, string name, SimulatedShop shop)
    {
        var prefix = $"SyncEngine:Connections:{name}:";
        var connection = new JsonObject();
        foreach (var (key, value) in simulator.Settings(name, shop, new Dictionary<string, string?> { ["Warehouse"] = "BP" }))
            connection[key[prefix.Length..]] = value;
        return connection;
    }

    /// <summary>A Sage Office Line connection on the Sage-shaped subset in PostgreSQL, one number range per shop.</summary>
    public static JsonObject SageConnection(string connectionString, string shop, int numbersFrom, int customersFrom) => new()
    {
        ["Type"] = "SageOfficeLine", ["Provider"] = "PostgreSql", ["ConnectionString"] = connectionString, ["Setup"] = "sage-subset",
        ["Mandant"] = 1, ["Shop"] = shop,
        ["NumberRange"] = new JsonObject { ["From"] = numbersFrom, ["To"] = numbersFrom + 99_999 },
        ["CustomerNumbers"] = new JsonObject { ["From"] = customersFrom, ["To"] = customersFrom + 49_999 },
        ["Warehouse"] = "BP", ["PriceList"] = 1,
    };

    public static JsonObject OrdersFlow(string shop, string sage, string? schedule) => new()
    {
        ["From"] = $"{shop}/orders", ["To"] = $"{sage}/orders", ["Mapping"] = "mappings/shoprenter/orders.json", ["Schedule"] = schedule,
    };

    /// <summary>Scenario 5: one import of <paramref name="orders"/> orders; requests used, 429s received, documents written.</summary>
    public static async Task<(SyncOutcome Outcome, Measurement Measurement, int Requests, int Throttled, long Documents)> ImportAsync(
        BenchDatabase database, string folder, int orders)
    {
        await using var simulator = ShopRenterSimulator.Start();
        var shop = simulator.AddShop("kovacsbolt");
        shop.AddOrders(orders);
        var sage = await database.SchemaAsync("sage_import");
        var install = new Installation(folder,
            new JsonObject { ["shop"] = ShopConnection(simulator, "shop", shop), ["sage"] = SageConnection(sage, "SR1", 500_000, 200_000) },
            new JsonObject { ["orders"] = OrdersFlow("shop", "sage", null) });
        var (outcome, measurement) = await Measure.RunAsync(() => install.SyncAsync("orders"));
        var documents = await database.CountAsync("SELECT count(*) FROM sage_import.KHKVKBelege WHERE USER_ShopOrderId LIKE 'SR1:%'");
        return (outcome, measurement, shop.HttpRequests.Count, shop.Throttled, documents);
    }

    /// <summary>
    /// Scenario 6: the service runs; orders appear in two shops at spread-out moments. One shop is read on the schedule only,
    /// the other also sends its <c>order_confirm</c> webhook. Returns each order's time from appearing in the shop to its
    /// document being committed in Sage, per path.
    /// </summary>
    public static async Task<(IReadOnlyList<TimeSpan> Scheduled, IReadOnlyList<TimeSpan> Webhook, int Missing)> LatencyAsync(
        BenchDatabase database, string folder, int orders, TimeSpan spread, string schedule, TimeSpan wait)
    {
        await using var simulator = ShopRenterSimulator.Start();
        var cron = simulator.AddShop("cronbolt");
        var hook = simulator.AddShop("hookbolt");
        var sage = await database.SchemaAsync("sage_latency");
        var port = Ports.Free();
        var secret = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var install = new Installation(folder,
            new JsonObject
            {
                ["shop-cron"] = ShopConnection(simulator, "shop-cron", cron),
                ["shop-hook"] = ShopConnection(simulator, "shop-hook", hook),
                ["sage-cron"] = SageConnection(sage, "SRC", 500_000, 200_000),
                ["sage-hook"] = SageConnection(sage, "SRH", 600_000, 250_000),
            },
            new JsonObject { ["cron-orders"] = OrdersFlow("shop-cron", "sage-cron", schedule), ["hook-orders"] = OrdersFlow("shop-hook", "sage-hook", schedule) },
            new JsonObject { ["Enabled"] = true, ["Address"] = "127.0.0.1", ["Port"] = port, ["Secret"] = secret });
        // Set up the Sage tables before the clock starts.
        await install.SyncAsync("cron-orders");
        await install.SyncAsync("hook-orders");

        var appeared = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        var committed = new Dictionary<string, long>();
        await using (await install.ServeAsync())
        {
            using var http = new HttpClient();
            var webhook = new Uri($"http://127.0.0.1:{port}/webhooks/shop-hook/{secret}");
            async Task CreateAsync(SimulatedShop shop, string code, int seed, bool sendWebhook)
            {
                var random = new Random(seed);
                var gap = spread / orders;
                for (var i = 0; i < orders; i++)
                {
                    await Task.Delay(gap * (0.2 + 1.6 * random.NextDouble()));
                    var id = shop.AddOrders(1)[0];
                    appeared[$"{code}:{id}"] = Stopwatch.GetTimestamp();
                    if (sendWebhook)
                    {
                        using var content = new StringContent(shop.WebhookPayload(id), Encoding.UTF8, "application/json");
                        using var response = await http.PostAsync(webhook, content);
                        response.EnsureSuccessStatusCode();
                    }
                }
            }
            var creating = Task.WhenAll(CreateAsync(cron, "SRC", 1, false), CreateAsync(hook, "SRH", 2, true));
            var deadline = Stopwatch.StartNew();
            await using var connection = await database.OpenAsync();
            while (deadline.Elapsed < spread + wait)
            {
                await using (var command = new Npgsql.NpgsqlCommand("SELECT USER_ShopOrderId FROM sage_latency.KHKVKBelege", connection))
                await using (var reader = await command.ExecuteReaderAsync())
                {
                    var now = Stopwatch.GetTimestamp();
                    while (await reader.ReadAsync())
                        if (!reader.IsDBNull(0)) committed.TryAdd(reader.GetString(0), now);
                }
                if (creating.IsCompleted && appeared.Keys.All(committed.ContainsKey)) break;
                await Task.Delay(50);
            }
            await creating;
        }
        List<TimeSpan> Latencies(string code) => appeared.Where(a => a.Key.StartsWith(code, StringComparison.Ordinal) && committed.ContainsKey(a.Key))
            .Select(a => Stopwatch.GetElapsedTime(a.Value, committed[a.Key])).Order().ToList();
        return (Latencies("SRC:"), Latencies("SRH:"), appeared.Keys.Count(k => !committed.ContainsKey(k)));
    }

}
