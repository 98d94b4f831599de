using Microsoft.Extensions.Hosting;
using Quartz;
using SyncEngine.Core.Flows;

namespace SyncEngine.Host;

/// <summary>Runs one flow on its schedule. Quartz never runs two of the same flow at once in this process; the flow lock covers other processes.</summary>
[DisallowConcurrentExecution]
public sealed class FlowJob(FlowRunner runner, IHostApplicationLifetime lifetime) : IJob
{
    public const string FlowKey = "flow";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var flow = context.MergedJobDataMap.GetString(FlowKey)!;
        // Shutdown lets the current batch commit, then stops the run. Quartz does not signal the job's token when the
        // scheduler shuts down (ShutdownJobInterruption defaults to Never), so the host's stopping signal is watched too.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        await runner.RunAsync(flow, new RunOptions { Trigger = "schedule", StopRequested = stop.Token }, CancellationToken.None);
    }
}
