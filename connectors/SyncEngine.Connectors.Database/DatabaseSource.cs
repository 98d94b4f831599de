using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;

namespace SyncEngine.Connectors.Database;

/// <summary>
/// Streams the rows of a read mapping's query, one canonical record each. With a cursor column the query gets
/// <c>@cursor</c> = the cursor column's value of the last committed row and selects <c>&gt;= @cursor</c>: rows that share
/// that value are read again and skipped by the engine's checksums, so none is ever missed.
/// </summary>
internal sealed class DatabaseSource(DatabaseConnector connector, DatabaseMapping mapping, StreamContext context) : IRecordSource
{
    private readonly ReadSettings _settings = mapping.Read!;

    public bool CursorFollowsChanges => _settings.Cursor is not null;

    public async IAsyncEnumerable<SourceRecord> ReadAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await connector.EnsureSetupAsync(cancellationToken);
        await using var connection = await connector.OpenAsync(cancellationToken);
        await using var command = connector.Dialect.Command(connection, null, _settings.Query, []);
        if (_settings.Cursor is not null)
            connector.Dialect.AddParameter(command, "cursor", await StartAsync(connection, context.Full ? null : cursor, cancellationToken));
        connector.BindQueryParameters(command, _settings.Query);

        DbDataReader reader;
        try
        {
            reader = await command.ExecuteReaderAsync(cancellationToken);
        }
        catch (DbException ex)
        {
            throw new DatabaseException($"connection '{connector.Name}' ({connector.Where}): the query of {mapping.File} failed: {connector.Redact(connector.Dialect.Message(ex))}", ex);
        }
        await using (reader)
        {
            var row = new ReaderRow(reader, connector.Dialect.TypedColumns);
            var cursorColumn = _settings.Cursor is null ? -1 : row.Ordinal(_settings.Cursor);
            var idColumn = mapping.Mapping.Fields.FirstOrDefault(f => string.Equals(f.Name, "Id", StringComparison.OrdinalIgnoreCase))?.SourcePaths.FirstOrDefault() is { } id ? row.Ordinal(id) : -1;
            var number = 0L;
            while (await reader.ReadAsync(cancellationToken))
            {
                number++;
                // The cursor's text is made only for the records a run asks it of (the last of a batch).
                var position = cursorColumn >= 0 ? row.ValueAt(cursorColumn) : null;
                SourceRecord record;
                try
                {
                    record = SourceRecord.Ok(mapping.Mapping.FromRow(row), position, CursorText);
                }
                catch (RecordException ex)
                {
                    // The row goes to the dead letters with its columns; the read goes on.
                    var key = idColumn >= 0 && CursorValue.Format(reader.GetValue(idColumn)) is { Length: > 0 } value ? value : $"row {number}";
                    record = SourceRecord.Unreadable(key, row.ToJson(), $"row {number}: {ex.Message}", CursorValue.Format(position));
                }
                yield return record;
            }
        }
    }

    private static readonly Func<object, string?> CursorText = CursorValue.Format;

    /// <summary>The value a read starts at: the stored cursor in the cursor column's type, or that type's smallest value.</summary>
    private async Task<object> StartAsync(DbConnection connection, string? cursor, CancellationToken cancellationToken)
    {
        IReadOnlyList<(string Name, Type Type)> columns;
        try
        {
            columns = await connector.QueryColumnsAsync(connection, _settings, cancellationToken);
        }
        catch (DbException ex)
        {
            throw new DatabaseException($"connection '{connector.Name}' ({connector.Where}): the query of {mapping.File} failed: {connector.Redact(connector.Dialect.Message(ex))}", ex);
        }
        var column = columns.FirstOrDefault(c => string.Equals(c.Name, _settings.Cursor, StringComparison.OrdinalIgnoreCase));
        if (column.Name is null)
        {
            throw new ConfigurationException("database.cursor",
                $"column '{_settings.Cursor}' is not in the query's result; it returns: {string.Join(", ", columns.Select(c => c.Name))}", mapping.File, _settings.CursorLine);
        }
        try
        {
            return cursor is null ? connector.Dialect.Minimum(column.Type) : CursorValue.Parse(cursor, column.Type);
        }
        catch (NotSupportedException ex)
        {
            throw new ConfigurationException("database.cursor", ex.Message, mapping.File, _settings.CursorLine);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException(
                $"Flow {context.Flow}: the stored cursor '{cursor}' is not a {column.Type.Name} as column '{column.Name}' now is; the query changed. Run the flow once with --full.");
        }
    }
}

