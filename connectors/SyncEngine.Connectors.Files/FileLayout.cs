using System.Text;
using System.Xml;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;

namespace SyncEngine.Connectors.Files;

internal enum FileFormat
{
    Json,
    Csv,
    Xml,
    /// <summary>Fixed width: every field at its own columns.</summary>
    Txt,
}

/// <summary>Where one field of a fixed-width line sits: 1-based start column, length, alignment and padding.</summary>
internal sealed record FieldWidth(string Name, int Start, int Length, bool AlignRight, char Pad)
{
    public int End => Start + Length - 1;
}

/// <summary>The layout of one kind of row: the record itself or one kind of child row.</summary>
internal sealed class RowLayout
{
    /// <summary>csv and txt: the record type in the first column that tells a record's line from its child lines.</summary>
    public string? Marker { get; init; }

    /// <summary>csv without a header line: the columns' names in order.</summary>
    public IReadOnlyList<string>? Columns { get; init; }

    /// <summary>txt: where each field sits.</summary>
    public IReadOnlyList<FieldWidth> Widths { get; init; } = [];

    /// <summary>xml: the element of one child row inside the child's container element.</summary>
    public string? Element { get; init; }
}

/// <param name="Name">The child rows' name in the file: the container element, the JSON array, the key of its record type.</param>
internal sealed record ChildLayout(string Name, ChildMapping Mapping, RowLayout Layout);

/// <summary>
/// How a stream's files look: format, encoding and the record layout. A setting comes from the stream's config first, then
/// from the mapping's <c>"file"</c> section, then its default (see <see cref="FileStreamOptions"/>).
/// </summary>
internal sealed class FileLayout
{
    private static readonly HashSet<string> FileKeys = new(StringComparer.Ordinal)
    {
        "format", "encoding", "bom", "newLine", "delimiter", "header", "quoteAll", "rootElement", "recordElement", "namespace",
        "attributes", "indent", "lines", "columns", "widths", "recordTypes", "children",
    };

    /// <summary>The key of the record's own line in <c>"recordTypes"</c>; the children use their names.</summary>
    public const string HeaderType = "header";

    public required FileFormat Format { get; init; }

    /// <summary>The mapping; null for canonical JSON.</summary>
    public RecordMapping? Mapping { get; init; }

    public required Encoding WriteEncoding { get; init; }
    public required Encoding ReadEncoding { get; init; }
    public required string NewLine { get; init; }
    public required string Pattern { get; init; }

    public char Delimiter { get; init; } = ',';
    public bool Header { get; init; } = true;
    public bool QuoteAll { get; init; }

    public string RootElement { get; init; } = "Records";
    public string RecordElement { get; init; } = "Record";
    public string? Namespace { get; init; }
    public bool Attributes { get; init; }
    public bool Indent { get; init; } = true;

    public bool Ndjson { get; init; }

    public RowLayout Record { get; init; } = new();

    /// <summary>The child rows in mapping order.</summary>
    public IReadOnlyList<ChildLayout> Children { get; init; } = [];

    /// <summary>csv and txt: whether records and child rows are told apart by a record type in the first column.</summary>
    public bool HasRecordTypes => Record.Marker is not null;

    public RecordFormat CreateFormat() => Format switch
    {
        FileFormat.Csv => new CsvFormat(this),
        FileFormat.Xml => new XmlFormat(this),
        FileFormat.Txt => new FixedWidthFormat(this),
        _ => new JsonFormat(this),
    };

    /// <summary>The file's fields a mapping writes or reads: write mappings name them, read mappings read them by path.</summary>
    public static IReadOnlyList<string> FileFields(RecordMapping mapping, IEnumerable<FieldMapping> fields) =>
        mapping.Direction == MappingDirection.Write
            ? fields.Select(f => f.Name).ToList()
            : fields.SelectMany(f => f.SourcePaths).Where(p => !p.StartsWith('$')).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>The child rows' name in the file: a write mapping's child name, a read mapping's source path.</summary>
    public static string FileName(RecordMapping mapping, ChildMapping child) => mapping.Direction == MappingDirection.Write ? child.Name : child.Path;

