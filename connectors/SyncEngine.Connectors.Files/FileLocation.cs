using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using SyncEngine.Connectors.Files.Transports;
using SyncEngine.Core.Connectors;

namespace SyncEngine.Connectors.Files;

/// <summary>
/// Set by tests only, as a service: breaks a transfer off half way (wraps what an upload reads), fails a store operation as a
/// crash would (wraps the store), or shortens the pauses between retries.
/// </summary>
internal sealed class FileTransferHooks
{
    public Func<Stream, Stream>? UploadFilter { get; init; }

    public Func<IFileStore, IFileStore>? WrapStore { get; init; }

    public TimeSpan? RetryDelay { get; init; }
}

/// <summary>
/// Works out where a connection's files are from its <c>Location</c> and credentials, and opens a store there for each run.
/// Checks everything it can without connecting; a problem names its key, and no message ever holds a password.
/// </summary>
internal static partial class FileLocation
{
    private static readonly string[] RemoteKeys = ["User", "Password", "PasswordFile", "PrivateKeyFile", "PrivateKeyPassphrase", "HostKey", "CertificateSha256", "Timeout", "Retries"];

    /// <returns>Opens a new store (a new connection, for a server) for one run; null when the settings cannot work.</returns>
    public static Func<IFileStore>? Resolve(ConnectionContext connection, FilesOptions options, ILogger logger, List<ConfigError> errors)
    {
        var hooks = connection.Services.GetService(typeof(FileTransferHooks)) as FileTransferHooks;
        var open = Resolve(connection, options, logger, hooks, errors);
        return open is null || hooks?.WrapStore is not { } wrap ? open : () => wrap(open());
    }

    private static Func<IFileStore>? Resolve(ConnectionContext connection, FilesOptions options, ILogger logger, FileTransferHooks? hooks, List<ConfigError> errors)
    {
        var key = connection.Settings.Path;
        var location = options.Location?.Trim();
        if (string.IsNullOrEmpty(location))
        {
            errors.Add(new ConfigError(key + ":Location", "missing: the folder the files are in, e.g. data/out, sftp://host:22/edi or ftps://host:21/edi"));
            return null;
        }
        var schemeEnd = location.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0 || location.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            var path = schemeEnd < 0 ? location : LocalPath(location, key, errors);
            if (path is null) return null;
            foreach (var remoteKey in RemoteKeys.Where(k => connection.Settings[k] is not null))
                errors.Add(new ConfigError($"{key}:{remoteKey}", "is only for ftp://, ftps:// and sftp:// locations; this connection's files are in a local folder"));
            var folder = connection.ResolvePath(path);
            return () => new LocalFolder(folder);
        }

