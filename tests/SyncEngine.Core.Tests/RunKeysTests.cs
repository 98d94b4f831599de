using SyncEngine.Core.Flows;
using SyncEngine.Core.State;

namespace SyncEngine.Core.Tests;

public sealed class RunKeysTests
{
    private static BatchCommit Committed(IEnumerable<string> checksums, IEnumerable<string> links) => new()
    {
        Flow = "f",
        Checksums = checksums.Select(k => new KeyValuePair<string, string>(k, "sum")).ToList(),
        Links = links.Select(k => new IdLink("shop", "Product", k, "erp", "T-" + k)).ToList(),
    };

    private static Dictionary<string, int> Batch(IEnumerable<string> keys) => keys.ToDictionary(k => k, _ => 0, StringComparer.Ordinal);

    [Theory]
    [InlineData(10)] // the exact set is smaller than the batch asked about: the set is walked
    [InlineData(200_000)] // beyond the exact set: the Bloom filter answers
    public void Every_key_a_run_committed_is_looked_up_and_almost_no_other(int count)
    {
        var keys = new RunKeys(new FlowFootprint(Checksums: false, Links: false, DeadLetters: false));
        var unseen = Enumerable.Range(0, 10_000).Select(i => "new-" + i).ToList();
        Assert.Empty(keys.ChecksumLookups(Batch(unseen)));

        var written = Enumerable.Range(0, count).Select(i => "A" + i).ToList();
        // Checksums of the even keys, links of the odd ones, in batches of 5,000.
        foreach (var batch in written.Chunk(5_000))
            keys.Add(Committed(batch.Where((_, i) => i % 2 == 0), batch.Where((_, i) => i % 2 == 1)));

        var asked = Batch(written.Concat(unseen));
        Assert.Equal(written.Order(StringComparer.Ordinal), keys.ChecksumLookups(asked).Intersect(written).Order(StringComparer.Ordinal));
        Assert.Equal(written.Order(StringComparer.Ordinal), keys.LinkLookups(asked).Intersect(written).Order(StringComparer.Ordinal));
        Assert.InRange(keys.ChecksumLookups(Batch(unseen)).Count, 0, unseen.Count / 50);
    }

    [Fact]
    public void Links_are_looked_up_for_the_keys_a_batch_still_holds_after_its_unchanged_records_left_it()
    {
        var keys = new RunKeys(new FlowFootprint(Checksums: false, Links: false, DeadLetters: false));
        keys.Add(Committed(["A1", "A2"], ["A3"]));
        var batch = Batch(["A1", "A2", "A3", "B1"]);
        Assert.Equal(["A1", "A2", "A3"], keys.ChecksumLookups(batch).Order(StringComparer.Ordinal));
        batch.Remove("A2");
        Assert.Equal(["A1", "A3"], keys.LinkLookups(batch).Order(StringComparer.Ordinal));
        // Another batch is answered for itself.
        Assert.Equal(["A2"], keys.LinkLookups(Batch(["A2", "B2"])));
    }

    [Fact]
    public void A_store_that_held_checksums_or_links_as_the_run_started_is_asked_for_every_key()
    {
        var keys = new RunKeys(new FlowFootprint(Checksums: true, Links: false, DeadLetters: false));
        string[] asked = ["A1", "A2"];
        Assert.Equal(asked, keys.ChecksumLookups(Batch(asked)));
        Assert.Empty(keys.LinkLookups(Batch(asked)));
    }
}
