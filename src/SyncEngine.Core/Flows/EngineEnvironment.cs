namespace SyncEngine.Core.Flows;

/// <summary>Where the engine runs from: relative paths in config resolve against <see cref="BaseDirectory"/>.</summary>
public sealed record EngineEnvironment(string BaseDirectory, string DataDirectory)
{
    public string Resolve(string path) => Path.GetFullPath(path, BaseDirectory);
}