        var scheme = location[..schemeEnd].ToLowerInvariant();
        if (scheme is not ("ftp" or "ftps" or "sftp"))
        {
            errors.Add(new ConfigError(key + ":Location", $"'{scheme}://' is no location the Files connector knows; use a folder, file://, ftp://, ftps:// (explicit TLS) or sftp://"));
            return null;
        }
        var rest = location[(schemeEnd + 3)..];
        var slash = rest.IndexOf('/');
        var authority = slash < 0 ? rest : rest[..slash];
        var rawPath = slash < 0 ? string.Empty : rest[slash..];
        var at = authority.LastIndexOf('@');
        var userInfo = at < 0 ? null : authority[..at];
        var hostPort = at < 0 ? authority : authority[(at + 1)..];
        if (userInfo is not null && userInfo.Contains(':'))
        {
            // The location is not repeated here: it holds the password.
            errors.Add(new ConfigError(key + ":Location",
                $"holds a password; take it out of the URI and set it as Password (better: the environment variable SyncEngine__Connections__{connection.Name}__Password, or PasswordFile)"));
            return null;
        }
        if (rawPath.IndexOfAny(['?', '#']) >= 0)
        {
            errors.Add(new ConfigError(key + ":Location", $"'{location}': a location has no query (?) or fragment (#)"));
            return null;
        }
        var colon = hostPort.StartsWith('[') ? hostPort.IndexOf("]:", StringComparison.Ordinal) + 1 : hostPort.LastIndexOf(':');
        var host = (colon > 0 ? hostPort[..colon] : hostPort).Trim('[', ']');
        var port = scheme == "sftp" ? 22 : 21;
        if (colon > 0 && (!int.TryParse(hostPort[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            errors.Add(new ConfigError(key + ":Location", $"'{location}': the port '{hostPort[(colon + 1)..]}' is no port number"));
            return null;
        }
        if (Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            errors.Add(new ConfigError(key + ":Location", $"'{location}': '{host}' is no host name or address"));
            return null;
        }
        // One slash separates host and path: sftp://host/edi is "edi" in the login folder, sftp://host//srv/edi is /srv/edi.
        var root = Uri.UnescapeDataString(rawPath.Length > 0 ? rawPath[1..] : string.Empty).TrimEnd('/');
        if (rawPath.StartsWith("//", StringComparison.Ordinal) && root.Length == 0) root = "/";

        var uriUser = string.IsNullOrEmpty(userInfo) ? null : Uri.UnescapeDataString(userInfo);
        var user = string.IsNullOrWhiteSpace(options.User) ? uriUser : options.User;
        if (uriUser is not null && !string.IsNullOrWhiteSpace(options.User) && uriUser != options.User)
            errors.Add(new ConfigError(key + ":User", $"'{options.User}' differs from the user '{uriUser}' in Location; give it in one place"));
        if (user is null) errors.Add(new ConfigError(key + ":User", $"missing: the login for {scheme}://{hostPort} (set User, or put it in the URI: {scheme}://user@{hostPort}/...)"));

        if (options.Password is not null && options.PasswordFile is not null)
            errors.Add(new ConfigError(key + ":PasswordFile", "give the password once: Password or PasswordFile, not both"));
        var passwordFile = ExistingFile(connection, options.PasswordFile, key + ":PasswordFile", errors);
        var password = new Secret(options.Password, passwordFile, key + ":PasswordFile");
        var keyFile = ExistingFile(connection, options.PrivateKeyFile, key + ":PrivateKeyFile", errors);

        var timeout = options.Timeout ?? TimeSpan.FromSeconds(30);
        if (timeout <= TimeSpan.Zero) errors.Add(new ConfigError(key + ":Timeout", $"'{options.Timeout}' must be longer than zero, e.g. 00:00:30"));
        var retries = options.Retries ?? 3;
        if (retries is < 0 or > 20) errors.Add(new ConfigError(key + ":Retries", $"'{options.Retries}' must be between 0 and 20"));

        string? hostKey = null;
        string? certificate = null;
        if (scheme == "sftp")
        {
            if (!password.IsSet && options.PrivateKeyFile is null)
                errors.Add(new ConfigError(key + ":PrivateKeyFile", $"missing: an SFTP login needs PrivateKeyFile (or Password) for user '{user}'"));
            if (string.IsNullOrWhiteSpace(options.HostKey))
            {
                errors.Add(new ConfigError(key + ":HostKey",
                    $"missing: pin the SFTP server's host key, e.g. \"SHA256:gE0PiFnu...\"; get it from the server's administrator or with: ssh-keyscan -p {port} {host} | ssh-keygen -lf - -E sha256"));
            }
            else if (!HostKeyPattern().IsMatch(options.HostKey.Trim()))
            {
                errors.Add(new ConfigError(key + ":HostKey",
                    $"'{options.HostKey}' is no SHA-256 host key fingerprint; it looks like SHA256: and 43 base64 characters, as ssh-keygen -lf - -E sha256 prints it"));
            }
            else
            {
                hostKey = options.HostKey.Trim();
            }
        }
        else
        {
            if (!password.IsSet)
            {
                errors.Add(new ConfigError(key + ":Password",
                    $"missing: the password of user '{user}' on {scheme}://{hostPort}; set Password, PasswordFile, or the environment variable SyncEngine__Connections__{connection.Name}__Password"));
            }
            foreach (var sftpOnly in new[] { "PrivateKeyFile", "PrivateKeyPassphrase", "HostKey" }.Where(k => connection.Settings[k] is not null))
                errors.Add(new ConfigError($"{key}:{sftpOnly}", $"is only for sftp:// locations, not {scheme}://"));
        }
        if (options.CertificateSha256 is not null)
        {
            if (scheme != "ftps")
                errors.Add(new ConfigError(key + ":CertificateSha256", $"is only for ftps:// locations, not {scheme}://"));
            else if (!CertificatePattern().IsMatch(CertificateCheck.Normalize(options.CertificateSha256)))
                errors.Add(new ConfigError(key + ":CertificateSha256", $"'{options.CertificateSha256}' is no SHA-256 fingerprint: 64 hex digits, colons allowed"));
            else
                certificate = CertificateCheck.Normalize(options.CertificateSha256);
        }
        if (user is null || errors.Count > 0) return null;

        var remote = new RemoteOptions
        {
            Connection = connection.Name,
            Scheme = scheme,
            Host = host,
            Port = port,
            Root = root,
            User = user,
            Password = password,
            Timeout = timeout,
            Retries = retries,
            RetryDelay = hooks?.RetryDelay ?? TimeSpan.FromSeconds(1),
            Logger = logger,
            UploadFilter = hooks?.UploadFilter,
        };
        var passphrase = new Secret(options.PrivateKeyPassphrase, null, key + ":PrivateKeyPassphrase");
        return scheme switch
        {
            "ftp" => () => new FtpFileStore(remote),
            "ftps" => () => new FtpsFileStore(remote, certificate),
            _ => () => new SftpFileStore(remote, hostKey!, keyFile, passphrase),
        };
    }

    private static string? LocalPath(string location, string key, List<ConfigError> errors)
    {
        if (Uri.TryCreate(location, UriKind.Absolute, out var uri) && uri.IsFile) return uri.LocalPath;
        errors.Add(new ConfigError(key + ":Location", $"'{location}' is not a valid file:// URI; write file:///srv/edi/out, or just the folder"));
        return null;
    }

    private static string? ExistingFile(ConnectionContext connection, string? path, string key, List<ConfigError> errors)
    {
        if (string.IsNullOrWhiteSpace(path)) return null;
        var full = connection.ResolvePath(path);
        if (!File.Exists(full)) errors.Add(new ConfigError(key, $"file '{path}' not found (looked at {full})"));
        return full;
    }

    [GeneratedRegex(@"^SHA256:[A-Za-z0-9+/]{43}=?$")]
    private static partial Regex HostKeyPattern();

    [GeneratedRegex("^[0-9A-F]{64}$")]
    private static partial Regex CertificatePattern();
}
