using SyncEngine.Core.Connectors;

namespace SyncEngine.Connectors.Database.Tests;

/// <summary>What a DECIMAL(p,s) column is given: every number with p - s digits before the point, and none with more.</summary>
public sealed class ColumnValueTests
{
    [Theory]
    [InlineData(18, 4, "99999999999999.9999", true)]
    [InlineData(18, 4, "-99999999999999.9999", true)]
    [InlineData(18, 4, "100000000000000", false)]
    [InlineData(18, 4, "-100000000000000", false)]
    [InlineData(12, 3, "999999999.999", true)]
    [InlineData(12, 3, "1000000000", false)]
    [InlineData(5, 5, "0.99999", true)]
    [InlineData(5, 5, "1", false)]
    [InlineData(5, 5, "-1", false)]
    [InlineData(38, 0, "79228162514264337593543950335", true)]
    public void A_number_is_written_when_its_whole_part_fits_the_column_and_refused_naming_its_digits_when_not(int precision, int scale, string text, bool fits)
    {
        var column = new ColumnInfo("quantity", typeof(decimal), $"numeric({precision},{scale})", false) { Digits = (precision, scale) };
        var value = decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

        if (fits)
        {
            Assert.Equal(value, ColumnValue.Convert(value, column, TimeZoneInfo.Utc));
            return;
        }
        var refused = Assert.Throws<RecordException>(() => ColumnValue.Convert(value, column, TimeZoneInfo.Utc));
        var whole = text.TrimStart('-').Split('.')[0].Length;
        Assert.Equal($"column 'quantity': '{text}' has {whole} digits before the decimal point, but the column holds {precision - scale} (precision {precision}, scale {scale})",
            refused.Message);
    }
}
