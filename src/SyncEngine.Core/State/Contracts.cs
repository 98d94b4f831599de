namespace SyncEngine.Core.State;

public enum RunStatus
{
    Running,
    Succeeded,
    /// <summary>The run finished; some records were dead-lettered.</summary>
    CompletedWithErrors,
    Failed,
    /// <summary>Stopped on request after a committed batch; the next run continues from there.</summary>
    Stopped,
    /// <summary>Not started: the flow was already running.</summary>
    AlreadyRunning,
}

public sealed record RunRecord
{
    public long Id { get; init; }
    public required string Flow { get; init; }
    public RunStatus Status { get; init; }
    public bool Full { get; init; }
    public string? Trigger { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public long Read { get; init; }
    public long Written { get; init; }
    public long Skipped { get; init; }
    public long DeadLettered { get; init; }
    public string? Error { get; init; }
    public string? Node { get; init; }

    public TimeSpan Duration => (FinishedAt ?? DateTimeOffset.UtcNow) - StartedAt;
}

public sealed record DeadLetter
{
    public long Id { get; init; }
    public required string Flow { get; init; }
    public required string RecordKey { get; init; }
    /// <summary>Canonical type name of <see cref="Payload"/>; null when the raw input could not be read at all.</summary>
    public string? RecordType { get; init; }
    /// <summary>The canonical record as JSON, or the raw input of an unreadable one.</summary>
    public required string Payload { get; init; }
    public required string Error { get; init; }
    public int Attempts { get; init; }
    public DateTimeOffset FirstFailedAt { get; init; }
    public DateTimeOffset LastFailedAt { get; init; }
    public long? RunId { get; init; }
}

/// <summary>Target ids learned from a write: (system, entity, external id) -> id in the target system.</summary>
public sealed record IdLink(string System, string Entity, string ExternalId, string TargetSystem, string TargetId);

/// <summary>Everything one committed batch changes in the state, stored in one transaction.</summary>
public sealed record BatchCommit
{
    public required string Flow { get; init; }
    public long RunId { get; init; }
    /// <summary>New cursor, or null to keep the current one.</summary>
    public string? Cursor { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> Checksums { get; init; } = [];
    public IReadOnlyList<IdLink> Links { get; init; } = [];
    public IReadOnlyList<DeadLetter> DeadLetters { get; init; } = [];
    /// <summary>The target's receipt for what it staged for this batch (see <see cref="Connectors.IReceiptLog"/>).</summary>
    public string? Receipt { get; init; }

    /// <summary>Keys now written, whose old dead letters are resolved.</summary>
    public IReadOnlyList<string> ResolvedKeys { get; init; } = [];
    public long Read { get; init; }
    public long Written { get; init; }
    public long Skipped { get; init; }
    public long DeadLettered { get; init; }
}

/// <summary>What the store holds for a flow when a run starts; lets a run skip lookups that can find nothing.</summary>
/// <param name="Links">Whether any id link of the flow's source connection, entity and target connection exists.</param>
public sealed record FlowFootprint(bool Checksums, bool Links, bool DeadLetters);

/// <summary>Who holds a flow right now.</summary>
public sealed record FlowLease(string Flow, string Owner, string Node, int ProcessId, DateTimeOffset AcquiredAt, DateTimeOffset ExpiresAt, long? RunId);

public sealed record OutboxMessage
{
    public long Id { get; init; }
    public required string Channel { get; init; }
    /// <summary>Unique per channel; enqueuing the same key twice keeps one message.</summary>
    public required string MessageKey { get; init; }
    public required string Payload { get; init; }
    public int Attempts { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset NextAttemptAt { get; init; }
    public DateTimeOffset? SentAt { get; init; }
    public string? LastError { get; init; }
}

/// <summary>The engine's memory: cursors, links, checksums, runs, dead letters, locks and the outbox.</summary>
public interface IStateStore : Connectors.ILinkLookup, Connectors.IReceiptLog
{
    Task InitializeAsync(CancellationToken cancellationToken);

    Task<string?> GetCursorAsync(string flow, CancellationToken cancellationToken);

    Task<IReadOnlyDictionary<string, string>> GetChecksumsAsync(string flow, IReadOnlyCollection<string> keys, CancellationToken cancellationToken);

    /// <summary>Whether the flow has checksums and dead letters, and its source, entity and target have id links: one round trip.</summary>
    Task<FlowFootprint> GetFootprintAsync(string flow, string system, string entity, string targetSystem, CancellationToken cancellationToken);

    /// <summary>Target ids of the given external ids, keyed by external id.</summary>
    Task<IReadOnlyDictionary<string, string>> GetLinksAsync(string system, string entity, string targetSystem, IReadOnlyCollection<string> externalIds, CancellationToken cancellationToken);

    /// <summary>Stores one batch's cursor, checksums, links, dead letters and counts atomically.</summary>
    Task CommitBatchAsync(BatchCommit commit, CancellationToken cancellationToken);

    Task<long> StartRunAsync(RunRecord run, CancellationToken cancellationToken);

    Task FinishRunAsync(RunRecord run, CancellationToken cancellationToken);

    Task<IReadOnlyList<RunRecord>> GetRunsAsync(string? flow, int last, CancellationToken cancellationToken);

    Task<IReadOnlyList<DeadLetter>> GetDeadLettersAsync(string? flow, long? id, CancellationToken cancellationToken);

    Task<int> DropDeadLettersAsync(string? flow, long? id, CancellationToken cancellationToken);

    /// <summary>Claims a flow for this process, or returns who holds it. A holder whose lease expired, or whose process on this node is gone, loses it.</summary>
    Task<(bool Acquired, FlowLease Lease)> TryAcquireFlowAsync(string flow, string owner, TimeSpan lease, CancellationToken cancellationToken);

    Task<bool> RenewFlowAsync(string flow, string owner, TimeSpan lease, long? runId, CancellationToken cancellationToken);

    Task ReleaseFlowAsync(string flow, string owner, CancellationToken cancellationToken);

    Task<IReadOnlyList<FlowLease>> GetFlowLeasesAsync(CancellationToken cancellationToken);

    /// <summary>Adds a message unless one with the same channel and key exists; returns false when it existed.</summary>
    Task<bool> EnqueueAsync(OutboxMessage message, CancellationToken cancellationToken);

    Task<IReadOnlyList<OutboxMessage>> GetDueMessagesAsync(string channel, DateTimeOffset now, int max, CancellationToken cancellationToken);

    Task MarkSentAsync(long id, CancellationToken cancellationToken);

    Task MarkFailedAsync(long id, string error, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken);
}
