using System.Data.Common;
using System.Globalization;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;

namespace SyncEngine.Connectors.Database;

/// <summary>A column as the database reports it, so values are bound in the type the column has.</summary>
public sealed record ColumnInfo(string Name, Type? ClrType, string TypeName, bool StoresInstant)
{
    /// <summary>The provider's own column description (e.g. the PostgreSQL type for binary COPY).</summary>
    public DbColumn? Column { get; init; }
}

/// <summary>An existing table: its real name and columns.</summary>
public sealed class TableInfo(string name, string realName, IReadOnlyList<ColumnInfo> columns)
{
    private readonly Dictionary<string, ColumnInfo> _byName = columns
        .GroupBy(c => c.Name, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);

    /// <summary>The name as the mapping wrote it.</summary>
    public string Name { get; } = name;

    /// <summary>The name the database knows it by (schema-qualified where it was looked up), unquoted.</summary>
    public string RealName { get; } = realName;

    public IReadOnlyList<ColumnInfo> Columns { get; } = columns;

    /// <summary>The column of that name, whatever its case; null when the table has none.</summary>
    public ColumnInfo? Find(string column) => _byName.GetValueOrDefault(column);

    /// <summary>The columns, or a <see cref="ConfigurationException"/> naming those the table lacks.</summary>
    public IReadOnlyList<ColumnInfo> Require(IEnumerable<string> names, string file)
    {
        var found = new List<ColumnInfo>();
        var missing = new List<string>();
        foreach (var name in names)
        {
            if (Find(name) is { } column) found.Add(column);
            else missing.Add(name);
        }
        if (missing.Count > 0)
        {
            throw new ConfigurationException($"database.table", $"table '{Name}' has no column {string.Join(", ", missing.Select(m => $"'{m}'"))}; it has: {string.Join(", ", Columns.Select(c => c.Name))}", file);
        }
        return found;
    }
}

/// <summary>Converts mapped values to the type of the column they are written to, naming column and value when they do not fit.</summary>
internal static class ColumnValue
{
    public static object? Convert(object? value, ColumnInfo column, TimeZoneInfo timeZone)
    {
        if (value is null || value is DBNull) return null;
        var type = column.ClrType;
        if (type is null || type == typeof(object) || type.IsInstanceOfType(value) && value is not DateTime) return value;
        try
        {
            return ConvertTo(value, type, column, timeZone);
        }
        catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException or ArgumentException)
        {
            var text = ValueConverter.ToText(value, CultureInfo.InvariantCulture);
            throw new RecordException($"column '{column.Name}' ({column.TypeName}): '{text}' {ex.Message}", column.Name, text);
        }
    }

    private static object? ConvertTo(object value, Type type, ColumnInfo column, TimeZoneInfo timeZone)
    {
        if (type == typeof(string)) return ValueConverter.ToText(value, CultureInfo.InvariantCulture);
        if (type == typeof(DateTime) || type == typeof(DateOnly) || type == typeof(DateTimeOffset))
        {
            var instant = value switch
            {
                DateTimeOffset offset => offset,
                DateOnly date => new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), timeZone.GetUtcOffset(date.ToDateTime(TimeOnly.MinValue))),
                _ => (DateTimeOffset)ValueConverter.Convert(value, typeof(DateTimeOffset), CultureInfo.InvariantCulture, null, timeZone)!,
            };
            if (type == typeof(DateTimeOffset)) return instant;
            // A column without a time zone holds the wall-clock time of the mapping's time zone, as an ERP shows it.
            var local = TimeZoneInfo.ConvertTime(instant, timeZone).DateTime;
            if (type == typeof(DateOnly)) return DateOnly.FromDateTime(local);
            return column.StoresInstant ? instant.UtcDateTime : DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        }
        if (IsWholeNumber(type))
        {
            decimal number;
            if (value is string text)
            {
                if (!decimal.TryParse(text.Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out number)) throw new FormatException("expected a whole number");
            }
            else number = System.Convert.ToDecimal(value, CultureInfo.InvariantCulture);
            if (number != decimal.Truncate(number)) throw new FormatException("expected a whole number");
            return System.Convert.ChangeType(number, type, CultureInfo.InvariantCulture);
        }
        return ValueConverter.Convert(value, type, CultureInfo.InvariantCulture, null, timeZone);
    }

    private static bool IsWholeNumber(Type type) =>
        type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte) || type == typeof(sbyte)
        || type == typeof(uint) || type == typeof(ulong) || type == typeof(ushort);
}
