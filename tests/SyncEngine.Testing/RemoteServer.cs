using System.Diagnostics;

namespace SyncEngine.Testing;

/// <summary>
/// One of the servers ./test.sh starts on loopback: vsftpd for <c>ftp</c> and <c>ftps</c> (explicit TLS, self-signed certificate,
/// pinned), OpenSSH for <c>sftp</c> (key login, pinned host key). Each test works in a folder of its own on the server, made on
/// disk and handed to the server's user. Without the server the test fails, saying how to run it.
/// </summary>
public sealed class RemoteServer
{
    private RemoteServer(string scheme, string host, int port, string user, string? password, string root)
    {
        Scheme = scheme;
        Host = host;
        Port = port;
        User = user;
        Password = password;
        Root = root;
    }

    public string Scheme { get; }
    public string Host { get; }
    public int Port { get; }
    public string User { get; }
    public string? Password { get; }

    /// <summary>The login folder on disk.</summary>
    public string Root { get; }

    public static RemoteServer Get(string scheme)
    {
        var variable = scheme switch
        {
            "ftp" => "SYNCENGINE_TEST_FTP",
            "ftps" => "SYNCENGINE_TEST_FTPS",
            _ => "SYNCENGINE_TEST_SFTP",
        };
        var value = Environment.GetEnvironmentVariable(variable);
        var root = Environment.GetEnvironmentVariable(scheme == "sftp" ? "SYNCENGINE_TEST_SFTP_ROOT" : "SYNCENGINE_TEST_FTP_ROOT");
        if (string.IsNullOrWhiteSpace(value) || string.IsNullOrWhiteSpace(root))
        {
            throw new InvalidOperationException(
                $"{variable} is not set. These tests need the {scheme.ToUpperInvariant()} server that ./test.sh starts; run the tests with ./test.sh " +
                "(e.g. ./test.sh --filter \"FullyQualifiedName~SyncEngine.Connectors.Files\").");
        }
        var uri = new Uri(value);
        var info = uri.UserInfo.Split(':', 2);
        return new RemoteServer(scheme, uri.Host, uri.Port, Uri.UnescapeDataString(info[0]), info.Length > 1 ? Uri.UnescapeDataString(info[1]) : null, root);
    }

    public static string Env(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{variable} is not set; run the tests with ./test.sh");

    /// <summary>A new empty folder for one test in the login folder, owned by the server's user; its name, which is also its server path.</summary>
    public string NewFolder()
    {
        var name = "t-" + Guid.NewGuid().ToString("N")[..10];
        MakeFolder(name);
        return name;
    }

    /// <summary>Makes a folder (relative to the login folder) on disk, owned by the server's user.</summary>
    public void MakeFolder(string relative)
    {
        var path = Disk(relative);
        Directory.CreateDirectory(path);
        Chown(path);
    }

    /// <summary>Puts a file on the server's disk as its user would have, a minute old.</summary>
    public void Drop(string relative, byte[] content)
    {
        var path = Disk(relative);
        var folder = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(folder)) MakeFolder(Path.GetRelativePath(Root, folder));
        File.WriteAllBytes(path, content);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-1));
        Chown(path);
    }

    public string Disk(string relative) => Path.Combine(Root, relative);

    /// <summary>The connection settings for a location in <paramref name="folder"/>: the password apart, the host key or certificate pinned.</summary>
    public Dictionary<string, string?> Settings(string folder)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Location"] = $"{Scheme}://{Host}:{Port}/{folder}",
            ["User"] = User,
            ["Timeout"] = "00:00:10",
        };
        switch (Scheme)
        {
            case "sftp":
                settings["PrivateKeyFile"] = Env("SYNCENGINE_TEST_SFTP_KEY");
                settings["HostKey"] = Env("SYNCENGINE_TEST_SFTP_HOSTKEY_SHA256");
                break;
            case "ftps":
                settings["Password"] = Password;
                settings["CertificateSha256"] = Env("SYNCENGINE_TEST_FTP_CERT_SHA256");
                break;
            default:
                settings["Password"] = Password;
                break;
        }
        return settings;
    }

    /// <summary>Files and folders made by the test (as root) must belong to the server's user, or it cannot move or delete them.</summary>
    private void Chown(string path)
    {
        using var process = Process.Start(new ProcessStartInfo("chown", ["--reference=" + Root, path]) { RedirectStandardError = true })!;
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"chown {path}: {process.StandardError.ReadToEnd()}");
    }
}
