using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
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
        });

        var app = builder.Build();
        if (options.Control.Enabled) MapControlApi(app, token);
        return app;
    }

    private static void MapControlApi(WebApplication app, string token)
    {
        app.Use(async (context, next) =>
        {
            var header = context.Request.Headers.Authorization.ToString();
            var presented = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : null;
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

    public sealed record FlowStatus(string Name, string From, string To, string? Schedule, bool Enabled, bool Running, RunReport? LastRun);
}

public static class ControlJson
{
    public static readonly System.Text.Json.JsonSerializerOptions Options = new(System.Text.Json.JsonSerializerDefaults.Web);
}
