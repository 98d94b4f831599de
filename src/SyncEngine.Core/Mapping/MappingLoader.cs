using System.Collections.Concurrent;
using System.Globalization;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Model;

namespace SyncEngine.Core.Mapping;

/// <summary>
/// Reads mapping files and checks them against the canonical model. Every problem is reported at once,
/// each with file, line and field, so an administrator fixes them in one go.
/// </summary>
public static class MappingLoader
{
    internal static readonly HashSet<string> ExpressionKeys = new(StringComparer.Ordinal)
    {
        "path", "const", "template", "coalesce", "if", "then", "else", "lookup",
        "default", "map", "onUnmapped", "round", "format", "culture", "trim", "upper", "lower", "substring", "padLeft", "padRight",
        "maxLength", "clean", "required",
    };

    internal static readonly HashSet<string> RootKeys = new(StringComparer.Ordinal)
    {
        "$schema", "record", "direction", "culture", "timeZone", "valueMaps", "fields", "children", "file", "database", "description",
    };

    private static readonly ConcurrentDictionary<string, (DateTime Stamp, RecordMapping Mapping)> Loaded = new(StringComparer.Ordinal);

    /// <summary>Loads a mapping, or throws a <see cref="ConfigurationException"/> listing every problem.</summary>
    public static RecordMapping Load(string file)
    {
        var full = Path.GetFullPath(file);
        var stamp = System.IO.File.GetLastWriteTimeUtc(full);
        if (Loaded.TryGetValue(full, out var cached) && cached.Stamp == stamp) return cached.Mapping;
        var (mapping, errors) = Check(full);
        if (errors.Count > 0) throw new ConfigurationException(errors);
        Loaded[full] = (stamp, mapping!);
        return mapping!;
    }

    /// <summary>The direction a mapping file declares, without checking the rest (null when unreadable).</summary>
    public static MappingDirection? PeekDirection(string file)
    {
        try
        {
            var root = JObject.Parse(System.IO.File.ReadAllText(file));
            var text = root.Value<string>("direction");
            return text is null ? MappingDirection.Write : Enum.TryParse<MappingDirection>(text, true, out var d) ? d : null;
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return null;
        }
    }

    /// <summary>Reads and checks a mapping file; returns the mapping when it has no errors.</summary>
    public static (RecordMapping? Mapping, IReadOnlyList<ConfigError> Errors) Check(string file)
    {
        var errors = new List<ConfigError>();
        var name = Path.GetFileName(file);
        JObject root;
        try
        {
            using var reader = new JsonTextReader(new StreamReader(file));
            root = JObject.Load(reader, new JsonLoadSettings { LineInfoHandling = LineInfoHandling.Load, CommentHandling = CommentHandling.Ignore });
        }
        catch (JsonReaderException ex)
        {
            return (null, [new ConfigError("(json)", ex.Message, file, ex.LineNumber)]);
        }
        catch (IOException ex)
        {
            return (null, [new ConfigError("(file)", ex.Message, file)]);
        }

        var context = new LoadContext(file, errors);
        foreach (var property in root.Properties())
        {
            if (!RootKeys.Contains(property.Name))
                context.Error(property, property.Name, $"unknown setting; expected one of {string.Join(", ", RootKeys.Where(k => k != "$schema"))}");
        }

        var recordName = root.Value<string>("record");
        var recordType = recordName is null ? null : RecordTypes.Find(recordName);
        if (recordType is null)
            context.Error(root["record"] ?? root, "record", recordName is null ? "missing: the canonical record type (Order, Product, ...)" :
                $"'{recordName}' is not a record type; use one of {string.Join(", ", RecordTypes.All.Select(t => t.Name))}");

        var direction = MappingDirection.Write;
        if (root["direction"] is JToken directionToken && !Enum.TryParse(directionToken.ToString(), true, out direction))
            context.Error(directionToken, "direction", $"'{directionToken}' must be 'write' or 'read'");

        var culture = context.Culture(root["culture"], "culture") ?? CultureInfo.InvariantCulture;
        var timeZone = TimeZoneInfo.Local;
        if (root["timeZone"] is JToken zone)
        {
            if (!TimeZoneInfo.TryFindSystemTimeZoneById(zone.ToString(), out var found))
                context.Error(zone, "timeZone", $"'{zone}' is not a known time zone (e.g. Europe/Budapest)");
            else timeZone = found;
        }

        var maps = new Dictionary<string, ValueMap>(StringComparer.OrdinalIgnoreCase);
        if (root["valueMaps"] is JObject valueMaps)
        {
            foreach (var map in valueMaps.Properties())
            {
                if (context.ValueMap(map.Value, map.Name, $"valueMaps.{map.Name}") is { } loaded) maps[map.Name] = loaded;
            }
        }

        context.Maps = maps;
        context.Direction = direction;
        var fields = new List<FieldMapping>();
        var children = new List<ChildMapping>();
        if (recordType is not null)
        {
            if (root["fields"] is not JObject fieldObject)
            {
                context.Error(root["fields"] ?? root, "fields", "missing: the fields to map");
            }
            else
            {
                fields.AddRange(context.Fields(fieldObject, "fields", recordType, null));
                if (direction == MappingDirection.Read)
                {
                    foreach (var required in RequiredMembers(recordType).Where(r => !fields.Any(f => string.Equals(f.Name, r, StringComparison.OrdinalIgnoreCase))))
                        context.Error(fieldObject, $"fields.{required}", $"missing: a {recordType.Name} needs '{required}'");
                }
            }
            if (root["children"] is JObject childObject)
            {
                foreach (var child in childObject.Properties()) if (context.Child(child, recordType) is { } mapped) children.Add(mapped);
            }
            else if (root["children"] is JToken wrong)
            {
                context.Error(wrong, "children", "must be an object of child mappings");
            }
        }
        if (errors.Count > 0) return (null, errors);
        return (new RecordMapping(file, root, direction, recordType!, culture, timeZone, fields, children) { TimeZoneGiven = root["timeZone"] is not null }, errors);
    }

