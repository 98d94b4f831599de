using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;
using SyncEngine.Core.Configuration;
using SyncEngine.Core.Flows;
using SyncEngine.Core.State;

namespace SyncEngine.Host;

/// <summary>The long-running service: every enabled flow on its schedule, plus the local control API.</summary>
public static class ServiceHost
{
    public static WebApplication Build(EngineConfiguration config, Action<IServiceCollection> addConnectors)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = config.Environment.BaseDirectory });
        builder.Configuration.Sources.Clear();
        ((Microsoft.Extensions.Configuration.IConfigurationBuilder)builder.Configuration).Add(new Microsoft.Extensions.Configuration.ChainedConfigurationSource { Configuration = config.Configuration });
        builder.Services.AddSyncEngine(config, addConnectors);
        builder.Services.AddSystemd();
        builder.Services.AddWindowsService(o => o.ServiceName = "SyncEngine");
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(75));

        var options = config.Options;
        builder.Services.AddQuartz(quartz =>
        {
            foreach (var (name, flow) in options.Flows)
            {
                if (!flow.Enabled || string.IsNullOrWhiteSpace(flow.Schedule)) continue;
                var schedule = CronScheduleBuilder.Create(flow.Schedule.Trim()).WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed);
                quartz.ScheduleJob<FlowJob>(
                    trigger => trigger.WithIdentity(name, "flows").WithSchedule(schedule),
                    job => job.WithIdentity(name, "flows").UsingJobData(FlowJob.FlowKey, name).DisallowConcurrentExecution());
            }
        });
        builder.Services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);

        var token = options.Control.Enabled ? ControlToken.Ensure(options.Control, config.Environment) : string.Empty;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Loopback only: the control API is for the local CLI, never for the network.
            if (options.Control.Enabled) kestrel.Listen(IPAddress.Loopback, options.Control.Port);
            if (options.Webhooks.Enabled) kestrel.Listen(IPAddress.Parse(options.Webhooks.Address), options.Webhooks.Port);
        });
        builder.Services.AddSingleton<FlowTrigger>();
        // Without the control API or webhooks there is nothing to serve: Kestrel with no endpoint would listen on its default, localhost:5000.
        if (!options.Control.Enabled && !options.Webhooks.Enabled) builder.Services.AddSingleton<IServer, NoServer>();

        var app = builder.Build();
        // Requests are told apart by the port they arrived on, never by a Host header a caller chooses:
        // the webhook port serves webhooks and nothing else.
        if (options.Webhooks.Enabled)
            app.UseWhen(context => context.Connection.LocalPort == options.Webhooks.Port, webhooks => webhooks.Run(context => Webhooks.HandleAsync(context, options.Webhooks)));
        if (options.Control.Enabled) MapControlApi(app, token, options.Control.Port);
        var scheduled = options.Flows.Count(f => f.Value.Enabled && !string.IsNullOrWhiteSpace(f.Value.Schedule));
        app.Lifetime.ApplicationStarted.Register(() => app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SyncEngine.Service").LogInformation(
            "SyncEngine service started: {Scheduled} of {Flows} flows scheduled, control API {Control}", scheduled, options.Flows.Count,
            options.Control.Enabled ? $"on 127.0.0.1:{options.Control.Port}" : "off"));
        return app;
    }

    private static void MapControlApi(WebApplication app, string token, int port)
    {
        app.Use(async (context, next) =>
        {
            if (context.Connection.LocalPort != port)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            var header = context.Request.Headers.Authorization.ToString();
            var presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
            if (!ControlToken.Matches(token, presented))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                await context.Response.WriteAsJsonAsync(new { error = "a valid control token is required" }, ControlJson.Options);
                return;
            }
            await next(context);
        });

        app.MapGet("/api/status", async (FlowRunner runner, ConnectorRegistry registry, IStateStore state, CancellationToken ct) =>
        {
            var flows = new List<FlowStatus>();
            foreach (var flow in registry.Flows)
            {
                var last = (await state.GetRunsAsync(flow.Name, 1, ct)).FirstOrDefault();
                runner.Running.TryGetValue(flow.Name, out var progress);
                flows.Add(new FlowStatus(flow.Name, flow.From.ToString(), flow.To.ToString(), flow.Schedule, flow.Enabled, progress is not null,
                    last is null ? null : RunReport.From(last)));
            }
            return Results.Json(new { node = AdoStateStore.Node, flows }, ControlJson.Options);
        });

        app.MapPost("/api/flows/{name}/sync", async (string name, bool? full, FlowRunner runner, ConnectorRegistry registry, IHostApplicationLifetime lifetime) =>
        {
            if (registry.FindFlow(name) is null)
                return Results.Json(new { error = $"flow '{name}' is not defined" }, ControlJson.Options, statusCode: StatusCodes.Status404NotFound);
            var run = await runner.RunAsync(name, new RunOptions { Full = full ?? false, Trigger = "control-api", StopRequested = lifetime.ApplicationStopping }, CancellationToken.None);
            return Results.Json(RunReport.From(run), ControlJson.Options);
        });
    }

    /// <summary>The server when the control API is disabled: the host runs the schedule and opens no port.</summary>
    private sealed class NoServer : IServer
    {
        public IFeatureCollection Features { get; } = new FeatureCollection();

        public NoServer() => Features.Set<IServerAddressesFeature>(new NoAddresses());

        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken) where TContext : notnull => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose()
        {
        }

        /// <summary>Read-only and empty, so the host does not fill it from "urls" or HTTP_PORTS either.</summary>
        private sealed class NoAddresses : IServerAddressesFeature
        {
            public ICollection<string> Addresses { get; } = Array.Empty<string>();
            public bool PreferHostingUrls { get; set; }
        }
    }

    public sealed record FlowStatus(string Name, string From, string To, string? Schedule, bool Enabled, bool Running, RunReport? LastRun);
}

public static class ControlJson
{
    public static readonly System.Text.Json.JsonSerializerOptions Options = new(System.Text.Json.JsonSerializerDefaults.Web);
}
