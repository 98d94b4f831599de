using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SyncEngine.Core.Configuration;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Model;
using SyncEngine.Core.State;

namespace SyncEngine.Core.Flows;

public sealed record RunOptions
{
    /// <summary>Read from the beginning and write every record, ignoring the cursor and checksums.</summary>
    public bool Full { get; init; }

    /// <summary>What started the run: schedule, manual, control-api, deadletters.</summary>
    public string Trigger { get; init; } = "manual";

    public IProgress<RunProgress>? Progress { get; init; }

    /// <summary>Signalled to stop after the current batch has been committed (service shutdown, Ctrl+C).</summary>
    public CancellationToken StopRequested { get; init; }
}

public sealed record RunProgress(string Flow, long Read, long Written, long Skipped, long DeadLettered);

/// <summary>
/// Runs flows: read from the cursor, batch, resolve links, skip unchanged records, write, dead-letter failures,
/// and commit the state only after the target committed. One run per flow at a time, across processes and nodes.
/// </summary>
public sealed partial class FlowRunner(
    ConnectorRegistry registry,
    EngineValidator validator,
    IStateStore state,
    IOptions<SyncEngineOptions> options,
    ILogger<FlowRunner> logger,
    TimeProvider? timeProvider = null)
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, RunProgress> _running = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Flows running in this process, with their progress so far.</summary>
    public IReadOnlyDictionary<string, RunProgress> Running => _running;

    public async Task<RunRecord> RunAsync(string flowName, RunOptions runOptions, CancellationToken cancellationToken)
    {
        var flow = registry.FindFlow(flowName)
            ?? throw new ConfigurationException($"{SyncEngineOptions.Section}:Flows:{flowName}", $"flow '{flowName}' is not defined");
        return await ExclusiveAsync(flow, runOptions.Full, runOptions.Trigger, cancellationToken, async (run, ct) =>
        {
            var from = Stream(flow.From);
            var to = Stream(flow.To);
            var cursor = runOptions.Full ? null : await state.GetCursorAsync(flow.Name, ct);
            var source = registry.GetConnector(flow.From.Connection).OpenSource(validator.ContextFor(flow, flow.From.Stream, from.RecordType, StreamAccess.Read, runOptions.Full));
            // The target looks links up through the batch whose commit may still be under way, then the store.
            var links = new PendingLinks(state);
            var target = registry.GetConnector(flow.To.Connection).OpenTarget(
                validator.ContextFor(flow, flow.To.Stream, to.RecordType, StreamAccess.Write, runOptions.Full) with { Links = links });
            var committed = 0;
            var footprint = await state.GetFootprintAsync(flow.Name, flow.From.Connection, RecordTypes.NameOf(from.RecordType), flow.To.Connection, ct);
            var keys = new RunKeys(footprint);
            // Behind a cursor that follows changes a record comes again only when it changed, or when it sits at the cursor's
            // own value: a run keeps the checksums of those alone (and keeps any stored checksum current). Every other record
            // is written as it comes, without a checksum to compute, compare or store.
            var sparse = !runOptions.Full && source.CursorFollowsChanges;
            try
            {
                // A batch's state is committed while the next batch is read and written (the state store's work is
                // synchronous for SQLite, so it runs on a thread of its own); the batch is published (files renamed,
                // read files archived) once its commit is done, and before the next commit starts. Not when the source
                // cannot read while it archives: there the next batch is read only after the one before is published.
                var overlap = source is not ICommitAwareSource { CommitsWhileReading: false };
                BatchCommit? pending = null;
                var pendingCommit = Task.CompletedTask;
                async Task SettleAsync()
                {
                    if (pending is null) return;
                    var commit = pending;
                    pending = null;
                    try
                    {
                        await pendingCommit;
                    }
                    finally
                    {
                        links.Pending = null;
                    }
                    committed++;
                    await PublishAsync(target, commit, ct);
                    if (source is ICommitAwareSource aware) await aware.OnCommittedAsync(commit.Cursor, ct);
                    run.Add(commit);
                    _running[flow.Name] = run.Progress(flow.Name);
                    runOptions.Progress?.Report(run.Progress(flow.Name));
                }

                try
                {
                    try
                    {
                        var batches = Batches(source.ReadAsync(cursor, ct), flow.BatchSize, runOptions.StopRequested, ct);
                        // The next batch is read while this one is written and committed, unless the source's work after
                        // a commit (archiving a file on a server) cannot overlap its reading.
                        if (overlap) batches = ReadAheadAsync(batches, ct);
                        await foreach (var batch in batches)
                        {
                            var good = new List<SourceRecord>(batch.Count);
                            var unreadable = new List<DeadLetter>();
                            foreach (var record in batch)
                            {
                                if (record.Record is null)
                                {
                                    unreadable.Add(new DeadLetter
                                    {
                                        Flow = flow.Name, RecordKey = record.Key, Payload = record.Raw ?? string.Empty,
                                        Error = record.Error ?? "the source could not read this record",
                                    });
                                    LogDeadLettered(flow.Name, record.Key, record.Error ?? "unreadable");
                                }
                                else
                                {
                                    good.Add(record);
                                }
                            }
                            var last = batch.LastOrDefault(r => r.HasCursor);
                            var batchCursor = last?.Cursor;
                            var keep = sparse && last is not null
                                ? good.Where(r => !r.HasCursor || r.SameCursor(last)).Select(r => r.Key).ToHashSet(StringComparer.Ordinal)
                                : null;
                            var commit = await WriteAsync(run, flow, target, good.Select(r => (r.Key, r.Record!)).ToList(), skipUnchanged: !runOptions.Full, keys, ct, keep, pending);
                            commit = commit with
                            {
                                Cursor = batchCursor,
                                Read = batch.Count,
                                DeadLetters = [.. unreadable, .. commit.DeadLetters],
                                DeadLettered = commit.DeadLettered + unreadable.Count,
                            };
                            keys.Add(commit);
                            await SettleAsync();
                            pending = commit;
                            links.Pending = commit.Links;
                            pendingCommit = overlap ? Task.Run(() => state.CommitBatchAsync(commit, ct), CancellationToken.None) : state.CommitBatchAsync(commit, ct);
                            if (!overlap) await SettleAsync();
                            if (runOptions.StopRequested.IsCancellationRequested)
                            {
                                run.Stopped = true;
                                break;
                            }
                        }
                    }
                    catch (Exception) when (pending is not null)
                    {
                        // The batch before the failure stays committed and published; a failed commit of it is the error reported.
                        await SettleAsync();
                        throw;
                    }
                    await SettleAsync();
                }
                catch (Exception ex) when (committed > 0 && target is ICompletableTarget && !ct.IsCancellationRequested)
                {
                    // The run failed after batches were committed: what they wrote is published all the same.
                    await CompleteQuietlyAsync(flow.Name, target, ex, ct);
                    throw;
                }
                await CompleteAsync(flow.Name, target, ct);
            }
            finally
            {
                await DisposeAsync(source);
                await DisposeAsync(target);
            }
        });
    }

    /// <summary>Writes dead-lettered records of a flow again; those that now succeed leave the dead-letter store.</summary>
    public async Task<RunRecord> RetryDeadLettersAsync(string flowName, long? id, CancellationToken cancellationToken)
    {
        var flow = registry.FindFlow(flowName)
            ?? throw new ConfigurationException($"{SyncEngineOptions.Section}:Flows:{flowName}", $"flow '{flowName}' is not defined");
        return await ExclusiveAsync(flow, false, "deadletters retry", cancellationToken, async (run, ct) =>
        {
            var to = Stream(flow.To);
            var letters = await state.GetDeadLettersAsync(flow.Name, id, ct);
            var records = new List<(string Key, Entity Record)>();
            var unreadable = 0;
            foreach (var letter in letters)
            {
                var type = letter.RecordType is null ? null : RecordTypes.Find(letter.RecordType);
                if (type is null)
                {
                    unreadable++;
                    continue;
                }
                records.Add((letter.RecordKey, CanonicalJson.Deserialize(letter.Payload, type)));
            }
            var target = registry.GetConnector(flow.To.Connection).OpenTarget(validator.ContextFor(flow, flow.To.Stream, to.RecordType, StreamAccess.Write));
            var committed = 0;
            try
            {
                try
                {
                    foreach (var chunk in records.Chunk(flow.BatchSize))
                    {
                        var commit = await WriteAsync(run, flow, target, chunk, skipUnchanged: false, null, ct);
                        commit = commit with { Read = chunk.Length };
                        await state.CommitBatchAsync(commit, ct);
                        committed++;
                        await PublishAsync(target, commit, ct);
                        run.Add(commit);
                    }
                }
                catch (Exception ex) when (committed > 0 && target is ICompletableTarget && !ct.IsCancellationRequested)
                {
                    await CompleteQuietlyAsync(flow.Name, target, ex, ct);
                    throw;
                }
                await CompleteAsync(flow.Name, target, ct);
            }
            finally
            {
                await DisposeAsync(target);
            }
            if (unreadable > 0)
            {
                run.Note = $"{unreadable} dead letter(s) hold raw input the source could not read; fix the input at the source and run the flow again.";
            }
        });
    }

    /// <param name="keepChecksums">
    /// The keys whose checksums are stored, besides those that have one stored already (it is kept current); null: those
    /// of all written records.
    /// </param>
    /// <param name="pending">The batch before, whose commit may still be under way: its checksums and links count as stored.</param>
    private async Task<BatchCommit> WriteAsync(RunState run, FlowDefinition flow, IRecordTarget target,
        IReadOnlyList<(string Key, Entity Record)> records, bool skipUnchanged, RunKeys? keys, CancellationToken ct,
        IReadOnlySet<string>? keepChecksums = null, BatchCommit? pending = null)
    {
        // A key read twice in one batch is written once, in its latest form.
        var latest = new Dictionary<string, Entity>(records.Count, StringComparer.Ordinal);
        foreach (var (key, record) in records) latest[key] = record;
        var skipped = records.Count - latest.Count;

        var dead = new List<DeadLetter>();
        foreach (var (key, record) in latest)
        {
            if (record.Problem() is not { } problem) continue;
            latest.Remove(key);
            dead.Add(new DeadLetter
            {
                Flow = flow.Name, RecordKey = key, RecordType = RecordTypes.NameOf(record.GetType()), Payload = CanonicalJson.Serialize(record), Error = problem,
            });
            LogDeadLettered(flow.Name, key, problem);
        }

        // Checksums cost as much as mapping a record: only those compared or stored are computed.
        IReadOnlyCollection<string> lookups = skipUnchanged ? keys?.ChecksumLookups(latest) ?? latest.Keys : [];
        var stored = lookups.Count > 0 ? await state.GetChecksumsAsync(flow.Name, lookups, ct) : null;
        if (pending is { Checksums.Count: > 0 } && lookups.Count > 0)
        {
            var merged = new Dictionary<string, string>(stored ?? new Dictionary<string, string>(), StringComparer.Ordinal);
            var asked = Asked(lookups, latest);
            foreach (var (key, sum) in pending.Checksums)
                if (asked(key)) merged[key] = sum;
            stored = merged;
        }
        var checksums = new Dictionary<string, string>(keepChecksums is null ? latest.Count : (stored?.Count ?? 0) + keepChecksums.Count, StringComparer.Ordinal);
        if (keepChecksums is null)
        {
            foreach (var (key, record) in latest) checksums[key] = CanonicalJson.Checksum(record);
        }
        else
        {
            // Those kept and those stored are few behind a cursor: they are found in the batch, not the batch in them.
            foreach (var key in keepChecksums)
                if (latest.TryGetValue(key, out var record)) checksums[key] = CanonicalJson.Checksum(record);
            foreach (var key in stored?.Keys ?? [])
                if (!checksums.ContainsKey(key) && latest.TryGetValue(key, out var record)) checksums[key] = CanonicalJson.Checksum(record);
        }
        if (stored is not null)
        {
            foreach (var (key, sum) in stored)
            {
                if (checksums.TryGetValue(key, out var current) && current == sum)
                {
                    latest.Remove(key);
                    skipped++;
                }
            }
        }

        var entity = RecordTypes.NameOf(Stream(flow.From).RecordType);
        var linkLookups = keys?.LinkLookups(latest) ?? latest.Keys;
        IReadOnlyDictionary<string, string> links = await state.GetLinksAsync(flow.From.Connection, entity, flow.To.Connection, linkLookups, ct);
        // The batch before counts among the committed keys: when none of this batch's keys is, none has a link there either.
        if (pending is { Links.Count: > 0 } && linkLookups.Count > 0)
        {
            var merged = new Dictionary<string, string>(links, StringComparer.Ordinal);
            var asked = Asked(linkLookups, latest);
            foreach (var link in pending.Links)
                if (asked(link.ExternalId)) merged[link.ExternalId] = link.TargetId;
            links = merged;
        }
        var items = latest.Select(r => new WriteItem(r.Key, r.Value, links.GetValueOrDefault(r.Key))).ToList();
        IReadOnlyList<RecordOutcome> ordered = [];
        Dictionary<string, RecordOutcome>? outcomes = null;
        string? receipt = null;
        if (items.Count > 0)
        {
            var result = await target.WriteAsync(items, ct);
            ordered = result.Outcomes;
            receipt = result.Receipt;
            // Targets mostly answer item for item; only an answer in another order needs finding by key.
            var inOrder = ordered.Count == items.Count;
            for (var i = 0; inOrder && i < items.Count; i++) inOrder = ordered[i].Key == items[i].Key;
            if (!inOrder)
            {
                outcomes = new Dictionary<string, RecordOutcome>(ordered.Count, StringComparer.Ordinal);
                foreach (var outcome in ordered) outcomes[outcome.Key] = outcome;
            }
        }

        var newChecksums = new List<KeyValuePair<string, string>>(checksums.Count);
        // Few checksums (behind a cursor) are taken by their own keys after the outcomes, not looked for under every key.
        var fewChecksums = checksums.Count * 8 < items.Count;
        HashSet<string>? failed = null;
        List<IdLink>? newLinks = null;
        // Dead letters are resolved by key; a flow that has none has nothing to resolve.
        var resolved = keys is null || keys.MayHaveDeadLetters ? new List<string>(items.Count) : null;
        long written = 0;
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var outcome = (outcomes is null ? ordered[i] : outcomes.GetValueOrDefault(item.Key)) ?? RecordOutcome.Failed(item.Key, "the target reported no outcome for this record");
            if (outcome.Kind == OutcomeKind.Failed)
            {
                var reason = outcome.Message ?? "the target refused the record";
                dead.Add(new DeadLetter
                {
                    Flow = flow.Name, RecordKey = item.Key, RecordType = RecordTypes.NameOf(item.Record.GetType()),
                    Payload = CanonicalJson.Serialize(item.Record), Error = reason,
                });
                LogDeadLettered(flow.Name, item.Key, reason);
                if (fewChecksums) (failed ??= new(StringComparer.Ordinal)).Add(item.Key);
                continue;
            }
            if (outcome.Kind == OutcomeKind.Written) written++;
            else skipped++;
            if (!fewChecksums && checksums.TryGetValue(item.Key, out var checksum)) newChecksums.Add(new(item.Key, checksum));
            resolved?.Add(item.Key);
            var targetId = outcome.TargetId ?? item.TargetId;
            if (targetId is not null && targetId != item.TargetId)
                (newLinks ??= new List<IdLink>(items.Count - i)).Add(new IdLink(flow.From.Connection, entity, item.Key, flow.To.Connection, targetId));
        }
        if (fewChecksums)
        {
            foreach (var (key, checksum) in checksums)
                if (latest.ContainsKey(key) && failed?.Contains(key) != true) newChecksums.Add(new(key, checksum));
        }

        return new BatchCommit
        {
            Flow = flow.Name,
            RunId = run.Record.Id,
            Receipt = receipt,
            Checksums = newChecksums,
            Links = newLinks ?? [],
            ResolvedKeys = resolved ?? [],
            DeadLetters = dead,
            Written = written,
            Skipped = skipped,
            DeadLettered = dead.Count,
        };
    }

    /// <summary>
    /// Which keys of the batch before to take as stored: those looked up (keys of this batch). Few are, beyond a first run's
    /// repeated keys, so the batch before's values are not all copied for them.
    /// </summary>
    private static Func<string, bool> Asked<T>(IReadOnlyCollection<string> lookups, Dictionary<string, T> batch) =>
        lookups.Count <= 256 ? new HashSet<string>(lookups, StringComparer.Ordinal).Contains : batch.ContainsKey;

    private async Task<RunRecord> ExclusiveAsync(FlowDefinition flow, bool full, string trigger, CancellationToken cancellationToken,
        Func<RunState, CancellationToken, Task> body)
    {
        var started = _time.GetUtcNow();
        if (!_running.TryAdd(flow.Name, new RunProgress(flow.Name, 0, 0, 0, 0)))
            return NotStarted(flow.Name, started, full, trigger, $"flow '{flow.Name}' is already running in this process; this request did not start it again");

        try
        {
            await state.InitializeAsync(cancellationToken);
            var lease = options.Value.State.LockLease;
            var owner = Guid.NewGuid().ToString("N");
            var (acquired, holder) = await state.TryAcquireFlowAsync(flow.Name, owner, lease, cancellationToken);
            if (!acquired)
            {
                return NotStarted(flow.Name, started, full, trigger,
                    $"flow '{flow.Name}' is already running on {holder.Node} (process {holder.ProcessId}) since {holder.AcquiredAt:u}; this request did not start it again");
            }

            var record = new RunRecord { Flow = flow.Name, Status = RunStatus.Running, Full = full, Trigger = trigger, StartedAt = started, Node = AdoStateStore.Node };
            RunState run;
            try
            {
                run = new RunState(record with { Id = await state.StartRunAsync(record, cancellationToken) });
            }
            catch
            {
                await ReleaseQuietlyAsync(flow.Name, owner);
                throw;
            }
            using var lost = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var heartbeatStop = new CancellationTokenSource();
            var heartbeat = KeepLeaseAsync(flow.Name, owner, lease, run.Record.Id, lost, heartbeatStop.Token);
            var stopwatch = Stopwatch.StartNew();
            LogRunStarted(flow.Name, run.Record.Id, trigger, full);
            try
            {
                await body(run, lost.Token);
                run.Record = run.Record with
                {
                    Status = run.Stopped ? RunStatus.Stopped : run.DeadLettered > 0 ? RunStatus.CompletedWithErrors : RunStatus.Succeeded,
                    Error = run.Note,
                };
            }
            catch (OperationCanceledException) when (lost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                run.Record = run.Record with { Status = RunStatus.Failed, Error = "This node lost its claim on the flow (state store unreachable for longer than the lock lease); the run was abandoned." };
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                run.Record = run.Record with { Status = RunStatus.Stopped, Error = "Cancelled; the uncommitted batch is read again by the next run." };
            }
            catch (Exception ex)
            {
                run.Record = run.Record with { Status = RunStatus.Failed, Error = Describe(ex) };
                LogRunFailed(ex, flow.Name, run.Record.Id, run.Record.Error);
            }
            finally
            {
                await heartbeatStop.CancelAsync();
                await heartbeat;
            }

            run.Record = run.Record with
            {
                FinishedAt = _time.GetUtcNow(),
                Read = run.Read, Written = run.Written, Skipped = run.Skipped, DeadLettered = run.DeadLettered,
            };
            try
            {
                // The outcome is recorded even when the run itself was cancelled.
                await state.FinishRunAsync(run.Record, CancellationToken.None);
            }
            catch (Exception ex)
            {
                // The state store went away at the very end: the data is committed, only the history line is missing.
                LogHistoryNotRecorded(ex, flow.Name, run.Record.Id);
            }
            await ReleaseQuietlyAsync(flow.Name, owner);
            LogRunFinished(flow.Name, run.Record.Id, run.Record.Status, run.Read, run.Written, run.Skipped, run.DeadLettered, stopwatch.Elapsed);
            return run.Record;
        }
        finally
        {
            _running.TryRemove(flow.Name, out _);
        }
    }

    private async Task ReleaseQuietlyAsync(string flow, string owner)
    {
        try
        {
            await state.ReleaseFlowAsync(flow, owner, CancellationToken.None);
        }
        catch (Exception ex)
        {
            // The lease then expires by itself after State:LockLease.
            LogLeaseNotReleased(ex, flow);
        }
    }

    private async Task KeepLeaseAsync(string flow, string owner, TimeSpan lease, long runId, CancellationTokenSource lost, CancellationToken stop)
    {
        await state.RenewFlowAsync(flow, owner, lease, runId, CancellationToken.None);
        var period = lease / 3;
        var lastRenewed = _time.GetUtcNow();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(period, _time, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                if (!await state.RenewFlowAsync(flow, owner, lease, null, stop))
                {
                    LogLeaseLost(flow);
                    await lost.CancelAsync();
                    return;
                }
                lastRenewed = _time.GetUtcNow();
            }
            catch (Exception ex) when (!stop.IsCancellationRequested)
            {
                if (_time.GetUtcNow() - lastRenewed >= lease)
                {
                    LogLeaseLost(flow);
                    await lost.CancelAsync();
                    return;
                }
                LogLeaseRenewFailed(ex, flow);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Lets a target publish what it staged for a batch now committed.</summary>
    private static Task PublishAsync(IRecordTarget target, BatchCommit commit, CancellationToken ct) =>
        commit.Receipt is not null && target is ICommitAwareTarget aware ? aware.OnCommittedAsync(commit.Receipt, ct) : Task.CompletedTask;

    /// <summary>Lets a target finish the run's output (see <see cref="ICompletableTarget"/>); a failure fails the run.</summary>
    private static async Task CompleteAsync(string flow, IRecordTarget target, CancellationToken ct)
    {
        if (target is not ICompletableTarget completable) return;
        try
        {
            await completable.CompleteAsync(ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            throw new InvalidOperationException(
                $"Flow '{flow}': every batch was written and committed, but the target could not complete the run's output: {ex.Message}. " +
                "What the batches wrote is kept and completed by the next run.", ex);
        }
    }

    /// <summary>Completes the output of a run that failed after some batches were committed; the run's own error is the one reported.</summary>
    private async Task CompleteQuietlyAsync(string flow, IRecordTarget target, Exception runError, CancellationToken ct)
    {
        try
        {
            await ((ICompletableTarget)target).CompleteAsync(ct);
        }
        catch (Exception ex)
        {
            LogCompleteFailed(ex, flow, runError.Message);
        }
    }

    private StreamInfo Stream(StreamAddress address) =>
        registry.GetConnector(address.Connection).Streams.First(s => string.Equals(s.Name, address.Stream, StringComparison.OrdinalIgnoreCase));

    private static RunRecord NotStarted(string flow, DateTimeOffset at, bool full, string trigger, string why) => new()
    {
        Flow = flow, Status = RunStatus.AlreadyRunning, Full = full, Trigger = trigger, StartedAt = at, FinishedAt = at, Error = why, Node = AdoStateStore.Node,
    };

    private static string Describe(Exception ex)
    {
        var message = ex.Message;
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (!message.Contains(inner.Message, StringComparison.Ordinal)) message += " -> " + inner.Message;
        }
        return message;
    }

    private static async ValueTask DisposeAsync(object instance)
    {
        if (instance is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync();
        else if (instance is IDisposable disposable) disposable.Dispose();
    }

    private static async IAsyncEnumerable<List<SourceRecord>> Batches(IAsyncEnumerable<SourceRecord> records, int size,
        CancellationToken stopRequested, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var batch = new List<SourceRecord>(size);
        await foreach (var record in records.WithCancellation(cancellationToken))
        {
            batch.Add(record);
            if (batch.Count >= size || stopRequested.IsCancellationRequested)
            {
                yield return batch;
                if (stopRequested.IsCancellationRequested) yield break;
                batch = new List<SourceRecord>(size);
            }
        }
        if (batch.Count > 0) yield return batch;
    }

    /// <summary>Enumerates <paramref name="items"/> one item ahead of the consumer, on another thread.</summary>
    private static async IAsyncEnumerable<T> ReadAheadAsync<T>(IAsyncEnumerable<T> items, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var producer = Task.Run(async () =>
        {
            try
            {
                await foreach (var item in items.WithCancellation(stop.Token)) await channel.Writer.WriteAsync(item, stop.Token);
                channel.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                channel.Writer.TryComplete(ex);
            }
        }, CancellationToken.None);
        try
        {
            // A failed read surfaces here, as it would have without reading ahead.
            while (await channel.Reader.WaitToReadAsync(cancellationToken))
            {
                while (channel.Reader.TryRead(out var item)) yield return item;
            }
        }
        finally
        {
            await stop.CancelAsync();
            await producer;
        }
    }

    /// <summary>Id links as the store has them, and those of the batch whose commit is under way.</summary>
    private sealed class PendingLinks(ILinkLookup store) : ILinkLookup
    {
        private IReadOnlyList<IdLink>? _pending;
        private Dictionary<(string, string, string, string), string>? _index;

        public IReadOnlyList<IdLink>? Pending
        {
            set
            {
                _pending = value is { Count: > 0 } ? value : null;
                _index = null;
            }
        }

        public Task<string?> FindTargetIdAsync(string system, string entity, string externalId, string targetSystem, CancellationToken cancellationToken)
        {
            if (_pending is { } pending)
            {
                _index ??= pending.GroupBy(l => (l.System, l.Entity, l.ExternalId, l.TargetSystem)).ToDictionary(g => g.Key, g => g.Last().TargetId);
                if (_index.TryGetValue((system, entity, externalId, targetSystem), out var id)) return Task.FromResult<string?>(id);
            }
            return store.FindTargetIdAsync(system, entity, externalId, targetSystem, cancellationToken);
        }
    }

    private sealed class RunState(RunRecord record)
    {
        public RunRecord Record { get; set; } = record;
        public long Read { get; private set; }
        public long Written { get; private set; }
        public long Skipped { get; private set; }
        public long DeadLettered { get; private set; }
        public bool Stopped { get; set; }
        public string? Note { get; set; }

        public void Add(BatchCommit commit)
        {
            Read += commit.Read;
            Written += commit.Written;
            Skipped += commit.Skipped;
            DeadLettered += commit.DeadLettered;
        }

        public RunProgress Progress(string flow) => new(flow, Read, Written, Skipped, DeadLettered);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Flow {Flow}: run {RunId} started ({Trigger}, full: {Full})")]
    private partial void LogRunStarted(string flow, long runId, string trigger, bool full);

    [LoggerMessage(Level = LogLevel.Information, Message = "Flow {Flow}: run {RunId} {Status}: read {Read}, written {Written}, skipped {Skipped}, dead-lettered {DeadLettered} in {Elapsed}")]
    private partial void LogRunFinished(string flow, long runId, RunStatus status, long read, long written, long skipped, long deadLettered, TimeSpan elapsed);

    [LoggerMessage(Level = LogLevel.Error, Message = "Flow {Flow}: run {RunId} failed: {Reason}")]
    private partial void LogRunFailed(Exception exception, string flow, long runId, string? reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Flow {Flow}: the run failed ({Reason}); the target could not complete the output of its committed batches either; the next run completes it")]
    private partial void LogCompleteFailed(Exception exception, string flow, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Flow {Flow}: record {RecordKey} dead-lettered: {Reason}")]
    private partial void LogDeadLettered(string flow, string recordKey, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Flow {Flow}: this node lost its claim on the flow; stopping the run")]
    private partial void LogLeaseLost(string flow);

    [LoggerMessage(Level = LogLevel.Error, Message = "Flow {Flow}: run {RunId} finished but its outcome could not be recorded in the run history")]
    private partial void LogHistoryNotRecorded(Exception exception, string flow, long runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Flow {Flow}: could not release the claim on the flow; it expires by itself")]
    private partial void LogLeaseNotReleased(Exception exception, string flow);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Flow {Flow}: could not renew the claim on the flow; trying again")]
    private partial void LogLeaseRenewFailed(Exception exception, string flow);
}
