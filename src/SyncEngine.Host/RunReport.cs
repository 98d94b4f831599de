using System.Text.Json.Serialization;
using SyncEngine.Core.State;

namespace SyncEngine.Host;

/// <summary>The outcome of one run as the CLI prints it with <c>--json</c> and the control API returns it.</summary>
public sealed record RunReport
{
    public required string Flow { get; init; }
    public required string Status { get; init; }
    public long RunId { get; init; }
    public long Read { get; init; }
    public long Written { get; init; }
    public long Skipped { get; init; }
    public long DeadLettered { get; init; }
    public long DurationMs { get; init; }
    public string? Error { get; init; }

    [JsonIgnore]
    public RunStatus RunStatus => Enum.TryParse<RunStatus>(Status, true, out var status) ? status : RunStatus.Failed;

    public static RunReport From(RunRecord run) => new()
    {
        Flow = run.Flow,
        Status = StatusName(run.Status),
        RunId = run.Id,
        Read = run.Read,
        Written = run.Written,
        Skipped = run.Skipped,
        DeadLettered = run.DeadLettered,
        DurationMs = (long)run.Duration.TotalMilliseconds,
        Error = run.Error,
    };

    public static string StatusName(RunStatus status) => status switch
    {
        RunStatus.CompletedWithErrors => "completedWithErrors",
        RunStatus.AlreadyRunning => "alreadyRunning",
        _ => status.ToString().ToLowerInvariant(),
    };

    /// <summary>0 all written, 3 finished with dead letters, 1 failed or not run.</summary>
    [JsonIgnore]
    public int ExitCode => RunStatus switch
    {
        RunStatus.Succeeded => 0,
        RunStatus.CompletedWithErrors => 3,
        _ => 1,
    };
}
