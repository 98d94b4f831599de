using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;

namespace SyncEngine.Core.Mapping;

/// <summary>
/// Sets a dotted path on a canonical record under construction (<c>Prices.Base</c>, <c>Customer.LastName</c>,
/// <c>Attributes.tier</c>), creating the objects on the way. Compiled once per type and path.
/// </summary>
public sealed class ModelWriter
{
    private static readonly ConcurrentDictionary<(Type, string), ModelWriter?> Cache = new();
    private static readonly ConcurrentDictionary<Type, Func<object>> Factories = new();
    private readonly Step[] _steps;
    private readonly string? _attributeKey;

    private ModelWriter(Step[] steps, string? attributeKey, Type valueType)
    {
        _steps = steps;
        _attributeKey = attributeKey;
        ValueType = valueType;
        PlainType = Nullable.GetUnderlyingType(valueType) ?? valueType;
    }

    /// <summary>Type the value must have (collections: the list type).</summary>
    public Type ValueType { get; }

    /// <summary><see cref="ValueType"/> without Nullable.</summary>
    internal Type PlainType { get; }

    /// <summary>The properties the path goes through, for a compiled reader to set it directly; null for an attribute.</summary>
    internal IReadOnlyList<PropertyInfo>? Properties => _attributeKey is null ? Array.ConvertAll(_steps, s => s.Property) : null;

    /// <summary>The record's own attribute bag and the key this path sets in it (<c>Attributes.tier</c>); null for any other path.</summary>
    internal (PropertyInfo Bag, string Key)? OwnAttribute => _attributeKey is not null && _steps.Length == 1 ? (_steps[0].Property, _attributeKey) : null;

    /// <summary>A value type that cannot be null: an empty value leaves the model's default.</summary>
    internal bool NeedsValue => ValueType.IsValueType && PlainType == ValueType;

    public static ModelWriter? Find(Type type, string path) => Cache.GetOrAdd((type, path), key => Build(key.Item1, key.Item2));

    /// <summary>Creates an empty record or child object of <paramref name="type"/>; required members are set by the mapping.</summary>
    public static object Create(Type type) => Factories.GetOrAdd(type, Factory)();

    private static Func<object> Factory(Type type) => Expression.Lambda<Func<object>>(Expression.Convert(Expression.New(type), typeof(object))).Compile();

    public void Set(object target, object? value)
    {
        var current = target;
        for (var i = 0; i < _steps.Length - 1; i++)
        {
            var step = _steps[i];
            var next = step.Get(current);
            if (next is null)
            {
                next = step.Create();
                step.Set(current, next);
            }
            current = next;
        }
        var last = _steps[^1];
        if (_attributeKey is null)
        {
            last.Set(current, value);
            return;
        }
        // Attribute bags start as a shared empty instance (itself a Dictionary): copy into a dictionary of this record's own.
        var held = last.Get(current);
        if (held is AttributeBag lane && lane.TrySet(_attributeKey, value?.ToString())) return;
        if (held is not Dictionary<string, string?> bag || ReferenceEquals(bag, Model.Attributes.Empty))
        {
            bag = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            if (held is IReadOnlyDictionary<string, string?> existing) foreach (var pair in existing) bag[pair.Key] = pair.Value;
            last.Set(current, bag);
        }
        bag[_attributeKey] = value?.ToString();
    }

    private static ModelWriter? Build(Type type, string path)
    {
        var parts = path.Split('.');
        var steps = new List<Step>();
        var current = type;
        for (var i = 0; i < parts.Length; i++)
        {
            var property = current.GetProperty(parts[i], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || property.SetMethod is null || property.GetIndexParameters().Length > 0) return null;
            steps.Add(Step.For(property));
            if (property.PropertyType == typeof(IReadOnlyDictionary<string, string?>) && i < parts.Length - 1)
                return new ModelWriter([.. steps], string.Join('.', parts[(i + 1)..]), typeof(string));
            if (i < parts.Length - 1)
            {
                current = property.PropertyType;
                if (current.IsValueType || current == typeof(string) || current.GetConstructor(Type.EmptyTypes) is null) return null;
            }
            else
            {
                return new ModelWriter([.. steps], null, property.PropertyType);
            }
        }
        return null;
    }

    private sealed record Step(PropertyInfo Property, Func<object, object?> Get, Action<object, object?> Set)
    {
        /// <summary>A new object of the step's type, to go on from (the factory found once, not per record).</summary>
        public object Create() => (_create ??= Factories.GetOrAdd(Property.PropertyType, Factory))();

        private Func<object>? _create;

        public static Step For(PropertyInfo property)
        {
            var target = Expression.Parameter(typeof(object), "target");
            var value = Expression.Parameter(typeof(object), "value");
            var typed = Expression.Convert(target, property.DeclaringType!);
            var get = Expression.Lambda<Func<object, object?>>(Expression.Convert(Expression.Property(typed, property), typeof(object)), target).Compile();
            var set = Expression.Lambda<Action<object, object?>>(
                Expression.Call(typed, property.SetMethod!, Expression.Convert(value, property.PropertyType)), target, value).Compile();
            return new Step(property, get, set);
        }
    }
}
