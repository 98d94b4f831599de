namespace SyncEngine.Connectors.Files.Transports;

/// <summary>A local scratch file, deleted when closed: a download before it is read, an upload before it is sent.</summary>
internal static class LocalTemp
{
    public static FileStream Create()
    {
        var folder = Path.Combine(Path.GetTempPath(), "syncengine-transfers");
        Directory.CreateDirectory(folder);
        return new FileStream(Path.Combine(folder, Guid.NewGuid().ToString("N")), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
    }
}
