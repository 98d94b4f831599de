using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using WireMock.Types;
using WireMock.Util;

namespace SyncEngine.Testing.ShopRenter;

/// <summary>
/// ShopRenter on loopback (WireMock.Net), hosting several shops with separate data, credentials, tokens and rate limits.
/// Shop <c>{name}</c> has its API under <see cref="ApiBaseUrl"/> (<c>{url}/{name}/api</c>) and its token endpoint under
/// <see cref="TokenUrl"/> (<c>{url}/oauth/{name}/app/token</c>); the real ones differ by host only.
/// </summary>
public sealed class ShopRenterSimulator : IAsyncDisposable
{
    private readonly WireMockServer _server;
    private readonly ConcurrentDictionary<string, SimulatedShop> _shops = new(StringComparer.OrdinalIgnoreCase);

    private ShopRenterSimulator()
    {
        // Answers held for seconds (time-outs, queued requests) must not make the others wait for a pool thread: the
        // shop's clock is read when a request is taken, and a starved pool would read it late for a whole burst at once.
        ThreadPool.GetMinThreads(out var workers, out var io);
        if (workers < 64) ThreadPool.SetMinThreads(64, io);
        _server = WireMockServer.Start(new WireMockServerSettings { StartAdminInterface = false, MaxRequestLogCount = 0 });
        _server.Given(Request.Create().UsingAnyMethod())
            .RespondWith(Response.Create().WithCallback(HandleAsync));
    }

    public static ShopRenterSimulator Start() => new();

    public string Url => _server.Url!;

    /// <summary>For the connection's <c>ApiBaseUrl</c>.</summary>
    public string ApiBaseUrl => Url + "/{shopName}/api";

    /// <summary>For the connection's <c>TokenUrl</c>.</summary>
    public string TokenUrl => Url + "/oauth/{shopName}/app/token";

    public SimulatedShop this[string name] => _shops[name];

    /// <summary>A shop with the reference data of the official fixtures (tax classes, statuses, methods, languages) and no orders yet.</summary>
    public SimulatedShop AddShop(string name)
    {
        var shop = new SimulatedShop(name, $"{Url}/{name}/api");
        _shops[name] = shop;
        return shop;
    }

    /// <summary>The settings of a connection to <paramref name="shop"/>.</summary>
    public Dictionary<string, string?> Settings(string connection, SimulatedShop shop, IDictionary<string, string?>? more = null)
    {
        var prefix = $"SyncEngine:Connections:{connection}:";
        var settings = new Dictionary<string, string?>
        {
            [prefix + "Type"] = "ShopRenter",
            [prefix + "ShopName"] = shop.Name,
            [prefix + "ClientId"] = shop.ClientId,
            [prefix + "ClientSecret"] = shop.ClientSecret,
            [prefix + "ApiBaseUrl"] = ApiBaseUrl,
            [prefix + "TokenUrl"] = TokenUrl,
            [prefix + "RetryBaseDelaySeconds"] = "0.05",
            [prefix + "RetryMaxDelaySeconds"] = "1",
        };
        foreach (var (key, value) in more ?? new Dictionary<string, string?>()) settings[prefix + key] = value;
        return settings;
    }

    private async Task<IResponseMessage> HandleAsync(IRequestMessage request)
    {
        var segments = request.AbsolutePath.Trim('/').Split('/');
        var query = ParseQuery(request.RawQuery);
        var body = request.Body ?? (request.BodyAsBytes is { } bytes ? Encoding.UTF8.GetString(bytes) : null);
        SimResponse response;
        if (segments is ["oauth", var tokenShop, "app", "token"] && _shops.TryGetValue(tokenShop, out var owner))
        {
            response = owner.Token(request.Method, body);
        }
        else if (segments.Length >= 3 && segments[1] == "api" && _shops.TryGetValue(segments[0], out var shop))
        {
            var relative = string.Join('/', segments.Skip(2));
            var headers = request.Headers ?? new Dictionary<string, WireMockList<string>>();
            string? Header(string name) => headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();
            response = await shop.ApiAsync(request.Method, relative, query, body, Header("Authorization"), Header("Accept"), Header("Content-Type"));
        }
        else
        {
            response = SimResponse.Json(404, """{"message":"no such shop or endpoint in the simulator"}""");
        }
        return ToMessage(response);
    }

    private static ResponseMessage ToMessage(SimResponse response)
    {
        var message = new ResponseMessage
        {
            StatusCode = response.Status,
            BodyData = new BodyData { BodyAsBytes = response.Body, DetectedBodyType = BodyType.Bytes },
        };
        message.AddHeader("Content-Type", response.ContentType);
        if (response.RetryAfter is { } after) message.AddHeader("Retry-After", after.ToString(CultureInfo.InvariantCulture));
        if (response.Drop)
        {
            message.FaultType = FaultType.MALFORMED_RESPONSE_CHUNK;
            message.FaultPercentage = 1;
        }
        return message;
    }

    internal static Dictionary<string, string> ParseQuery(string? raw)
    {
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in (raw ?? string.Empty).TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString((eq < 0 ? part : part[..eq]).Replace('+', ' '));
            query[key] = eq < 0 ? string.Empty : Uri.UnescapeDataString(part[(eq + 1)..].Replace('+', ' '));
        }
        return query;
    }

    public ValueTask DisposeAsync()
    {
        _server.Stop();
        _server.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>What a simulated endpoint answers.</summary>
public sealed record SimResponse(int Status, byte[] Body, string ContentType = "application/json; charset=utf-8")
{
    public int? RetryAfter { get; init; }
    /// <summary>Close the connection after a garbled start instead of answering.</summary>
    public bool Drop { get; init; }

    public string Text => Encoding.UTF8.GetString(Body);

    public static SimResponse Json(int status, string json) => new(status, Encoding.UTF8.GetBytes(json));

    public static SimResponse Json(int status, JsonNode json) => new(status, Encoding.UTF8.GetBytes(json.ToJsonString(SimulatedShop.JsonOptions)));
}
