using SyncEngine.Core.State;
using SyncEngine.Testing;

namespace SyncEngine.Core.Tests;

/// <summary>The same behaviour from the embedded SQLite state and from PostgreSQL.</summary>
public sealed class StateStoreTests
{
    public static TheoryData<StateBackend> Backends => new() { StateBackend.Sqlite, StateBackend.PostgreSql };

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Schema_is_created_once_even_when_several_processes_start_at_the_same_time(StateBackend backend)
    {
        using var folder = new TempDirectory();
        await using var postgres = backend == StateBackend.PostgreSql ? await PostgresDatabase.CreateAsync() : null;
        var stores = Enumerable.Range(0, 4).Select(_ => TestEngine.CreateState(backend, folder, postgres)).ToList();

        await Task.WhenAll(stores.Select(s => s.InitializeAsync(default)));
        await stores[0].InitializeAsync(default);

        Assert.Null(await stores[1].GetCursorAsync("nothing", default));
        Assert.Empty(await stores[2].GetRunsAsync(null, 10, default));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_batch_receipt_is_known_as_committed_only_with_its_batch_and_per_flow_until_forgotten(StateBackend backend)
    {
        using var folder = new TempDirectory();
        await using var postgres = backend == StateBackend.PostgreSql ? await PostgresDatabase.CreateAsync() : null;
        var store = TestEngine.CreateState(backend, folder, postgres);
        await store.InitializeAsync(default);

        await store.CommitBatchAsync(new BatchCommit { Flow = "export", Receipt = "20261123T100000-000001", Cursor = "5" }, default);
        await store.CommitBatchAsync(new BatchCommit { Flow = "other", Receipt = "20261123T100000-000002" }, default);

        Assert.Equal(["20261123T100000-000001"], await store.GetCommittedAsync("export", ["20261123T100000-000001", "20261123T100000-000002"], default));
        await store.ForgetAsync("export", ["20261123T100000-000001"], default);
        Assert.Empty(await store.GetCommittedAsync("export", ["20261123T100000-000001"], default));
        Assert.Equal(["20261123T100000-000002"], await store.GetCommittedAsync("other", ["20261123T100000-000002"], default));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Outbox_keeps_one_message_per_key_and_hands_out_due_messages_until_sent(StateBackend backend)
    {
        using var folder = new TempDirectory();
        await using var postgres = backend == StateBackend.PostgreSql ? await PostgresDatabase.CreateAsync() : null;
        var store = TestEngine.CreateState(backend, folder, postgres);

        Assert.True(await store.EnqueueAsync(new OutboxMessage { Channel = "payback", MessageKey = "receipt-1", Payload = "{\"points\":12}" }, default));
        Assert.False(await store.EnqueueAsync(new OutboxMessage { Channel = "payback", MessageKey = "receipt-1", Payload = "{\"points\":99}" }, default));
        Assert.True(await store.EnqueueAsync(new OutboxMessage { Channel = "payback", MessageKey = "receipt-2", Payload = "{}" }, default));
        Assert.True(await store.EnqueueAsync(new OutboxMessage { Channel = "mail", MessageKey = "receipt-1", Payload = "{}" }, default));

        var due = await store.GetDueMessagesAsync("payback", DateTimeOffset.UtcNow.AddSeconds(1), 10, default);
        Assert.Equal(["receipt-1", "receipt-2"], due.Select(m => m.MessageKey));
        Assert.Equal("{\"points\":12}", due[0].Payload);

        await store.MarkSentAsync(due[0].Id, default);
        await store.MarkFailedAsync(due[1].Id, "503 from the programme", DateTimeOffset.UtcNow.AddMinutes(5), default);

        Assert.Empty(await store.GetDueMessagesAsync("payback", DateTimeOffset.UtcNow.AddSeconds(1), 10, default));
        var later = Assert.Single(await store.GetDueMessagesAsync("payback", DateTimeOffset.UtcNow.AddMinutes(6), 10, default));
        Assert.Equal(("receipt-2", 1, "503 from the programme"), (later.MessageKey, later.Attempts, later.LastError));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_lease_that_is_not_renewed_passes_to_the_next_claimant_and_its_run_is_marked_interrupted(StateBackend backend)
    {
        using var folder = new TempDirectory();
        await using var postgres = backend == StateBackend.PostgreSql ? await PostgresDatabase.CreateAsync() : null;
        var time = new ManualTime(DateTimeOffset.Parse("2026-11-23T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var store = backend == StateBackend.PostgreSql
            ? new AdoStateStore(Npgsql.NpgsqlDataSource.Create(postgres!.ConnectionString), StateDialect.PostgreSql, time)
            : new AdoStateStore(Microsoft.Data.Sqlite.SqliteFactory.Instance.CreateDataSource($"Data Source={folder["state.db"]}"), StateDialect.Sqlite, time);
        var runId = await store.StartRunAsync(new RunRecord { Flow = "orders", StartedAt = time.GetUtcNow() }, default);
        Assert.True((await store.TryAcquireFlowAsync("orders", "node-a", TimeSpan.FromMinutes(1), default)).Acquired);
        Assert.True(await store.RenewFlowAsync("orders", "node-a", TimeSpan.FromMinutes(1), runId, default));

        time.Advance(TimeSpan.FromSeconds(30));
        var early = await store.TryAcquireFlowAsync("orders", "node-b", TimeSpan.FromMinutes(1), default);
        time.Advance(TimeSpan.FromSeconds(31));
        var late = await store.TryAcquireFlowAsync("orders", "node-b", TimeSpan.FromMinutes(1), default);

        Assert.False(early.Acquired);
        Assert.Equal("node-a", early.Lease.Owner);
        Assert.True(late.Acquired);
        Assert.False(await store.RenewFlowAsync("orders", "node-a", TimeSpan.FromMinutes(1), null, default));
        var run = Assert.Single(await store.GetRunsAsync("orders", 5, default));
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.StartsWith("Interrupted:", run.Error);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_dead_letter_that_fails_again_counts_its_attempts_instead_of_doubling(StateBackend backend)
    {
        using var folder = new TempDirectory();
        await using var postgres = backend == StateBackend.PostgreSql ? await PostgresDatabase.CreateAsync() : null;
        var store = TestEngine.CreateState(backend, folder, postgres);
        DeadLetter Letter(string error) => new() { Flow = "orders", RecordKey = "1001", RecordType = "Order", Payload = "{}", Error = error };

        await store.CommitBatchAsync(new BatchCommit { Flow = "orders", DeadLetters = [Letter("VAT key 'ÁFA 27' unknown")] }, default);
        await store.CommitBatchAsync(new BatchCommit { Flow = "orders", DeadLetters = [Letter("VAT key 'ÁFA27' unknown")] }, default);

        var letter = Assert.Single(await store.GetDeadLettersAsync("orders", null, default));
        Assert.Equal((2, "VAT key 'ÁFA27' unknown"), (letter.Attempts, letter.Error));

        await store.CommitBatchAsync(new BatchCommit { Flow = "orders", ResolvedKeys = ["1001"], Checksums = [new("1001", "abc")] }, default);
        Assert.Empty(await store.GetDeadLettersAsync("orders", null, default));
        Assert.Equal("abc", (await store.GetChecksumsAsync("orders", ["1001"], default))["1001"]);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Links_and_checksums_of_large_batches_are_stored_and_found(StateBackend backend)
    {
        using var folder = new TempDirectory();
        await using var postgres = backend == StateBackend.PostgreSql ? await PostgresDatabase.CreateAsync() : null;
        var store = TestEngine.CreateState(backend, folder, postgres);
        var keys = Enumerable.Range(1, 1234).Select(i => $"order-{i}").ToList();

        await store.CommitBatchAsync(new BatchCommit
        {
            Flow = "orders",
            Cursor = "2026-11-23T08:00:00Z|1234",
            // A key given twice is stored with its later value.
            Checksums = [.. keys.Select(k => new KeyValuePair<string, string>(k, "sum-" + k)), new("order-5", "sum-again")],
            // Links of other kinds in the same batch are kept apart.
            Links = [.. keys.Take(600).Select(k => new IdLink("shop", "Order", k, "erp", "B-" + k)), new IdLink("shop", "Customer", "c-1", "erp", "K-1"),
                new IdLink("shop", "Order", "order-1", "other-erp", "X-1"), .. keys.Skip(600).Select(k => new IdLink("shop", "Order", k, "erp", "B-" + k)),
                new IdLink("shop", "Order", "order-7", "erp", "B-again")],
        }, default);

        var links = await store.GetLinksAsync("shop", "Order", "erp", keys, default);
        var sums = await store.GetChecksumsAsync("orders", keys, default);
        Assert.Equal(1234, links.Count);
        Assert.Equal("B-order-777", links["order-777"]);
        Assert.Equal(1234, sums.Count);
        Assert.Equal(("sum-order-4", "sum-again", "B-again"), (sums["order-4"], sums["order-5"], links["order-7"]));
        Assert.Equal("2026-11-23T08:00:00Z|1234", await store.GetCursorAsync("orders", default));
        Assert.Equal(new Dictionary<string, string> { ["order-1"] = "X-1" }, await store.GetLinksAsync("shop", "Order", "other-erp", keys, default));
        Assert.Equal(new Dictionary<string, string> { ["c-1"] = "K-1" }, await store.GetLinksAsync("shop", "Customer", "erp", ["c-1", "order-1"], default));
    }

    [Fact]
    public async Task A_sqlite_state_of_the_previous_schema_keeps_its_checksums_and_links_when_this_version_opens_it()
    {
        using var folder = new TempDirectory();
        // The state as the previous version left it: schema version 2, checksums and links in tables with a rowid.
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={folder["state.db"]};Pooling=False"))
        {
            await connection.OpenAsync();
            var statements = Migrations.For(StateDialect.Sqlite).Take(2).SelectMany(step => step.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .Concat([
                    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
                    "INSERT INTO schema_version (version) VALUES (1), (2)",
                    "INSERT INTO checksums VALUES ('orders', 'order-1', 'sum-1', 1), ('orders', 'order-2', 'sum-2', 1)",
                    "INSERT INTO links VALUES ('shop', 'Order', 'order-1', 'erp', 'B-1', 1), ('shop', 'Order', 'order-2', 'erp', 'B-2', 1)",
                ]);
            foreach (var statement in statements)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = statement;
                await command.ExecuteNonQueryAsync();
            }
        }

        var store = TestEngine.CreateState(StateBackend.Sqlite, folder, null);
        await store.InitializeAsync(default);
        await store.CommitBatchAsync(new BatchCommit
        {
            Flow = "orders",
            Checksums = [new("order-2", "sum-2b"), new("order-3", "sum-3")],
            Links = [new IdLink("shop", "Order", "order-3", "erp", "B-3")],
        }, default);

        Assert.Equal(new Dictionary<string, string> { ["order-1"] = "sum-1", ["order-2"] = "sum-2b", ["order-3"] = "sum-3" },
            await store.GetChecksumsAsync("orders", ["order-1", "order-2", "order-3"], default));
        Assert.Equal(new Dictionary<string, string> { ["order-1"] = "B-1", ["order-2"] = "B-2", ["order-3"] = "B-3" },
            await store.GetLinksAsync("shop", "Order", "erp", ["order-1", "order-2", "order-3"], default));
    }

    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
