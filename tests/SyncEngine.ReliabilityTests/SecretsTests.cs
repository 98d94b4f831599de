using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using SyncEngine.Testing;
using SyncEngine.Testing.ShopRenter;
using Xunit.Abstractions;

namespace SyncEngine.ReliabilityTests;

/// <summary>
/// Distinctive secrets on every connection (shop client secret, database password, FTP password, control token, webhook
/// secret, and wrong ones on connections made to fail), every flow run by the real program and the service, logging at its
/// most verbose: none of them appears in any log file, console output, run history or dead letter. The control API
/// answers on loopback only, only with the token, and its token file is the service user's alone.
/// </summary>
public sealed class SecretsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ShopRenterSage _setup = null!;

    public async Task InitializeAsync() => _setup = await ShopRenterSage.StartAsync("PostgreSql");

    [Fact]
    public async Task No_secret_appears_in_logs_console_output_run_history_or_dead_letters_and_the_control_api_needs_its_token()
    {
        var ftp = RemoteServer.Get("ftp");
        var ftpFolder = ftp.NewFolder();
        var secrets = new Dictionary<string, string>
        {
            ["shop client secret"] = _setup.Shop1.ClientSecret,
            ["database password"] = new NpgsqlConnectionStringBuilder(_setup.Sage.ConnectionString).Password!,
            ["FTP password"] = ftp.Password!,
            ["wrong shop client secret"] = "Wr0ng-Client-Secret-" + Guid.NewGuid().ToString("N"),
            ["wrong database password"] = "Wr0ng-Pg-Passw0rd-" + Guid.NewGuid().ToString("N"),
            ["wrong FTP password"] = "Wr0ng-Ftp-Passw0rd-" + Guid.NewGuid().ToString("N"),
            ["webhook secret"] = "Webhook-Secret-" + Guid.NewGuid().ToString("N"),
        };
        Assert.All(secrets.Values, s => Assert.True(s.Length >= 16, "a secret too short to search for"));
        var engine = _setup.Engine;
        var (controlPort, webhookPort) = (Ports.Free(), Ports.Free());
        engine["Control"] = new JsonObject { ["Enabled"] = true, ["Port"] = controlPort };
        engine["Webhooks"] = new JsonObject { ["Enabled"] = true, ["Port"] = webhookPort, ["Secret"] = secrets["webhook secret"] };
        var connections = engine["Connections"]!.AsObject();
        var badShop = connections["shop1"]!.DeepClone().AsObject();
        badShop["ClientSecret"] = secrets["wrong shop client secret"];
        badShop["MaxRetries"] = 1;
        connections["shop-bad"] = badShop;
        var badSage = connections["sage-sr1"]!.DeepClone().AsObject();
        badSage["ConnectionString"] = new NpgsqlConnectionStringBuilder(_setup.Sage.ConnectionString) { Password = secrets["wrong database password"] }.ConnectionString;
        connections["sage-bad"] = badSage;
        connections["ftp-out"] = Ftp(ftp, ftpFolder, ftp.Password!);
        connections["ftp-bad"] = Ftp(ftp, ftpFolder, secrets["wrong FTP password"]);
        var flows = engine["Flows"]!.AsObject();
        flows["bad-shop-orders"] = Flow("shop-bad/orders", "sage-sr1/orders", "mappings/shoprenter/orders.json");
        flows["bad-sage-orders"] = Flow("shop1/orders", "sage-bad/orders", "mappings/shoprenter/orders.json");
        flows["stock-ftp"] = Flow("sage-sr1/stock", "ftp-out/stock", null);
        flows["stock-ftp-bad"] = Flow("sage-sr1/stock", "ftp-bad/stock", null);
        // The most verbose logging there is, to the console and to files, as an administrator hunting a problem would set it.
        _setup.Configuration["Serilog"] = JsonNode.Parse("""
            {
              "Using": ["Serilog.Sinks.Console", "Serilog.Sinks.File"],
              "MinimumLevel": { "Default": "Verbose" },
              "WriteTo": [
                { "Name": "Console", "Args": { "standardErrorFromLevel": "Verbose" } },
                { "Name": "File", "Args": { "path": "logs/syncengine-.log", "rollingInterval": "Day" } }
              ]
            }
            """);
        await _setup.SaveConfigurationAsync();
        var ids = _setup.Shop1.AddOrders(5);
        _setup.Shop1.UpdateOrder(ids[2], o => o["orderProducts"]![0]!["price"] = "12,5O");

        var printed = new StringBuilder();
        async Task<SyncResult> Run(params string[] args)
        {
            var result = await _setup.RunProcessAsync(args);
            printed.Append(result.Out).Append(result.Error);
            return result;
        }
        var validate = await Run("validate");
        var runs = new Dictionary<string, SyncResult>();
        foreach (var flow in new[] { "sr1-orders", "sr1-stock", "stock-ftp", "bad-shop-orders", "bad-sage-orders", "stock-ftp-bad" })
            runs[flow] = await Run("sync", flow, "--json");

        // The service: the control API with its token, and the shop's webhook.
        using var service = _setup.StartProcess("serve");
        var serviceOut = service.StandardOutput.ReadToEndAsync();
        var serviceErr = service.StandardError.ReadToEndAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var tokenFile = _setup.Folder["data/control.token"];
        await WaitForAsync(() => File.Exists(tokenFile) && new FileInfo(tokenFile).Length > 0 && Listening(controlPort));
        var token = (await File.ReadAllTextAsync(tokenFile)).Trim();
        secrets["control token"] = token;
        var withoutToken = await http.GetAsync($"http://127.0.0.1:{controlPort}/api/status");
        var wrongToken = await SendAsync(http, $"http://127.0.0.1:{controlPort}/api/status", "not-the-token");
        var status = await SendAsync(http, $"http://127.0.0.1:{controlPort}/api/status", token);
        var syncThroughService = await Run("sync", "stock-ftp");
        await WaitForAsync(() => Listening(webhookPort));
        const string Notice = """{"orders":{"order":{"storeName":"kovacsbolt","innerId":1001,"innerResourceId":"orders\/b3JkZXItb3JkZXJfaWQ9MTAwMQ=="}}}""";
        var webhook = await http.PostAsync($"http://127.0.0.1:{webhookPort}/webhooks/shop1/{secrets["webhook secret"]}", new StringContent(Notice, Encoding.UTF8, "application/json"));
        var wrongWebhook = await http.PostAsync($"http://127.0.0.1:{webhookPort}/webhooks/shop1/{secrets["wrong shop client secret"]}", new StringContent(Notice, Encoding.UTF8, "application/json"));
        // The run the webhook started, finished and recorded, before the service is stopped.
        await WaitForAsync(() => WebhookRunFinished(_setup.Folder["data/state.db"]));
        service.Kill();
        await service.WaitForExitAsync();
        printed.Append(await serviceOut).Append(await serviceErr);
        var history = await Run("runs", "--last", "100", "--json");
        var letters = await Run("deadletters", "list", "--json");

        output.WriteLine($"validate: exit {validate.ExitCode}; runs: {string.Join(", ", runs.Select(r => $"{r.Key} {r.Value.ExitCode}"))}; " +
            $"control: {(int)withoutToken.StatusCode}/{(int)wrongToken.StatusCode}/{(int)status.StatusCode}; webhook {(int)webhook.StatusCode}/{(int)wrongWebhook.StatusCode}");
        // The flows ran, and failed where they should: the search covers what failures print.
        Assert.Equal((3, 1L), (runs["sr1-orders"].ExitCode, runs["sr1-orders"].DeadLettered));
        Assert.Equal(0, runs["stock-ftp"].ExitCode);
        Assert.All(new[] { "bad-shop-orders", "bad-sage-orders", "stock-ftp-bad" }, f => Assert.True(runs[f].ExitCode == 1, $"{f}: {runs[f]}"));
        Assert.Contains("Run by the service", syncThroughService.Error);
        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.OK), (withoutToken.StatusCode, wrongToken.StatusCode, status.StatusCode));
        Assert.Equal(HttpStatusCode.Accepted, webhook.StatusCode);
        Assert.NotEqual(HttpStatusCode.Accepted, wrongWebhook.StatusCode);
        // Loopback only, and the token file for the service's user alone.
        Assert.False(ListeningOnAnyAddress(controlPort), $"the control API listens beyond loopback on port {controlPort}");
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));

        var places = new Dictionary<string, string>
        {
            ["console output"] = printed.ToString(),
            ["run history"] = history.Out,
            ["dead letters"] = letters.Out,
        };
        foreach (var file in Directory.EnumerateFiles(_setup.Folder["logs"]))
            places["log file " + Path.GetFileName(file)] = await File.ReadAllTextAsync(file);
        // The state store itself, byte for byte (run history, dead letters, cursors).
        foreach (var file in Directory.EnumerateFiles(_setup.Folder["data"], "state.db*"))
            places["state store " + Path.GetFileName(file)] = Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file));
        Assert.Contains("dead-lettered", places["console output"]);
        Assert.True(places.Keys.Count(k => k.StartsWith("log file", StringComparison.Ordinal)) >= 1 && places.Where(p => p.Key.StartsWith("log file", StringComparison.Ordinal)).Sum(p => p.Value.Length) > 10_000,
            "the verbose log files are missing or nearly empty");
        var leaks = from secret in secrets from place in places where place.Value.Contains(secret.Value, StringComparison.Ordinal) select $"{secret.Key} in {place.Key}";
        Assert.Empty(leaks);
        output.WriteLine($"{secrets.Count} secrets searched in {places.Count} places ({places.Values.Sum(v => v.Length):N0} characters): none found");
    }

    private static JsonObject Ftp(RemoteServer ftp, string folder, string password)
    {
        var connection = new JsonObject();
        foreach (var (key, value) in ftp.Settings(folder)) connection[key] = value;
        connection["Type"] = "Files";
        connection["Password"] = password;
        connection["Retries"] = 0;
        connection["Streams"] = new JsonObject { ["stock"] = new JsonObject { ["RecordType"] = "StockLevel", ["FileName"] = "stock-{RunTime:yyyyMMddHHmmssfff}.json" } };
        return connection;
    }

    private static JsonObject Flow(string from, string to, string? mapping)
    {
        var flow = new JsonObject { ["From"] = from, ["To"] = to, ["Schedule"] = "0 0 3 * * ?" };
        if (mapping is not null) flow["Mapping"] = mapping;
        return flow;
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient http, string url, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http.SendAsync(request);
    }

    private static bool Listening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Whether anything listens on the port on an address other than 127.0.0.1 (the kernel's own table).</summary>
    private static bool ListeningOnAnyAddress(int port)
    {
        var hex = port.ToString("X4");
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                // local_address is ADDRESS:PORT in hex; state 0A is LISTEN.
                var local = fields[1].Split(':');
                if (fields[3] == "0A" && local[1] == hex && local[0] is not "0100007F" and not "00000000000000000000000001000000") return true;
            }
        }
        return false;
    }

    private static bool WebhookRunFinished(string stateStore)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={stateStore};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM runs WHERE run_trigger = 'webhook' AND status <> 'Running'";
        return Convert.ToInt64(command.ExecuteScalar()) > 0;
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the service did not get there within 60 s");
            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync() => await _setup.DisposeAsync();
}
