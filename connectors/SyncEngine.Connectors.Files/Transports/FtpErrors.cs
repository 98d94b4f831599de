namespace SyncEngine.Connectors.Files.Transports;

/// <summary>An FTP server's answer: the code and its text.</summary>
internal readonly record struct FtpReply(int Code, string Text)
{
    public bool Is(params int[] codes) => codes.Contains(Code);

    public override string ToString() => $"{Code} {Text}";
}

/// <summary>The server answered a command with an error code.</summary>
internal sealed class FtpReplyException(string command, FtpReply reply) : IOException($"{command}: the server answered {reply}")
{
    public FtpReply Reply { get; } = reply;
}

/// <summary>Messages and fault classes shared by both FTP stores. Name the connection, host, user and path; never the password.</summary>
internal static class FtpErrors
{
    /// <summary>421 service closing, 425 cannot open data connection, 426 transfer aborted, 450/451 busy or local error: worth another try.</summary>
    public static bool IsTransient(int code) => code is 421 or 425 or 426 or 450 or 451;

    public static FileStoreException LoginRefused(RemoteOptions options, string? reply, Exception? inner) => new(
        $"Connection '{options.Connection}': the {options.Scheme.ToUpperInvariant()} server {options.Host}:{options.Port} refused the login of user '{options.User}'" +
        (reply is null ? string.Empty : $" ({reply})") +
        $"; check SyncEngine:Connections:{options.Connection}:User and Password (or PasswordFile, or the environment variable SyncEngine__Connections__{options.Connection}__Password).",
        inner);

    public static FileStoreException NotFound(RemoteOptions options, string operation, string path, bool folder, string? reply, Exception? inner) => new(
        $"Connection '{options.Connection}': {(folder ? "folder" : "file")} '{FileNames.Combine(options.Root, path)}' does not exist on {options.Display}, " +
        $"or user '{options.User}' may not {operation} it" + (reply is null ? "." : $" ({reply})."),
        inner, notFound: true);

    public static FileStoreException Failed(RemoteOptions options, string operation, string path, string reason, Exception? inner) => new(
        $"Connection '{options.Connection}': {operation} '{FileNames.Combine(options.Root, path)}' on {options.Display} failed" +
        (inner is not null && Transient.Tries(inner) > 1 ? $" {Transient.Tries(inner)} times: {reason}" : $": {reason}"),
        inner);
}
