using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SyncEngine.Testing.ShopRenter;

/// <summary>One request the shop received (batch sub-requests too, flagged).</summary>
public sealed record SimRequest(DateTime ArrivedUtc, string Method, string Path, IReadOnlyDictionary<string, string> Query, string? Body, bool InBatch)
{
    public int Status { get; set; }
    public string? Token { get; init; }
    public string? Accept { get; init; }
    public string? ContentType { get; init; }

    /// <summary>The fault injected into the answer (<c>429</c>, <c>500</c>, <c>time-out</c>, <c>drop</c>, <c>truncated</c>, <c>malformed</c>), or null.</summary>
    public string? Fault { get; set; }

    /// <summary>The request was held before it arrived (<see cref="Faults.Queued"/>).</summary>
    public bool Queued { get; init; }

    /// <summary>When the shop's front end took the request, before any hold.</summary>
    public DateTime ReceivedUtc { get; init; }

    /// <summary>Those of <paramref name="requests"/> that arrived in the second up to <paramref name="refused"/>, for a message on why the rate limit refused it.</summary>
    public static string SecondBefore(IEnumerable<SimRequest> requests, SimRequest refused) => string.Join(", ", requests
        .Where(r => r.ArrivedUtc <= refused.ArrivedUtc && refused.ArrivedUtc - r.ArrivedUtc < TimeSpan.FromSeconds(1))
        .Select(r => $"{r.ArrivedUtc:HH:mm:ss.fff} {r.Method} {r.Path} {r.Status}{(r.Fault is null ? "" : " " + r.Fault)}{(r.Queued ? $" queued since {r.ReceivedUtc:HH:mm:ss.fff}" : "")}"));

    /// <summary>The resource, e.g. <c>orderExtend</c> for <c>orderExtend/abc</c>.</summary>
    public string Resource => Path.Split('/')[0];

    public string? this[string parameter] => Query.GetValueOrDefault(parameter);
}

/// <summary>A product update the shop received: the product, its SKU and the exact JSON of the fields sent.</summary>
public sealed record ProductUpdate(string ProductId, string? Sku, string Data, bool InBatch);

/// <summary>Random faults, drawn from a seeded generator so a failing run can be repeated.</summary>
public sealed record Faults
{
    public int Seed { get; init; } = 42;
    /// <summary>Fraction of requests answered 500, 502 or 503.</summary>
    public double ServerErrors { get; init; }
    /// <summary>Fraction answered only after <see cref="SlowAnswer"/> (past the client's time-out).</summary>
    public double Timeouts { get; init; }
    public TimeSpan SlowAnswer { get; init; } = TimeSpan.FromSeconds(3);
    /// <summary>Fraction whose connection is closed after a garbled start.</summary>
    public double Drops { get; init; }
    /// <summary>Fraction whose JSON is cut off at a random point.</summary>
    public double Truncations { get; init; }
    /// <summary>Fraction answered 429 with <see cref="ThrottleRetryAfter"/> seconds in Retry-After (the shop under load), besides the rate limit's own.</summary>
    public double Throttles { get; init; }
    public int ThrottleRetryAfter { get; init; } = 2;
    /// <summary>Fraction whose JSON, whole in length, is broken in the middle.</summary>
    public double Malformed { get; init; }
    /// <summary>
    /// Fraction held by the shop's front end for <see cref="QueueDelay"/> before the API counts and answers them, as a
    /// shop under load does: past the client's time-out, the request still arrives after the client gave up on it.
    /// </summary>
    public double Queued { get; init; }
    public TimeSpan QueueDelay { get; init; } = TimeSpan.FromSeconds(1.5);
}

/// <summary>
/// One simulated shop: its data (shaped field for field like the official fixtures), its API client, the tokens it
/// issued, its rate limit (more than <see cref="RateLimit"/> requests within one second: 429, as documented), faults
/// to inject, and the log of every request it received.
/// </summary>
public sealed partial class SimulatedShop
{
    public static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    public static readonly TimeZoneInfo Zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Budapest");

    private readonly object _gate = new();
    private readonly Dictionary<string, DateTime> _tokens = new(StringComparer.Ordinal);
    private readonly Queue<DateTime> _arrivals = new();
    private readonly Queue<(int Status, int? RetryAfter)> _failNext = new();
    private readonly List<SimRequest> _requests = [];
    private readonly List<ProductUpdate> _updates = [];
    private readonly HashSet<string> _brokenOrders = new(StringComparer.Ordinal);
    private readonly List<(byte[] Marker, byte[] Bytes)> _rawBytes = [];
    private Random _random = new(42);
    private Faults _faults = new();