    internal static IEnumerable<string> RequiredMembers(Type type) =>
        type.GetProperties().Where(p => p.IsDefined(typeof(System.Runtime.CompilerServices.RequiredMemberAttribute), true)).Select(p => p.Name);

    private sealed class LoadContext(string file, List<ConfigError> errors)
    {
        public Dictionary<string, ValueMap> Maps { get; set; } = [];
        public MappingDirection Direction { get; set; }

        public void Error(JToken token, string field, string message) =>
            errors.Add(new ConfigError(field, message, file, ((IJsonLineInfo)token).HasLineInfo() ? ((IJsonLineInfo)token).LineNumber : null));

        public CultureInfo? Culture(JToken? token, string field)
        {
            if (token is null) return null;
            try
            {
                return CultureInfo.GetCultureInfo(token.ToString(), predefinedOnly: true);
            }
            catch (CultureNotFoundException)
            {
                Error(token, field, $"'{token}' is not a culture (e.g. hu-HU, de-DE, de-AT)");
                return null;
            }
        }

        public ValueMap? ValueMap(JToken token, string name, string field)
        {
            JObject? entries = token as JObject;
            if (token.Type == JTokenType.String)
            {
                var path = Path.GetFullPath(token.ToString(), Path.GetDirectoryName(file)!);
                if (!System.IO.File.Exists(path))
                {
                    Error(token, field, $"value map file '{token}' not found (looked at {path})");
                    return null;
                }
                try
                {
                    entries = JObject.Parse(System.IO.File.ReadAllText(path));
                }
                catch (JsonReaderException ex)
                {
                    Error(token, field, $"value map file '{token}' is not valid JSON: {ex.Message}");
                    return null;
                }
            }
            if (entries is null)
            {
                Error(token, field, "a value map is an object of entries or the name of a value map file");
                return null;
            }
            var fallback = entries["default"] is JValue d && entries["entries"] is JObject ? d.ToString(CultureInfo.InvariantCulture) : null;
            var body = entries["entries"] as JObject ?? entries;
            var map = body.Properties().ToDictionary(p => p.Name, p => p.Value.Type == JTokenType.Null ? null : p.Value.ToString(), StringComparer.Ordinal);
            return new ValueMap(name, map, fallback);
        }

        public IEnumerable<FieldMapping> Fields(JObject fields, string prefix, Type type, Type? parentType)
        {
            foreach (var property in fields.Properties())
            {
                var field = $"{prefix}.{property.Name}";
                var line = ((IJsonLineInfo)property).LineNumber;
                if (Direction == MappingDirection.Read && ModelWriter.Find(type, property.Name) is null)
                {
                    Error(property, field, $"{type.Name} has no field '{property.Name}' to fill; it has: {string.Join(", ", ModelPath.FieldsOf(type))}");
                    continue;
                }
                var expression = Expression(property.Value, field, type, parentType);
                if (expression is not null) yield return new FieldMapping(property.Name, line, expression);
            }
        }

