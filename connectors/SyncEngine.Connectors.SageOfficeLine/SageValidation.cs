using System.Data.Common;
using SyncEngine.Connectors.Database;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;
using SyncEngine.Core.Model;

namespace SyncEngine.Connectors.SageOfficeLine;

/// <summary>
/// <c>syncengine validate</c>: the stream's settings and mapping, then the mapping against Sage's real tables: every
/// mapped column, the user-defined key fields, the columns the connector fills, the document type; for reads, the
/// query's columns and that it stays within the Mandant.
/// </summary>
public sealed partial class SageOfficeLineConnector
{
    public IEnumerable<ConfigError> Validate(StreamContext context, StreamAccess access)
    {
        var stream = Streams.FirstOrDefault(s => string.Equals(s.Name, context.Stream, StringComparison.OrdinalIgnoreCase));
        if (stream is null || !stream.Access.HasFlag(access)) return [];
        if (access == StreamAccess.Read) return ValidateRead(context, stream);

        var errors = new List<ConfigError>(SettingErrors(stream));
        var file = MappingFile(context);
        var streamKey = $"{Key}:Streams:{stream.Name}:Mapping";
        if (!File.Exists(file))
        {
            errors.Add(new ConfigError(streamKey, $"mapping file not found (looked at {file})"));
            return errors;
        }
        var (loaded, mappingErrors) = MappingLoader.Check(file);
        // The flow's own mapping is checked by the engine; the stream's own mapping only here.
        if (context.MappingFile is null) errors.AddRange(mappingErrors);
        if (loaded is null) return errors;
        var (mapping, sageErrors) = SageWriteMapping.From(loaded, stream.RecordType, Options);
        errors.AddRange(sageErrors);
        if (mapping is null) return errors;
        errors.AddRange(Task.Run(() => CheckTablesAsync(mapping, stream.RecordType, CancellationToken.None)).GetAwaiter().GetResult());
        return errors;
    }

    private List<ConfigError> ValidateRead(StreamContext context, StreamInfo stream)
    {
        // The Database connector checks the mapping (as the stream's own) and its query against the database.
        var errors = Database.Validate(context, StreamAccess.Read).ToList();
        var file = MappingFile(context);
        if (File.Exists(file) && MappingLoader.Check(file).Mapping is { Direction: MappingDirection.Read } loaded
            && stream.RecordType.IsAssignableFrom(loaded.RecordType) && DatabaseMapping.From(loaded).Mapping?.Read is { } read)
        {
            errors.AddRange(MissingParameters(read, file));
        }
        return errors;
    }

    private async Task<List<ConfigError>> CheckTablesAsync(SageWriteMapping mapping, Type recordType, CancellationToken cancellationToken)
    {
        var isOrder = recordType == typeof(Order);
        var isArticle = recordType == typeof(Product);
        var errors = new List<ConfigError>();
        var file = mapping.File;
        DbConnection connection;
        try
        {
            await Database.EnsureSetupAsync(cancellationToken);
            connection = await Database.OpenAsync(cancellationToken);
        }
        catch (DatabaseException ex)
        {
            errors.Add(new ConfigError(Key, ex.Message) { Unreachable = ex.CannotConnect });
            return errors;
        }
        await using (connection)
        {
            string[] names = isOrder ? [Sage.Belege, Sage.Positionen, Sage.Adressen, Sage.Kontokorrent, Sage.Artikel]
                : isArticle ? [Sage.Artikel] : [Sage.Adressen, Sage.Kontokorrent];
            var tables = new Dictionary<string, TableInfo>(StringComparer.OrdinalIgnoreCase);
            foreach (var name in names)
            {
                try
                {
                    if (await SageSchema.FindAsync(Database, connection, name, cancellationToken) is { } table) tables[name] = table;
                    else errors.Add(new ConfigError(Key, $"table '{name}' does not exist in {Database.Where}; is this a Sage 100 database (or the subset with Setup \"sage-subset\")?", file));
                }
                catch (DbException ex)
                {
                    errors.Add(new ConfigError(Key, $"table '{name}' cannot be read in {Database.Where}: {Database.Redact(Database.Dialect.Message(ex))}", file));
                }
            }

            void Column(string table, string column, string key, int? line, string why)
            {
                if (tables.TryGetValue(table, out var info) && info.Find(column) is null)
                    errors.Add(new ConfigError(key, $"column '{column}' is not in table '{table}'{why}; it has: {string.Join(", ", info.Columns.Select(c => c.Name))}",
                        line is null ? null : file, line));
            }

            foreach (var column in mapping.Columns) Column(column.Table, column.Column, column.Field, column.Line, string.Empty);
            foreach (var child in mapping.Children)
                foreach (var column in child.Positions.Concat(child.Article)) Column(column.Table, column.Column, column.Field, column.Line, string.Empty);

            if (isArticle)
            {
                Column(Sage.Artikel, "Mandant", Key, null, " (set by the connector)");
                return errors;
            }

            // What the connector fills itself must be there too; the shop's keys are user-defined fields added to Sage.
            Column(Sage.Kontokorrent, Options.CustomerKeyColumn, $"{Key}:CustomerKeyColumn", null,
                " (the user-defined field that keeps a registered shop customer's id; add it in Sage or name another)");
            foreach (var column in new[] { "Kto", "KtoArt", "Mandant", "Adresse" }) Column(Sage.Kontokorrent, column, Key, null, " (set by the connector)");
            foreach (var column in new[] { "Adresse", "Mandant", "Name1", "EMail" }) Column(Sage.Adressen, column, Key, null, " (customers are matched by name and e-mail)");
            if (isOrder)
            {
                Column(Sage.Belege, Options.OrderKeyColumn, $"{Key}:OrderKeyColumn", null,
                    " (the user-defined field that keeps the shop's order id, so an order is never imported twice; add it in Sage or name another)");
                foreach (var column in new[] { "BelID", "Mandant", "Belegkennzeichen", "Belegjahr", "Belegnummer", "A0Empfaenger" })
                    Column(Sage.Belege, column, Key, null, " (set by the connector)");
                foreach (var column in new[] { "BelPosID", "BelID", "Mandant", "Position", "Artikelnummer" })
                    Column(Sage.Positionen, column, Key, null, " (set by the connector)");
                foreach (var column in new[] { "Artikelnummer", "Mandant" }) Column(Sage.Artikel, column, Key, null, " (articles are matched by it)");
                await CheckDocumentTypeAsync(connection, errors, cancellationToken);
            }
        }
        return errors;
    }

    /// <summary>The document type must be one Sage knows (KHKVKBelegarten.Kennzeichen), where that table is there to ask.</summary>
    private async Task CheckDocumentTypeAsync(DbConnection connection, List<ConfigError> errors, CancellationToken cancellationToken)
    {
        try
        {
            if (await SageSchema.FindAsync(Database, connection, Sage.Belegarten, cancellationToken) is not { } info || info.Find("Kennzeichen") is not { } kennzeichen) return;
            var dialect = Database.Dialect;
            await using var command = dialect.Command(connection, null,
                $"SELECT COUNT(*) FROM {dialect.QuoteName(info.RealName)} WHERE {dialect.Quote(kennzeichen.Name)} = @p0", [Options.Belegkennzeichen]);
            if (Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) == 0)
                errors.Add(new ConfigError(Key + ":Belegkennzeichen", $"'{Options.Belegkennzeichen}' is not a document type of this Sage database (KHKVKBelegarten); web shop orders are usually VVA"));
        }
        catch (DbException)
        {
            // The document types cannot be read: nothing to say about them.
        }
    }
}
