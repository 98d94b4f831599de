using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace SyncEngine.Connectors.ShopRenter.Api;

/// <summary>One answer of the API: status, body and the server's clock.</summary>
internal sealed record ApiResponse(int Status, byte[] Body, DateTimeOffset? ServerDate)
{
    public bool IsSuccess => Status is >= 200 and < 300;

    public string Text => Encoding.UTF8.GetString(Body);
}

/// <summary>The API failed for good (after retries), or refused a request; names the shop, the request and the reason.</summary>
public sealed class ShopRenterException(string message, int? status = null, Exception? inner = null) : Exception(message, inner)
{
    public int? Status { get; } = status;
}

/// <summary>One sub-request of a <c>/batch</c> call; <paramref name="Relative"/> is the path and query under the API base.</summary>
internal sealed record BatchRequest(string Method, string Relative, JsonNode? Data = null);

/// <summary>What the batch said about one sub-request.</summary>
internal sealed record BatchResult(int Status, JsonElement? Body)
{
    public bool IsSuccess => Status is >= 200 and < 300;

    public string Message => ShopRenterClient.MessageOf(Body);
}

/// <summary>Request counters of one client, for logs and the tests' request budgets.</summary>
internal sealed class ClientStats
{
    private long _requests;
    private long _retries;
    private long _throttled;
    private long _tokens;

    public long Requests => Interlocked.Read(ref _requests);
    public long Retries => Interlocked.Read(ref _retries);
    public long Throttled => Interlocked.Read(ref _throttled);
    public long TokenRequests => Interlocked.Read(ref _tokens);

    public void Request() => Interlocked.Increment(ref _requests);
    public void Retry() => Interlocked.Increment(ref _retries);
    public void Throttle() => Interlocked.Increment(ref _throttled);
    public void Token() => Interlocked.Increment(ref _tokens);
}

