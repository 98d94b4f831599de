using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SyncEngine.Connectors.Files.Transports;

/// <summary>What every remote location needs: where, who, and how patient to be. Holds the password only inside a <see cref="Secret"/>.</summary>
internal sealed class RemoteOptions
{
    /// <summary>The connection's name, for messages.</summary>
    public required string Connection { get; init; }

    /// <summary><c>ftp</c>, <c>ftps</c> or <c>sftp</c>.</summary>
    public required string Scheme { get; init; }

    public required string Host { get; init; }

    public required int Port { get; init; }

    /// <summary>
    /// The folder every path is relative to: empty for the folder the login starts in, relative to that folder (<c>edi/in</c>),
    /// or absolute (<c>/srv/edi/in</c>).
    /// </summary>
    public required string Root { get; init; }

    public required string User { get; init; }

    public Secret Password { get; init; } = Secret.None;

    /// <summary>Connecting, and every single read or write on a connection, gives up after this long.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a failed operation is tried again on a transient network fault.</summary>
    public int Retries { get; init; } = 3;

    /// <summary>The first wait before trying again; it doubles with every try, with jitter.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>Wraps the stream an upload reads from (tests use it to break a transfer off half way); null in production.</summary>
    public Func<Stream, Stream>? UploadFilter { get; init; }

    /// <summary>The location for messages: scheme, user, host, port and root, never a password.</summary>
    public string Display => $"{Scheme}://{User}@{Host}:{Port}/{(Root.StartsWith('/') ? "/" + Root.TrimStart('/') : Root)}";

    public override string ToString() => Display;
}

/// <summary>A password or passphrase: given in config, or read from a file when first needed. Never printed.</summary>
internal sealed class Secret
{
    private readonly string? _value;
    private readonly string? _file;
    private readonly string _key;

    public static readonly Secret None = new(null, null, string.Empty);

    public Secret(string? value, string? file, string key)
    {
        _value = value;
        _file = file;
        _key = key;
    }

    public bool IsSet => _value is not null || _file is not null;

    /// <summary>The secret, or null when none is set; a file's content without its trailing line break.</summary>
    public string? Reveal()
    {
        if (_value is not null) return _value;
        if (_file is null) return null;
        try
        {
            return File.ReadAllText(_file).TrimEnd('\r', '\n');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FileStoreException($"{_key}: cannot read '{_file}': {ex.Message}", ex);
        }
    }

    public override string ToString() => IsSet ? "***" : "(none)";
}
