using Microsoft.Extensions.Configuration;
using SyncEngine.Core.Model;

namespace SyncEngine.Core.Connectors;

[Flags]
public enum StreamAccess
{
    Read = 1,
    Write = 2,
    ReadWrite = Read | Write,
}

/// <summary>A named stream a connector offers, e.g. <c>orders</c> of canonical type <see cref="Order"/>.</summary>
public sealed record StreamInfo(string Name, Type RecordType, StreamAccess Access)
{
    public bool CanRead => Access.HasFlag(StreamAccess.Read);
    public bool CanWrite => Access.HasFlag(StreamAccess.Write);
}

/// <summary>Creates the connector of one configured connection. Registered once per connector type.</summary>
public interface IConnectorFactory
{
    /// <summary>The value of a connection's <c>"Type"</c> in config, e.g. <c>Files</c>.</summary>
    string Type { get; }

    /// <summary>Binds and checks the connection's settings. Does no I/O; throws <see cref="ConfigurationException"/> naming the key.</summary>
    IConnector Create(ConnectionContext connection);
}

/// <summary>One configured connection to an external system.</summary>
public interface IConnector : IAsyncDisposable
{
    string Name { get; }

    IReadOnlyList<StreamInfo> Streams { get; }

    IRecordSource OpenSource(StreamContext context);

    IRecordTarget OpenTarget(StreamContext context);
}

/// <summary>Reads records of one stream from where the last committed run stopped.</summary>
public interface IRecordSource
{
    /// <param name="cursor">The cursor of the last committed record, or null to read from the beginning.</param>
    IAsyncEnumerable<SourceRecord> ReadAsync(string? cursor, CancellationToken cancellationToken);

    /// <summary>
    /// Whether a record's cursor moves whenever it changes (a database's change time or row version): a record read once
    /// comes again only past the cursor, or at the cursor's own value. Snapshot files and lists without such a cursor do not.
    /// </summary>
    bool CursorFollowsChanges => false;
}

/// <summary>A source that has work to do once records are safely committed (archive a file, acknowledge a message).</summary>
public interface ICommitAwareSource
{
    Task OnCommittedAsync(string? cursor, CancellationToken cancellationToken);

    /// <summary>Whether <see cref="OnCommittedAsync"/> may run while the next batch is being read; the engine then reads ahead.</summary>
    bool CommitsWhileReading => false;
}

/// <summary>Writes batches of records; reports an outcome for every record.</summary>
public interface IRecordTarget
{
    /// <summary>
    /// Writes one batch. A record that cannot be written is reported as failed and the others go on;
    /// an exception means the whole batch failed (system down) and nothing of it may be considered written.
    /// </summary>
    Task<WriteResult> WriteAsync(IReadOnlyList<WriteItem> batch, CancellationToken cancellationToken);
}

/// <summary>
/// A connector whose system announces changes by webhook. The engine treats a webhook as a hint: it runs the flows
/// reading the named streams, which fetch the data through the system's API as on any other run.
/// </summary>
public interface IWebhookConnector
{
    /// <summary>The streams whose flows should run now, or none when the payload is not one this connector knows.</summary>
    /// <exception cref="FormatException">The payload is malformed; the message says what is wrong.</exception>
    IReadOnlyList<string> StreamsChangedBy(string payload);
}

/// <summary>
/// A target that finishes its output once a run has written its batches, e.g. publishes one file gathered over the whole run.
/// The runner calls <see cref="CompleteAsync"/> once, before disposing the target, when the run ends normally (succeeded,
/// completed with errors, stopped) and also when it failed after at least one batch was committed: what was committed is
/// then published all the same. It is not called when the run was cancelled or this node lost its claim on the flow, so a
/// target must keep what its committed batches wrote and complete it in a later run. An exception fails the run.
/// </summary>
public interface ICompletableTarget
{
    Task CompleteAsync(CancellationToken cancellationToken);
}

/// <summary>
/// A target that stages a batch and publishes it only once the engine committed the batch's state: called right after
/// that commit with the batch's <see cref="WriteResult.Receipt"/>. A process killed in between leaves the staged batch;
/// the next run asks <see cref="IReceiptLog"/> whether it was committed, and publishes it or throws it away.
/// </summary>
public interface ICommitAwareTarget
{
    Task OnCommittedAsync(string receipt, CancellationToken cancellationToken);
}

/// <summary>The receipts of batches the engine committed, per flow: what lets a target finish or drop what a crash left staged.</summary>
public interface IReceiptLog
{
    Task<IReadOnlySet<string>> GetCommittedAsync(string flow, IReadOnlyCollection<string> receipts, CancellationToken cancellationToken);

    /// <summary>Forgets receipts whose batches are published.</summary>
    Task ForgetAsync(string flow, IReadOnlyCollection<string> receipts, CancellationToken cancellationToken);
}

/// <summary>A connector's own checks of a flow's stream settings and mapping, run by <c>validate</c> and at start.</summary>
public interface IStreamValidator
{
    IEnumerable<ConfigError> Validate(StreamContext context, StreamAccess access);
}

