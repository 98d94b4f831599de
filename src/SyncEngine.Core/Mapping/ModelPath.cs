using System.Collections.Concurrent;
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
                current = Expression.Call(lookup, Expression.Convert(current, typeof(IEnumerable<KeyValuePair<string, string?>>)), Expression.Constant(key));
                currentType = typeof(string);
                break;
            }
            var property = currentType.GetProperty(part, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || property.GetIndexParameters().Length > 0) return null;
            if (!currentType.IsValueType) nullChecks.Add(Expression.Equal(current, Expression.Constant(null)));
            current = Expression.Property(current, property);
            currentType = property.PropertyType;
        }

        Expression body = Expression.Convert(current, typeof(object));
        foreach (var check in Enumerable.Reverse(nullChecks))
            body = Expression.Condition(check, Expression.Constant(null, typeof(object)), body);
        var get = Expression.Lambda<Func<object, object?>>(body, parameter).Compile();
        var valueType = Nullable.GetUnderlyingType(currentType) ?? currentType;
        var element = ElementOf(valueType);
        return new ModelPath(path, valueType, get, element is not null, element);
    }

    internal static Type? ElementOf(Type type)
    {
        if (type == typeof(string) || type == typeof(byte[])) return null;
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>)) return type.GetGenericArguments()[0];
        return type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))?.GetGenericArguments()[0];
    }

    private static string? Lookup(IEnumerable<KeyValuePair<string, string?>> pairs, string key)
    {
        // Attribute bags are built case-insensitive: one hash lookup instead of a walk over the pairs.
        if (pairs is Dictionary<string, string?> bag && ReferenceEquals(bag.Comparer, StringComparer.OrdinalIgnoreCase))
            return bag.GetValueOrDefault(key);
        foreach (var (name, value) in pairs)
            if (string.Equals(name, key, StringComparison.OrdinalIgnoreCase)) return value;
        return null;
    }

    public static bool IsRecordType(Type type) => typeof(Entity).IsAssignableFrom(type);
}
