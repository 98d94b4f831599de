using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SyncEngine.Core.Flows;
using SyncEngine.Core.State;

namespace SyncEngine.Host;

/// <summary>
/// Runs flows on request in the background (webhooks). Requests that arrive while a flow runs are folded into one
/// more run afterwards, so a burst of webhooks costs at most two runs and none is lost.
/// </summary>
public sealed partial class FlowTrigger(FlowRunner runner, IHostApplicationLifetime lifetime, ILogger<FlowTrigger> logger)
{
    private static readonly TimeSpan BusyRetry = TimeSpan.FromSeconds(2);
    private readonly ConcurrentDictionary<string, Pending> _flows = new(StringComparer.OrdinalIgnoreCase);

    public void Request(string flow, string trigger)
    {
        var pending = _flows.GetOrAdd(flow, _ => new Pending());
        lock (pending)
        {
            if (pending.Running)
            {
                pending.Again = true;
                return;
            }
            pending.Running = true;
        }
        _ = Task.Run(() => RunAsync(flow, trigger, pending));
    }

    /// <summary>Completes when no requested run is running or waiting; for tests and orderly shutdown.</summary>
    public async Task IdleAsync(CancellationToken cancellationToken)
    {
        while (_flows.Values.Any(p => { lock (p) return p.Running; })) await Task.Delay(20, cancellationToken);
    }

    private async Task RunAsync(string flow, string trigger, Pending pending)
    {
        var stopping = lifetime.ApplicationStopping;
        while (true)
        {
            try
            {
                var run = await runner.RunAsync(flow, new RunOptions { Trigger = trigger, StopRequested = stopping }, CancellationToken.None);
                // The schedule or a manual sync holds the flow: the changes may have come after it read, so run once it is free.
                if (run.Status == RunStatus.AlreadyRunning && !stopping.IsCancellationRequested)
                {
                    await Task.Delay(BusyRetry, stopping);
                    continue;
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                LogTriggeredRunFailed(ex, flow);
            }
            lock (pending)
            {
                if (!pending.Again || stopping.IsCancellationRequested)
                {
                    pending.Running = false;
                    return;
                }
                pending.Again = false;
            }
        }
    }

    private sealed class Pending
    {
        public bool Running { get; set; }
        public bool Again { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Flow {Flow}: a run triggered by a webhook failed to start")]
    private partial void LogTriggeredRunFailed(Exception exception, string flow);
}
