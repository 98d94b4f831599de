namespace SyncEngine.Core.Configuration;

/// <summary>The <c>SyncEngine</c> section of appsettings.json.</summary>
public sealed class SyncEngineOptions
{
    public const string Section = "SyncEngine";

    /// <summary>Where the state database, the control token and other runtime files live.</summary>
    public string DataDirectory { get; set; } = "data";

    public StateOptions State { get; set; } = new();

    public ControlOptions Control { get; set; } = new();

    public WebhookOptions Webhooks { get; set; } = new();

    /// <summary>Connections by name; each has a <c>Type</c> plus the connector's own settings.</summary>
    public Dictionary<string, ConnectionOptions> Connections { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<string, FlowOptions> Flows { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

public enum StateProvider
{
    Sqlite,
    PostgreSql,
}

public sealed class StateOptions
{
    public StateProvider Provider { get; set; } = StateProvider.Sqlite;

    /// <summary>Empty for SQLite means <c>{DataDirectory}/state.db</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>How long a node's claim on a running flow lasts without renewal.</summary>
    public TimeSpan LockLease { get; set; } = TimeSpan.FromMinutes(1);
}

public sealed class ControlOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>Port on 127.0.0.1; the control API never listens on other addresses.</summary>
    public int Port { get; set; } = 7431;

    /// <summary>Empty: a token is generated into <c>{DataDirectory}/control.token</c>, readable by the service user only.</summary>
    public string? Token { get; set; }
}

public sealed class ConnectionOptions
{
    public string? Type { get; set; }
}

public sealed class FlowOptions
{
    /// <summary><c>connection/stream</c> the flow reads.</summary>
    public string? From { get; set; }

    /// <summary><c>connection/stream</c> the flow writes.</summary>
    public string? To { get; set; }

    /// <summary>Mapping file, relative to the configuration's folder (e.g. <c>mappings/orders.json</c>).</summary>
    public string? Mapping { get; set; }

    /// <summary>Quartz cron expression; none means the flow runs only when triggered.</summary>
    public string? Schedule { get; set; }

    public int BatchSize { get; set; } = 500;

    public bool Enabled { get; set; } = true;
}

/// <summary>
/// Where shops deliver webhooks: <c>POST /webhooks/{connection}/{secret}</c>. Off by default; meant to sit behind a
/// reverse proxy with TLS. The secret in the path authenticates the caller, since shops do not sign their webhooks.
/// </summary>
public sealed class WebhookOptions
{
    public bool Enabled { get; set; }

    /// <summary>Address to listen on; 127.0.0.1 behind a reverse proxy, 0.0.0.0 to accept directly.</summary>
    public string Address { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 7432;

    /// <summary>At least 24 characters; part of every webhook URL given to the shops.</summary>
    public string? Secret { get; set; }
}
