using System.Data.Common;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;

namespace SyncEngine.Connectors.Database;

/// <summary><c>syncengine validate</c>: the stream's mapping, then the mapping against the real tables and query of the database.</summary>
public sealed partial class DatabaseConnector
{
    public IEnumerable<ConfigError> Validate(StreamContext context, StreamAccess access)
    {
        var errors = new List<ConfigError>();
        var streamKey = $"{Key}:Streams:{context.Stream}:Mapping";
        var own = StreamOptions(context.Stream).Mapping;
        var file = context.MappingFile ?? (string.IsNullOrWhiteSpace(own) ? null : _connection.ResolvePath(own));
        if (file is null)
        {
            errors.Add(new ConfigError(streamKey, "missing: a database stream needs a mapping (the flow's Mapping or the stream's own)"));
            return errors;
        }
        if (!File.Exists(file))
        {
            errors.Add(new ConfigError(streamKey, $"mapping file '{own}' not found (looked at {file})"));
            return errors;
        }
        var (mapping, mappingErrors) = MappingLoader.Check(file);
        // The flow's own mapping is checked by the engine; the stream's own mapping only here.
        var isOwn = context.MappingFile is null;
        if (isOwn) errors.AddRange(mappingErrors);
        if (mapping is null) return errors;
        var direction = access == StreamAccess.Read ? MappingDirection.Read : MappingDirection.Write;
        if (mapping.Direction != direction)
        {
            errors.Add(new ConfigError(streamKey, $"'{own}' is a {mapping.Direction.ToString().ToLowerInvariant()} mapping, but the stream is {(direction == MappingDirection.Read ? "read" : "written")} here; give the flow a {direction.ToString().ToLowerInvariant()} mapping", file));
            return errors;
        }
        if (isOwn && !context.RecordType.IsAssignableFrom(mapping.RecordType))
        {
            errors.Add(new ConfigError(streamKey, $"the stream carries {context.RecordType.Name} records, the mapping maps {mapping.RecordType.Name}", file));
            return errors;
        }
        var (database, sectionErrors) = DatabaseMapping.From(mapping);
        errors.AddRange(sectionErrors);
        if (database is null) return errors;
        // Validation is synchronous; the checks are I/O of their own, off any caller's synchronisation context.
        errors.AddRange(Task.Run(() => CheckDatabaseAsync(database, CancellationToken.None)).GetAwaiter().GetResult());
        return errors;
    }

    private async Task<List<ConfigError>> CheckDatabaseAsync(DatabaseMapping mapping, CancellationToken cancellationToken)
    {
        var errors = new List<ConfigError>();
        DbConnection connection;
        try
        {
            await EnsureSetupAsync(cancellationToken);
            connection = await OpenAsync(cancellationToken);
        }
        catch (DatabaseException ex)
        {
            errors.Add(new ConfigError(Key, ex.Message) { Unreachable = ex.CannotConnect });
            return errors;
        }
        await using (connection)
        {
            if (mapping.Write is { } write) await CheckWriteAsync(connection, mapping, write, errors, cancellationToken);
            if (mapping.Read is { } read) await CheckReadAsync(connection, mapping, read, errors, cancellationToken);
        }
        return errors;
    }

    private async Task CheckWriteAsync(DbConnection connection, DatabaseMapping mapping, WriteSettings write, List<ConfigError> errors, CancellationToken cancellationToken)
    {
        var file = mapping.File;
        var header = await CheckTableAsync(connection, write.Table, "database.table", write.TableLine, file, errors, cancellationToken);
        if (header is not null)
        {
            foreach (var field in mapping.Mapping.Fields.Where(f => header.Find(f.Name) is null))
                errors.Add(new ConfigError($"fields.{field.Name}", $"column '{field.Name}' is not in table '{write.Table}'; it has: {Columns(header)}", file, field.Line));
            if (write.Identity is { } identity && header.Find(identity) is null)
                errors.Add(new ConfigError("database.identity", $"column '{identity}' is not in table '{write.Table}'; it has: {Columns(header)}", file, write.IdentityLine));
        }
        foreach (var child in write.Children)
        {
            var prefix = $"database.children.{child.Name}";
            var table = await CheckTableAsync(connection, child.Table, prefix + ".table", child.TableLine, file, errors, cancellationToken);
            if (table is null) continue;
            var fields = mapping.Mapping.Children.First(c => string.Equals(c.Name, child.Name, StringComparison.OrdinalIgnoreCase));
            foreach (var field in fields.Fields.Where(f => table.Find(f.Name) is null))
                errors.Add(new ConfigError($"children.{fields.Name}.fields.{field.Name}", $"column '{field.Name}' is not in table '{child.Table}'; it has: {Columns(table)}", file, field.Line));
            foreach (var (column, _) in child.ParentKey.Where(p => table.Find(p.Child) is null))
                errors.Add(new ConfigError($"{prefix}.parentKey.{column}", $"column '{column}' is not in table '{child.Table}'; it has: {Columns(table)}", file, child.ParentKeyLine));
        }
    }

    private async Task<TableInfo?> CheckTableAsync(DbConnection connection, string name, string key, int? line, string file, List<ConfigError> errors, CancellationToken cancellationToken)
    {
        try
        {
            var table = await TableAsync(connection, null, name, cancellationToken);
            if (table is null) errors.Add(new ConfigError(key, $"table '{name}' does not exist in {Where}", file, line));
            return table;
        }
        catch (DbException ex)
        {
            errors.Add(new ConfigError(key, $"table '{name}' cannot be read in {Where}: {Redact(Dialect.Message(ex))}", file, line));
            return null;
        }
    }

    private async Task CheckReadAsync(DbConnection connection, DatabaseMapping mapping, ReadSettings read, List<ConfigError> errors, CancellationToken cancellationToken)
    {
        IReadOnlyList<(string Name, Type Type)> columns;
        try
        {
            columns = await QueryColumnsAsync(connection, read, cancellationToken);
        }
        catch (DbException ex)
        {
            errors.Add(new ConfigError("database.query", $"the query fails in {Where}: {Redact(Dialect.Message(ex))}", mapping.File, read.QueryLine));
            return;
        }
        var names = new HashSet<string>(columns.Select(c => c.Name), StringComparer.OrdinalIgnoreCase);
        var returns = string.Join(", ", columns.Select(c => c.Name));
        foreach (var field in mapping.Mapping.Fields)
        {
            foreach (var path in field.SourcePaths.Where(p => !p.StartsWith('$') && !names.Contains(p)))
                errors.Add(new ConfigError($"fields.{field.Name}", $"column '{path}' is not in the query's result; it returns: {returns}", mapping.File, field.Line));
        }
        if (read.Cursor is { } cursor && !names.Contains(cursor))
            errors.Add(new ConfigError("database.cursor", $"column '{cursor}' is not in the query's result; it returns: {returns}", mapping.File, read.CursorLine));
    }

    private static string Columns(TableInfo table) => string.Join(", ", table.Columns.Select(c => c.Name));
}
