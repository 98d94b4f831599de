using System.Text.RegularExpressions;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;

namespace SyncEngine.Connectors.Database;

/// <summary>A table written by a write mapping: where, upserted on which key, and the generated id it hands to its child rows.</summary>
internal sealed record WriteSettings(string Table, IReadOnlyList<string> Key, string? Identity, IReadOnlyList<ChildTableSettings> Children)
{
    public int? TableLine { get; init; }
    public int? KeyLine { get; init; }
    public int? IdentityLine { get; init; }
}

/// <param name="ParentKey">Child column filled from a header column (the identity or a mapped column).</param>
/// <param name="Key">When given, child rows are updated in place on this key and the header's other child rows deleted;
/// otherwise the header's child rows are replaced.</param>
internal sealed record ChildTableSettings(string Name, string Table, IReadOnlyList<(string Child, string Header)> ParentKey, IReadOnlyList<string> Key)
{
    public int? TableLine { get; init; }
    public int? ParentKeyLine { get; init; }
    public int? KeyLine { get; init; }
}

/// <summary>The query a read mapping takes rows from, and the column whose last value is the flow's cursor.</summary>
internal sealed record ReadSettings(string Query, string? Cursor)
{
    public int? QueryLine { get; init; }
    public int? CursorLine { get; init; }
}

/// <summary>A mapping with its <c>"database"</c> section read and checked against the mapping's own fields.</summary>
internal sealed partial class DatabaseMapping
{
    private static readonly string[] WriteKeys = ["table", "key", "identity", "children"];
    private static readonly string[] ChildKeys = ["table", "parentKey", "key"];
    private static readonly string[] ReadKeys = ["query", "cursor"];

    private DatabaseMapping(RecordMapping mapping, WriteSettings? write, ReadSettings? read)
    {
        Mapping = mapping;
        Write = write;
        Read = read;
    }

    public RecordMapping Mapping { get; }
    public WriteSettings? Write { get; }
    public ReadSettings? Read { get; }
    public string File => Mapping.File;

    public static (DatabaseMapping? Mapping, IReadOnlyList<ConfigError> Errors) From(RecordMapping mapping)
    {
        var errors = new List<ConfigError>();
        var section = mapping.Section("database");
        if (section is null)
        {
            var example = mapping.Direction == MappingDirection.Write
                ? "{ \"table\": ..., \"key\": [...] }"
                : "{ \"query\": \"SELECT ... WHERE changed >= @cursor ORDER BY changed\", \"cursor\": \"changed\" }";
            errors.Add(new ConfigError("database", $"missing: the database section {example}", mapping.File, null));
            return (null, errors);
        }
        var reader = new SectionReader(mapping.File, errors);
        if (mapping.Direction == MappingDirection.Write)
        {
            var write = reader.Write(section, mapping);
            return errors.Count > 0 ? (null, errors) : (new DatabaseMapping(mapping, write, null), errors);
        }
        var read = reader.Read(section, mapping);
        return errors.Count > 0 ? (null, errors) : (new DatabaseMapping(mapping, null, read), errors);
    }

    /// <summary>Loads a mapping file for a stream, or throws a <see cref="ConfigurationException"/> naming every problem.</summary>
    public static DatabaseMapping Load(string file, MappingDirection direction, Type recordType)
    {
        var mapping = MappingLoader.Load(file);
        if (mapping.Direction != direction)
            throw new ConfigurationException("direction", $"a {(direction == MappingDirection.Read ? "read" : "write")} mapping is needed here, this one is '{mapping.Direction.ToString().ToLowerInvariant()}'", file);
        if (!recordType.IsAssignableFrom(mapping.RecordType))
            throw new ConfigurationException("record", $"the stream carries {recordType.Name} records, the mapping maps {mapping.RecordType.Name}", file);
        var (result, errors) = From(mapping);
        if (errors.Count > 0) throw new ConfigurationException(errors);
        return result!;
    }

    internal static int? Line(JToken? token) => token is IJsonLineInfo info && info.HasLineInfo() ? info.LineNumber : null;

    private sealed class SectionReader(string file, List<ConfigError> errors)
    {
        private void Error(JToken? token, string key, string message) => errors.Add(new ConfigError(key, message, file, Line(token)));

        public WriteSettings? Write(JObject section, RecordMapping mapping)
        {
            Unknown(section, "database", WriteKeys);
            var table = Text(section, "table", "database.table", "missing: the table the records are written to");
            var key = Names(section["key"], "database.key", required: true);
            var identity = section["identity"] is { } id ? Text(section, "identity", "database.identity", "expected the name of the generated id column") : null;
            var header = new HashSet<string>(mapping.Fields.Select(f => f.Name), StringComparer.OrdinalIgnoreCase);
            foreach (var column in key.Where(k => !header.Contains(k)))
                Error(section["key"], "database.key", $"key column '{column}' is not mapped; map it under fields so a rerun finds the row again");

            var children = new List<ChildTableSettings>();
            var childSection = section["children"] as JObject;
            if (section["children"] is { } wrong && childSection is null) Error(wrong, "database.children", "expected an object of child tables by child name");
            foreach (var child in mapping.Children)
            {
                var entry = childSection?.Properties().FirstOrDefault(p => string.Equals(p.Name, child.Name, StringComparison.OrdinalIgnoreCase));
                if (entry?.Value is not JObject body)
                {
                    errors.Add(new ConfigError($"database.children.{child.Name}",
                        $"missing: the table of child rows '{child.Name}' with its parentKey, e.g. \"{child.Name}\": {{ \"table\": ..., \"parentKey\": {{ \"ParentId\": \"{identity ?? "Id"}\" }} }}",
                        file, entry is null ? child.Line : Line(entry)));
                    continue;
                }
                if (Child(body, child, header, identity) is { } settings) children.Add(settings);
            }
            foreach (var extra in childSection?.Properties().Where(p => !mapping.Children.Any(c => string.Equals(c.Name, p.Name, StringComparison.OrdinalIgnoreCase))) ?? [])
            {
                Error(extra, $"database.children.{extra.Name}",
                    $"the mapping has no child rows '{extra.Name}'; its children are: {(mapping.Children.Count == 0 ? "(none)" : string.Join(", ", mapping.Children.Select(c => c.Name)))}");
            }
            if (table is null) return null;
            return new WriteSettings(table, key, identity, children)
            {
                TableLine = Line(section["table"]), KeyLine = Line(section["key"]), IdentityLine = Line(section["identity"]),
            };
        }