/// <summary>Cursor values as text: invariant numbers, ISO 8601 dates (round-trip), hex for binary row versions.</summary>
internal static class CursorValue
{
    public static string? Format(object? value) => value switch
    {
        null or DBNull => null,
        string text => text,
        DateTime time => time.ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset time => time.ToString("O", CultureInfo.InvariantCulture),
        DateOnly date => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        byte[] bytes => "0x" + Convert.ToHexString(bytes),
        double number => number.ToString("R", CultureInfo.InvariantCulture),
        float number => number.ToString("R", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    /// <exception cref="FormatException">The text is not a value of <paramref name="type"/>.</exception>
    public static object Parse(string text, Type type)
    {
        if (type == typeof(string)) return text;
        if (type == typeof(DateTime)) return DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        if (type == typeof(DateTimeOffset)) return DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        if (type == typeof(DateOnly)) return DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        if (type == typeof(Guid)) return Guid.Parse(text);
        if (type == typeof(byte[]))
            return text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? Convert.FromHexString(text[2..]) : throw new FormatException("expected 0x and hex digits");
        try
        {
            return Convert.ChangeType(text, type, CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is InvalidCastException or OverflowException)
        {
            throw new FormatException(ex.Message, ex);
        }
    }
}

/// <summary>The reader's current row as a mapping's source row; columns are found whatever their case.</summary>
internal sealed class ReaderRow : IPositionalRow
{
    private readonly DbDataReader _reader;
    private readonly bool _typed;
    private readonly Dictionary<string, int> _ordinals = new(StringComparer.OrdinalIgnoreCase);

    /// <param name="typed">Every value of a column has the column's type (<see cref="SqlDialect.TypedColumns"/>).</param>
    public ReaderRow(DbDataReader reader, bool typed)
    {
        _reader = reader;
        _typed = typed;
        for (var i = 0; i < reader.FieldCount; i++) _ordinals.TryAdd(reader.GetName(i), i);
    }

    public int Ordinal(string column) => _ordinals.GetValueOrDefault(column, -1);

    public object Columns => _ordinals;

    public int PositionOf(string field) => Ordinal(field);

    public object? ValueAt(int position)
    {
        var raw = _reader.GetValue(position);
        return raw is DBNull ? null : raw;
    }

    public Type? FixedTypeAt(int position) => _typed ? _reader.GetFieldType(position) : null;

    public bool IsNullAt(int position) => _reader.IsDBNull(position);

    public T TypedValueAt<T>(int position)
    {
        // The reader's accessor of the type itself: GetFieldValue<T> is a generic virtual method, looked up slowly on every call.
        if (typeof(T) == typeof(string)) return (T)(object)_reader.GetString(position);
        if (typeof(T) == typeof(decimal)) return (T)(object)_reader.GetDecimal(position);
        if (typeof(T) == typeof(int)) return (T)(object)_reader.GetInt32(position);
        if (typeof(T) == typeof(long)) return (T)(object)_reader.GetInt64(position);
        if (typeof(T) == typeof(DateTime)) return (T)(object)_reader.GetDateTime(position);
        if (typeof(T) == typeof(bool)) return (T)(object)_reader.GetBoolean(position);
        if (typeof(T) == typeof(double)) return (T)(object)_reader.GetDouble(position);
        return _reader.GetFieldValue<T>(position);
    }

    public bool TryGet(string field, out object? value)
    {
        if (!_ordinals.TryGetValue(field, out var ordinal))
        {
            value = null;
            return false;
        }
        value = ValueAt(ordinal);
        return true;
    }

    public IReadOnlyList<ISourceRow> Children(string name) => [];

    /// <summary>The row as a JSON object, for the dead letter of a row that could not be mapped.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            foreach (var (name, ordinal) in _ordinals)
            {
                json.WritePropertyName(name);
                switch (_reader.GetValue(ordinal))
                {
                    case DBNull or null:
                        json.WriteNullValue();
                        break;
                    case bool flag:
                        json.WriteBooleanValue(flag);
                        break;
                    case long or int or short or byte or decimal:
                        json.WriteRawValue(CursorValue.Format(_reader.GetValue(ordinal))!);
                        break;
                    case var other:
                        json.WriteStringValue(CursorValue.Format(other));
                        break;
                }
            }
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
