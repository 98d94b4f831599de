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

    [Theory]
    [InlineData(10)]
    [InlineData(200_000)] // beyond the exact set: the Bloom filter answers
    public void Every_key_a_run_committed_is_looked_up_and_almost_no_other(int count)
    {
        var keys = new RunKeys(new FlowFootprint(Checksums: false, Links: false, DeadLetters: false));
        var unseen = Enumerable.Range(0, 10_000).Select(i => "new-" + i).ToList();
        Assert.Empty(keys.ChecksumLookups(unseen));

        var written = Enumerable.Range(0, count).Select(i => "A" + i).ToList();
        // Checksums of the even keys, links of the odd ones, in batches of 5,000.
        foreach (var batch in written.Chunk(5_000))
            keys.Add(Committed(batch.Where((_, i) => i % 2 == 0), batch.Where((_, i) => i % 2 == 1)));

        Assert.Equal(written, keys.ChecksumLookups(written));
        Assert.Equal(written, keys.LinkLookups(written));
        Assert.InRange(keys.ChecksumLookups(unseen).Count, 0, unseen.Count / 50);
    }

    [Fact]
    public void A_store_that_held_checksums_or_links_as_the_run_started_is_asked_for_every_key()
    {
        var keys = new RunKeys(new FlowFootprint(Checksums: true, Links: false, DeadLetters: false));
        string[] asked = ["A1", "A2"];
        Assert.Equal(asked, keys.ChecksumLookups(asked));
        Assert.Empty(keys.LinkLookups(asked));
    }
}