    /// <summary>Works out the layout of a stream; every problem is added to <paramref name="errors"/>, named by key or mapping file and line.</summary>
    public static FileLayout? Resolve(FileStreamOptions stream, RecordMapping? mapping, string streamName, string streamKey, Type recordType, List<ConfigError> errors)
    {
        var before = errors.Count;
        var settings = new Settings(streamKey, mapping, errors);
        settings.CheckKeys(FileKeys);

        var formatSetting = settings.Text(stream.Format, "Format", "format");
        var format = FileFormat.Json;
        if (formatSetting is { } f)
        {
            var known = Enum.GetValues<FileFormat>().Where(v => Name(v) == f.Value.ToLowerInvariant()).ToList();
            if (known.Count == 0)
            {
                settings.Error(f, "is not a file format; use json, csv, xml or txt (fixed width)");
                return null;
            }
            format = known[0];
        }
        if (mapping is null && format != FileFormat.Json)
            errors.Add(new ConfigError(streamKey + ":Mapping", $"{Name(format)} files need a mapping: set the flow's Mapping or this stream's Mapping"));

        var encodingName = settings.Text(stream.Encoding, "Encoding", "encoding");
        var bom = settings.Bool(stream.Bom, "BOM", "bom");
        var name = encodingName?.Value ?? "utf-8";
        var writeEncoding = FileEncodings.ForWriting(name, bom?.Value ?? false);
        var readEncoding = FileEncodings.ForReading(name);
        if (writeEncoding is null || readEncoding is null)
            settings.Error(encodingName!.Value, "is not a known encoding; use utf-8, iso-8859-1, iso-8859-2, windows-1250 or windows-1252");
        else if (bom is { Value: true } b && !FileEncodings.IsUtf8(name))
            settings.Error(b, $"a byte order mark is for utf-8 files, not {name}");

        var newLine = format is FileFormat.Csv or FileFormat.Txt ? "\r\n" : "\n";
        if (settings.Text(stream.NewLine, "NewLine", "newLine") is { } nl)
        {
            switch (nl.Value.ToUpperInvariant())
            {
                case "CRLF" or "\r\n":
                    newLine = "\r\n";
                    break;
                case "LF" or "\n":
                    newLine = "\n";
                    break;
                default:
                    settings.Error(nl, "must be CRLF or LF");
                    break;
            }
        }

        var delimiter = ',';
        if (settings.Text(stream.Delimiter, "Delimiter", "delimiter") is { } d)
        {
            var text = d.Value.Equals("tab", StringComparison.OrdinalIgnoreCase) || d.Value == "\\t" ? "\t" : d.Value;
            if (text.Length != 1 || text[0] > 127 || text[0] is '"' or '\r' or '\n') settings.Error(d, "must be one ASCII character other than a quote or a line break (e.g. , ; | or tab)");
            else delimiter = text[0];
        }

        var lines = settings.Text(stream.Lines, "Lines", "lines");
        if (lines is { } l && l.Value.ToLowerInvariant() is not ("array" or "ndjson")) settings.Error(l, "must be array or ndjson");

        var root = settings.Text(stream.RootElement, "RootElement", "rootElement");
        var element = settings.Text(stream.RecordElement, "RecordElement", "recordElement");
        var ns = settings.Text(stream.Namespace, "Namespace", "namespace");
        if (format == FileFormat.Xml)
        {
            if (root is { } r) settings.CheckXmlName(r);
            else if (!IsXmlName(streamName)) errors.Add(new ConfigError(streamKey + ":RootElement", $"missing: the stream's name '{streamName}' is no XML element name, so name the document element"));
            if (element is { } e) settings.CheckXmlName(e);
        }

        var (record, children) = mapping is null ? (new RowLayout(), []) : RecordLayout(format, mapping, settings, errors);
        if (errors.Count > before) return null;
        return new FileLayout
        {
            Format = format,
            Mapping = mapping,
            WriteEncoding = writeEncoding!,
            ReadEncoding = readEncoding!,
            NewLine = newLine,
            Pattern = stream.Pattern ?? "*." + Name(format),
            Delimiter = delimiter,
            Header = settings.Bool(stream.Header, "Header", "header")?.Value ?? true,
            QuoteAll = settings.Bool(stream.QuoteAll, "QuoteAll", "quoteAll")?.Value ?? false,
            RootElement = root?.Value ?? streamName,
            RecordElement = element?.Value ?? recordType.Name,
            Namespace = ns is { Value.Length: > 0 } n ? n.Value : null,
            Attributes = settings.Bool(stream.Attributes, "Attributes", "attributes")?.Value ?? false,
            Indent = settings.Bool(stream.Indent, "Indent", "indent")?.Value ?? true,
            Ndjson = string.Equals(lines?.Value, "ndjson", StringComparison.OrdinalIgnoreCase),
            Record = record,
            Children = children,
        };
    }

