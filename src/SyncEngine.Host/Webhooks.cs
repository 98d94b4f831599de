using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SyncEngine.Core.Configuration;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Flows;

namespace SyncEngine.Host;

/// <summary><c>POST /webhooks/{connection}/{secret}</c>: a shop says something changed; the flows reading it run now.</summary>
internal static partial class Webhooks
{
    private const int MaxBody = 1024 * 1024;

    public static async Task HandleAsync(HttpContext context, WebhookOptions options)
    {
        var services = context.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("SyncEngine.Webhooks");
        var parts = context.Request.Path.Value?.Trim('/').Split('/') ?? [];
        if (!HttpMethods.IsPost(context.Request.Method) || parts is not ["webhooks", var connection, var secret])
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        if (!ControlToken.Matches(options.Secret ?? string.Empty, secret) || string.IsNullOrEmpty(options.Secret))
        {
            LogRefused(logger, connection);
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        var registry = services.GetRequiredService<ConnectorRegistry>();
        IConnector connector;
        try
        {
            connector = registry.GetConnector(connection);
        }
        catch (ConfigurationException)
        {
            await Reply(context, StatusCodes.Status404NotFound, $"no connection '{connection}'");
            return;
        }
        if (connector is not IWebhookConnector webhooks)
        {
            await Reply(context, StatusCodes.Status404NotFound, $"connection '{connection}' does not take webhooks");
            return;
        }

        using var reader = new StreamReader(context.Request.Body);
        var buffer = new char[MaxBody + 1];
        var length = await reader.ReadBlockAsync(buffer, context.RequestAborted);
        if (length > MaxBody)
        {
            await Reply(context, StatusCodes.Status413PayloadTooLarge, "webhook body over 1 MB");
            return;
        }
        IReadOnlyList<string> streams;
        try
        {
            streams = webhooks.StreamsChangedBy(new string(buffer, 0, length));
        }
        catch (FormatException ex)
        {
            LogMalformed(logger, connection, ex.Message);
            await Reply(context, StatusCodes.Status400BadRequest, ex.Message);
            return;
        }

        var flows = registry.Flows
            .Where(f => f.Enabled && string.Equals(f.From.Connection, connection, StringComparison.OrdinalIgnoreCase)
                && streams.Contains(f.From.Stream, StringComparer.OrdinalIgnoreCase))
            .Select(f => f.Name)
            .ToList();
        var trigger = services.GetRequiredService<FlowTrigger>();
        foreach (var flow in flows) trigger.Request(flow, "webhook");
        LogTriggered(logger, connection, flows);
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        await context.Response.WriteAsJsonAsync(new { flows }, ControlJson.Options);
    }

    private static Task Reply(HttpContext context, int status, string error)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { error }, ControlJson.Options);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook from {Connection}: running {Flows}")]
    private static partial void LogTriggered(ILogger logger, string connection, IReadOnlyList<string> flows);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook for {Connection} refused: wrong secret")]
    private static partial void LogRefused(ILogger logger, string connection);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook for {Connection} not understood: {Reason}")]
    private static partial void LogMalformed(ILogger logger, string connection, string reason);
}
