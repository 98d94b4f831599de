namespace SyncEngine.ReliabilityTests;

/// <summary>How hard the reliability suite pushes: <c>./test.sh --long</c> sets <c>SYNCENGINE_TEST_LONG=1</c> for the full counts.</summary>
public static class Reliability
{
    public static bool Long => Environment.GetEnvironmentVariable("SYNCENGINE_TEST_LONG") == "1";

    /// <summary>SIGKILLs per crash loop: the 20 and more in the long mode, fewer in the normal test run.</summary>
    public static int Kills => Long ? 25 : 8;

    /// <summary>The seed of a randomised test: <c>SYNCENGINE_TEST_SEED</c> replays a failure, else a fresh one.</summary>
    public static int Seed()
    {
        var fixedSeed = Environment.GetEnvironmentVariable("SYNCENGINE_TEST_SEED");
        return int.TryParse(fixedSeed, out var seed) ? seed : Random.Shared.Next(1, 1_000_000);
    }
}
