using SyncEngine.Core.Model;
using SyncEngine.Core.State;
using SyncEngine.Testing.ShopRenter;
using Xunit.Abstractions;

namespace SyncEngine.Connectors.ShopRenter.Tests;

/// <summary>Tokens, the rate limit, 429 and 5xx, time-outs, broken connections and malformed JSON.</summary>
public sealed class ResilienceTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ShopRenterSimulator _simulator = null!;
    private SimulatedShop _shop = null!;
    private Engine? _engine;

    public Task InitializeAsync()
    {
        _simulator = ShopRenterSimulator.Start();
        _shop = _simulator.AddShop("kovacsbolt");
        return Task.CompletedTask;
    }

    private Engine Start(Dictionary<string, string?>? more = null)
    {
        var settings = _simulator.Settings("shop", _shop, more);
        foreach (var (key, value) in Engine.Flow("orders", "shop/orders", "erp/orders")) settings[key] = value;
        return _engine = Engine.Start(settings);
    }

    public async Task DisposeAsync()
    {
        if (_engine is not null) await _engine.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task The_token_is_renewed_before_it_expires_so_no_request_is_refused()
    {
        // The shop issues tokens valid for 5 s only (renewed 1 s early); the import takes about 8 s at 3 requests per second.
        _shop.TokenLifetime = TimeSpan.FromSeconds(5);
        _shop.AddOrders(60);
        var engine = Start(new() { ["PageSize"] = "5" });

        var run = await engine.RunAsync("orders");

        Assert.Equal((RunStatus.Succeeded, 60L), (run.Status, run.Written));
        Assert.DoesNotContain(_shop.ApiCalls, c => c.Status == 401);
        Assert.True(_shop.TokenCalls.Count >= 2, $"{_shop.TokenCalls.Count} token requests");
        Assert.All(_shop.TokenCalls, c => Assert.Equal(200, c.Status));
        // Never the secret in what the engine logged.
        Assert.DoesNotContain(engine.Logs.Messages, m => m.Contains(_shop.ClientSecret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_token_the_shop_revoked_early_is_replaced_once_and_the_request_repeated()
    {
        _shop.AddOrders(2);
        var engine = Start();
        await engine.RunAsync("orders");
        _shop.RevokeTokens();
        _shop.ClearLog();
        _shop.AddOrders(1);

        var run = await engine.RunAsync("orders");

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Single(_shop.ApiCalls, c => c.Status == 401);
        Assert.Single(_shop.TokenCalls);
        Assert.Equal(200, _shop.ApiCalls[1].Status);
    }

    [Fact]
    public async Task Wrong_credentials_fail_the_run_naming_the_client_but_never_the_secret()
    {
        _shop.AddOrders(1);
        var settings = _simulator.Settings("shop", _shop);
        settings["SyncEngine:Connections:shop:ClientSecret"] = "nem-ez-a-titok";
        foreach (var (key, value) in Engine.Flow("orders", "shop/orders", "erp/orders")) settings[key] = value;
        _engine = Engine.Start(settings);

        var run = await _engine.RunAsync("orders");

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains($"the token endpoint refused API client '{_shop.ClientId}' (HTTP 401: invalid_client: Client authentication failed)", run.Error);
        Assert.DoesNotContain("nem-ez-a-titok", run.Error);
        Assert.DoesNotContain(_engine.Logs.Messages, m => m.Contains("nem-ez-a-titok", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Importing_600_orders_stays_under_the_rate_limit_and_takes_the_expected_number_of_requests()
    {
        _shop.AddOrders(600);
        var engine = Start(new() { ["PageSize"] = "50" });

        var run = await engine.RunAsync("orders");

        Assert.Equal((RunStatus.Succeeded, 600L), (run.Status, run.Written));
        Assert.Equal(0, _shop.Throttled);
        // Per page of 50 orders (100 lines): one GET, and one batch of 50 add-on + 100 option look-ups; the first page's
        // batch also resolves the status and shipping mode; and one request for the tax classes.
        var calls = _shop.ApiCalls;
        Assert.Equal(12, calls.Count(c => c.Resource == "orderExtend"));
        Assert.Equal(12, calls.Count(c => c.Path == "batch"));
        Assert.Equal(1, calls.Count(c => c.Resource == "taxClassExtend"));
        Assert.Equal(25, calls.Count);
        var seconds = (calls[^1].ArrivedUtc - calls[0].ArrivedUtc).TotalSeconds;
        output.WriteLine($"600 orders: {calls.Count} requests, {_shop.Requests.Count(r => r.InBatch)} batch sub-requests, {seconds:0.0} s, 429s: {_shop.Throttled}");
    }

    [Fact]
    public async Task Requests_the_shop_receives_after_the_client_gave_up_on_them_do_not_push_the_next_ones_over_the_rate_limit()
    {
        // A quarter of the requests reach the shop's API only 1.5 s after they were sent, when the client has given up on
        // them (time-out 1 s) and sent them again: the shop counts both.
        _shop.Faults = new Faults { Seed = 5, Queued = 0.25, QueueDelay = TimeSpan.FromSeconds(1.5) };
        _shop.AddOrders(60);
        var engine = Start(new() { ["PageSize"] = "5", ["RequestTimeoutSeconds"] = "1", ["MaxRetries"] = "8", ["RetryBudgetPerMinute"] = "100" });

        var run = await engine.RunAsync("orders");

        Assert.Equal((RunStatus.Succeeded, 60L), (run.Status, run.Written));
        var calls = _shop.ApiCalls;
        var queued = calls.Count(c => c.Queued);
        Assert.True(queued >= 3, $"only {queued} request(s) queued");
        var throttled = calls.Where(t => t.Status == 429 && t.Fault is null).ToList();
        Assert.True(throttled.Count == 0, $"the rate limit refused {throttled.Count} request(s); the second before each: " +
            string.Join("; ", throttled.Select(t => SimRequest.SecondBefore(calls, t))));
    }

    [Fact]
    public async Task The_simulator_answers_429_when_more_than_three_requests_arrive_within_one_second()
    {
        using var http = new HttpClient();
        var token = await http.PostAsync(_simulator.TokenUrl.Replace("{shopName}", _shop.Name, StringComparison.Ordinal),
            new StringContent($$"""{"grant_type":"client_credentials","client_id":"{{_shop.ClientId}}","client_secret":"{{_shop.ClientSecret}}"}""", System.Text.Encoding.UTF8, "application/json"));
        var access = System.Text.Json.JsonDocument.Parse(await token.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString();
        async Task<int> GetAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{_shop.ApiBase}/taxClassExtend?full=1");
            request.Headers.Authorization = new("Bearer", access);
            request.Headers.Accept.Add(new("application/json"));
            using var response = await http.SendAsync(request);
            return (int)response.StatusCode;
        }
        // The shop's clock stands still: however the machine spreads the requests, they all arrive within one second.
        var now = DateTime.UtcNow;
        _shop.Clock = () => now;

        var statuses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => GetAsync()));

        Assert.Equal(3, statuses.Count(s => s == 200));
        Assert.Equal(3, statuses.Count(s => s == 429));
        // Just under a second on, the window is still full; a second after that, it is free again.
        now += TimeSpan.FromSeconds(0.999);
        Assert.Equal(429, await GetAsync());
        now += TimeSpan.FromSeconds(1);
        Assert.Equal(200, await GetAsync());
    }

    [Fact]
    public async Task A_429_with_Retry_After_is_waited_out_before_the_request_is_repeated()
    {
        _shop.AddOrders(1);
        var engine = Start();
        _shop.FailNext(1, 429, retryAfter: 2);

        var run = await engine.RunAsync("orders");

        Assert.Equal(RunStatus.Succeeded, run.Status);
        var calls = _shop.ApiCalls;
        Assert.Equal((429, 200), (calls[0].Status, calls[1].Status));
        Assert.True(calls[1].ArrivedUtc - calls[0].ArrivedUtc >= TimeSpan.FromSeconds(2), $"repeated after {(calls[1].ArrivedUtc - calls[0].ArrivedUtc).TotalSeconds} s");
    }

    [Fact]
    public async Task Server_errors_are_retried_and_a_lasting_outage_fails_the_run_after_the_configured_retries()
    {
        _shop.AddOrders(2);
        var engine = Start(new() { ["MaxRetries"] = "3" });
        _shop.FailNext(2, 503);

        var first = await engine.RunAsync("orders");
        Assert.Equal((RunStatus.Succeeded, 2L), (first.Status, first.Written));

        _shop.ClearLog();
        _shop.AddOrders(1);
        _shop.FailNext(4, 502);
        var second = await engine.RunAsync("orders");

        Assert.Equal(RunStatus.Failed, second.Status);
        Assert.Contains("GET /orderExtend failed 4 times, last: HTTP 502", second.Error);
        Assert.Equal(4, _shop.ApiCalls.Count(c => c.Resource == "orderExtend"));
        // Nothing committed: the cursor is where the first run left it, and the next run reads the order.
        var third = await engine.RunAsync("orders");
        Assert.Equal((RunStatus.Succeeded, 1L), (third.Status, third.Written));
    }

    [Fact]
    public async Task Random_server_errors_time_outs_broken_connections_and_truncated_JSON_still_bring_every_order_once()
    {
        _shop.AddOrders(40);
        _shop.Faults = new Faults { Seed = 7, ServerErrors = 0.15, Timeouts = 0.05, Drops = 0.05, Truncations = 0.05, SlowAnswer = TimeSpan.FromSeconds(3) };
        var engine = Start(new() { ["PageSize"] = "10", ["RequestTimeoutSeconds"] = "1", ["MaxRetries"] = "8" });

        var run = await engine.RunAsync("orders");

        Assert.Equal((RunStatus.Succeeded, 40L, 0L), (run.Status, run.Written, run.DeadLettered));
        Assert.Equal(40, engine.Written<Order>("orders").Select(o => o.Id).Distinct().Count());
        output.WriteLine($"{_shop.ApiCalls.Count} requests, statuses: {string.Join(", ", _shop.ApiCalls.GroupBy(c => c.Status).Select(g => $"{g.Key} x{g.Count()}"))}");
    }

    [Fact]
    public async Task A_malformed_page_is_dead_lettered_the_run_goes_on_and_the_cursor_waits_until_the_shop_sends_it_whole()
    {
        var ids = _shop.AddOrders(9);
        _shop.BreakOrderJson(ids[4]);
        var engine = Start(new() { ["PageSize"] = "3" });

        var run = await engine.RunAsync("orders");

        // Page 1 (orders 4-6) is cut off inside order 5: order 4 is read, the rest of the page dead-lettered; page 2 is read.
        Assert.Equal((RunStatus.CompletedWithErrors, 7L, 1L), (run.Status, run.Written, run.DeadLettered));
        Assert.Equal([ids[0], ids[1], ids[2], ids[3], ids[6], ids[7], ids[8]], engine.Written<Order>("orders").Select(o => o.Id));
        var letter = Assert.Single(await engine.State.GetDeadLettersAsync("orders", null, default));
        Assert.StartsWith("orderExtend page 1 since", letter.RecordKey);
        Assert.Contains("returned malformed JSON", letter.Error);
        Assert.Contains("1 records before the fault were read", letter.Error);
        Assert.Contains($"\"innerId\":\"{ids[3]}\"", letter.Payload);
        // The page was asked for again as often as other faults are (MaxRetries, 5 by default), then given up for this run.
        Assert.Equal(6, _shop.ApiCalls.Count(c => c.Resource == "orderExtend" && c["page"] == "1"));
        Assert.Null(await engine.State.GetCursorAsync("orders", default));

        _shop.Repair();
        var second = await engine.RunAsync("orders");

        Assert.Equal((RunStatus.Succeeded, 2L), (second.Status, second.Written));
        Assert.Equal([ids[4], ids[5]], engine.Written<Order>("orders").Skip(7).Select(o => o.Id));
        Assert.NotNull(await engine.State.GetCursorAsync("orders", default));
    }

    [Fact]
    public async Task An_order_with_a_value_that_is_not_a_number_is_dead_lettered_naming_field_and_value()
    {
        var ids = _shop.AddOrders(3);
        _shop.UpdateOrder(ids[1], o => o["orderProducts"]![0]!["price"] = "12,5O");
        var engine = Start();

        var run = await engine.RunAsync("orders");

        Assert.Equal((RunStatus.CompletedWithErrors, 2L, 1L), (run.Status, run.Written, run.DeadLettered));
        var letter = Assert.Single(await engine.State.GetDeadLettersAsync("orders", null, default));
        Assert.Equal(ids[1], letter.RecordKey);
        Assert.Contains("field 'price': '12,5O' is not a number", letter.Error);
        Assert.Contains("\"price\":\"12,5O\"", letter.Payload);
    }

    [Fact]
    public async Task An_order_with_bytes_that_are_not_utf8_is_dead_lettered_naming_field_and_byte_and_the_page_is_read_on()
    {
        var ids = _shop.AddOrders(3);
        // Latin-2 "Éva" (C9 76 61) inside well-formed JSON, as a shop whose database holds Latin-2 text sends it.
        _shop.UpdateOrder(ids[1], o => o["lastname"] = "LATIN2-MARKER");
        _shop.SendRawBytes("LATIN2-MARKER", [0xC9, .. "va"u8]);
        var engine = Start();

        var run = await engine.RunAsync("orders");

        Assert.Equal((RunStatus.CompletedWithErrors, 2L, 1L), (run.Status, run.Written, run.DeadLettered));
        Assert.Equal([ids[0], ids[2]], engine.Written<Order>("orders").Select(o => o.Id));
        var letter = Assert.Single(await engine.State.GetDeadLettersAsync("orders", null, default));
        Assert.Equal(ids[1], letter.RecordKey);
        Assert.Equal($"order {ids[1]}: field 'lastname': '\uFFFDva' holds bytes that are not valid UTF-8 (0xC9 at byte 1 of the value)", letter.Error);
        Assert.Contains("\"lastname\":\"\uFFFDva\"", letter.Payload);
        // Like any other order that cannot be read, it does not hold the cursor back; a fix in the shop updates it and it is read again.
        Assert.NotNull(await engine.State.GetCursorAsync("orders", default));
    }

    [Fact]
    public async Task An_order_with_an_escaped_half_surrogate_is_dead_lettered_naming_the_field_and_the_page_is_read_on()
    {
        var ids = _shop.AddOrders(3);
        // Well-formed JSON, yet no string can be read from "\uD83D" alone (half of an emoji).
        _shop.UpdateOrder(ids[1], o => o["comment"] = "HALF-MARKER");
        _shop.SendRawBytes("HALF-MARKER", "Szia \\uD83D"u8.ToArray());
        var engine = Start();

        var run = await engine.RunAsync("orders");

        Assert.Equal((RunStatus.CompletedWithErrors, 2L, 1L), (run.Status, run.Written, run.DeadLettered));
        var letter = Assert.Single(await engine.State.GetDeadLettersAsync("orders", null, default));
        Assert.Equal($"order {ids[1]}: field 'comment': 'Szia \\uD83D' holds an escaped half of a character (\\uD800-\\uDFFF without its pair), which is no text", letter.Error);
    }

    [Fact]
    public async Task An_order_without_products_is_dead_lettered_instead_of_becoming_an_empty_document()
    {
        var ids = _shop.AddOrders(2);
        _shop.UpdateOrder(ids[0], o => o["orderProducts"] = new System.Text.Json.Nodes.JsonArray());
        var engine = Start();

        var run = await engine.RunAsync("orders");

        Assert.Equal((RunStatus.CompletedWithErrors, 1L, 1L), (run.Status, run.Written, run.DeadLettered));
        var letter = Assert.Single(await engine.State.GetDeadLettersAsync("orders", null, default));
        Assert.Equal((ids[0], $"order {ids[0]}: field 'orderProducts' is empty; an order without products is not imported"), (letter.RecordKey, letter.Error));
    }
}