        private ChildTableSettings? Child(JObject body, ChildMapping child, HashSet<string> header, string? identity)
        {
            var prefix = $"database.children.{child.Name}";
            Unknown(body, prefix, ChildKeys);
            var table = Text(body, "table", prefix + ".table", "missing: the table the child rows are written to");
            var parentKey = new List<(string, string)>();
            if (body["parentKey"] is not JObject keys || !keys.HasValues)
            {
                Error(body["parentKey"] ?? body, prefix + ".parentKey",
                    $"missing: the child columns that point to the header, e.g. {{ \"ParentId\": \"{identity ?? "Id"}\" }} (child column: header column)");
            }
            else
            {
                foreach (var pair in keys.Properties())
                {
                    var from = pair.Value.Type == JTokenType.String ? pair.Value.ToString() : null;
                    if (string.IsNullOrWhiteSpace(from))
                        Error(pair, $"{prefix}.parentKey.{pair.Name}", "expected the header column the value comes from");
                    else if (!header.Contains(from) && !string.Equals(from, identity, StringComparison.OrdinalIgnoreCase))
                        Error(pair, $"{prefix}.parentKey.{pair.Name}", $"header column '{from}' is neither mapped nor the identity{(identity is null ? string.Empty : $" '{identity}'")}");
                    else parentKey.Add((pair.Name, from));
                }
            }
            var key = Names(body["key"], prefix + ".key", required: false);
            var columns = new HashSet<string>(child.Fields.Select(f => f.Name).Concat(parentKey.Select(p => p.Item1)), StringComparer.OrdinalIgnoreCase);
            foreach (var column in key.Where(k => !columns.Contains(k)))
                Error(body["key"], prefix + ".key", $"key column '{column}' is neither mapped in children.{child.Name}.fields nor a parentKey column");
            return table is null ? null : new ChildTableSettings(child.Name, table, parentKey, key)
            {
                TableLine = Line(body["table"]), ParentKeyLine = Line(body["parentKey"]), KeyLine = Line(body["key"]),
            };
        }

        public ReadSettings? Read(JObject section, RecordMapping mapping)
        {
            Unknown(section, "database", ReadKeys);
            var query = Text(section, "query", "database.query", "missing: the SELECT the records are read from");
            var cursor = section["cursor"] is not null ? Text(section, "cursor", "database.cursor", "expected the name of the cursor column") : null;
            foreach (var child in mapping.Children)
                errors.Add(new ConfigError($"children.{child.Name}", "a database query gives flat rows; child collections cannot be read from it", file, child.Line));
            if (query is null) return null;
            var usesCursor = CursorParameter().IsMatch(query);
            if (cursor is not null && !usesCursor)
                Error(section["query"], "database.query", "the query must use @cursor (e.g. WHERE Aenderungsdatum >= @cursor) so a run starts where the last one stopped");
            if (cursor is null && usesCursor)
                Error(section["query"], "database.query", "the query uses @cursor but no \"cursor\" column is named");
            if (cursor is not null && !OrderBy().IsMatch(query))
                Error(section["query"], "database.query", $"the query must ORDER BY the cursor column '{cursor}', or a restart could skip rows");
            return new ReadSettings(query, cursor) { QueryLine = Line(section["query"]), CursorLine = Line(section["cursor"]) };
        }

        private void Unknown(JObject body, string prefix, string[] known)
        {
            foreach (var property in body.Properties().Where(p => !known.Contains(p.Name, StringComparer.Ordinal)))
                Error(property, $"{prefix}.{property.Name}", $"unknown setting; expected one of {string.Join(", ", known)}");
        }

        private string? Text(JObject body, string name, string key, string missing)
        {
            var token = body[name];
            if (token?.Type == JTokenType.String && !string.IsNullOrWhiteSpace(token.ToString())) return token.ToString().Trim();
            Error(token ?? body, key, missing);
            return null;
        }

        private List<string> Names(JToken? token, string key, bool required)
        {
            var names = token switch
            {
                null => [],
                { Type: JTokenType.String } => [token.ToString()],
                JArray array when array.All(a => a.Type == JTokenType.String) => array.Select(a => a.ToString()).ToList(),
                _ => null,
            };
            if (names is null || names.Any(string.IsNullOrWhiteSpace))
            {
                Error(token, key, "expected a column name or a list of column names");
                return [];
            }
            if (required && names.Count == 0) Error(token, key, "missing: the key columns a record is found again by, e.g. [\"Mandant\", \"Referenz\"]");
            return names.Select(n => n.Trim()).ToList();
        }
    }

    [GeneratedRegex(@"@cursor\b", RegexOptions.IgnoreCase)]
    private static partial Regex CursorParameter();

    [GeneratedRegex(@"\bORDER\s+BY\b", RegexOptions.IgnoreCase)]
    private static partial Regex OrderBy();
}