    private static string Name(FileFormat format) => format.ToString().ToLowerInvariant();

    /// <summary>The record layout of the mapping's "file" section: record types, columns, widths and child elements.</summary>
    private static (RowLayout Record, IReadOnlyList<ChildLayout> Children) RecordLayout(FileFormat format, RecordMapping mapping, Settings settings, List<ConfigError> errors)
    {
        var file = mapping.Section("file");
        var childNames = mapping.Children.ToDictionary(c => FileName(mapping, c), c => c, StringComparer.OrdinalIgnoreCase);

        var markers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (file?["recordTypes"] is JToken typesToken)
        {
            if (typesToken is not JObject types)
            {
                settings.Error(typesToken, "recordTypes", $"must name a record type for the record (\"{HeaderType}\") and each child, e.g. {{ \"{HeaderType}\": \"K\", \"positionen\": \"P\" }}");
            }
            else
            {
                foreach (var type in types.Properties())
                {
                    if (type.Name != HeaderType && !childNames.ContainsKey(type.Name))
                        settings.Error(type, $"recordTypes.{type.Name}", $"the mapping has no child '{type.Name}'; use \"{HeaderType}\" or one of: {string.Join(", ", childNames.Keys)}");
                    else if (type.Value.Type != JTokenType.String || string.IsNullOrEmpty((string?)type.Value))
                        settings.Error(type, $"recordTypes.{type.Name}", "must be the text that starts such a line, e.g. \"K\"");
                    else if (markers.Values.Contains((string)type.Value!, StringComparer.Ordinal))
                        settings.Error(type, $"recordTypes.{type.Name}", $"'{type.Value}' is the record type of another row already");
                    else markers[type.Name] = (string)type.Value!;
                }
                if (!markers.ContainsKey(HeaderType) && types.Properties().All(p => p.Name != HeaderType))
                    settings.Error(types, "recordTypes", $"missing \"{HeaderType}\": the record type of the record's own line");
                foreach (var child in childNames.Keys.Where(c => !markers.ContainsKey(c) && types.Properties().All(p => !p.Name.Equals(c, StringComparison.OrdinalIgnoreCase))))
                    settings.Error(types, "recordTypes", $"missing \"{child}\": the record type of the child rows '{child}'");
                if (format == FileFormat.Txt && markers.Values.Select(m => m.Length).Distinct().Count() > 1)
                    settings.Error(types, "recordTypes", "in a fixed-width file every record type must have the same length");
            }
        }
        else if (format is FileFormat.Csv or FileFormat.Txt && childNames.Count > 0)
        {
            settings.Error(file ?? (JToken)new JObject(), "recordTypes",
                $"{Name(format)} files hold child rows as lines of their own after the record's line: name the record type that starts each line, " +
                $"e.g. \"file\": {{ \"recordTypes\": {{ \"{HeaderType}\": \"K\", \"{childNames.Keys.First()}\": \"P\" }} }}");
        }

        var childSections = new Dictionary<string, JObject>(StringComparer.OrdinalIgnoreCase);
        if (file?["children"] is JToken childrenToken)
        {
            if (childrenToken is not JObject childrenObject)
            {
                settings.Error(childrenToken, "children", "must be an object with the layout of each child, e.g. { \"positionen\": { \"element\": \"Position\" } }");
            }
            else
            {
                foreach (var child in childrenObject.Properties())
                {
                    if (!childNames.ContainsKey(child.Name))
                        settings.Error(child, $"children.{child.Name}", $"the mapping has no child '{child.Name}'; it has: {string.Join(", ", childNames.Keys)}");
                    else if (child.Value is not JObject body)
                        settings.Error(child, $"children.{child.Name}", "must be an object (element, columns, widths)");
                    else
                    {
                        foreach (var key in body.Properties().Where(p => p.Name is not ("element" or "columns" or "widths")))
                            settings.Error(key, $"children.{child.Name}.{key.Name}", "unknown setting; expected element, columns or widths");
                        childSections[child.Name] = body;
                    }
                }
            }
        }

        var markerLength = markers.Count > 0 ? markers.Values.Max(m => m.Length) : 0;
        var record = Row(format, mapping, file, "", FileFields(mapping, mapping.Fields), markers.GetValueOrDefault(HeaderType), markerLength, settings);
        var children = new List<ChildLayout>();
        foreach (var child in mapping.Children)
        {
            var childName = FileName(mapping, child);
            var section = childSections.GetValueOrDefault(childName);
            var layout = Row(format, mapping, section, $"children.{childName}.", FileFields(mapping, child.Fields), markers.GetValueOrDefault(childName), markerLength, settings);
            var childElement = section?["element"];
            if (childElement is not null && childElement.Type != JTokenType.String)
                settings.Error(childElement, $"children.{childName}.element", "must be an element name");
            var elementName = (string?)childElement ?? "Row";
            if (format == FileFormat.Xml)
            {
                settings.CheckXmlName(childName, section ?? file ?? new JObject(), $"children.{childName}");
                settings.CheckXmlName(elementName, childElement ?? section ?? file ?? new JObject(), $"children.{childName}.element");
            }
            children.Add(new ChildLayout(childName, child, new RowLayout { Marker = layout.Marker, Columns = layout.Columns, Widths = layout.Widths, Element = elementName }));
        }
        if (format == FileFormat.Xml && mapping.Direction == MappingDirection.Write)
        {
            foreach (var field in mapping.Fields.Concat(mapping.Children.SelectMany(c => c.Fields)))
                if (!IsXmlName(field.Name)) errors.Add(new ConfigError(field.Name, $"'{field.Name}' is not a valid XML name for an element or attribute", mapping.File, field.Line));
        }
        return (record, children);
    }

