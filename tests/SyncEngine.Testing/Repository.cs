namespace SyncEngine.Testing;

/// <summary>The repository the tests run from: its shipped mappings and samples are what users get.</summary>
public static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SyncEngine.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("The tests run outside the SyncEngine repository.");
    }
}
