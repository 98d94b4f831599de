using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;
using SyncEngine.Core.Model;

namespace SyncEngine.Connectors.SageOfficeLine;

/// <summary>A mapped column: where its value sits in the mapped row, and the table and column it is written to.</summary>
internal sealed record SageColumn(int Index, string Table, string Column, int Line, string Field);

/// <summary>The child rows of one canonical collection: positions from <c>Lines</c> or <c>Services</c>, and the columns of an article created for them.</summary>
internal sealed record SagePositions(string Name, string Path, IReadOnlyList<SageColumn> Positions, IReadOnlyList<SageColumn> Article, int Line)
{
    public bool IsServices => string.Equals(Path, "Services", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// A write mapping of the Sage connector. Its field names are columns: plain names (or <c>KHKVKBelege.</c>) are the
/// document header, <c>KHKAdressen.</c> and <c>KHKKontokorrent.</c> the address and account of a customer, and in the
/// children plain names are positions and <c>KHKArtikel.</c> the columns of an article created for a line. The
/// connector fills what is its logic (Mandant, ids, numbers, customer and article numbers, the shop's keys).
/// </summary>
internal sealed class SageWriteMapping
{
    private SageWriteMapping(RecordMapping mapping, IReadOnlyList<SageColumn> columns, IReadOnlyList<SagePositions> children)
    {
        Mapping = mapping;
        Columns = columns;
        Children = children;
    }

    public RecordMapping Mapping { get; }
    public string File => Mapping.File;

    /// <summary>Header, address and account columns, by the index of their value in the mapped row.</summary>
    public IReadOnlyList<SageColumn> Columns { get; }

    /// <summary>Positions: those from Lines first, then those from Services.</summary>
    public IReadOnlyList<SagePositions> Children { get; }

    public IEnumerable<SageColumn> Of(string table) => Columns.Where(c => string.Equals(c.Table, table, StringComparison.OrdinalIgnoreCase));

    public bool Maps(string table, string column) => Of(table).Any(c => string.Equals(c.Column, column, StringComparison.OrdinalIgnoreCase));

    /// <summary>The values of one table's columns from a mapped row.</summary>
    public static List<KeyValuePair<string, object?>> Values(MappedRow row, IEnumerable<SageColumn> columns) =>
        columns.Select(c => new KeyValuePair<string, object?>(c.Column, row.Fields[c.Index].Value)).ToList();

    public static (SageWriteMapping? Mapping, List<ConfigError> Errors) From(RecordMapping mapping, Type recordType, SageOfficeLineOptions options)
    {
        var errors = new List<ConfigError>();
        var file = mapping.File;
        var isOrder = recordType == typeof(Order);
        if (mapping.Direction != MappingDirection.Write)
            errors.Add(new ConfigError("direction", "the Sage connector writes this stream; it needs a write mapping", file));
        if (!recordType.IsAssignableFrom(mapping.RecordType))
            errors.Add(new ConfigError("record", $"the stream carries {recordType.Name} records, the mapping maps {mapping.RecordType.Name}", file));
        foreach (var section in new[] { "database", "file" }.Where(s => mapping.Section(s) is not null))
            errors.Add(new ConfigError(section, $"the Sage connector does not use a \"{section}\" section: its tables are Sage's own, named by the field names", file));
        if (errors.Count > 0) return (null, errors);

        var isArticle = recordType == typeof(Product);
        string[] headerTables = isOrder ? [Sage.Belege, Sage.Adressen, Sage.Kontokorrent] : isArticle ? [Sage.Artikel] : [Sage.Adressen, Sage.Kontokorrent];
        var plainTable = isOrder ? Sage.Belege : isArticle ? Sage.Artikel : null;
        var columns = new List<SageColumn>();
        for (var i = 0; i < mapping.Fields.Count; i++)
        {
            var field = mapping.Fields[i];
            var column = Parse($"fields.{field.Name}", field.Name, field.Line, i, plainTable, headerTables, file, errors, options, articleNumberMapped: isArticle);
            if (column is not null) columns.Add(column);
        }
        if (isArticle && !columns.Any(c => string.Equals(c.Column, "Artikelnummer", StringComparison.OrdinalIgnoreCase)))
            errors.Add(new ConfigError("fields", "missing: \"Artikelnummer\", the article number a product is found by (e.g. \"Sku\")", file));

        var children = new List<SagePositions>();
        if (!isOrder)
        {
            foreach (var child in mapping.Children)
            {
                errors.Add(new ConfigError($"children.{child.Name}", isArticle
                    ? "an article is one row of KHKArtikel; map its columns under fields"
                    : "a customer has no child rows in Sage; map KHKAdressen.<column> and KHKKontokorrent.<column> under fields", file, child.Line));
            }
        }
        foreach (var child in isOrder ? mapping.Children : [])
        {
            var key = $"children.{child.Name}";
            if (!string.Equals(child.Path, "Lines", StringComparison.OrdinalIgnoreCase) && !string.Equals(child.Path, "Services", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add(new ConfigError(key + ".path", $"positions come from Lines (articles) or Services (shipping, payment fee, ...), not from '{child.Path}'", file, child.Line));
                continue;
            }
            if (children.Any(c => string.Equals(c.Path, child.Path, StringComparison.OrdinalIgnoreCase)))
            {
                errors.Add(new ConfigError(key + ".path", $"'{child.Path}' is mapped twice; map its positions in one child", file, child.Line));
                continue;
            }
            var positions = new List<SageColumn>();
            var article = new List<SageColumn>();
            for (var i = 0; i < child.Fields.Count; i++)
            {
                var field = child.Fields[i];
                var column = Parse($"{key}.fields.{field.Name}", field.Name, field.Line, i, Sage.Positionen, [Sage.Positionen, Sage.Artikel], file, errors, options);
                if (column is null) continue;
                (column.Table == Sage.Artikel ? article : positions).Add(column);
            }
            if (!positions.Any(c => string.Equals(c.Column, "Artikelnummer", StringComparison.OrdinalIgnoreCase)))
            {
                errors.Add(new ConfigError(key + ".fields", child.Path.Equals("Lines", StringComparison.OrdinalIgnoreCase)
                    ? "missing: \"Artikelnummer\", the article a line is matched by (e.g. \"Sku\"); a missing article is created"
                    : "missing: \"Artikelnummer\", the service article of a service (e.g. { \"path\": \"Name\", \"map\": \"services\" })", file, child.Line));
            }
            children.Add(new SagePositions(child.Name, child.Path, positions, article, child.Line));
        }
        if (isOrder && !children.Any(c => !c.IsServices))
            errors.Add(new ConfigError("children", "missing: the positions of the order's lines, e.g. \"positionen\": { \"path\": \"Lines\", \"fields\": { \"Artikelnummer\": \"Sku\", ... } }", file));
        if (errors.Count > 0) return (null, errors);
        return (new SageWriteMapping(mapping, columns, children.OrderBy(c => c.IsServices).ToList()), errors);
    }

    private static SageColumn? Parse(string key, string name, int line, int index, string? plainTable, string[] tables, string file, List<ConfigError> errors,
        SageOfficeLineOptions options, bool articleNumberMapped = false)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        string table;
        string column;
        if (dot < 0)
        {
            if (plainTable is null)
            {
                errors.Add(new ConfigError(key, $"name the table of '{name}': {string.Join(" or ", tables.Select(t => $"{t}.{name}"))}", file, line));
                return null;
            }
            (table, column) = (plainTable, name);
        }
        else
        {
            var prefix = name[..dot];
            var known = tables.FirstOrDefault(t => string.Equals(t, prefix, StringComparison.OrdinalIgnoreCase));
            if (known is null)
            {
                errors.Add(new ConfigError(key, $"'{prefix}' is not a table written here; use {string.Join(", ", tables.Select(t => t + ".<column>"))}", file, line));
                return null;
            }
            (table, column) = (known, name[(dot + 1)..]);
        }
        if (column.Length == 0)
        {
            errors.Add(new ConfigError(key, "missing: the column after the table name", file, line));
            return null;
        }
        // An article written for itself is found by the Artikelnummer the mapping gives; one created for a position takes the position's.
        var setByConnector = Sage.SetByConnector(table, options).Where(c => !(articleNumberMapped && c == "Artikelnummer"));
        if (setByConnector.Contains(column, StringComparer.OrdinalIgnoreCase))
        {
            errors.Add(new ConfigError(key, $"{table}.{column} is set by the connector (Mandant, ids, numbers, matched customer and article, the shop's keys); remove it from the mapping", file, line));
            return null;
        }
        return new SageColumn(index, table, column, line, key);
    }
}
