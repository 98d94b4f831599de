using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;

namespace SyncEngine.Core.Mapping;

/// <summary>
/// A read mapping compiled for one set of columns (a database result, the lines of a csv file): each plain column read as
/// its own type, or parsed from its text, and set on the record in one step, without boxing; a constant found once; any
/// other field evaluated as <see cref="RecordMapping.FromRow"/> evaluates it. It gives what the general path gives, and
/// where a value does not convert, the general path reads the record again and names field and value.
/// </summary>
internal sealed class ReadLane
{
    private static readonly MethodInfo IsNullAt = typeof(IPositionalRow).GetMethod(nameof(IPositionalRow.IsNullAt))!;
    private static readonly MethodInfo TypedValueAt = typeof(IPositionalRow).GetMethod(nameof(IPositionalRow.TypedValueAt))!;
    private static readonly MethodInfo ValueAt = typeof(IPositionalRow).GetMethod(nameof(IPositionalRow.ValueAt))!;
    private static readonly MethodInfo Trim = typeof(string).GetMethod(nameof(string.Trim), Type.EmptyTypes)!;
    private static readonly MethodInfo FromLocal = typeof(ValueConverter).GetMethod(nameof(ValueConverter.FromLocal), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo ParseText = typeof(ValueConverter).GetMethod(nameof(ValueConverter.ParseText), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo SetAttribute = typeof(AttributeBag).GetMethod(nameof(AttributeBag.SetAt))!;
    private static readonly MethodInfo SetField = typeof(RecordMapping).GetMethod(nameof(RecordMapping.SetField), BindingFlags.NonPublic | BindingFlags.Instance)!;
    private static readonly MethodInfo FillField = typeof(RecordMapping).GetMethod(nameof(RecordMapping.FillField), BindingFlags.NonPublic | BindingFlags.Instance)!;
    private static readonly MethodInfo ReadScope = typeof(RecordMapping).GetMethod(nameof(RecordMapping.ReadScope), BindingFlags.NonPublic | BindingFlags.Instance)!;

    /// <summary>Numbers whose text in an attribute is their own <c>ToString(format, culture)</c>, as the general path writes it.</summary>
    private static readonly HashSet<Type> Numbers = [typeof(int), typeof(long), typeof(short), typeof(byte), typeof(decimal), typeof(double), typeof(float)];

    /// <summary>Types a field is parsed to from text as the general path parses them.</summary>
    private static readonly HashSet<Type> Parsed = [typeof(decimal), typeof(int), typeof(long), typeof(double), typeof(bool), typeof(DateTimeOffset), typeof(DateTime), typeof(Guid)];

    private ReadLane(object columns, Func<IPositionalRow, object>? build)
    {
        Columns = columns;
        Build = build;
    }

    /// <summary>The columns the lane was compiled for (<see cref="IPositionalRow.Columns"/>).</summary>
    public object Columns { get; }

    /// <summary>Builds the record from the current row; null when no field of the mapping reads a column these columns give plainly.</summary>
    public Func<IPositionalRow, object>? Build { get; }

    public static ReadLane For(RecordMapping mapping, IPositionalRow row) => new(row.Columns, Compile(mapping, row));

    private static Func<IPositionalRow, object>? Compile(RecordMapping mapping, IPositionalRow row)
    {
        var writers = mapping.Writers;
        var recordType = mapping.RecordType;
        var source = Expression.Parameter(typeof(IPositionalRow), "row");
        var record = Expression.Variable(recordType, "record");
        var bag = Expression.Variable(typeof(AttributeBag), "attributes");
        // The row's columns are read through its own class: through the interface, each generic read is a slow virtual lookup.
        var concrete = row.GetType();
        var reader = Expression.Variable(concrete, "reader");
        var body = new List<Expression> { Expression.Assign(reader, Expression.Convert(source, concrete)), Expression.Assign(record, Expression.New(recordType)) };
        var isNullAt = Implementation(concrete, IsNullAt);
        var typedValueAt = Implementation(concrete, TypedValueAt);
        var valueAt = Implementation(concrete, ValueAt);
        // The record's attributes go into a bag of its own, set before any field, as the general path's first attribute makes one;
        // a key mapped twice (in any case) is one key, holding the last field's value.
        var keys = writers.Select(w => w.Writer?.OwnAttribute?.Key).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        if (writers.Select(w => w.Writer?.OwnAttribute).FirstOrDefault(a => a is not null) is var (property, _))
        {
            body.Add(Expression.Assign(bag, Expression.New(typeof(AttributeBag).GetConstructor([typeof(string[])])!, Expression.Constant(keys))));
            body.Add(Expression.Call(record, property.SetMethod!, bag));
        }
        var general = Expression.Constant(mapping);
        // The fields evaluated as on the general path share one scope per record, as there.
        var scope = Expression.Variable(typeof(Scope), "scope");
        body.Add(Expression.Assign(scope, Expression.Constant(null, typeof(Scope))));
        // A column several fields read (the id and the SKU from one column) is read once.
        var shared = new Dictionary<int, ParameterExpression>();
        var uses = writers.Select(w => Plain(w.Field, row) is var (position, _) ? position : -1)
            .Where(p => p >= 0).GroupBy(p => p).Where(g => g.Count() > 1).Select(g => g.Key);
        foreach (var position in uses)
        {
            var type = row.FixedTypeAt(position)!;
            var value = Expression.Variable(type, "column" + position);
            shared[position] = value;
            var at = Expression.Constant(position);
            body.Add(Expression.Assign(value, Expression.Condition(Expression.Call(reader, isNullAt, at), Expression.Default(type), Read(reader, typedValueAt, at, type))));
        }
        Expression Column(int position, Type type) => shared.TryGetValue(position, out var value) ? value : Read(reader, typedValueAt, Expression.Constant(position), type);
        var laned = 0;
        for (var i = 0; i < writers.Length; i++)
        {
            var (field, writer) = writers[i];
            if (writer is null) return null;
            var expression = field.Expression;
            var attribute = writer.OwnAttribute;
            var properties = writer.Properties;
            var index = Expression.Constant(i);
            // Sets a value of the field's own type (or text, for an attribute); one of another type goes through the general conversion.
            Expression Set(Expression? value, bool typed) =>
                attribute is { Key: var key } && (typed || value is null)
                    ? Expression.Call(bag, SetAttribute, Expression.Constant(Array.FindIndex(keys, k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase))),
                        value ?? Expression.Constant(null, typeof(string)))
                : properties is not null && (typed || value is null)
                    ? Assign(record, properties, value is null ? Expression.Default(writer.ValueType) : Expression.Convert(value, writer.ValueType))
                    : Expression.Call(general, SetField, record, index, value is null ? Expression.Constant(null) : Expression.Convert(value, typeof(object)));
            // A NULL leaves a value type that cannot be null at the model's default, as the general path does.
            var whenNull = writer.NeedsValue ? (Expression)Expression.Empty() : Set(null, true);

            if (expression.Source is ConstSource && mapping.ConstantOf(i, row, out var constant) && (constant is null || constant.GetType() == writer.PlainType))
            {
                // The same value for every record: found and converted once.
                laned++;
                if (constant is not null) body.Add(Set(Expression.Constant(constant, attribute is null ? constant.GetType() : typeof(string)), true));
                else if (!writer.NeedsValue) body.Add(whenNull);
                continue;
            }
            if (Plain(field, row) is not var (position, columnType))
            {
                body.Add(Expression.Call(general, FillField, record, index,
                    Expression.Coalesce(scope, Expression.Assign(scope, Expression.Call(general, ReadScope, source)))));
                continue;
            }
            laned++;
            var at = Expression.Constant(position);
            var culture = expression.Culture ?? mapping.Culture;
            if (attribute is null && columnType == typeof(string) && (Parsed.Contains(writer.PlainType) || writer.PlainType.IsEnum))
            {
                // Text parsed to the field's type; blank text is no value, as on the general path.
                var nullable = typeof(Nullable<>).MakeGenericType(writer.PlainType);
                var parsed = Expression.Variable(nullable, "parsed" + i);
                body.Add(Expression.IfThenElse(Expression.Call(reader, isNullAt, at), whenNull, Expression.Block([parsed],
                    Expression.Assign(parsed, Expression.Call(ParseText.MakeGenericMethod(writer.PlainType), Column(position, columnType),
                        Expression.Constant(culture), Expression.Constant(expression.Format, typeof(string)), Expression.Constant(mapping.TimeZone))),
                    Expression.IfThenElse(Expression.Property(parsed, nameof(Nullable<int>.HasValue)), Set(Expression.Property(parsed, nameof(Nullable<int>.Value)), true), whenNull))));
                continue;
            }
            var typed = attribute is null
                ? Typed(Column(position, columnType), columnType, writer.PlainType, mapping.TimeZone)
                : AttributeText(Column(position, columnType), columnType, expression.Format, culture);
            body.Add(Expression.IfThenElse(Expression.Call(reader, isNullAt, at), whenNull,
                Set(typed ?? Expression.Call(reader, valueAt, at), typed is not null)));
        }
        if (laned == 0) return null;
        body.Add(Expression.Convert(record, typeof(object)));
        return Expression.Lambda<Func<IPositionalRow, object>>(Expression.Block([reader, record, bag, scope, .. shared.Values], body), source).Compile();
    }

    /// <summary>The column a field reads as it is (a plain path, nothing applied to the value) and its type; null for any other field.</summary>
    private static (int Position, Type Type)? Plain(FieldMapping field, IPositionalRow row)
    {
        if (field.Expression is not { Source: PathSource { IsPlain: true } path, Default: null, Map: null, Round: null, Required: false } expression
            || expression.Text.Count > 0)
            return null;
        var position = row.PositionOf(path.Path);
        return position >= 0 && row.FixedTypeAt(position) is { } type ? (position, type) : null;
    }

    /// <summary>
    /// The column read as the field's type where that is plain: the same type (not a DateTime, which the general path places
    /// in the mapping's zone), text trimmed, an instant of a timestamp column; null for any other, which the general path converts.
    /// </summary>
    /// <param name="value">The column's value as its own type.</param>
    private static Expression? Typed(Expression value, Type column, Type field, TimeZoneInfo timeZone)
    {
        if (column == typeof(string) && field == typeof(string)) return Expression.Call(value, Trim);
        if (column == typeof(DateTime) && field == typeof(DateTimeOffset)) return Expression.Call(FromLocal, value, Expression.Constant(timeZone));
        if (column == field && column.IsValueType && column != typeof(DateTime) && column != typeof(DateOnly)) return value;
        return null;
    }

    /// <summary>An attribute's text where it is plain: text trimmed, a number as its own text in the field's culture; null for any other.</summary>
    private static Expression? AttributeText(Expression value, Type column, string? format, CultureInfo culture)
    {
        if (column == typeof(string)) return Expression.Call(value, Trim);
        if (!Numbers.Contains(column)) return null;
        return Expression.Call(value, column.GetMethod(nameof(ToString), [typeof(string), typeof(IFormatProvider)])!,
            Expression.Constant(format, typeof(string)), Expression.Constant(culture, typeof(IFormatProvider)));
    }

    /// <summary>The column's value as its own type.</summary>
    private static Expression Read(ParameterExpression reader, MethodInfo typedValueAt, Expression at, Type column) =>
        Expression.Call(reader, typedValueAt.MakeGenericMethod(column), at);

    /// <summary>The row class's own method that implements <paramref name="method"/> of <see cref="IPositionalRow"/>.</summary>
    private static MethodInfo Implementation(Type type, MethodInfo method)
    {
        var map = type.GetInterfaceMap(typeof(IPositionalRow));
        return map.TargetMethods[Array.IndexOf(map.InterfaceMethods, method)];
    }

    /// <summary>Sets a property path on the record, creating the objects on the way as <see cref="ModelWriter"/> does.</summary>
    private static Expression Assign(Expression record, IReadOnlyList<PropertyInfo> properties, Expression value)
    {
        var steps = new List<Expression>();
        var variables = new List<ParameterExpression>();
        var current = record;
        for (var i = 0; i < properties.Count - 1; i++)
        {
            var property = properties[i];
            var next = Expression.Variable(property.PropertyType);
            variables.Add(next);
            steps.Add(Expression.Assign(next, Expression.Property(current, property)));
            steps.Add(Expression.IfThen(Expression.ReferenceEqual(next, Expression.Constant(null, property.PropertyType)),
                Expression.Block(Expression.Assign(next, Expression.New(property.PropertyType)), Expression.Call(current, property.SetMethod!, next))));
            current = next;
        }
        steps.Add(Expression.Call(current, properties[^1].SetMethod!, value));
        return Expression.Block(variables, steps);
    }
}
