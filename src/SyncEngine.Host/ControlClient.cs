using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using SyncEngine.Core.Configuration;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Flows;

namespace SyncEngine.Host;

/// <summary>Asks a running service, through its control API, to run a flow.</summary>
public sealed class ControlClient(ControlOptions options, EngineEnvironment environment)
{
    /// <returns>The run's report, or null when no service answers (then the caller runs the flow itself).</returns>
    public async Task<RunReport?> TrySyncAsync(string flow, bool full, CancellationToken cancellationToken)
    {
        if (!options.Enabled) return null;
        var token = ControlToken.TryRead(options, environment);
        if (token is null) return null;
        using var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2) };
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan, BaseAddress = new Uri($"http://127.0.0.1:{options.Port}/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsync($"api/flows/{Uri.EscapeDataString(flow)}/sync?full={(full ? "true" : "false")}", null, cancellationToken);
        }
        catch (HttpRequestException ex) when (ex.InnerException is SocketException || ex.HttpRequestError == HttpRequestError.ConnectionError)
        {
            return null;
        }
        using (response)
        {
            if (response.StatusCode == System.Net.HttpStatusCode.Unauthorized)
                throw new InvalidOperationException($"The service on 127.0.0.1:{options.Port} refused the control token; check SyncEngine:Control:Token or {ControlToken.PathIn(environment)}.");
            if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
                throw new ConfigurationException($"{SyncEngineOptions.Section}:Flows:{flow}", $"the running service has no flow '{flow}'");
            response.EnsureSuccessStatusCode();
            return await response.Content.ReadFromJsonAsync<RunReport>(ControlJson.Options, cancellationToken);
        }
    }
}
