using System.Globalization;
using System.Runtime.CompilerServices;
using SyncEngine.Connectors.ShopRenter.Api;
using SyncEngine.Core.Connectors;

namespace SyncEngine.Connectors.ShopRenter.Reading;

/// <summary>The records built from one page, and the latest update time (shop time) among them.</summary>
internal sealed record PageRecords(IReadOnlyList<SourceRecord> Records, DateTime? LatestUpdate);

/// <summary>
/// Reads a list page by page from an update time on (<c>updatedAtMin</c> / <c>updatedAfter</c>), and moves the cursor
/// only with the last record of a run. The cursor is the shop's time (shop clock, from the HTTP Date header of the first
/// page) when the run began reading, or the latest update time read, whichever is earlier; the next run starts
/// <see cref="ShopRenterOptions.OverlapSeconds"/> before it. The API does not say in which order it lists, so a
/// record read early in a run and updated before the run ends may have an update time before the latest one read:
/// the "latest update time read" alone would step over it. Records read twice are skipped by the engine's checksums.
/// A page that cannot be read at all holds the cursor back, so its records are read again by the next run.
/// </summary>
internal sealed class IncrementalReader(ShopRenterClient client, ShopRenterOptions options, TimeZoneInfo zone)
{
    public async IAsyncEnumerable<SourceRecord> ReadAsync(string resource, string sinceFilter, IReadOnlyList<KeyValuePair<string, string?>> query,
        string? cursor, DateTime? initialSince, Func<JsonPage, CancellationToken, Task<PageRecords>> build,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        DateTime? since = initialSince;
        if (cursor is not null)
        {
            since = ShopJson.ParseLocal(cursor, zone)?.AddSeconds(-options.OverlapSeconds)
                ?? throw new ConfigurationException(resource, $"the stored cursor '{cursor}' is not a ShopRenter time stamp; run the flow once with --full");
        }
        var filter = new List<KeyValuePair<string, string?>>(query)
        {
            new("limit", Math.Clamp(options.PageSize, 1, 200).ToString(CultureInfo.InvariantCulture)),
            new(sinceFilter, since is null ? null : ShopJson.FormatFilter(since.Value)),
        };

        DateTime? started = null;
        DateTime? latest = null;
        var faulty = false;
        SourceRecord? held = null;
        for (var page = 0; ; page++)
        {
            PageRecords records;
            bool hasNext;
            using (var result = await client.GetPageAsync(resource, filter, page, cancellationToken))
            {
                started ??= result.ServerDate is { } date ? TimeZoneInfo.ConvertTime(date, zone).DateTime : TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone).DateTime;
                if (result.IsPastEnd) break;
                records = await build(result, cancellationToken);
                if (result.Fault is not null)
                {
                    faulty = true;
                    var key = $"{resource} page {page} since {(since is null ? "the beginning" : ShopJson.FormatFilter(since.Value))}";
                    records = records with
                    {
                        Records = [.. records.Records, SourceRecord.Unreadable(key, result.Raw, $"{result.Fault}; {result.Items.Count} records before the fault were read, the rest of the page is read again by the next run", null)],
                    };
                }
                hasNext = result.HasNext;
            }
            if (records.LatestUpdate is { } update && (latest is null || update > latest)) latest = update;
            foreach (var record in records.Records)
            {
                // The last record of the run carries the cursor, so it is held back until the next page shows whether one follows.
                if (held is not null) yield return held;
                held = record;
            }
            if (!hasNext) break;
        }
        if (held is null) yield break;
        string? next = null;
        if (!faulty && latest is not null) next = ShopJson.FormatFilter(started is { } s && s < latest ? s : latest.Value);
        yield return held with { Cursor = next };
    }
}