public sealed record ConnectionContext
{
    public required string Name { get; init; }

    /// <summary>The connection's section, <c>SyncEngine:Connections:{Name}</c>.</summary>
    public required IConfigurationSection Settings { get; init; }

    /// <summary>The folder relative paths in config are resolved against.</summary>
    public required string BaseDirectory { get; init; }

    public required IServiceProvider Services { get; init; }

    public string ResolvePath(string path) => Path.GetFullPath(path, BaseDirectory);
}

/// <summary>What a source or target needs to know about the flow it serves.</summary>
public sealed record StreamContext
{
    public required string Flow { get; init; }
    public required string Stream { get; init; }
    public required Type RecordType { get; init; }

    /// <summary>The connection the flow reads from; "source" of id links.</summary>
    public string FromConnection { get; init; } = string.Empty;

    /// <summary>The connection the flow writes to; "target" of id links.</summary>
    public string ToConnection { get; init; } = string.Empty;

    /// <summary>Full path of the flow's mapping file, when it has one.</summary>
    public string? MappingFile { get; init; }

    /// <summary>The flow's connector-specific options, <c>SyncEngine:Flows:{Flow}:Options</c>.</summary>
    public required IConfiguration Options { get; init; }

    /// <summary>Id links of earlier runs, for mappings that look up a target id.</summary>
    public required ILinkLookup Links { get; init; }

    /// <summary>Which of the flow's staged batches were committed (see <see cref="ICommitAwareTarget"/>).</summary>
    public required IReceiptLog Receipts { get; init; }

    public bool Full { get; init; }
}

/// <summary>One record read from a source, or the raw input of one that could not be read.</summary>
public sealed record SourceRecord
{
    public required string Key { get; init; }

    public Entity? Record { get; init; }

    private string? _cursor;
    private object? _cursorValue;
    private Func<object, string?>? _formatCursor;

    /// <summary>Where to resume after this record; null when reading it does not move the cursor.</summary>
    public string? Cursor
    {
        get => _cursor ??= _cursorValue is { } value ? _formatCursor!(value) : null;
        init => _cursor = value;
    }

    /// <summary>Whether reading this record moves the cursor.</summary>
    public bool HasCursor => _cursor is not null || _cursorValue is not null;

    /// <summary>Whether the two records have the same cursor; values a source handed as they are compare without their text.</summary>
    public bool SameCursor(SourceRecord other) =>
        _cursorValue is { } value && other._cursorValue is { } otherValue ? value.Equals(otherValue) : Cursor == other.Cursor;

    /// <summary>Why the record could not be read (naming field and value); null for a good record.</summary>
    public string? Error { get; init; }

    /// <summary>The raw input of an unreadable record, kept in its dead letter.</summary>
    public string? Raw { get; init; }

    public static SourceRecord Ok(Entity record, string? cursor) => new() { Key = record.Id, Record = record, Cursor = cursor };

    /// <summary>
    /// A record whose cursor is a value that <paramref name="format"/> turns into text. The text is made only when asked
    /// for: a run asks for that of a batch's last record (and those at the same value), not for every record's.
    /// </summary>
    public static SourceRecord Ok(Entity record, object? cursor, Func<object, string?> format) =>
        new() { Key = record.Id, Record = record, _cursorValue = cursor, _formatCursor = format };

    public static SourceRecord Unreadable(string key, string? raw, string error, string? cursor) =>
        new() { Key = key, Raw = raw, Error = error, Cursor = cursor };
}

/// <param name="TargetId">The id this record has in the target from an earlier run, when known.</param>
public sealed record WriteItem(string Key, Entity Record, string? TargetId);

public enum OutcomeKind
{
    Written,
    Skipped,
    Failed,
}

public sealed record RecordOutcome(string Key, OutcomeKind Kind, string? TargetId = null, string? Message = null)
{
    public static RecordOutcome Written(string key, string? targetId = null) => new(key, OutcomeKind.Written, targetId);

    /// <summary>The target already had the record as it is.</summary>
    public static RecordOutcome Skipped(string key, string? targetId = null, string? reason = null) => new(key, OutcomeKind.Skipped, targetId, reason);

    public static RecordOutcome Failed(string key, string error) => new(key, OutcomeKind.Failed, null, error);
}

public sealed record WriteResult(IReadOnlyList<RecordOutcome> Outcomes)
{
    /// <summary>
    /// Names what the target staged for this batch but does not publish before the engine committed the batch; stored
    /// with the batch's state in one transaction (see <see cref="IReceiptLog"/>, <see cref="ICommitAwareTarget"/>).
    /// </summary>
    public string? Receipt { get; init; }

    public static WriteResult AllWritten(IEnumerable<WriteItem> batch) => new(batch.Select(i => RecordOutcome.Written(i.Key, i.TargetId)).ToList());
}

/// <summary>Looks up the id a record of another system has in a target, from id links the engine stored.</summary>
public interface ILinkLookup
{
    Task<string?> FindTargetIdAsync(string system, string entity, string externalId, string targetSystem, CancellationToken cancellationToken);
}
