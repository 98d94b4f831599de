using System.Data.Common;
using SyncEngine.Connectors.Database;
using SyncEngine.Core.Connectors;

namespace SyncEngine.Connectors.SageOfficeLine;

/// <summary>Sage 100's table names, as public integrator code uses them.</summary>
internal static class Sage
{
    public const string Belege = "KHKVKBelege";
    public const string Positionen = "KHKVKBelegePositionen";
    public const string Adressen = "KHKAdressen";
    public const string Kontokorrent = "KHKKontokorrent";
    public const string Artikel = "KHKArtikel";
    public const string Varianten = "KHKArtikelVarianten";
    public const string Belegarten = "KHKVKBelegarten";

    /// <summary>KtoArt of a customer (Debitor); 'K' is a supplier.</summary>
    public const string Debitor = "D";

    /// <summary>Columns the connector sets itself; a mapping that maps them is refused.</summary>
    public static IReadOnlyList<string> SetByConnector(string table, SageOfficeLineOptions options) => table switch
    {
        Belege => ["Mandant", "BelID", "Belegkennzeichen", "Belegjahr", "Belegnummer", "A0Empfaenger", "A0AdressNr", options.OrderKeyColumn],
        Positionen => ["Mandant", "BelPosID", "BelID", "Position", "AuspraegungID"],
        Adressen => ["Mandant", "Adresse"],
        Kontokorrent => ["Mandant", "Kto", "KtoArt", "Adresse", options.CustomerKeyColumn],
        Artikel => ["Mandant", "Artikelnummer"],
        _ => [],
    };
}

/// <summary>A Sage table as the database has it: its real name and columns, quoted for the connection's dialect.</summary>
internal sealed class SageTable(SqlDialect dialect, TableInfo info)
{
    public string Name => info.Name;

    /// <summary>The table's name in a statement: real (schema-qualified where looked up) and quoted.</summary>
    public string Sql => dialect.QuoteName(info.RealName);

    public TableInfo Info => info;

    public bool Has(string column) => info.Find(column) is not null;

    /// <summary>The column's real name, quoted (<c>"belid"</c> on PostgreSQL for a table created unquoted, <c>[BelID]</c> on SQL Server).</summary>
    public string this[string column] => dialect.Quote(Column(column).Name);

    public ColumnInfo Column(string column) => info.Find(column)
        ?? throw new ConfigurationException("table", $"table '{Name}' has no column '{column}'; it has: {string.Join(", ", info.Columns.Select(c => c.Name))}");

    /// <summary>The value in the column's type; a value that does not fit names column and value.</summary>
    public object? Value(string column, object? value, TimeZoneInfo timeZone) => ColumnValue.Convert(value, Column(column), timeZone, column);
}

/// <summary>The tables one write needs, read from the database once per target.</summary>
internal sealed class SageSchema
{
    private readonly Dictionary<string, SageTable> _tables = new(StringComparer.OrdinalIgnoreCase);

    public SageTable this[string table] => _tables[table];

    public bool Has(string table) => _tables.ContainsKey(table);

    public IEnumerable<SageTable> Tables => _tables.Values;

    public static async Task<SageSchema> LoadAsync(DatabaseConnector database, DbConnection connection, IEnumerable<string> required, IEnumerable<string> optional,
        string mappingFile, CancellationToken cancellationToken)
    {
        var schema = new SageSchema();
        foreach (var name in required)
        {
            var info = await FindAsync(database, connection, name, cancellationToken)
                ?? throw new DatabaseException($"connection '{database.Name}' ({database.Where}): table '{name}' does not exist (needed by {mappingFile})");
            schema._tables[name] = new SageTable(database.Dialect, info);
        }
        foreach (var name in optional)
        {
            if (await FindAsync(database, connection, name, cancellationToken) is { } info) schema._tables[name] = new SageTable(database.Dialect, info);
        }
        return schema;
    }

    /// <summary>The table, or null when the database has none of that name (SQLite can only tell by failing to read it).</summary>
    public static async Task<TableInfo?> FindAsync(DatabaseConnector database, DbConnection connection, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await database.TableAsync(connection, null, name, cancellationToken);
        }
        catch (DbException ex) when (database.Dialect.Provider == DatabaseProvider.Sqlite && ex.Message.Contains("no such table", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
    }
}
