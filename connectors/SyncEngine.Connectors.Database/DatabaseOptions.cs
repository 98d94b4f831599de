namespace SyncEngine.Connectors.Database;

/// <summary>A <c>"Type": "Database"</c> connection: one database and the streams mapped onto its tables.</summary>
public sealed class DatabaseOptions
{
    /// <summary><c>Sqlite</c>, <c>PostgreSql</c>, <c>SqlServer</c> or <c>MySql</c> (also MariaDB).</summary>
    public string? Provider { get; set; }

    /// <summary>The provider's connection string. A relative SQLite <c>Data Source</c> is resolved against the configuration's folder.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// An idempotent SQL script (<c>CREATE TABLE IF NOT EXISTS ...</c>) run at first use when a table it creates is missing.
    /// For demos and tests; a real ERP's schema is never touched.
    /// </summary>
    public string? Setup { get; set; }

    /// <summary>
    /// A write batch of at least this many flat records (no child rows, no identity) takes the provider's bulk path:
    /// binary COPY on PostgreSQL, SqlBulkCopy on SQL Server, multi-row statements elsewhere.
    /// </summary>
    public int BulkThreshold { get; set; } = 1000;

    public Dictionary<string, DatabaseStreamOptions> Streams { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

public sealed class DatabaseStreamOptions
{
    /// <summary>Canonical type of the records: Order, Product, StockLevel, ...</summary>
    public string? RecordType { get; set; }

    /// <summary>The stream's mapping file; a flow's own mapping of the same direction takes its place.</summary>
    public string? Mapping { get; set; }
}

public enum DatabaseProvider
{
    Sqlite,
    PostgreSql,
    SqlServer,
    MySql,
}
