namespace SyncEngine.Core.Connectors;

/// <summary>One problem in configuration or a mapping, named so an administrator can find it.</summary>
/// <param name="Key">Configuration key (<c>SyncEngine:Flows:orders:From</c>) or field path in a mapping.</param>
public sealed record ConfigError(string Key, string Message, string? File = null, int? Line = null)
{
    /// <summary>
    /// A system that could not be reached to check against, not a mistake in the configuration: <c>validate</c> reports it,
    /// while a run goes ahead and fails as a run (recorded, shown by <c>flows</c>, tried again by the schedule).
    /// </summary>
    public bool Unreachable { get; init; }

    public override string ToString()
    {
        var where = File is null ? Key : Line is null ? $"{File}: {Key}" : $"{File}:{Line}: {Key}";
        return $"{where}: {Message}";
    }
}

/// <summary>Configuration that cannot work; names the key so it can be fixed.</summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException(IReadOnlyList<ConfigError> errors)
        : base(string.Join(Environment.NewLine, errors.Select(e => e.ToString()).Distinct()))
    {
        Errors = errors;
    }

    public ConfigurationException(string key, string message, string? file = null, int? line = null)
        : this([new ConfigError(key, message, file, line)])
    {
    }

    public IReadOnlyList<ConfigError> Errors { get; }
}

/// <summary>A record that cannot be mapped or written; names the field and value.</summary>
public sealed class RecordException(string message, string? field = null, string? value = null, Exception? inner = null)
    : Exception(message, inner)
{
    public string? Field { get; } = field;
    public string? Value { get; } = value;
}
