using Microsoft.Extensions.Configuration;

namespace SyncEngine.Core.Flows;

/// <summary><c>connection/stream</c>, as a flow's From and To name them.</summary>
public sealed record StreamAddress(string Connection, string Stream)
{
    public static bool TryParse(string? text, out StreamAddress address)
    {
        address = new StreamAddress(string.Empty, string.Empty);
        var parts = text?.Split('/', StringSplitOptions.TrimEntries);
        if (parts is not { Length: 2 } || parts[0].Length == 0 || parts[1].Length == 0) return false;
        address = new StreamAddress(parts[0], parts[1]);
        return true;
    }

    public override string ToString() => Connection + "/" + Stream;
}

/// <summary>A configured flow, with its paths resolved.</summary>
public sealed record FlowDefinition
{
    public required string Name { get; init; }
    public required StreamAddress From { get; init; }
    public required StreamAddress To { get; init; }
    public string? MappingFile { get; init; }
    public string? Schedule { get; init; }
    public int BatchSize { get; init; } = 500;
    public bool Enabled { get; init; } = true;
    public required IConfiguration Options { get; init; }
}