    internal SimulatedShop(string name, string apiBase)
    {
        Name = name;
        ApiBase = apiBase;
        ClientId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        ClientSecret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        SeedReferenceData();
    }

    public string Name { get; }

    public string ClientId { get; }

    public string ClientSecret { get; }

    /// <summary>The base of the hrefs this shop writes (the real API writes its own host).</summary>
    public string ApiBase { get; }

    /// <summary>Requests allowed within any one second; the documentation says 3 per application and shop.</summary>
    public int RateLimit { get; set; } = 3;

    /// <summary>The time an API request arrives at, which the rate limit counts by; a test may stop it.</summary>
    public Func<DateTime> Clock { get; set; } = () => DateTime.UtcNow;

    /// <summary>Seconds sent as Retry-After with a 429; the documentation names no such header, so none by default.</summary>
    public int? RetryAfterOn429 { get; set; }

    /// <summary>How long the tokens issued from now on are valid (expires_in).</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How far the clock of the shop's data (dateCreated, dateUpdated) is ahead of the machine's. The HTTP Date header
    /// stays the machine's (the server sets it), as a shop whose database clock runs ahead of its web server's would.
    /// </summary>
    public TimeSpan ClockOffset { get; set; }

    /// <summary>The shop's own clock: local time in Budapest, without offset, as its time stamps.</summary>
    public DateTime Now => TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow + ClockOffset, Zone).DateTime;

    /// <summary>Runs before each request (after the rate limit) is answered; tests change data here "during" a run.</summary>
    public Func<SimRequest, Task>? OnRequest { get; set; }

    public Faults Faults
    {
        get => _faults;
        set
        {
            lock (_gate)
            {
                _faults = value;
                _random = new Random(value.Seed);
            }
        }
    }

    public IReadOnlyList<SimRequest> Requests
    {
        get { lock (_gate) return _requests.ToList(); }
    }

    /// <summary>HTTP requests to the API (not the token endpoint, not batch sub-requests).</summary>
    public IReadOnlyList<SimRequest> ApiCalls => Requests.Where(r => !r.InBatch && r.Path != "token").ToList();

    public IReadOnlyList<SimRequest> TokenCalls => Requests.Where(r => r.Path == "token").ToList();

    /// <summary>Every HTTP request the shop received: token requests and API calls (a batch counts once, whatever it holds).</summary>
    public IReadOnlyList<SimRequest> HttpRequests => Requests.Where(r => !r.InBatch).ToList();

    /// <summary>Requests the rate limit refused (429s injected as faults not counted).</summary>
    public int Throttled => ApiCalls.Count(r => r.Status == 429 && r.Fault is null);

    public IReadOnlyList<ProductUpdate> ProductUpdates
    {
        get { lock (_gate) return _updates.ToList(); }
    }

    public void ClearLog()
    {
        lock (_gate)
        {
            _requests.Clear();
            _updates.Clear();
        }
    }

    /// <summary>The next <paramref name="count"/> API requests get <paramref name="status"/> (with Retry-After, if given).</summary>
    public void FailNext(int count, int status, int? retryAfter = null)
    {
        lock (_gate)
        {
            for (var i = 0; i < count; i++) _failNext.Enqueue((status, retryAfter));
        }
    }

    /// <summary>Every token issued so far stops working (the shop revoked them, or they expired early).</summary>
    public void RevokeTokens()
    {
        lock (_gate) _tokens.Clear();
    }

    /// <summary>Lists holding this order are sent as broken JSON, cut off in the middle of it; until <see cref="Repair"/>.</summary>
    public void BreakOrderJson(string innerId)
    {
        lock (_gate) _brokenOrders.Add(innerId);
    }

    /// <summary>
    /// Wherever an answer holds <paramref name="marker"/>, these bytes are sent instead: text that is not valid UTF-8, as a
    /// shop whose database holds Latin-2 bytes sends it (the JSON stays well-formed). Until <see cref="Repair"/>.
    /// </summary>
    public void SendRawBytes(string marker, byte[] bytes)
    {
        lock (_gate) _rawBytes.Add((Encoding.UTF8.GetBytes(marker), bytes));
    }

    public void Repair()
    {
        lock (_gate)
        {
            _brokenOrders.Clear();
            _rawBytes.Clear();
        }
    }

    private SimResponse WithRawBytes(SimResponse answer)
    {
        List<(byte[] Marker, byte[] Bytes)> raw;
        lock (_gate) raw = [.. _rawBytes];
        foreach (var (marker, bytes) in raw)
        {
            var body = answer.Body;
            var from = 0;
            while (body.AsSpan(from).IndexOf(marker) is var found and >= 0)
            {
                var at = from + found;
                body = [.. body.AsSpan(0, at), .. bytes, .. body.AsSpan(at + marker.Length)];
                from = at + bytes.Length;
            }
            answer = answer with { Body = body };
        }
        return answer;
    }

    internal SimResponse Token(string method, string? body)
    {
        var record = new SimRequest(DateTime.UtcNow, method, "token", new Dictionary<string, string>(), body, false);
        SimResponse response;
        JsonObject? request = null;
        try
        {
            request = body is null ? null : JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
        }
        var clientId = request?["client_id"]?.GetValue<string>();
        var secret = request?["client_secret"]?.GetValue<string>();
        if (method != "POST" || request?["grant_type"]?.GetValue<string>() != "client_credentials" || string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(secret))
        {
            response = SimResponse.Json(400, Fixture("synthetic/token_error_400.json"));
        }
        else if (clientId != ClientId || secret != ClientSecret)
        {
            response = SimResponse.Json(401, Fixture("synthetic/token_error_401.json"));
        }
        else
        {
            var token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
            lock (_gate) _tokens[token] = DateTime.UtcNow + TokenLifetime;
            response = SimResponse.Json(200, new JsonObject
            {
                ["token_type"] = "Bearer",
                ["expires_in"] = (int)TokenLifetime.TotalSeconds,
                ["access_token"] = token,
            });
        }
        record.Status = response.Status;
        lock (_gate) _requests.Add(record);
        return response;
    }

    internal async Task<SimResponse> ApiAsync(string method, string path, Dictionary<string, string> query, string? body, string? authorization, string? accept, string? contentType)
    {
        var token = authorization is not null && authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization[7..] : null;
        var queued = false;
        var received = Clock();
        if (_faults.Queued > 0)
        {
            // Drawn only when asked for, so the other faults of a seed stay as they were.
            lock (_gate) queued = _random.NextDouble() < _faults.Queued;
            if (queued) await Task.Delay(_faults.QueueDelay);
        }
        var record = new SimRequest(Clock(), method, path, query, body, false) { Token = token, Accept = accept, ContentType = contentType, Queued = queued, ReceivedUtc = received };
        lock (_gate) _requests.Add(record);
        var response = await AnswerAsync(record, body);
        record.Status = response.Status;
        return response;
    }

    private async Task<SimResponse> AnswerAsync(SimRequest record, string? body)
    {
        (int Status, int? RetryAfter)? forced = null;
        double draw;
        lock (_gate)
        {
            var now = record.ArrivedUtc;
            while (_arrivals.Count > 0 && now - _arrivals.Peek() >= TimeSpan.FromSeconds(1)) _arrivals.Dequeue();
            var over = _arrivals.Count >= RateLimit;
            _arrivals.Enqueue(now);
            if (over) return SimResponse.Json(429, """{"message":"Too Many Requests"}""") with { RetryAfter = RetryAfterOn429 };
            if (record.Token is null || !_tokens.TryGetValue(record.Token, out var expires) || expires <= DateTime.UtcNow)
                return SimResponse.Json(401, """{"message":"Invalid or expired access token"}""");
            if (_failNext.Count > 0) forced = _failNext.Dequeue();
            draw = _random.NextDouble();
        }
        if (forced is { } fail) return SimResponse.Json(fail.Status, $$"""{"message":"simulated HTTP {{fail.Status}}"}""") with { RetryAfter = fail.RetryAfter };
        if (OnRequest is { } hook) await hook(record);

        var faults = _faults;
        if (draw < faults.Throttles)
        {
            record.Fault = "429";
            return SimResponse.Json(429, """{"message":"Too Many Requests"}""") with { RetryAfter = faults.ThrottleRetryAfter };
        }
        draw -= faults.Throttles;
        if (draw < faults.ServerErrors)
        {
            int[] statuses = [500, 502, 503];
            record.Fault = "500";
            return SimResponse.Json(statuses[(int)(draw / faults.ServerErrors * 3) % 3], """{"message":"Internal Server Error"}""");
        }
        draw -= faults.ServerErrors;
        if (draw < faults.Timeouts)
        {
            record.Fault = "time-out";
            await Task.Delay(faults.SlowAnswer);
            return SimResponse.Json(504, """{"message":"Gateway Timeout"}""");
        }
        draw -= faults.Timeouts;
        if (draw < faults.Drops)
        {
            record.Fault = "drop";
            return SimResponse.Json(200, "{") with { Drop = true };
        }
        draw -= faults.Drops;

        if (record.Accept is null || !record.Accept.Contains("application/json", StringComparison.OrdinalIgnoreCase))
            return new SimResponse(200, Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?><response/>"), "application/xml");

        SimResponse answer;
        if (record.Method == "POST" && record.Path == "batch") answer = Batch(body);
        else
        {
            lock (_gate) answer = Route(record.Method, record.Path, record.Query, body, inBatch: false);
        }
        answer = WithRawBytes(answer);
        if (draw < faults.Truncations && answer.Status == 200 && answer.Body.Length > 2)
        {
            record.Fault = "truncated";
            var cut = 1 + (int)(draw / faults.Truncations * (answer.Body.Length - 2));
            return answer with { Body = answer.Body[..cut] };
        }
        draw -= faults.Truncations;
        if (draw < faults.Malformed && answer.Status == 200 && answer.Body.Length > 2)
        {
            record.Fault = "malformed";
            var at = 1 + (int)(draw / faults.Malformed * (answer.Body.Length - 2));
            return answer with { Body = [.. answer.Body[..at], .. "}]\u0001,"u8.ToArray(), .. answer.Body[at..]] };
        }
        return answer;
    }

    private SimResponse Batch(string? body)
    {
        JsonArray? requests = null;
        try
        {
            var root = body is null ? null : JsonNode.Parse(body);
            requests = root?["data"]?["requests"] as JsonArray;
        }
        catch (JsonException)
        {
        }
        if (requests is null) return SimResponse.Json(400, """{"error":40001,"message":"Data parameter not found in POST/PUT!"}""");
        // The documentation: "the number of requests should not exceed 200". What the shop does above is not documented.
        if (requests.Count > 200) return SimResponse.Json(400, """{"message":"simulator: more than 200 requests in one batch"}""");
        var answers = new JsonArray();
        foreach (var item in requests)
        {
            var method = item?["method"]?.GetValue<string>() ?? "GET";
            var uri = item?["uri"]?.GetValue<string>() ?? string.Empty;
            var marker = "/api/";
            var at = uri.IndexOf(marker, StringComparison.Ordinal);
            var relative = at < 0 ? uri : uri[(at + marker.Length)..];
            var q = relative.IndexOf('?', StringComparison.Ordinal);
            var path = q < 0 ? relative : relative[..q];
            var query = ShopRenterSimulator.ParseQuery(q < 0 ? null : relative[q..]);
            var data = item?["data"]?.ToJsonString();
            var sub = new SimRequest(DateTime.UtcNow, method, path, query, data, true);
            SimResponse answer;
            lock (_gate)
            {
                _requests.Add(sub);
                answer = Route(method, path, query, data, inBatch: true);
            }
            sub.Status = answer.Status;
            JsonNode? answerBody;
            try
            {
                answerBody = answer.Body.Length == 0 ? null : JsonNode.Parse(answer.Body);
            }
            catch (JsonException)
            {
                answerBody = JsonValue.Create(answer.Text);
            }
            answers.Add(new JsonObject
            {
                ["method"] = method,
                ["uri"] = uri,
                // As in the documentation's example: the status code as a string.
                ["response"] = new JsonObject { ["header"] = new JsonObject { ["statusCode"] = answer.Status.ToString(CultureInfo.InvariantCulture) }, ["body"] = answerBody },
            });
        }
        return SimResponse.Json(200, new JsonObject { ["requests"] = new JsonObject { ["request"] = answers } });
    }

    /// <summary>A fixture file, copied next to this assembly (and so into the output of every project that references it).</summary>
    public static string Fixture(string path) => File.ReadAllText(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(typeof(SimulatedShop).Assembly.Location) ?? AppContext.BaseDirectory, "Fixtures", path));

    public static JsonObject FixtureObject(string path) => (JsonObject)JsonNode.Parse(Fixture(path))!;

    /// <summary>A resource id as the API writes it: base64 of <c>{resource}={id}</c>.</summary>
    public static string Id(string resource, int id) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{resource}={id}"));

    public static string Stamp(DateTime local) => local.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
}
