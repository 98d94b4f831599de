using System.Collections.Concurrent;
using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;
using SyncEngine.Core.Model;

namespace SyncEngine.Core.Mapping;

/// <summary>
/// A dotted path into a canonical record (<c>Customer.LastName</c>, <c>Attributes.loyalty_tier</c>), compiled once
/// to a delegate so mapping a million records costs no reflection.
/// </summary>
public sealed class ModelPath
{
    private static readonly ConcurrentDictionary<(Type, string), ModelPath?> Cache = new();
    private readonly Func<object, object?> _get;

    private ModelPath(string path, Type valueType, Func<object, object?> get, bool isCollection, Type? elementType)
    {
        Path = path;
        ValueType = valueType;
        _get = get;
        IsCollection = isCollection;
        ElementType = elementType;
    }

    public string Path { get; }

    /// <summary>CLR type of the value at the path (nullable unwrapped).</summary>
    public Type ValueType { get; }

    public bool IsCollection { get; }

    /// <summary>Element type when the path names a collection (Lines -> OrderLine).</summary>
    public Type? ElementType { get; }

    public object? Get(object record) => _get(record);

    /// <summary>The path on <paramref name="type"/>, or null when the model has no such field.</summary>
    public static ModelPath? Find(Type type, string path) => Cache.GetOrAdd((type, path), key => Compile(key.Item1, key.Item2));

    /// <summary>Names of the fields a type offers, for error messages.</summary>
    public static IEnumerable<string> FieldsOf(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0 && p.CanRead).Select(p => p.Name);

    private static ModelPath? Compile(Type type, string path)
    {
        var parameter = Expression.Parameter(typeof(object), "record");
        if (Access(type, path, parameter) is not var (value, currentType, nullChecks)) return null;
        var get = Expression.Lambda<Func<object, object?>>(OrNull(Expression.Convert(value, typeof(object)), nullChecks), parameter).Compile();
        var valueType = Nullable.GetUnderlyingType(currentType) ?? currentType;
        var element = ElementOf(valueType);
        return new ModelPath(path, valueType, get, element is not null, element);
    }

    /// <summary>
    /// The value at the path formatted as text in one compiled step, without boxing it on the way: what a write mapping's
    /// <c>format</c> makes of it (an instant first in <paramref name="zone"/>). Null when the path is not on the type or its
    /// value is not formattable.
    /// </summary>
    internal static Func<object, object?>? CompileFormatted(Type type, string path, string format, CultureInfo culture, TimeZoneInfo? zone)
    {
        var parameter = Expression.Parameter(typeof(object), "record");
        if (Access(type, path, parameter) is not var (value, valueType, nullChecks)) return null;
        var plain = Nullable.GetUnderlyingType(valueType);
        if (plain is not null)
        {
            nullChecks.Add(Expression.Not(Expression.Property(value, "HasValue")));
            value = Expression.Property(value, "Value");
        }
        plain ??= valueType;
        // Numbers and instants; anything else (an enum's formatting is Enum's own) is evaluated as before.
        var toString = plain.IsValueType ? plain.GetMethod(nameof(IFormattable.ToString), [typeof(string), typeof(IFormatProvider)]) : null;
        if (toString is null || toString.DeclaringType != plain) return null;
        if (plain == typeof(DateTimeOffset) && zone is not null)
        {
            var convert = typeof(TimeZoneInfo).GetMethod(nameof(TimeZoneInfo.ConvertTime), [typeof(DateTimeOffset), typeof(TimeZoneInfo)])!;
            value = Expression.Call(convert, value, Expression.Constant(zone));
        }
        var text = Expression.Call(value, toString, Expression.Constant(format), Expression.Constant(culture, typeof(IFormatProvider)));
        return Expression.Lambda<Func<object, object?>>(OrNull(Expression.Convert(text, typeof(object)), nullChecks), parameter).Compile();
    }

    /// <summary>The expression reading the path from the record (typed), and the checks under which a step on the way is null.</summary>
    private static (Expression Value, Type Type, List<Expression> NullChecks)? Access(Type type, string path, ParameterExpression parameter)
    {
        Expression current = Expression.Convert(parameter, type);
        var currentType = type;
        var nullChecks = new List<Expression>();
        var parts = path.Split('.');
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            if (typeof(IReadOnlyDictionary<string, string?>).IsAssignableFrom(currentType) || currentType == typeof(IReadOnlyDictionary<string, string>))
            {
                // Attributes.<name> or Options.<name>: the rest of the path is the key.
                var key = string.Join('.', parts[i..]);
                var lookup = typeof(ModelPath).GetMethod(nameof(Lookup), BindingFlags.NonPublic | BindingFlags.Static)!;
                nullChecks.Add(Expression.Equal(current, Expression.Constant(null)));
                current = Expression.Call(lookup, Expression.Convert(current, typeof(IEnumerable<KeyValuePair<string, string?>>)), Expression.Constant(new AttributeKey(key)));
                currentType = typeof(string);
                break;
            }
            var property = currentType.GetProperty(part, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || property.GetIndexParameters().Length > 0) return null;
            if (!currentType.IsValueType) nullChecks.Add(Expression.Equal(current, Expression.Constant(null)));
            current = Expression.Property(current, property);
            currentType = property.PropertyType;
        }
        return (current, currentType, nullChecks);
    }

    /// <summary>The body, or null as soon as one of the checks holds (tested in path order).</summary>
    private static Expression OrNull(Expression body, List<Expression> nullChecks)
    {
        foreach (var check in Enumerable.Reverse(nullChecks))
            body = Expression.Condition(check, Expression.Constant(null, typeof(object)), body);
        return body;
    }

    internal static Type? ElementOf(Type type)
    {
        if (type == typeof(string) || type == typeof(byte[])) return null;
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>)) return type.GetGenericArguments()[0];
        return type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))?.GetGenericArguments()[0];
    }

    private static string? Lookup(IEnumerable<KeyValuePair<string, string?>> pairs, AttributeKey attribute)
    {
        var key = attribute.Name;
        // Attribute bags are built case-insensitive: one hash lookup instead of a walk over the pairs.
        if (pairs is Dictionary<string, string?> bag && ReferenceEquals(bag.Comparer, StringComparer.OrdinalIgnoreCase))
            return bag.GetValueOrDefault(key);
        if (pairs is AttributeBag lane) return lane.Find(attribute);
        foreach (var (name, value) in pairs)
            if (string.Equals(name, key, StringComparison.OrdinalIgnoreCase)) return value;
        return null;
    }

    public static bool IsRecordType(Type type) => typeof(Entity).IsAssignableFrom(type);
}
