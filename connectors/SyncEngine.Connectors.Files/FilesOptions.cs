namespace SyncEngine.Connectors.Files;

/// <summary>A <c>"Type": "Files"</c> connection: a folder, local or on an FTP, FTPS or SFTP server, and the streams kept in it.</summary>
public sealed class FilesOptions
{
    /// <summary>
    /// Where the files are: a local folder (<c>data/out</c>, relative to the configuration's folder, or absolute, or
    /// <c>file:///srv/edi</c>), or a folder on a server: <c>ftp://host:21/edi</c>, <c>ftps://host:21/edi</c> (explicit TLS),
    /// <c>sftp://host:22/edi</c>. A server path is relative to the folder the login starts in; <c>sftp://host//srv/edi</c> (two
    /// slashes) is absolute. A user may be given in the URI (<c>sftp://edi@host</c>), a password never: see <see cref="Password"/>.
    /// </summary>
    public string? Location { get; set; }

    /// <summary>The login of an ftp, ftps or sftp location (or give it in the URI).</summary>
    public string? User { get; set; }

    /// <summary>
    /// The password of an ftp or ftps location (or of an sftp login without a key). Better kept out of appsettings.json: set the
    /// environment variable <c>SyncEngine__Connections__{name}__Password</c>, or use <see cref="PasswordFile"/>.
    /// </summary>
    public string? Password { get; set; }

    /// <summary>A file holding the password (its first line; a trailing line break is ignored), relative to the configuration's folder.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>sftp: the private key to log in with, in OpenSSH or PEM format, relative to the configuration's folder.</summary>
    public string? PrivateKeyFile { get; set; }

    /// <summary>sftp: the passphrase of <see cref="PrivateKeyFile"/>, when it has one.</summary>
    public string? PrivateKeyPassphrase { get; set; }

    /// <summary>
    /// sftp, required: the server's host key fingerprint, <c>SHA256:...</c> as <c>ssh-keyscan -p PORT host | ssh-keygen -lf - -E sha256</c>
    /// prints it. A server presenting another key is refused.
    /// </summary>
    public string? HostKey { get; set; }

    /// <summary>
    /// ftps: the SHA-256 fingerprint (hex, colons allowed) of the server's certificate. Without it the certificate must be valid
    /// for the host and trusted by the system; with it exactly this certificate is accepted (for self-signed ones).
    /// </summary>
    public string? CertificateSha256 { get; set; }

    /// <summary>ftp, ftps, sftp: connecting and every single read or write give up after this long (default 30 s).</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>ftp, ftps, sftp: how often an operation is tried again after a network fault, with growing pauses (default 3).</summary>
    public int? Retries { get; set; }

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

/// <summary>
/// One stream of files. The settings below say where and how files are stored; the record layout (columns, widths,
/// element names, record types) lives in the mapping's <c>"file"</c> section. Every format setting may also be given
/// there in camelCase (<c>"delimiter"</c>, <c>"encoding"</c>); when both give one, the stream's setting wins, so one
/// mapping serves several partners that differ only in how they store files.
/// </summary>
public sealed class FileStreamOptions
{
    /// <summary>Canonical type of the records: Order, Product, StockLevel, ...</summary>
    public string? RecordType { get; set; }

    /// <summary>
    /// <c>json</c> (the default), <c>csv</c>, <c>xml</c> or <c>txt</c> (fixed width). Without a mapping only <c>json</c> is possible
    /// and the files hold canonical records.
    /// </summary>
    public string? Format { get; set; }

    /// <summary>
    /// A mapping file for this stream, relative to the configuration's folder; used when the flow has no mapping for this side.
    /// </summary>
    public string? Mapping { get; set; }

    /// <summary>Sub-folder of the location for this stream; empty for the location itself.</summary>
    public string? Folder { get; set; }

    /// <summary>Files to pick up when reading; <c>*.csv</c>, <c>*.xml</c>, ... by format when not set.</summary>
    public string? Pattern { get; set; }

    /// <summary>
    /// Name of a written file. With a record field such as <c>order-{Id}.json</c> every record gets its own file and a rerun
    /// overwrites it; with <c>{Batch}</c> one file per batch, e.g. <c>stock-{RunTime:yyyyMMdd-HHmmss}-{Batch}.json</c>; with
    /// neither one file per run, e.g. <c>stock-{RunTime:yyyyMMdd-HHmmss}.csv</c>: batches are staged in
    /// <c>.syncengine-parts/{flow}/</c> beside the file and published as one file when the run ends. A run that wrote no
    /// records writes no file.
    /// </summary>
    public string? FileName { get; set; }

    public AfterRead AfterRead { get; set; } = AfterRead.Archive;

    public string ArchiveFolder { get; set; } = "archive";

    public string ErrorFolder { get; set; } = "error";

    /// <summary>When set, a written file is followed by this marker (e.g. <c>{File}.done</c>), and a file is read only once its marker exists.</summary>
    public string? DoneFile { get; set; }

    /// <summary>A file younger than this may still be being written and is left for the next run (when no done file is used).</summary>
    public TimeSpan MinimumAge { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary><c>utf-8</c> (the default), <c>iso-8859-1</c>, <c>iso-8859-2</c>, <c>windows-1250</c>, <c>windows-1252</c>, ...</summary>
    public string? Encoding { get; set; }

    /// <summary>Whether a utf-8 file starts with a byte order mark (default false). Reading accepts files with and without one.</summary>
    public bool? Bom { get; set; }

    /// <summary><c>CRLF</c> or <c>LF</c>; CRLF for csv and txt, LF for json and xml when not set.</summary>
    public string? NewLine { get; set; }

    /// <summary>csv: the separator, one character (<c>,</c> by default, <c>;</c>, <c>|</c>, <c>tab</c>).</summary>
    public string? Delimiter { get; set; }

    /// <summary>csv: whether the first line names the columns (default true).</summary>
    public bool? Header { get; set; }

    /// <summary>csv: quote every field, not only those holding the delimiter, a quote or a line break (default false).</summary>
    public bool? QuoteAll { get; set; }

    /// <summary>xml: the document element (default: the stream's name).</summary>
    public string? RootElement { get; set; }

    /// <summary>xml: the element of one record (default: the record type, e.g. <c>Order</c>).</summary>
    public string? RecordElement { get; set; }

    /// <summary>xml: the namespace of every element.</summary>
    public string? Namespace { get; set; }

    /// <summary>xml: write a record's fields as attributes instead of child elements (default false).</summary>
    public bool? Attributes { get; set; }

    /// <summary>xml and json: indent nested elements (default true).</summary>
    public bool? Indent { get; set; }

    /// <summary>json: <c>array</c> (one array per file, the default) or <c>ndjson</c> (one object per line).</summary>
    public string? Lines { get; set; }
}
