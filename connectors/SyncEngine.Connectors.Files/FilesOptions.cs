namespace SyncEngine.Connectors.Files;

/// <summary>A <c>"Type": "Files"</c> connection: a folder and the streams kept in it.</summary>
public sealed class FilesOptions
{
    /// <summary>The folder, relative to the configuration's folder or absolute.</summary>
    public string? Location { get; set; }

    public Dictionary<string, FileStreamOptions> Streams { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

public enum AfterRead
{
    /// <summary>Move a file to the archive folder once its records are committed.</summary>
    Archive,
    /// <summary>Delete a file once its records are committed.</summary>
    Delete,
    /// <summary>Leave the file; unchanged records are skipped by checksum. For snapshot files a system overwrites.</summary>
    Keep,
}

public sealed class FileStreamOptions
{
    /// <summary>Canonical type of the records: Order, Product, StockLevel, ...</summary>
    public string? RecordType { get; set; }

    public string Format { get; set; } = "json";

    /// <summary>Sub-folder of the location for this stream; empty for the location itself.</summary>
    public string? Folder { get; set; }

    /// <summary>Files to pick up when reading.</summary>
    public string Pattern { get; set; } = "*.json";

    /// <summary>
    /// Name of a written file. With a record field such as <c>order-{Id}.json</c> every record gets its own file and a rerun
    /// overwrites it; otherwise one file per batch, e.g. <c>stock-{RunTime:yyyyMMdd-HHmmss}-{Batch}.json</c>.
    /// </summary>
    public string? FileName { get; set; }

    public AfterRead AfterRead { get; set; } = AfterRead.Archive;

    public string ArchiveFolder { get; set; } = "archive";

    public string ErrorFolder { get; set; } = "error";

    /// <summary>When set, a written file is followed by this marker (e.g. <c>{File}.done</c>), and a file is read only once its marker exists.</summary>
    public string? DoneFile { get; set; }

    /// <summary>A file younger than this may still be being written and is left for the next run (when no done file is used).</summary>
    public TimeSpan MinimumAge { get; set; } = TimeSpan.FromSeconds(2);
}