    /// <summary>The columns and widths of one kind of row, checked against the fields the mapping writes or reads.</summary>
    private static RowLayout Row(FileFormat format, RecordMapping mapping, JObject? section, string prefix, IReadOnlyList<string> fields,
        string? marker, int markerLength, Settings settings)
    {
        IReadOnlyList<string>? columns = null;
        if (section?["columns"] is JToken columnsToken)
        {
            if (columnsToken is JArray array && array.All(c => c.Type == JTokenType.String)) columns = array.Select(c => (string)c!).ToList();
            else settings.Error(columnsToken, prefix + "columns", "must be a list of column names, e.g. [\"Artikelnummer\", \"Preis\"]");
        }

        var widths = new List<FieldWidth>();
        var widthsToken = section?["widths"];
        if (widthsToken is not null && widthsToken is not JObject)
            settings.Error(widthsToken, prefix + "widths", "must be an object of fields, e.g. { \"Artikelnummer\": { \"start\": 1, \"length\": 13 } }");
        foreach (var property in (widthsToken as JObject)?.Properties() ?? [])
        {
            var key = $"{prefix}widths.{property.Name}";
            if (property.Value is not JObject width)
            {
                settings.Error(property, key, "must be { \"start\": 1, \"length\": 10 } with optional \"align\" (left, right) and \"pad\" (one character)");
                continue;
            }
            foreach (var unknown in width.Properties().Where(p => p.Name is not ("start" or "length" or "align" or "pad")))
                settings.Error(unknown, $"{key}.{unknown.Name}", "unknown setting; expected start, length, align or pad");
            var start = width["start"] is { Type: JTokenType.Integer } s ? (int)s : (int?)null;
            var length = width["length"] is { Type: JTokenType.Integer } n ? (int)n : (int?)null;
            if (start is null or < 1) settings.Error(width["start"] ?? width, key + ".start", start is null ? "missing: the field's first column (1 for the start of the line)" : $"'{start}' must be 1 or more");
            if (length is null or < 1) settings.Error(width["length"] ?? width, key + ".length", length is null ? "missing: how many characters the field has" : $"'{length}' must be 1 or more");
            var align = (string?)width["align"] ?? "left";
            if (align is not ("left" or "right")) settings.Error(width["align"]!, key + ".align", $"'{align}' must be left or right");
            var pad = (string?)width["pad"] ?? " ";
            if (pad.Length != 1) settings.Error(width["pad"]!, key + ".pad", $"'{pad}' must be one character, e.g. \" \" or \"0\"");
            if (start is >= 1 && length is >= 1 && pad.Length == 1) widths.Add(new FieldWidth(property.Name, start.Value, length.Value, align == "right", pad[0]));
        }

        if (format == FileFormat.Txt)
        {
            var where = (JToken?)widthsToken ?? section ?? mapping.Section("file") ?? new JObject();
            var known = widths.Select(w => w.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var field in fields.Where(f => !known.Contains(f)))
            {
                // The mapping's fields are checked against what the layout gives, each once.
                if (widthsToken is JObject o && o.Properties().Any(p => p.Name.Equals(field, StringComparison.OrdinalIgnoreCase))) continue;
                settings.Error(where, $"{prefix}widths.{field}",
                    $"missing: where '{field}' sits in the line, e.g. \"{field}\": {{ \"start\": 1, \"length\": 10 }}");
            }
            if (mapping.Direction == MappingDirection.Write)
            {
                foreach (var extra in widths.Where(w => !fields.Contains(w.Name, StringComparer.OrdinalIgnoreCase)))
                    settings.Error(((JObject)widthsToken!)[extra.Name]!, $"{prefix}widths.{extra.Name}", $"the mapping writes no field '{extra.Name}'; it writes: {string.Join(", ", fields)}");
            }
            var taken = new List<(string Name, int Start, int End)>();
            if (markerLength > 0) taken.Add(("the record type", 1, markerLength));
            foreach (var width in widths.OrderBy(w => w.Start))
            {
                if (taken.FirstOrDefault(t => width.Start <= t.End && t.Start <= width.End) is { Name: not null } clash)
                    settings.Error(((JObject)widthsToken!)[width.Name]!, $"{prefix}widths.{width.Name}",
                        $"columns {width.Start}-{width.End} overlap {(clash.Name == "the record type" ? clash.Name : $"'{clash.Name}'")} at columns {clash.Start}-{clash.End}");
                taken.Add((width.Name, width.Start, width.End));
            }
        }
        return new RowLayout { Marker = marker, Columns = columns, Widths = widths };
    }

