using System.Globalization;

namespace SyncEngine.Core.Mapping;

/// <summary>Turns values read from files and tables into the canonical model's types, naming field and value when it cannot.</summary>
public static class ValueConverter
{
    private static readonly HashSet<string> True = new(StringComparer.OrdinalIgnoreCase) { "true", "1", "yes", "y", "j", "ja", "igen", "i", "x" };
    private static readonly HashSet<string> False = new(StringComparer.OrdinalIgnoreCase) { "false", "0", "no", "n", "nein", "nem", "" };

    /// <summary>Converts <paramref name="value"/> to <paramref name="target"/>; null for an empty value.</summary>
    /// <exception cref="FormatException">The value does not fit the type; the message says which type and format were expected.</exception>
    public static object? Convert(object? value, Type target, CultureInfo culture, string? format, TimeZoneInfo timeZone) =>
        ConvertPlain(value, Plain(target), culture, format, timeZone);

    /// <summary><see cref="Convert"/> to a type given without Nullable already (a mapping finds it once, not per value).</summary>
    internal static object? ConvertPlain(object? value, Type type, CultureInfo culture, string? format, TimeZoneInfo timeZone)
    {
        if (value is null || value is DBNull) return null;
        if (type.IsInstanceOfType(value) && value is not string) return Normalize(value, timeZone);
        if (value is string text)
        {
            text = text.Trim();
            if (text.Length == 0) return type == typeof(string) ? string.Empty : null;
            if (type == typeof(string)) return text;
            return Parse(text, type, culture, format, timeZone);
        }
        // A typed date (a database column) without a format becomes ISO text, as ToText writes it, whatever the culture.
        if (type == typeof(string) && format is null && value is DateTime or DateTimeOffset or DateOnly) return ToText(value, culture);
        if (type == typeof(string)) return value is IFormattable f ? f.ToString(format, culture) : value.ToString();
        // A date column (PostgreSQL's date reads as DateOnly) is midnight of the mapping's time zone.
        if (value is DateOnly date) value = date.ToDateTime(TimeOnly.MinValue);
        if (type == typeof(DateTimeOffset) && value is DateTime dateTime) return FromLocal(dateTime, timeZone);
        if (type.IsEnum) return Parse(value.ToString()!, type, culture, format, timeZone);
        if (type == typeof(bool) && value is IConvertible number && value is not string) return System.Convert.ToDecimal(number, culture) != 0;
        return System.Convert.ChangeType(value, type, culture);
    }

    /// <summary>
    /// <see cref="ConvertPlain"/> of text to <typeparamref name="T"/>: null for blank text, the common numbers without boxing;
    /// throws as it does.
    /// </summary>
    internal static T? ParseText<T>(string text, CultureInfo culture, string? format, TimeZoneInfo timeZone) where T : struct
    {
        var span = text.AsSpan().Trim();
        if (span.IsEmpty) return null;
        if (typeof(T) == typeof(decimal) && decimal.TryParse(span, NumberStyles.Number, culture, out var d) && Grouped(span, culture)) return (T)(object)d;
        if (typeof(T) == typeof(int) && int.TryParse(span, NumberStyles.Integer, culture, out var i)) return (T)(object)i;
        if (typeof(T) == typeof(long) && long.TryParse(span, NumberStyles.Integer, culture, out var l)) return (T)(object)l;
        if (typeof(T) == typeof(DateTimeOffset) && format is null && IsoInstant(span, culture) is { } instant) return (T)(object)instant;
        return (T)Parse(span.Length == text.Length ? text : new string(span), typeof(T), culture, format, timeZone);
    }

