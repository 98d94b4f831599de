using System.Security.Cryptography;
using SyncEngine.Core.Configuration;
using SyncEngine.Core.Flows;

namespace SyncEngine.Host;

/// <summary>The secret the control API requires: from config, or generated once into the data folder, readable by its owner only.</summary>
public static class ControlToken
{
    public const string FileName = "control.token";

    public static string PathIn(EngineEnvironment environment) => Path.Combine(environment.DataDirectory, FileName);

    /// <summary>The token the service accepts; generates the token file on first start.</summary>
    public static string Ensure(ControlOptions options, EngineEnvironment environment)
    {
        if (!string.IsNullOrWhiteSpace(options.Token)) return options.Token.Trim();
        var path = PathIn(environment);
        Directory.CreateDirectory(environment.DataDirectory);
        if (ReadExisting(path) is { } existing) return existing;

        // Written whole under a temporary name, then renamed: no reader ever sees an empty or half token file.
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var temp = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        var file = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) file.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var writer = new StreamWriter(temp, System.Text.Encoding.ASCII, file)) writer.Write(token);
        try
        {
            File.Move(temp, path, overwrite: File.Exists(path));
        }
        catch (IOException) when (ReadExisting(path) is not null)
        {
            // Another process created it first; use theirs.
            File.Delete(temp);
            return ReadExisting(path)!;
        }
        return token;
    }

    private static string? ReadExisting(string path)
    {
        if (!File.Exists(path)) return null;
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite)) != 0)
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        var token = File.ReadAllText(path).Trim();
        return token.Length == 0 ? null : token;
    }

    /// <summary>The token a client can present, or null when it is not allowed to read it.</summary>
    public static string? TryRead(ControlOptions options, EngineEnvironment environment)
    {
        if (!string.IsNullOrWhiteSpace(options.Token)) return options.Token.Trim();
        try
        {
            var path = PathIn(environment);
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static bool Matches(string expected, string? presented) =>
        presented is not null &&
        CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(expected), System.Text.Encoding.UTF8.GetBytes(presented));
}