    private static bool IsXmlName(string name)
    {
        try
        {
            XmlConvert.VerifyNCName(name);
            return true;
        }
        catch (XmlException)
        {
            return false;
        }
    }

    /// <summary>A setting with where it came from, so a problem with it names that place.</summary>
    private readonly record struct Setting<T>(T Value, string Key, string? File, int? Line);

    private sealed class Settings(string streamKey, RecordMapping? mapping, List<ConfigError> errors)
    {
        private readonly JObject? _file = mapping?.Section("file");

        public void CheckKeys(HashSet<string> known)
        {
            if (mapping?.Root["file"] is JToken token && token is not JObject) Error(token, "", "must be an object of file settings");
            foreach (var property in _file?.Properties() ?? [])
            {
                if (!known.Contains(property.Name))
                    Error(property, property.Name, $"unknown setting; expected one of {string.Join(", ", known)}");
            }
        }

        public Setting<string>? Text(string? value, string name, string fileKey)
        {
            if (value is not null) return new(value, $"{streamKey}:{name}", null, null);
            if (_file?[fileKey] is not { } token || token.Type == JTokenType.Null) return null;
            if (token.Type != JTokenType.String)
            {
                Error(token, fileKey, "must be text");
                return null;
            }
            return new((string)token!, "file." + fileKey, mapping!.File, LineOf(token));
        }

        public Setting<bool>? Bool(bool? value, string name, string fileKey)
        {
            if (value is { } set) return new(set, $"{streamKey}:{name}", null, null);
            if (_file?[fileKey] is not { } token || token.Type == JTokenType.Null) return null;
            if (token.Type != JTokenType.Boolean)
            {
                Error(token, fileKey, "must be true or false");
                return null;
            }
            return new((bool)token, "file." + fileKey, mapping!.File, LineOf(token));
        }

        public void Error<T>(Setting<T> setting, string message) =>
            errors.Add(new ConfigError(setting.Key, setting.Value is string text ? $"'{text}' {message}" : message, setting.File, setting.Line));

        public void Error(JToken token, string key, string message) =>
            errors.Add(new ConfigError(key.Length == 0 ? "file" : "file." + key, message, mapping?.File, LineOf(token)));

        public void CheckXmlName(Setting<string> setting)
        {
            if (!IsXmlName(setting.Value)) Error(setting, "is not a valid XML element name");
        }

        public void CheckXmlName(string name, JToken token, string key)
        {
            if (!IsXmlName(name)) Error(token, key, $"'{name}' is not a valid XML element name");
        }

        private static int? LineOf(JToken token) => token is IJsonLineInfo info && info.HasLineInfo() ? info.LineNumber : null;
    }
}