    /// <summary>
    /// An instant written as files mostly write them, <c>2026-07-01T10:00:00Z</c> or <c>...+02:00</c>, read without the
    /// general date parser: what <see cref="Parse"/> gives for it in a culture of the Gregorian calendar. Null for any other
    /// text, which <see cref="Parse"/> reads.
    /// </summary>
    private static DateTimeOffset? IsoInstant(ReadOnlySpan<char> text, CultureInfo culture)
    {
        if (text.Length is not (20 or 25) || culture.Calendar is not GregorianCalendar) return null;
        if (text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':') return null;
        if (!Digits(text, 0, 4, out var year) || !Digits(text, 5, 2, out var month) || !Digits(text, 8, 2, out var day)
            || !Digits(text, 11, 2, out var hour) || !Digits(text, 14, 2, out var minute) || !Digits(text, 17, 2, out var second))
            return null;
        var offset = TimeSpan.Zero;
        if (text.Length == 20)
        {
            if (text[19] != 'Z') return null;
        }
        else
        {
            if (text[19] is not ('+' or '-') || text[22] != ':' || !Digits(text, 20, 2, out var hours) || !Digits(text, 23, 2, out var minutes) || hours > 14 || minutes > 59)
                return null;
            offset = new TimeSpan(hours, minutes, 0);
            if (text[19] == '-') offset = -offset;
        }
        // The first and the last year are left to the general parser: an offset could take the instant out of range there.
        if (year is < 2 or > 9998 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            return null;
        return new DateTimeOffset(new DateTime(year, month, day, hour, minute, second), offset);
    }

    private static bool Digits(ReadOnlySpan<char> text, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            var digit = text[i] - '0';
            if ((uint)digit > 9) return false;
            value = value * 10 + digit;
        }
        return true;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, Type> PlainTypes = new();

    /// <summary>The type without Nullable; cached, as Nullable.GetUnderlyingType allocates on every call.</summary>
    internal static Type Plain(Type type) => type.IsGenericType ? PlainTypes.GetOrAdd(type, static t => Nullable.GetUnderlyingType(t) ?? t) : type;

    private static object Normalize(object value, TimeZoneInfo timeZone) =>
        value is DateTime dateTime ? FromLocal(dateTime, timeZone).DateTime : value;

    private static object Parse(string text, Type type, CultureInfo culture, string? format, TimeZoneInfo timeZone)
    {
        if (type == typeof(decimal))
            return decimal.TryParse(text, NumberStyles.Number, culture, out var d) && Grouped(text, culture) ? d : throw Bad("a number", culture);
        if (type == typeof(int))
            return int.TryParse(text, NumberStyles.Integer, culture, out var i) ? i : throw Bad("a whole number", culture);
        if (type == typeof(long))
            return long.TryParse(text, NumberStyles.Integer, culture, out var l) ? l : throw Bad("a whole number", culture);
        if (type == typeof(double))
            return double.TryParse(text, NumberStyles.Float | NumberStyles.AllowThousands, culture, out var f) && Grouped(text, culture) ? f : throw Bad("a number", culture);
        if (type == typeof(bool))
            return True.Contains(text) ? true : False.Contains(text) ? false : throw new FormatException("expected yes/no (true, false, 1, 0, ja, nein, igen, nem)");
        if (type == typeof(DateTimeOffset) || type == typeof(DateTime))
        {
            var styles = DateTimeStyles.AllowWhiteSpaces;
            var ok = format is null
                ? DateTime.TryParse(text, culture, styles, out var parsed)
                : DateTime.TryParseExact(text, format, culture, styles, out parsed);
            if (!ok) throw new FormatException(format is null ? $"expected a date ({culture.Name} or ISO 8601)" : $"expected a date in the format '{format}'");
            // A value that states its offset keeps it; one that does not is a wall-clock time of the mapping's time zone.
            // A 'K' format matches text without offset too: that is the mapping's time zone, not the machine's.
            var offset = format is null ? DateTimeOffset.TryParse(text, culture, styles, out var withOffset) && HasOffset(text) ? withOffset : (DateTimeOffset?)null
                : DateTimeOffset.TryParseExact(text, format, culture, styles, out withOffset) && (format.Contains('z') || format.Contains('K')) && HasOffset(text) ? withOffset : null;
            var result = offset ?? FromLocal(parsed, timeZone);
            return type == typeof(DateTime) ? result.DateTime : result;
        }
        if (type.IsEnum)
            return Enum.TryParse(type, text, ignoreCase: true, out var e) && Enum.IsDefined(type, e!) ? e! : throw new FormatException($"expected one of {string.Join(", ", Enum.GetNames(type))}");
        if (type == typeof(Guid))
            return Guid.TryParse(text, out var g) ? g : throw new FormatException("expected a GUID");
        throw new FormatException($"cannot read a {type.Name} from text");
    }

    /// <summary>
    /// Group separators where the culture puts them: .NET accepts "2.5" in de-DE as 25, so an en-US decimal in a German
    /// file would pass as a number ten times too large. A first group of one to three digits, then groups of three.
    /// </summary>
    private static bool Grouped(string text, CultureInfo culture)
    {
        var format = culture.NumberFormat;
        var group = format.NumberGroupSeparator;
        if (group.Length == 0 || !text.Contains(group, StringComparison.Ordinal) || format.NumberGroupSizes is not [3]) return true;
        var point = text.IndexOf(format.NumberDecimalSeparator, StringComparison.Ordinal);
        var parts = (point < 0 ? text : text[..point]).Trim().Trim('+', '-').Trim().Split(group);
        return parts[0].Length is >= 1 and <= 3 && parts.Skip(1).All(p => p.Length == 3);
    }

    private static bool Grouped(ReadOnlySpan<char> text, CultureInfo culture) =>
        culture.NumberFormat.NumberGroupSeparator is not { Length: > 0 } group || !text.Contains(group, StringComparison.Ordinal) || Grouped(new string(text), culture);

    private static bool HasOffset(string text) =>
        text.EndsWith('Z') || text.EndsWith('z') || System.Text.RegularExpressions.Regex.IsMatch(text, @"[+-]\d\d:?\d\d$");

    internal static DateTimeOffset FromLocal(DateTime value, TimeZoneInfo timeZone)
    {
        if (value.Kind == DateTimeKind.Utc) return new DateTimeOffset(value, TimeSpan.Zero);
        var unspecified = DateTime.SpecifyKind(value, DateTimeKind.Unspecified);
        return new DateTimeOffset(unspecified, timeZone.GetUtcOffset(unspecified));
    }

    private static FormatException Bad(string what, CultureInfo culture) =>
        new($"expected {what} ({(culture.Name.Length == 0 ? "invariant" : culture.Name)} format)");

    /// <summary>
    /// A decimal as the format "0.############################" of the culture writes it (no trailing zeros, no group
    /// separators, no sign on a zero), without parsing that format again for every value: a json file writes every number so.
    /// </summary>
    internal static string Text(decimal value, CultureInfo culture)
    {
        Span<char> buffer = stackalloc char[64];
        if (!value.TryFormat(buffer, out var length, default, culture)) return value.ToString("0.############################", culture);
        ReadOnlySpan<char> text = buffer[..length];
        var numbers = culture.NumberFormat;
        if (text.IndexOf(numbers.NumberDecimalSeparator.AsSpan()) >= 0)
        {
            text = text.TrimEnd('0');
            if (text.EndsWith(numbers.NumberDecimalSeparator.AsSpan())) text = text[..^numbers.NumberDecimalSeparator.Length];
        }
        if (text.Length == numbers.NegativeSign.Length + 1 && text[^1] == '0' && text.StartsWith(numbers.NegativeSign.AsSpan())) return "0";
        return new string(text);
    }

    /// <summary>Text of a value for a file or a value-map key: numbers without trailing zeros, dates in ISO 8601.</summary>
    public static string? ToText(object? value, CultureInfo culture, string? format = null) => value switch
    {
        null => null,
        string s => s,
        decimal d when format is null => Text(d, culture),
        bool b => b ? "1" : "0",
        DateTimeOffset t when format is null => t.ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture),
        DateTime t when format is null => t.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture),
        DateOnly d when format is null => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        Enum e => e.ToString(),
        IFormattable f => f.ToString(format, culture),
        _ => value.ToString(),
    };
}