/// <summary>
/// The HTTP side of one shop: OAuth client credentials (token cached per shop and client, renewed before expiry, once),
/// <c>Accept: application/json</c>, pacing to the documented 3 requests per second, and retries with exponential
/// back-off and jitter on 429, 5xx, time-outs and broken connections, honouring Retry-After, within a retry budget.
/// </summary>
internal sealed partial class ShopRenterClient : IDisposable
{
    /// <summary>The documented maximum of sub-requests in one <c>/batch</c> call.</summary>
    public const int MaxBatch = 200;

    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };
    private readonly HttpClient _http;
    private readonly ShopRenterOptions _options;
    private readonly ShopSession _session;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _base;

    public ShopRenterClient(ShopRenterOptions options, TimeProvider time, ILogger logger, HttpMessageHandler? handler = null)
    {
        _options = options;
        _time = time;
        _logger = logger;
        _base = options.ResolvedApiBaseUrl;
        _session = ShopSession.For(options, time);
        _http = new HttpClient(handler ?? new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(30),
            AutomaticDecompression = DecompressionMethods.All,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public string Shop => _options.ShopName!;

    public ClientStats Stats { get; } = new();

    /// <summary>The absolute URI of a path under the API base, as batch sub-requests need it.</summary>
    public string Absolute(string relative) => _base + "/" + relative.TrimStart('/');

    public Task<ApiResponse> GetAsync(string relative, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, relative, null, cancellationToken);

    public Task<ApiResponse> PostAsync(string relative, JsonNode body, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, relative, Encoding.UTF8.GetBytes(body.ToJsonString()), cancellationToken);

    /// <summary>
    /// One page of a list. A page the shop sends as malformed JSON (cut off, or broken on the way) is asked for again, as
    /// often as other faults are; if it is still malformed, the items before the fault are returned and
    /// <see cref="JsonPage.Fault"/> says what was wrong.
    /// </summary>
    public async Task<JsonPage> GetPageAsync(string resource, IEnumerable<KeyValuePair<string, string?>> query, int page, CancellationToken cancellationToken)
    {
        var relative = resource + "?" + string.Join("&", query.Where(q => q.Value is not null).Append(new("page", page.ToString(CultureInfo.InvariantCulture)))
            .Select(q => q.Key + "=" + ShopJson.Escape(q.Value!)));
        for (var attempt = 0; ; attempt++)
        {
            var response = await GetAsync(relative, cancellationToken);
            if (response.Status == 400 && response.Text.Contains("40008", StringComparison.Ordinal) || response.Status == 400 && response.Text.Contains("Page not found", StringComparison.OrdinalIgnoreCase))
                return JsonPage.PastEnd(page, response.ServerDate);
            if (!response.IsSuccess)
                throw new ShopRenterException($"ShopRenter shop '{Shop}': GET {PathOf(relative)} answered HTTP {response.Status}: {MessageOf(response)}", response.Status);
            try
            {
                return JsonPage.Parse(page, response);
            }
            catch (JsonException ex)
            {
                if (attempt < _options.MaxRetries && _session.Budget.TryTake())
                {
                    Stats.Retry();
                    LogMalformedRetry(Shop, PathOf(relative), ex.Message);
                    continue;
                }
                return JsonPage.Salvage(page, response, $"ShopRenter shop '{Shop}': GET {PathOf(relative)} returned malformed JSON: {ex.Message}");
            }
        }
    }

    /// <summary>
    /// Sends sub-requests in <c>/batch</c> calls of at most 200, one after the other as the documentation asks, and
    /// returns one result per request in order. Sub-requests the shop answered with 429 or 5xx are sent again.
    /// </summary>
    public async Task<IReadOnlyList<BatchResult>> BatchAsync(IReadOnlyList<BatchRequest> requests, CancellationToken cancellationToken)
    {
        var results = new BatchResult?[requests.Count];
        var pending = Enumerable.Range(0, requests.Count).ToList();
        for (var round = 0; pending.Count > 0; round++)
        {
            var again = new List<int>();
            foreach (var chunk in pending.Chunk(MaxBatch))
            {
                var answers = await SendBatchAsync(chunk.Select(i => requests[i]).ToList(), cancellationToken);
                for (var i = 0; i < chunk.Length; i++)
                {
                    results[chunk[i]] = answers[i];
                    if (answers[i].Status == 429 || answers[i].Status >= 500) again.Add(chunk[i]);
                }
            }
            if (again.Count == 0 || round >= _options.MaxRetries || !_session.Budget.TryTake()) break;
            Stats.Retry();
            var delay = Backoff(round);
            LogBatchRetry(Shop, again.Count, delay);
            await Task.Delay(delay, _time, cancellationToken);
            pending = again;
        }
        return results.Select(r => r!).ToList();
    }

    private async Task<IReadOnlyList<BatchResult>> SendBatchAsync(IReadOnlyList<BatchRequest> requests, CancellationToken cancellationToken)
    {
        var list = new JsonArray();
        foreach (var request in requests)
        {
            var item = new JsonObject { ["method"] = request.Method, ["uri"] = Absolute(request.Relative) };
            if (request.Data is not null) item["data"] = request.Data.DeepClone();
            list.Add(item);
        }
        var body = new JsonObject { ["data"] = new JsonObject { ["requests"] = list } };
        for (var attempt = 0; ; attempt++)
        {
            var response = await PostAsync("batch", body, cancellationToken);
            if (!response.IsSuccess)
                throw new ShopRenterException($"ShopRenter shop '{Shop}': POST /batch ({requests.Count} requests) answered HTTP {response.Status}: {MessageOf(response)}", response.Status);
            try
            {
                using var document = JsonDocument.Parse(response.Body);
                var answers = ShopJson.Items(document.RootElement.Prop("requests")?.Prop("request")).ToList();
                if (answers.Count != requests.Count)
                    throw new ShopRenterException($"ShopRenter shop '{Shop}': POST /batch answered {answers.Count} results for {requests.Count} requests");
                return answers.Select(a =>
                {
                    var response = a.Prop("response");
                    var status = response?.Prop("header")?.Int("statusCode") ?? 0;
                    var result = response?.Prop("body") is { } b ? b.Clone() : (JsonElement?)null;
                    return new BatchResult(status, result);
                }).ToList();
            }
            catch (JsonException ex) when (attempt < _options.MaxRetries && _session.Budget.TryTake())
            {
                Stats.Retry();
                LogMalformedRetry(Shop, "/batch", ex.Message);
            }
            catch (JsonException ex)
            {
                throw new ShopRenterException($"ShopRenter shop '{Shop}': POST /batch returned malformed JSON: {ex.Message}", inner: ex);
            }
        }
    }

    private async Task<ApiResponse> SendAsync(HttpMethod method, string relative, byte[]? body, CancellationToken cancellationToken)
    {
        var what = $"{method} {PathOf(relative)}";
        var renewed = false;
        for (var attempt = 0; ; attempt++)
        {
            string failure;
            TimeSpan? retryAfter = null;
            // The slot first, then the token: waiting for a slot must not use up a short-lived token.
            using (var slot = await _session.Pacer.AcquireAsync(cancellationToken))
            {
                var token = await TokenAsync(cancellationToken);
                using var request = new HttpRequestMessage(method, Absolute(relative));
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                // The API wants a Content-Type on every request, GET included.
                request.Content = new ByteArrayContent(body ?? []);
                request.Content.Headers.ContentType = Json;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(_options.RequestTimeoutSeconds));
                Stats.Request();
                try
                {
                    using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
                    var bytes = await response.Content.ReadAsByteArrayAsync(timeout.Token);
                    var status = (int)response.StatusCode;
                    var answer = new ApiResponse(status, bytes, response.Headers.Date);
                    if (status == 401 && !renewed)
                    {
                        // Revoked or expired early: one new token, then the same request again.
                        renewed = true;
                        _session.Invalidate(token);
                        LogTokenRefused(Shop, what);
                        attempt--;
                        continue;
                    }
                    if (status != 429 && status is not (500 or 502 or 503 or 504)) return answer;
                    retryAfter = RetryAfter(response);
                    if (status == 429)
                    {
                        Stats.Throttle();
                        _session.Pacer.Pause(retryAfter ?? TimeSpan.FromSeconds(1));
                    }
                    failure = $"HTTP {status}: {MessageOf(answer)}";
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    slot.Unanswered();
                    failure = $"no answer within {_options.RequestTimeoutSeconds} s";
                }
                catch (HttpRequestException ex)
                {
                    slot.Unanswered();
                    failure = "connection failed: " + ex.Message;
                }
                catch (IOException ex)
                {
                    slot.Unanswered();
                    failure = "connection broken: " + ex.Message;
                }
            }

            if (attempt >= _options.MaxRetries)
                throw new ShopRenterException($"ShopRenter shop '{Shop}': {what} failed {attempt + 1} times, last: {failure}");
            if (!_session.Budget.TryTake())
                throw new ShopRenterException($"ShopRenter shop '{Shop}': {what} failed ({failure}) and the retry budget of {_options.RetryBudgetPerMinute} per minute is spent; not retrying");
            Stats.Retry();
            var delay = retryAfter is { } after ? after + Jitter(TimeSpan.FromMilliseconds(250)) : Backoff(attempt);
            LogRetry(Shop, what, failure, attempt + 1, delay);
            await Task.Delay(delay, _time, cancellationToken);
        }
    }

    private ValueTask<string> TokenAsync(CancellationToken cancellationToken) =>
        _session.TokenAsync(FetchTokenAsync, TimeSpan.FromSeconds(_options.TokenRefreshSeconds), cancellationToken);

    private async Task<(string, TimeSpan)> FetchTokenAsync(CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = _options.ClientId,
            ["client_secret"] = _options.ClientSecret,
        }.ToJsonString();
        for (var attempt = 0; ; attempt++)
        {
            string failure;
            TimeSpan? retryAfter = null;
            using (var request = new HttpRequestMessage(HttpMethod.Post, _options.ResolvedTokenUrl))
            {
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                request.Content = new StringContent(body, Encoding.UTF8);
                request.Content.Headers.ContentType = Json;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(_options.RequestTimeoutSeconds));
                Stats.Token();
                try
                {
                    using var response = await _http.SendAsync(request, timeout.Token);
                    var bytes = await response.Content.ReadAsByteArrayAsync(timeout.Token);
                    var answer = new ApiResponse((int)response.StatusCode, bytes, response.Headers.Date);
                    if (answer.IsSuccess)
                    {
                        try
                        {
                            using var document = JsonDocument.Parse(bytes);
                            var token = document.RootElement.Str("access_token");
                            var seconds = document.RootElement.Dec("expires_in", "token") ?? 3600;
                            if (token is not null)
                            {
                                LogTokenIssued(Shop, seconds);
                                return (token, TimeSpan.FromSeconds((double)seconds));
                            }
                            failure = "the answer has no access_token";
                        }
                        catch (Exception ex) when (ex is JsonException or Core.Connectors.RecordException)
                        {
                            failure = "the answer is not valid JSON: " + ex.Message;
                        }
                    }
                    else if (answer.Status is 400 or 401 or 403)
                    {
                        // The client id is named, its secret never.
                        throw new ShopRenterException(
                            $"ShopRenter shop '{Shop}': the token endpoint refused API client '{_options.ClientId}' (HTTP {answer.Status}: {MessageOf(answer)}); check ClientId and ClientSecret of this connection",
                            answer.Status);
                    }
                    else
                    {
                        retryAfter = RetryAfter(response);
                        failure = $"HTTP {answer.Status}: {MessageOf(answer)}";
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = $"no answer within {_options.RequestTimeoutSeconds} s";
                }
                catch (HttpRequestException ex)
                {
                    failure = "connection failed: " + ex.Message;
                }
                catch (IOException ex)
                {
                    failure = "connection broken: " + ex.Message;
                }
            }
            if (attempt >= _options.MaxRetries || !_session.Budget.TryTake())
                throw new ShopRenterException($"ShopRenter shop '{Shop}': no access token from {_options.ResolvedTokenUrl}: {failure}");
            Stats.Retry();
            var delay = retryAfter ?? Backoff(attempt);
            LogRetry(Shop, "POST token", failure, attempt + 1, delay);
            await Task.Delay(delay, _time, cancellationToken);
        }
    }

    /// <summary>Exponential back-off with full jitter between half and all of base * 2^attempt, capped.</summary>
    private TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(_options.RetryMaxDelaySeconds, _options.RetryBaseDelaySeconds * Math.Pow(2, Math.Min(attempt, 20)));
        return TimeSpan.FromSeconds(ceiling * (0.5 + Random.Shared.NextDouble() / 2));
    }

    private static TimeSpan Jitter(TimeSpan max) => TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * max.TotalMilliseconds);

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date)
        {
            var wait = date - _time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }

    /// <summary>The path of a request without host and query values (which may hold personal data such as an e-mail).</summary>
    private static string PathOf(string relative)
    {
        var query = relative.IndexOf('?', StringComparison.Ordinal);
        return "/" + (query < 0 ? relative : relative[..query]).TrimStart('/');
    }

    internal static string MessageOf(ApiResponse response)
    {
        try
        {
            using var document = JsonDocument.Parse(response.Body);
            return MessageOf(document.RootElement);
        }
        catch (JsonException)
        {
            var text = response.Text.Trim();
            return text.Length == 0 ? "(empty body)" : text.Length > 300 ? text[..300] + "..." : text;
        }
    }

    internal static string MessageOf(JsonElement? body)
    {
        if (body is not { } b) return "(no body)";
        if (b.ValueKind == JsonValueKind.String) return b.GetString() ?? string.Empty;
        var message = b.Str("message") ?? b.Str("error_description") ?? b.Str("error");
        var code = b.Str("error") is { } c && c != message ? c + ": " : string.Empty;
        if (message is not null) return code + message;
        var raw = b.GetRawText();
        return raw.Length > 300 ? raw[..300] + "..." : raw;
    }

    public void Dispose() => _http.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "ShopRenter {Shop}: {Request} failed ({Failure}); retry {Attempt} in {Delay}")]
    private partial void LogRetry(string shop, string request, string failure, int attempt, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ShopRenter {Shop}: {Count} batch sub-requests answered 429/5xx; sending them again in {Delay}")]
    private partial void LogBatchRetry(string shop, int count, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ShopRenter {Shop}: {Request} returned malformed JSON ({Reason}); asking once more")]
    private partial void LogMalformedRetry(string shop, string request, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "ShopRenter {Shop}: the access token was refused on {Request}; getting a new one")]
    private partial void LogTokenRefused(string shop, string request);

    [LoggerMessage(Level = LogLevel.Debug, Message = "ShopRenter {Shop}: new access token, valid {Seconds} s")]
    private partial void LogTokenIssued(string shop, decimal seconds);
}
