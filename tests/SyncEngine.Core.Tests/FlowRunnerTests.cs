using SyncEngine.Core.State;
using SyncEngine.Testing;

namespace SyncEngine.Core.Tests;

public sealed class FlowRunnerTests
{
    public static TheoryData<StateBackend> Backends => new() { StateBackend.Sqlite, StateBackend.PostgreSql };

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Flow_reads_writes_and_commits_its_cursor_and_a_second_run_reads_only_what_is_new(StateBackend backend)
    {
        await using var engine = await TestEngine.CreateAsync(backend, batchSize: 10);
        await TestStore.AddProductsAsync(engine.StorePath, 1, 25);

        var first = await engine.RunAsync();

        Assert.Equal(RunStatus.Succeeded, first.Status);
        Assert.Equal((25, 25, 0, 0), (first.Read, first.Written, first.Skipped, first.DeadLettered));
        var rows = await TestStore.TargetRowsAsync(engine.StorePath);
        Assert.Equal(25, rows.Count);
        Assert.Equal(("P1", "SKU-00001", "Árvíztűrő tükörfúrógép 1", "10.01"), (rows[0].Id, rows[0].Sku, rows[0].Name, rows[0].Price));
        Assert.Equal("25", await engine.State.GetCursorAsync("copy", default));

        await TestStore.AddProductsAsync(engine.StorePath, 26, 3);
        var second = await engine.RunAsync();

        Assert.Equal((3, 3), (second.Read, second.Written));
        Assert.Equal(28, (await TestStore.TargetRowsAsync(engine.StorePath)).Count);
        Assert.All(await TestStore.TargetRowsAsync(engine.StorePath), r => Assert.Equal(1, r.Writes));
        Assert.Equal("28", await engine.State.GetCursorAsync("copy", default));

        var runs = await engine.State.GetRunsAsync("copy", 10, default);
        Assert.Equal([second.Id, first.Id], runs.Select(r => r.Id));
        Assert.Equal((3, 3, RunStatus.Succeeded), (runs[0].Read, runs[0].Written, runs[0].Status));
        Assert.NotNull(runs[0].FinishedAt);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Record_whose_write_fails_is_dead_lettered_with_its_reason_while_the_rest_are_written(StateBackend backend)
    {
        await using var engine = await TestEngine.CreateAsync(backend, batchSize: 4);
        await TestStore.AddProductsAsync(engine.StorePath, 1, 10);
        await TestStore.ExecAsync(engine.StorePath, "INSERT INTO fail VALUES ('P3', 'ERP: article group ''X'' of SKU-00003 does not exist')");

        var run = await engine.RunAsync();

        Assert.Equal(RunStatus.CompletedWithErrors, run.Status);
        Assert.Equal((10, 9, 1), (run.Read, run.Written, run.DeadLettered));
        Assert.DoesNotContain(await TestStore.TargetRowsAsync(engine.StorePath), r => r.Id == "P3");
        var letter = Assert.Single(await engine.State.GetDeadLettersAsync("copy", null, default));
        Assert.Equal(("P3", "Product", 1), (letter.RecordKey, letter.RecordType, letter.Attempts));
        Assert.Equal("ERP: article group 'X' of SKU-00003 does not exist", letter.Error);
        Assert.Contains("\"sku\":\"SKU-00003\"", letter.Payload);
        Assert.Equal("10", await engine.State.GetCursorAsync("copy", default));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Dead_letter_retry_writes_the_record_once_the_cause_is_gone(StateBackend backend)
    {
        await using var engine = await TestEngine.CreateAsync(backend);
        await TestStore.AddProductsAsync(engine.StorePath, 1, 5);
        await TestStore.ExecAsync(engine.StorePath, "INSERT INTO fail VALUES ('P2', 'customer group missing')");
        await engine.RunAsync();

        var stillFailing = await engine.Runner.RetryDeadLettersAsync("copy", null, default);
        Assert.Equal(RunStatus.CompletedWithErrors, stillFailing.Status);
        Assert.Equal(2, Assert.Single(await engine.State.GetDeadLettersAsync("copy", null, default)).Attempts);

        await TestStore.ExecAsync(engine.StorePath, "DELETE FROM fail");
        var retried = await engine.Runner.RetryDeadLettersAsync("copy", null, default);

        Assert.Equal((RunStatus.Succeeded, 1L), (retried.Status, retried.Written));
        Assert.Empty(await engine.State.GetDeadLettersAsync("copy", null, default));
        var rows = await TestStore.TargetRowsAsync(engine.StorePath);
        Assert.Equal(5, rows.Count);
        Assert.Equal(1, rows.Single(r => r.Id == "P2").Writes);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Unreadable_record_is_dead_lettered_with_its_raw_input_and_the_run_goes_on(StateBackend backend)
    {
        await using var engine = await TestEngine.CreateAsync(backend);
        await TestStore.AddProductsAsync(engine.StorePath, 1, 2);
        await TestStore.AddProductsAsync(engine.StorePath, 3, 1, price: "12,5O");
        await TestStore.AddProductsAsync(engine.StorePath, 4, 2);

        var run = await engine.RunAsync();

        Assert.Equal((RunStatus.CompletedWithErrors, 5L, 4L, 1L), (run.Status, run.Read, run.Written, run.DeadLettered));
        var letter = Assert.Single(await engine.State.GetDeadLettersAsync("copy", null, default));
        Assert.Equal(("P3", null, "P3;SKU-00003;12,5O"), (letter.RecordKey, letter.RecordType, letter.Payload));
        Assert.Equal("field 'price': '12,5O' is not a number", letter.Error);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Unchanged_records_are_skipped_and_a_full_run_writes_everything_again(StateBackend backend)
    {
        await using var engine = await TestEngine.CreateAsync(backend);
        await TestStore.AddProductsAsync(engine.StorePath, 1, 6);
        await engine.RunAsync();

        // The source offers P1..P3 again, P2 with a new price.
        await TestStore.ExecAsync(engine.StorePath, "INSERT INTO source (id, sku, name, price) SELECT id, sku, name, CASE id WHEN 'P2' THEN '99.90' ELSE price END FROM source WHERE seq <= 3");
        var delta = await engine.RunAsync();

        Assert.Equal((3L, 1L, 2L), (delta.Read, delta.Written, delta.Skipped));
        var rows = await TestStore.TargetRowsAsync(engine.StorePath);
        Assert.Equal(("99.90", 2L), (rows.Single(r => r.Id == "P2").Price, rows.Single(r => r.Id == "P2").Writes));
        Assert.Equal(1L, rows.Single(r => r.Id == "P1").Writes);

        var full = await engine.RunAsync(full: true);

        // 9 source rows, 6 distinct products; the later row of a key wins within its batch.
        Assert.Equal((9L, 6L), (full.Read, full.Written));
        Assert.All(await TestStore.TargetRowsAsync(engine.StorePath), r => Assert.True(r.Writes >= 2));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_record_offered_again_unchanged_in_the_next_batch_of_the_same_run_is_skipped(StateBackend backend)
    {
        await using var engine = await TestEngine.CreateAsync(backend, batchSize: 2);
        await TestStore.AddProductsAsync(engine.StorePath, 1, 4);
        // P1 again unchanged, P2 again with a new price, in the batches after the one that wrote them.
        await TestStore.ExecAsync(engine.StorePath, "INSERT INTO source (id, sku, name, price) SELECT id, sku, name, CASE id WHEN 'P2' THEN '77.00' ELSE price END FROM source WHERE seq <= 2");

        var run = await engine.RunAsync();

        Assert.Equal((6L, 5L, 1L), (run.Read, run.Written, run.Skipped));
        var rows = await TestStore.TargetRowsAsync(engine.StorePath);
        Assert.Equal((1L, 2L, "77.00"), (rows.Single(r => r.Id == "P1").Writes, rows.Single(r => r.Id == "P2").Writes, rows.Single(r => r.Id == "P2").Price));
    }

    /// <summary>The batch before is committed while the next one is written: what it learned counts all the same.</summary>
    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_record_offered_again_in_the_very_next_batch_gets_the_target_id_the_batch_before_learned(StateBackend backend)
    {
        await using var engine = await OfferedTwiceAsync(backend, "'77.00'");

        var run = await engine.RunAsync();

        Assert.Equal((4L, 4L), (run.Read, run.Written));
        var given = await TestStore.GivenTargetIdsAsync(engine.StorePath);
        Assert.Equal(("T-P2", null, null), (given["P2"], given["P1"], given["P3"]));
        Assert.Equal((2L, "77.00"), (await TestStore.TargetRowsAsync(engine.StorePath)).Where(r => r.Id == "P2").Select(r => (r.Writes, r.Price)).Single());
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_record_offered_again_unchanged_in_the_very_next_batch_is_skipped(StateBackend backend)
    {
        await using var engine = await OfferedTwiceAsync(backend, "price");

        var run = await engine.RunAsync();

        Assert.Equal((4L, 3L, 1L), (run.Read, run.Written, run.Skipped));
        Assert.Equal(1L, (await TestStore.TargetRowsAsync(engine.StorePath)).Single(r => r.Id == "P2").Writes);
    }

    /// <summary>In batches of two: P1 and P2, then P2 again with the price <paramref name="price"/> (an SQL expression) and P3.</summary>
    private static async Task<TestEngine> OfferedTwiceAsync(StateBackend backend, string price)
    {
        var engine = await TestEngine.CreateAsync(backend, batchSize: 2);
        await TestStore.AddProductsAsync(engine.StorePath, 1, 2);
        await TestStore.ExecAsync(engine.StorePath, $"INSERT INTO source (id, sku, name, price) SELECT id, sku, name, {price} FROM source WHERE id = 'P2'");
        await TestStore.AddProductsAsync(engine.StorePath, 3, 1);
        return engine;
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Target_ids_learned_on_first_write_are_handed_to_later_writes(StateBackend backend)
    {
        await using var engine = await TestEngine.CreateAsync(backend);
        await TestStore.AddProductsAsync(engine.StorePath, 1, 2);
        await engine.RunAsync();

        Assert.Equal("T-P2", await engine.State.FindTargetIdAsync("store", "Product", "P2", "store", default));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_target_that_goes_down_fails_the_run_without_moving_the_cursor_and_the_next_run_completes(StateBackend backend)
    {
        await using var engine = await TestEngine.CreateAsync(backend, batchSize: 5);
        await TestStore.AddProductsAsync(engine.StorePath, 1, 12);
        // The target table disappears after the first batch: the system is down, not one record bad.
        await TestStore.ExecAsync(engine.StorePath, "ALTER TABLE target RENAME TO target_offline");

        var failed = await engine.RunAsync();

        Assert.Equal(RunStatus.Failed, failed.Status);
        Assert.Contains("no such table: target", failed.Error);
        Assert.Null(await engine.State.GetCursorAsync("copy", default));
        Assert.Empty(await engine.State.GetDeadLettersAsync("copy", null, default));

        await TestStore.ExecAsync(engine.StorePath, "ALTER TABLE target_offline RENAME TO target");
        var next = await engine.RunAsync();

        Assert.Equal((RunStatus.Succeeded, 12L), (next.Status, next.Written));
        Assert.Equal(12, (await TestStore.TargetRowsAsync(engine.StorePath)).Count);
        Assert.Equal(RunStatus.Failed, (await engine.State.GetRunsAsync("copy", 2, default))[1].Status);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_flow_already_running_is_not_started_a_second_time(StateBackend backend)
    {
        await using var engine = await TestEngine.CreateAsync(backend, batchSize: 2, delayMs: 150);
        await TestStore.AddProductsAsync(engine.StorePath, 1, 6);

        var runs = await Task.WhenAll(engine.RunAsync(), engine.RunAsync());

        Assert.Single(runs, r => r.Status == RunStatus.Succeeded);
        var refused = Assert.Single(runs, r => r.Status == RunStatus.AlreadyRunning);
        Assert.Contains("already running", refused.Error);
        Assert.All(await TestStore.TargetRowsAsync(engine.StorePath), r => Assert.Equal(1, r.Writes));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_second_engine_on_the_same_state_does_not_run_a_flow_the_first_one_is_running(StateBackend backend)
    {
        await using var postgres = backend == StateBackend.PostgreSql ? await PostgresDatabase.CreateAsync() : null;
        // The run holds its lease 3 s: long enough that a slow machine still makes the competing claim while it runs.
        await using var first = await TestEngine.CreateAsync(backend, batchSize: 2, delayMs: 1000, postgres: postgres);
        await using var second = await TestEngine.CreateAsync(backend, postgres: postgres, settings: new Dictionary<string, string?>
        {
            ["SyncEngine:Connections:store:Path"] = first.StorePath,
        }, folder: null);
        // Both engines keep their state in the first one's place.
        var sharedState = backend == StateBackend.Sqlite ? TestEngine.CreateState(backend, first.Folder, null) : second.State;
        await TestStore.AddProductsAsync(first.StorePath, 1, 6);

        var running = first.RunAsync();
        await WaitUntilAsync(async () => (await sharedState.GetFlowLeasesAsync(default)).Count == 1);
        var (acquired, holder) = await sharedState.TryAcquireFlowAsync("copy", "someone-else", TimeSpan.FromMinutes(1), default);
        await running;

        Assert.False(acquired);
        Assert.Equal(Environment.ProcessId, holder.ProcessId);
        Assert.Empty(await sharedState.GetFlowLeasesAsync(default));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_stop_request_ends_the_run_after_the_current_batch_and_the_next_run_continues_there(StateBackend backend)
    {
        await using var engine = await TestEngine.CreateAsync(backend, batchSize: 3, delayMs: 50);
        await TestStore.AddProductsAsync(engine.StorePath, 1, 9);
        using var stop = new CancellationTokenSource();
        stop.Cancel();

        var stopped = await engine.RunAsync(stop: stop.Token);

        Assert.Equal(RunStatus.Stopped, stopped.Status);
        Assert.Equal(1L, stopped.Written);
        Assert.Equal("1", await engine.State.GetCursorAsync("copy", default));

        var rest = await engine.RunAsync();
        Assert.Equal(8L, rest.Written);
        Assert.Equal(9, (await TestStore.TargetRowsAsync(engine.StorePath)).Count);
    }

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The condition did not become true within 20 s.");
            await Task.Delay(20);
        }
    }
}
