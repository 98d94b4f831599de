using System.Data.Common;
using System.Diagnostics;
using System.Text;

namespace SyncEngine.Core.State;

/// <summary>
/// The state store on any ADO.NET database the dialect knows (SQLite embedded, PostgreSQL for a cluster).
/// Times are stored as Unix milliseconds so both databases sort and compare them alike.
/// </summary>
public sealed class AdoStateStore(DbDataSource dataSource, StateDialect dialect, TimeProvider? timeProvider = null) : IStateStore
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly SemaphoreSlim _initLock = new(1, 1);
    private volatile bool _initialized;

    public static string Node { get; } = Environment.MachineName;

    public StateDialect Dialect => dialect;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (_initialized) return;
        await _initLock.WaitAsync(cancellationToken);
        try
        {
            if (_initialized) return;
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await dialect.PrepareAsync(connection, cancellationToken);
            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            await dialect.LockSchemaAsync(connection, tx, cancellationToken);
            await ExecAsync(connection, tx, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", cancellationToken);
            var current = Convert.ToInt32(await ScalarAsync(connection, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_version", cancellationToken));
            var steps = Migrations.For(dialect);
            if (current > steps.Count)
            {
                throw new InvalidOperationException(
                    $"The state database has schema version {current}, newer than this SyncEngine knows ({steps.Count}). Update SyncEngine or point it at another state database.");
            }
            for (var version = current + 1; version <= steps.Count; version++)
            {
                foreach (var statement in steps[version - 1].Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    await ExecAsync(connection, tx, statement, cancellationToken);
                }
                await ExecAsync(connection, tx, "INSERT INTO schema_version (version) VALUES (@v)", cancellationToken, ("v", version));
            }
            await tx.CommitAsync(cancellationToken);
            _initialized = true;
        }
        finally
        {
            _initLock.Release();
        }
    }

    public async Task<string?> GetCursorAsync(string flow, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ScalarAsync(connection, null, "SELECT cursor_value FROM cursors WHERE flow = @f", cancellationToken, ("f", flow)) as string;
    }

    public async Task<IReadOnlyDictionary<string, string>> GetChecksumsAsync(string flow, IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (keys.Count == 0) return result;
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT record_key, checksum FROM checksums WHERE flow = @f AND {dialect.InKeys("record_key", "keys")}";
        AddParameter(command, "f", flow);
        AddParameter(command, "keys", dialect.KeyList(keys));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) result[reader.GetString(0)] = reader.GetString(1);
        return result;
    }

    public async Task<FlowFootprint> GetFootprintAsync(string flow, string system, string entity, string targetSystem, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText =
            "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM checksums WHERE flow = @f LIMIT 1) c), " +
            "(SELECT COUNT(*) FROM (SELECT 1 FROM links WHERE system = @s AND entity = @e AND target_system = @t LIMIT 1) l), " +
            "(SELECT COUNT(*) FROM (SELECT 1 FROM dead_letters WHERE flow = @f LIMIT 1) d)";
        AddParameter(command, "f", flow);
        AddParameter(command, "s", system);
        AddParameter(command, "e", entity);
        AddParameter(command, "t", targetSystem);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new FlowFootprint(Convert.ToInt64(reader.GetValue(0)) > 0, Convert.ToInt64(reader.GetValue(1)) > 0, Convert.ToInt64(reader.GetValue(2)) > 0);
    }

    public async Task<IReadOnlySet<string>> GetCommittedAsync(string flow, IReadOnlyCollection<string> receipts, CancellationToken cancellationToken)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        if (receipts.Count == 0) return result;
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT receipt FROM receipts WHERE flow = @f AND {dialect.InKeys("receipt", "keys")}";
        AddParameter(command, "f", flow);
        AddParameter(command, "keys", dialect.KeyList(receipts));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) result.Add(reader.GetString(0));
        return result;
    }

    public async Task ForgetAsync(string flow, IReadOnlyCollection<string> receipts, CancellationToken cancellationToken)
    {
        if (receipts.Count == 0) return;
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"DELETE FROM receipts WHERE flow = @f AND {dialect.InKeys("receipt", "keys")}";
        AddParameter(command, "f", flow);
        AddParameter(command, "keys", dialect.KeyList(receipts));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, string>> GetLinksAsync(string system, string entity, string targetSystem, IReadOnlyCollection<string> externalIds, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (externalIds.Count == 0) return result;
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT external_id, target_id FROM links WHERE system = @s AND entity = @e AND target_system = @t AND " + dialect.InKeys("external_id", "keys");
        AddParameter(command, "s", system);
        AddParameter(command, "e", entity);
        AddParameter(command, "t", targetSystem);
        AddParameter(command, "keys", dialect.KeyList(externalIds));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) result[reader.GetString(0)] = reader.GetString(1);
        return result;
    }

    public async Task<string?> FindTargetIdAsync(string system, string entity, string externalId, string targetSystem, CancellationToken cancellationToken)
    {
        var links = await GetLinksAsync(system, entity, targetSystem, [externalId], cancellationToken);
        return links.GetValueOrDefault(externalId);
    }

    public async Task CommitBatchAsync(BatchCommit commit, CancellationToken cancellationToken)
    {
        var now = NowMs();
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        if (commit.Cursor is not null)
        {
            await ExecAsync(connection, tx,
                "INSERT INTO cursors (flow, cursor_value, updated_ms) VALUES (@f, @c, @t) ON CONFLICT (flow) DO UPDATE SET cursor_value = excluded.cursor_value, updated_ms = excluded.updated_ms",
                cancellationToken, ("f", commit.Flow), ("c", commit.Cursor), ("t", now));
        }

        await dialect.UpsertAsync(connection, tx, "checksums", [("record_key", "text"), ("checksum", "text")],
            Overwrites(commit.Checksums, c => c.Key, c => new object?[] { c.Key, c.Value }), [("flow", "text", commit.Flow), ("updated_ms", "bigint", now)],
            "ON CONFLICT (flow, record_key) DO UPDATE SET checksum = excluded.checksum, updated_ms = excluded.updated_ms", cancellationToken);

        // A batch's links are all of one entity from one system into another: those go once, the ids per row.
        foreach (var group in OfOneKind(commit.Links))
        {
            var first = group[0];
            await dialect.UpsertAsync(connection, tx, "links", [("external_id", "text"), ("target_id", "text")],
                Overwrites(group, l => l.ExternalId, l => new object?[] { l.ExternalId, l.TargetId }),
                [("system", "text", first.System), ("entity", "text", first.Entity), ("target_system", "text", first.TargetSystem), ("updated_ms", "bigint", now)],
                "ON CONFLICT (system, entity, external_id, target_system) DO UPDATE SET target_id = excluded.target_id, updated_ms = excluded.updated_ms",
                cancellationToken);
        }

        if (commit.ResolvedKeys.Count > 0)
        {
            await using var resolve = connection.CreateCommand();
            resolve.Transaction = tx;
            resolve.CommandText = "DELETE FROM dead_letters WHERE flow = @f AND " + dialect.InKeys("record_key", "keys");
            AddParameter(resolve, "f", commit.Flow);
            AddParameter(resolve, "keys", dialect.KeyList(commit.ResolvedKeys.Distinct().ToList()));
            await resolve.ExecuteNonQueryAsync(cancellationToken);
        }

        await dialect.UpsertAsync(connection, tx, "dead_letters",
            [("record_key", "text"), ("record_type", "text"), ("payload", "text"), ("error", "text")],
            LastPerKey(commit.DeadLetters, d => d.RecordKey, d => new object?[] { d.RecordKey, d.RecordType, d.Payload, d.Error }),
            [("flow", "text", commit.Flow), ("attempts", "integer", 1), ("first_failed_ms", "bigint", now), ("last_failed_ms", "bigint", now),
             ("run_id", "bigint", commit.RunId == 0 ? null : commit.RunId)],
            "ON CONFLICT (flow, record_key) DO UPDATE SET record_type = excluded.record_type, payload = excluded.payload, error = excluded.error, " +
            "attempts = dead_letters.attempts + 1, last_failed_ms = excluded.last_failed_ms, run_id = excluded.run_id",
            cancellationToken);

        if (commit.Receipt is not null)
        {
            await ExecAsync(connection, tx, "INSERT INTO receipts (flow, receipt, created_ms) VALUES (@f, @r, @t) ON CONFLICT (flow, receipt) DO NOTHING",
                cancellationToken, ("f", commit.Flow), ("r", commit.Receipt), ("t", now));
        }

        if (commit.RunId != 0)
        {
            await ExecAsync(connection, tx,
                "UPDATE runs SET read_count = read_count + @r, written_count = written_count + @w, skipped_count = skipped_count + @s, dead_count = dead_count + @d WHERE id = @id",
                cancellationToken, ("r", commit.Read), ("w", commit.Written), ("s", commit.Skipped), ("d", commit.DeadLettered), ("id", commit.RunId));
        }
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<long> StartRunAsync(RunRecord run, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var id = await ScalarAsync(connection, null,
            "INSERT INTO runs (flow, status, full_run, run_trigger, started_ms, node) VALUES (@f, @s, @full, @tr, @t, @n) RETURNING id",
            cancellationToken, ("f", run.Flow), ("s", RunStatus.Running.ToString()), ("full", run.Full ? 1 : 0), ("tr", run.Trigger),
            ("t", run.StartedAt.ToUnixTimeMilliseconds()), ("n", run.Node ?? Node));
        return Convert.ToInt64(id);
    }

    public async Task FinishRunAsync(RunRecord run, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecAsync(connection, null, "UPDATE runs SET status = @s, finished_ms = @t, error = @e WHERE id = @id", cancellationToken,
            ("s", run.Status.ToString()), ("t", (run.FinishedAt ?? _time.GetUtcNow()).ToUnixTimeMilliseconds()), ("e", run.Error), ("id", run.Id));
    }

    public async Task<IReadOnlyList<RunRecord>> GetRunsAsync(string? flow, int last, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText =
            "SELECT id, flow, status, full_run, run_trigger, started_ms, finished_ms, read_count, written_count, skipped_count, dead_count, error, node FROM runs" +
            (flow is null ? string.Empty : " WHERE flow = @f") + " ORDER BY id DESC LIMIT @n";
        if (flow is not null) AddParameter(command, "f", flow);
        AddParameter(command, "n", Math.Max(1, last));
        var runs = new List<RunRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            runs.Add(new RunRecord
            {
                Id = Convert.ToInt64(reader.GetValue(0)),
                Flow = reader.GetString(1),
                Status = Enum.Parse<RunStatus>(reader.GetString(2)),
                Full = Convert.ToInt64(reader.GetValue(3)) != 0,
                Trigger = reader.IsDBNull(4) ? null : reader.GetString(4),
                StartedAt = FromMs(reader.GetValue(5)),
                FinishedAt = reader.IsDBNull(6) ? null : FromMs(reader.GetValue(6)),
                Read = Convert.ToInt64(reader.GetValue(7)),
                Written = Convert.ToInt64(reader.GetValue(8)),
                Skipped = Convert.ToInt64(reader.GetValue(9)),
                DeadLettered = Convert.ToInt64(reader.GetValue(10)),
                Error = reader.IsDBNull(11) ? null : reader.GetString(11),
                Node = reader.IsDBNull(12) ? null : reader.GetString(12),
            });
        }
        return runs;
    }

    public async Task<IReadOnlyList<DeadLetter>> GetDeadLettersAsync(string? flow, long? id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText =
            "SELECT id, flow, record_key, record_type, payload, error, attempts, first_failed_ms, last_failed_ms, run_id FROM dead_letters" +
            Where(command, flow, id) + " ORDER BY id";
        var result = new List<DeadLetter>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new DeadLetter
            {
                Id = Convert.ToInt64(reader.GetValue(0)),
                Flow = reader.GetString(1),
                RecordKey = reader.GetString(2),
                RecordType = reader.IsDBNull(3) ? null : reader.GetString(3),
                Payload = reader.GetString(4),
                Error = reader.GetString(5),
                Attempts = Convert.ToInt32(reader.GetValue(6)),
                FirstFailedAt = FromMs(reader.GetValue(7)),
                LastFailedAt = FromMs(reader.GetValue(8)),
                RunId = reader.IsDBNull(9) ? null : Convert.ToInt64(reader.GetValue(9)),
            });
        }
        return result;
    }

    public async Task<int> DropDeadLettersAsync(string? flow, long? id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM dead_letters" + Where(command, flow, id);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<(bool Acquired, FlowLease Lease)> TryAcquireFlowAsync(string flow, string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = NowMs();
        var pid = Environment.ProcessId;
        var mine = new FlowLease(flow, owner, Node, pid, FromMs(now), FromMs(now + (long)lease.TotalMilliseconds), null);
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var inserted = await ExecAsync(connection, tx,
            "INSERT INTO flow_locks (flow, owner, node, pid, acquired_ms, expires_ms) VALUES (@f, @o, @n, @p, @a, @e) ON CONFLICT (flow) DO NOTHING",
            cancellationToken, ("f", flow), ("o", owner), ("n", Node), ("p", pid), ("a", now), ("e", now + (long)lease.TotalMilliseconds));
        if (inserted == 1)
        {
            await tx.CommitAsync(cancellationToken);
            return (true, mine);
        }

        FlowLease holder;
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = tx;
            command.CommandText = "SELECT owner, node, pid, acquired_ms, expires_ms, run_id FROM flow_locks WHERE flow = @f" + dialect.ForUpdate;
            AddParameter(command, "f", flow);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) throw new InvalidOperationException($"The lock row of flow '{flow}' vanished while it was being claimed.");
            holder = new FlowLease(flow, reader.GetString(0), reader.GetString(1), Convert.ToInt32(reader.GetValue(2)), FromMs(reader.GetValue(3)),
                FromMs(reader.GetValue(4)), reader.IsDBNull(5) ? null : Convert.ToInt64(reader.GetValue(5)));
        }

        var expired = holder.ExpiresAt.ToUnixTimeMilliseconds() <= now;
        var holderGone = holder.Node == Node && holder.ProcessId != pid && !IsProcessAlive(holder.ProcessId);
        if (!expired && !holderGone)
        {
            await tx.RollbackAsync(cancellationToken);
            return (false, holder);
        }

        await ExecAsync(connection, tx,
            "UPDATE flow_locks SET owner = @o, node = @n, pid = @p, acquired_ms = @a, expires_ms = @e, run_id = NULL WHERE flow = @f AND owner = @old",
            cancellationToken, ("o", owner), ("n", Node), ("p", pid), ("a", now), ("e", now + (long)lease.TotalMilliseconds), ("f", flow), ("old", holder.Owner));
        if (holder.RunId is { } interrupted)
        {
            var reason = holderGone
                ? $"Interrupted: process {holder.ProcessId} on {holder.Node} ended during the run; the next run repeats its uncommitted batch."
                : $"Interrupted: {holder.Node} (process {holder.ProcessId}) stopped renewing its claim; the next run repeats its uncommitted batch.";
            await ExecAsync(connection, tx, "UPDATE runs SET status = @s, finished_ms = @t, error = @e WHERE id = @id AND status = @running", cancellationToken,
                ("s", RunStatus.Failed.ToString()), ("t", now), ("e", reason), ("id", interrupted), ("running", RunStatus.Running.ToString()));
        }
        await tx.CommitAsync(cancellationToken);
        return (true, mine);
    }

    public async Task<bool> RenewFlowAsync(string flow, string owner, TimeSpan lease, long? runId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var updated = await ExecAsync(connection, null,
            "UPDATE flow_locks SET expires_ms = @e, run_id = COALESCE(@r, run_id) WHERE flow = @f AND owner = @o",
            cancellationToken, ("e", NowMs() + (long)lease.TotalMilliseconds), ("r", runId), ("f", flow), ("o", owner));
        return updated == 1;
    }

    public async Task ReleaseFlowAsync(string flow, string owner, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecAsync(connection, null, "DELETE FROM flow_locks WHERE flow = @f AND owner = @o", cancellationToken, ("f", flow), ("o", owner));
    }

    public async Task<IReadOnlyList<FlowLease>> GetFlowLeasesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT flow, owner, node, pid, acquired_ms, expires_ms, run_id FROM flow_locks ORDER BY flow";
        var result = new List<FlowLease>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new FlowLease(reader.GetString(0), reader.GetString(1), reader.GetString(2), Convert.ToInt32(reader.GetValue(3)),
                FromMs(reader.GetValue(4)), FromMs(reader.GetValue(5)), reader.IsDBNull(6) ? null : Convert.ToInt64(reader.GetValue(6))));
        }
        return result;
    }

    public async Task<bool> EnqueueAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        var now = NowMs();
        await using var connection = await OpenAsync(cancellationToken);
        var inserted = await ExecAsync(connection, null,
            "INSERT INTO outbox (channel, message_key, payload, created_ms, next_attempt_ms) VALUES (@c, @k, @p, @t, @t) ON CONFLICT (channel, message_key) DO NOTHING",
            cancellationToken, ("c", message.Channel), ("k", message.MessageKey), ("p", message.Payload), ("t", now));
        return inserted == 1;
    }

    public async Task<IReadOnlyList<OutboxMessage>> GetDueMessagesAsync(string channel, DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText =
            "SELECT id, channel, message_key, payload, attempts, created_ms, next_attempt_ms, sent_ms, last_error FROM outbox " +
            "WHERE channel = @c AND sent_ms IS NULL AND next_attempt_ms <= @t ORDER BY id LIMIT @n";
        AddParameter(command, "c", channel);
        AddParameter(command, "t", now.ToUnixTimeMilliseconds());
        AddParameter(command, "n", max);
        var result = new List<OutboxMessage>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new OutboxMessage
            {
                Id = Convert.ToInt64(reader.GetValue(0)),
                Channel = reader.GetString(1),
                MessageKey = reader.GetString(2),
                Payload = reader.GetString(3),
                Attempts = Convert.ToInt32(reader.GetValue(4)),
                CreatedAt = FromMs(reader.GetValue(5)),
                NextAttemptAt = FromMs(reader.GetValue(6)),
                SentAt = reader.IsDBNull(7) ? null : FromMs(reader.GetValue(7)),
                LastError = reader.IsDBNull(8) ? null : reader.GetString(8),
            });
        }
        return result;
    }

    public async Task MarkSentAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecAsync(connection, null, "UPDATE outbox SET sent_ms = @t, attempts = attempts + 1 WHERE id = @id", cancellationToken, ("t", NowMs()), ("id", id));
    }

    public async Task MarkFailedAsync(long id, string error, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecAsync(connection, null, "UPDATE outbox SET attempts = attempts + 1, last_error = @e, next_attempt_ms = @n WHERE id = @id", cancellationToken,
            ("e", error), ("n", nextAttemptAt.ToUnixTimeMilliseconds()), ("id", id));
    }

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (!_initialized) await InitializeAsync(cancellationToken);
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await dialect.OpenedAsync(connection, cancellationToken);
        return connection;
    }

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static DateTimeOffset FromMs(object value) => DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(value));

    private static bool IsProcessAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The links by system, entity and target system; a flow's batch has one kind only, which needs no grouping.</summary>
    private static IEnumerable<IReadOnlyList<IdLink>> OfOneKind(IReadOnlyList<IdLink> links)
    {
        if (links.Count == 0) return [];
        var first = links[0];
        var alike = true;
        for (var i = 1; i < links.Count && alike; i++)
            alike = links[i].System == first.System && links[i].Entity == first.Entity && links[i].TargetSystem == first.TargetSystem;
        return alike ? [links] : links.GroupBy(l => (l.System, l.Entity, l.TargetSystem)).Select(g => (IReadOnlyList<IdLink>)g.ToList());
    }

    /// <summary>
    /// The rows of items whose later row of a key only overwrites the earlier: as they are where the database applies them
    /// in order, else the last of each key.
    /// </summary>
    private List<object?[]> Overwrites<T>(IReadOnlyList<T> items, Func<T, string> key, Func<T, object?[]> row)
    {
        if (!dialect.UpsertsRepeatedKeysInOrder) return LastPerKey(items, key, row);
        var rows = new List<object?[]>(items.Count);
        foreach (var item in items) rows.Add(row(item));
        return rows;
    }

    /// <summary>The rows of the items, the last of each key only: one statement cannot change a row twice.</summary>
    private static List<object?[]> LastPerKey<T>(IEnumerable<T> items, Func<T, string> key, Func<T, object?[]> row)
    {
        var count = items.TryGetNonEnumeratedCount(out var known) ? known : 0;
        var rows = new List<object?[]>(count);
        var at = new Dictionary<string, int>(count, StringComparer.Ordinal);
        foreach (var item in items)
        {
            var name = key(item);
            if (at.TryGetValue(name, out var index))
            {
                rows[index] = row(item);
            }
            else
            {
                at[name] = rows.Count;
                rows.Add(row(item));
            }
        }
        return rows;
    }

    private static string Where(DbCommand command, string? flow, long? id)
    {
        var conditions = new List<string>();
        if (flow is not null)
        {
            conditions.Add("flow = @f");
            AddParameter(command, "f", flow);
        }
        if (id is not null)
        {
            conditions.Add("id = @id");
            AddParameter(command, "id", id.Value);
        }
        return conditions.Count == 0 ? string.Empty : " WHERE " + string.Join(" AND ", conditions);
    }

    private static async Task<int> ExecAsync(DbConnection connection, DbTransaction? tx, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) AddParameter(command, name, value);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<object?> ScalarAsync(DbConnection connection, DbTransaction? tx, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) AddParameter(command, name, value);
        var result = await command.ExecuteScalarAsync(cancellationToken);
        return result is DBNull ? null : result;
    }

    private static void AddParameter(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value is string text ? StateDialect.Storable(text) : value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }
}
