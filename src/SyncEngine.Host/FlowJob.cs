using Quartz;
using SyncEngine.Core.Flows;

namespace SyncEngine.Host;

/// <summary>Runs one flow on its schedule. Quartz never runs two of the same flow at once in this process; the flow lock covers other processes.</summary>
[DisallowConcurrentExecution]
public sealed class FlowJob(FlowRunner runner) : IJob
{
    public const string FlowKey = "flow";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var flow = context.MergedJobDataMap.GetString(FlowKey)!;
        // Shutdown lets the current batch commit, then stops the run.
        await runner.RunAsync(flow, new RunOptions { Trigger = "schedule", StopRequested = cancellationToken }, CancellationToken.None);
    }
}
