using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;

namespace SyncEngine.Connectors.Database;

/// <summary>A column as the database reports it, so values are bound in the type the column has.</summary>
public sealed partial record ColumnInfo(string Name, Type? ClrType, string TypeName, bool StoresInstant)
{
    /// <summary>The provider's own column description (e.g. the PostgreSQL type for binary COPY).</summary>
    public DbColumn? Column { get; init; }

    /// <summary>The table, as the mapping names it, for messages.</summary>
    public string? Table { get; init; }

    /// <summary>The most characters the column holds (VARCHAR(24)); null for no limit.</summary>
    public int? MaxLength { get; init; }

    /// <summary>The digits a DECIMAL(p,s) column holds in all and after the point; null for no limit.</summary>
    public (int Precision, int Scale)? Digits { get; init; }

    /// <summary>
    /// A column with the limits its declared type names (SQLite keeps the declaration but enforces none of it) or,
    /// where the type name has none, the provider reports (PostgreSQL, SQL Server, MySQL).
    /// </summary>
    /// <param name="declared">The type as the table declares it, where the column schema shortens it (SQLite).</param>
    public static ColumnInfo From(DbColumn column, string table, Type? clrType, bool storesInstant, string? declared = null)
    {
        var typeName = declared is { Length: > 0 } ? declared : column.DataTypeName ?? column.DataType?.Name ?? "?";
        int? maxLength = CharLength().Match(typeName) is { Success: true } chars ? int.Parse(chars.Groups[1].Value, CultureInfo.InvariantCulture)
            : column.DataType == typeof(string) && column.ColumnSize is > 0 and < 100_000_000 ? column.ColumnSize : null;
        (int, int)? digits = DecimalDigits().Match(typeName) is { Success: true } number
            ? (int.Parse(number.Groups[1].Value, CultureInfo.InvariantCulture), number.Groups[2].Success ? int.Parse(number.Groups[2].Value, CultureInfo.InvariantCulture) : 0)
            : column.DataType == typeof(decimal) && column.NumericPrecision is > 0 and < 1000 ? (column.NumericPrecision.Value, column.NumericScale ?? 0) : null;
        return new ColumnInfo(column.ColumnName, clrType, typeName, storesInstant) { Column = column, Table = table, MaxLength = maxLength, Digits = digits };
    }

    [GeneratedRegex(@"CHAR[A-Z ]*\(\s*(\d+)\s*\)", RegexOptions.IgnoreCase)]
    private static partial Regex CharLength();

    [GeneratedRegex(@"(?:DECIMAL|NUMERIC|NUMBER)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)", RegexOptions.IgnoreCase)]
    private static partial Regex DecimalDigits();
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
    /// <param name="label">The column as the mapping names it, for messages (PostgreSQL folds unquoted names to lower case).</param>
    public static object? Convert(object? value, ColumnInfo column, TimeZoneInfo timeZone, string? label = null)
    {
        if (value is null || value is DBNull) return null;
        var type = column.ClrType;
        object? converted;
        if (type is null || type == typeof(object) || type.IsInstanceOfType(value) && value is not DateTime) converted = value;
        else
        {
            try
            {
                converted = ConvertTo(value, type, column, timeZone);
            }
            catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException or ArgumentException)
            {
                var text = ValueConverter.ToText(value, CultureInfo.InvariantCulture);
                throw new RecordException($"column '{column.Name}' ({column.TypeName}): '{text}' {ex.Message}", column.Name, text);
            }
        }
        Check(value, converted, column, label ?? column.Name);
        return converted;
    }

    /// <summary>
    /// Refuses, naming table, column and value, what the column cannot hold the same way on every database: text longer
    /// than the column (PostgreSQL refuses it without naming the column, SQLite stores it whole, SQL Server cuts or refuses),
    /// a NUL character or half of a surrogate pair (PostgreSQL cannot store them; the half fails the whole batch there),
    /// and a number with more digits before the point than the column has.
    /// </summary>
    private static void Check(object original, object? converted, ColumnInfo column, string label)
    {
        if (converted is string text)
        {
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (c == '\0')
                {
                    throw Refused(column, label, text, $"holds the NUL character (U+0000) at position {i + 1}, which PostgreSQL cannot store and many programs take for the end of the text; " +
                        "remove it at the source or map the field with \"clean\": true");
                }
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
                else if (char.IsSurrogate(c)) throw Refused(column, label, text, $"holds half of a character (U+{(int)c:X4} without its pair) at position {i + 1}, which is no text");
            }
            if (column.MaxLength is { } max && text.Length > max && CodePoints(text) is var length && length > max)
                throw Refused(column, label, text, $"has {length} characters, but the column holds {max}");
        }
        if (column.Digits is { } digits && Number(original, converted) is { } number && !Fits(number, digits.Precision - digits.Scale))
        {
            var whole = decimal.Truncate(Math.Abs(number)).ToString(CultureInfo.InvariantCulture).TrimStart('0').Length;
            throw Refused(column, label, ValueConverter.ToText(original, CultureInfo.InvariantCulture) ?? string.Empty,
                $"has {whole} digits before the decimal point, but the column holds {digits.Precision - digits.Scale} (precision {digits.Precision}, scale {digits.Scale})");
        }
    }

    /// <summary>Whether the number's whole part has at most <paramref name="wholeDigits"/> digits; compared, not printed, as every number written is.</summary>
    private static bool Fits(decimal number, int wholeDigits) =>
        wholeDigits >= PowersOfTen.Length || wholeDigits >= 0 && Math.Abs(number) < PowersOfTen[wholeDigits];

    /// <summary>10^0 to 10^28; a decimal's whole part has at most 29 digits.</summary>
    private static readonly decimal[] PowersOfTen = Enumerable.Range(0, 29).Select(n => Enumerable.Repeat(10m, n).Aggregate(1m, (a, b) => a * b)).ToArray();

    private static decimal? Number(object original, object? converted) => (converted ?? original) switch
    {
        decimal d => d,
        double d when double.IsFinite(d) && Math.Abs(d) < 7.9e28 => (decimal)d,
        float f when float.IsFinite(f) && Math.Abs(f) < 7.9e28f => (decimal)f,
        long or int or short or byte => System.Convert.ToDecimal(converted ?? original, CultureInfo.InvariantCulture),
        string s when decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };

    private static int CodePoints(string text)
    {
        var count = 0;
        foreach (var _ in text.EnumerateRunes()) count++;
        return count;
    }

    private static RecordException Refused(ColumnInfo column, string label, string value, string problem)
    {
        var where = column.Table is null ? $"column '{label}'" : $"table '{column.Table}', column '{label}'";
        return new RecordException($"{where}: '{Visible(value)}' {problem}", label, value);
    }

    /// <summary>The value for a message: short, and without what a message store cannot hold either (NUL, half surrogates).</summary>
    private static string Visible(string value)
    {
        var shown = value.Length > 60 ? value[..57] + "..." : value;
        var builder = new StringBuilder(shown.Length);
        for (var i = 0; i < shown.Length; i++)
        {
            var c = shown[i];
            if (c == '\0') builder.Append("\\0");
            else if (char.IsHighSurrogate(c) && i + 1 < shown.Length && char.IsLowSurrogate(shown[i + 1])) builder.Append(c).Append(shown[++i]);
            else if (char.IsSurrogate(c)) builder.Append($"\\u{(int)c:X4}");
            else builder.Append(c);
        }
        return builder.ToString();
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