        public ChildMapping? Child(JProperty child, Type recordType)
        {
            var field = $"children.{child.Name}";
            if (child.Value is not JObject body || body["fields"] is not JObject fields)
            {
                Error(child, field, "a child mapping needs \"path\" and \"fields\"");
                return null;
            }
            var path = body.Value<string>("path") ?? child.Name;
            // Write: path is the canonical collection to iterate. Read: the canonical collection is the child's name.
            var collection = Direction == MappingDirection.Write ? path : child.Name;
            var model = ModelPath.Find(recordType, collection);
            if (model is not { IsCollection: true })
            {
                Error(body["path"] ?? child, field + (Direction == MappingDirection.Write ? ".path" : string.Empty),
                    $"{recordType.Name} has no collection '{collection}'; its collections are: {string.Join(", ", ModelPath.FieldsOf(recordType).Where(f => ModelPath.Find(recordType, f)?.IsCollection == true))}");
                return null;
            }
            var mapped = Fields(fields, field + ".fields", model.ElementType!, recordType).ToList();
            return new ChildMapping(child.Name, path, ((IJsonLineInfo)child).LineNumber, model.ElementType!, mapped,
                Direction == MappingDirection.Read ? ModelWriter.Find(recordType, collection) : null);
        }

        public ValueExpression? Expression(JToken token, string field, Type type, Type? parentType)
        {
            if (token is JValue value)
            {
                if (value.Type == JTokenType.String)
                {
                    var path = value.ToString(CultureInfo.InvariantCulture);
                    return CheckPath(value, field, path, type, parentType) ? new ValueExpression { Source = new PathSource(path), Field = field } : null;
                }
                return new ValueExpression { Source = new ConstSource(value.Value), Field = field };
            }
            if (token is not JObject body)
            {
                Error(token, field, "expected a path, a constant or an expression object");
                return null;
            }
            var before = errors.Count;
            foreach (var key in body.Properties().Where(p => !ExpressionKeys.Contains(p.Name)))
                Error(key, $"{field}.{key.Name}", $"unknown option; expected one of {string.Join(", ", ExpressionKeys)}");

            var sources = new[] { "path", "const", "template", "coalesce", "if", "lookup" }.Where(k => body[k] is not null).ToList();
            if (sources.Count != 1)
            {
                Error(body, field, sources.Count == 0
                    ? "say where the value comes from: path, const, template, coalesce, if or lookup"
                    : $"only one of {string.Join(", ", sources)} may be given");
                return null;
            }
            Source? source = sources[0] switch
            {
                "path" => CheckPath(body["path"]!, field, body.Value<string>("path")!, type, parentType) ? new PathSource(body.Value<string>("path")!) : null,
                "const" => new ConstSource(((JValue)body["const"]!).Value),
                "template" => Template(body["template"]!, field, type, parentType),
                "coalesce" => Coalesce(body["coalesce"]!, field, type, parentType),
                "if" => Condition(body, field, type, parentType),
                _ => Lookup(body["lookup"]!, field, type, parentType),
            };

            ValueMap? map = null;
            if (body["map"] is JToken mapToken)
            {
                if (mapToken.Type == JTokenType.String && Maps.TryGetValue(mapToken.ToString(), out var named)) map = named;
                else if (mapToken.Type == JTokenType.String && !mapToken.ToString().EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                    Error(mapToken, field + ".map", $"no value map '{mapToken}' under valueMaps (known: {string.Join(", ", Maps.Keys)})");
                else map = ValueMap(mapToken, field, field + ".map");
            }
            var policy = UnmappedPolicy.Fail;
            if (body["onUnmapped"] is JToken unmapped && !Enum.TryParse(unmapped.ToString(), true, out policy))
                Error(unmapped, field + ".onUnmapped", $"'{unmapped}' must be 'fail' or 'keep'");

            var text = new List<Func<string, string>>();
            foreach (var option in body.Properties())
            {
                switch (option.Name)
                {
                    case "trim" when option.Value.Type == JTokenType.Boolean && (bool)option.Value:
                        text.Add(s => s.Trim());
                        break;
                    case "upper" when (bool?)option.Value == true:
                        text.Add(s => s.ToUpperInvariant());
                        break;
                    case "lower" when (bool?)option.Value == true:
                        text.Add(s => s.ToLowerInvariant());
                        break;
                    case "clean" when (bool?)option.Value == true:
                        text.Add(TextChanges.Clean);
                        break;
                    case "maxLength":
                        if (Int(option.Value, field + ".maxLength") is { } max) text.Add(TextChanges.Substring(0, max));
                        break;
                    case "substring":
                        if (option.Value is JArray { Count: 2 } range && Int(range[0], field + ".substring") is { } start && Int(range[1], field + ".substring") is { } length)
                            text.Add(TextChanges.Substring(start, length));
                        else Error(option, field + ".substring", "expected [start, length]");
                        break;
                    case "padLeft" or "padRight":
                        if (option.Value is JArray { Count: 2 } pad && Int(pad[0], $"{field}.{option.Name}") is { } width && pad[1].ToString() is { Length: 1 } c)
                            text.Add(option.Name == "padLeft" ? TextChanges.PadLeft(width, c[0]) : TextChanges.PadRight(width, c[0]));
                        else Error(option, $"{field}.{option.Name}", "expected [width, \"character\"]");
                        break;
                }
            }
            var round = body["round"] is JToken r ? Int(r, field + ".round") : null;
            var culture = Culture(body["culture"], field + ".culture");
            if (errors.Count > before || source is null) return null;
            return new ValueExpression
            {
                Source = source,
                Field = field,
                Default = (body["default"] as JValue)?.Value,
                Map = map,
                OnUnmapped = policy,
                Round = round,
                Format = body.Value<string>("format"),
                Culture = culture,
                Text = text,
                Required = body.Value<bool?>("required") ?? false,
            };
        }

        private int? Int(JToken token, string field)
        {
            if (token.Type == JTokenType.Integer) return (int)token;
            Error(token, field, $"'{token}' must be a whole number");
            return null;
        }

        private bool CheckPath(JToken token, string field, string path, Type type, Type? parentType)
        {
            // Read mappings take values from the source row, whose fields only the connector knows.
            if (Direction == MappingDirection.Read || path == "$index") return true;
            var (scopeType, relative) = path.StartsWith("$parent.", StringComparison.Ordinal) ? (parentType, path["$parent.".Length..])
                : path.StartsWith("$root.", StringComparison.Ordinal) ? (parentType ?? type, path["$root.".Length..]) : (type, path);
            if (scopeType is null)
            {
                Error(token, field, $"'{path}': $parent is only known inside a child mapping");
                return false;
            }
            if (ModelPath.Find(scopeType, relative) is not null) return true;
            var head = relative.Split('.')[0];
            var known = ModelPath.Find(scopeType, head) is { } found && !found.ValueType.IsPrimitive && found.ValueType != typeof(string)
                ? $"{found.ValueType.Name} has: {string.Join(", ", ModelPath.FieldsOf(found.ValueType))}"
                : $"{scopeType.Name} has: {string.Join(", ", ModelPath.FieldsOf(scopeType))}";
            Error(token, field, $"'{path}' is not a field of {scopeType.Name}; {known}");
            return false;
        }

        private Source? Template(JToken token, string field, Type type, Type? parentType)
        {
            var template = new TemplateSource(token.ToString());
            return template.Paths().All(p => CheckPath(token, field, p, type, parentType)) ? template : null;
        }

        private Source? Coalesce(JToken token, string field, Type type, Type? parentType)
        {
            if (token is not JArray options || options.Count == 0)
            {
                Error(token, field + ".coalesce", "expected a list of expressions");
                return null;
            }
            var parsed = options.Select((o, i) => Expression(o, $"{field}.coalesce[{i}]", type, parentType)).ToList();
            return parsed.Any(p => p is null) ? null : new CoalesceSource(parsed!);
        }

        private Source? Condition(JObject body, string field, Type type, Type? parentType)
        {
            if (body["if"] is not JObject test || test.Value<string>("path") is not { } path || body["then"] is null)
            {
                Error(body, field + ".if", "expected \"if\": { \"path\": ..., \"equals\" | \"in\" | \"notEmpty\": ... } with \"then\" (and optional \"else\")");
                return null;
            }
            if (!CheckPath(test["path"]!, field + ".if.path", path, type, parentType)) return null;
            var then = Expression(body["then"]!, field + ".then", type, parentType);
            var otherwise = body["else"] is JToken e ? Expression(e, field + ".else", type, parentType) : null;
            if (then is null || (body["else"] is not null && otherwise is null)) return null;
            var condition = new Condition
            {
                Path = path,
                HasEquals = test["equals"] is not null,
                EqualsValue = (test["equals"] as JValue)?.Value,
                In = test["in"] is JArray values ? values.Select(v => v.ToString()).ToList() : null,
                NotEmpty = test.Value<bool?>("notEmpty"),
            };
            return new ConditionSource(condition, then, otherwise);
        }

        private Source? Lookup(JToken token, string field, Type type, Type? parentType)
        {
            if (token is not JObject body || body.Value<string>("entity") is not { } entity || body["id"] is null)
            {
                Error(token, field + ".lookup", "expected { \"entity\": \"Customer\", \"id\": \"Customer.Id\" } (optional \"system\", \"target\")");
                return null;
            }
            if (RecordTypes.Find(entity) is null)
            {
                Error(body["entity"]!, field + ".lookup.entity", $"'{entity}' is not a record type");
                return null;
            }
            var id = Expression(body["id"]!, field + ".lookup.id", type, parentType);
            return id is null ? null : new LookupSource(body.Value<string>("system"), RecordTypes.Find(entity)!.Name, id, body.Value<string>("target"));
        }
    }
}
