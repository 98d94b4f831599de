using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;
using SyncEngine.Core.Model;

namespace SyncEngine.Connectors.Files;

/// <summary>One record of a file: the canonical record, or the raw text of one that could not be read and why.</summary>
internal sealed record ReadItem(Entity? Record, string? Raw, string? Error);

/// <summary>Reads the records of one file, one at a time, so a file of any size is read with flat memory.</summary>
internal interface IRecordReader : IAsyncDisposable
{
    /// <summary>The next record, or null at the end of the file. A record that cannot be read comes back as an item with an error.</summary>
    /// <exception cref="BrokenFileException">The file cannot be read on from here (not well-formed, a bad header).</exception>
    ValueTask<ReadItem?> NextAsync(CancellationToken cancellationToken);
}

/// <summary>The file cannot be read on: its structure is broken, not just one record's values.</summary>
/// <param name="Line">The line the unread rest of the file starts at (the record being read), or 0 when unknown.</param>
internal sealed class BrokenFileException(string message, int line, Exception? inner = null) : Exception(message, inner)
{
    public int Line { get; } = line;
}

/// <summary>What one record of a file holds before the mapping reads it.</summary>
/// <param name="Where">Where the record is, for messages: <c>line 7</c>, <c>record 3, line 12</c>.</param>
/// <param name="Problem">Why the text is no record (wrong column count, undecodable bytes); null for a row to map.</param>
internal sealed record RowRecord(string Where, string Raw, FileRow? Row, string? Problem);

/// <summary>Reads the rows of one file in a format; a mapping turns them into canonical records.</summary>
internal interface IRowReader : IAsyncDisposable
{
    /// <exception cref="BrokenFileException">The file cannot be read on from here.</exception>
    ValueTask<RowRecord?> NextAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The values of one record (a line, an element, an object) by field name, with its child rows. Remembers which field
/// the mapping read last, so a value that does not convert is reported with the line and column it came from.
/// </summary>
internal class FileRow(int line, IReadOnlyDictionary<string, object?> values, IReadOnlyDictionary<string, IReadOnlyList<ISourceRow>>? children, RowTrace trace)
    : ISourceRow
{
    public int Line { get; } = line;

    public RowTrace Trace { get; } = trace;

    public bool TryGet(string field, out object? value)
    {
        Trace.Row = this;
        Trace.Field = field;
        return values.TryGetValue(field, out value);
    }

    public IReadOnlyList<ISourceRow> Children(string name) => children?.GetValueOrDefault(name) ?? [];
}

/// <summary>
/// A record that is one line of a csv file: its text values sit at the positions of the file's columns, so a mapping reads
/// them by position, the same for every line with those columns.
/// </summary>
internal sealed class LineRow(int line, LineValues values, RowTrace trace) : FileRow(line, values, null, trace), IPositionalRow
{
    public object Columns => values.Columns;

    public int PositionOf(string field) => values.Columns.Positions.TryGetValue(field, out var position) ? position : -1;

    /// <summary>The value at a position, remembered as the field read last, as <see cref="FileRow.TryGet"/> does.</summary>
    public object? ValueAt(int position)
    {
        Trace.Row = this;
        Trace.Field = values.Columns.Names[position];
        return values.Items[position];
    }

    public Type? FixedTypeAt(int position) => typeof(string);

    public bool IsNullAt(int position) => values.Items[position] is null;

    public T TypedValueAt<T>(int position) => (T)(object)values.Items[position];
}

/// <summary>The row and field a mapping read last, shared by the rows of one record.</summary>
internal sealed class RowTrace
{
    public FileRow? Row { get; set; }
    public string? Field { get; set; }
}

/// <summary>Turns the rows of a format reader into canonical records with a read mapping; a row that does not map is dead-lettered alone.</summary>
internal sealed class MappedRecordReader(IRowReader rows, RecordMapping mapping, string fileName, bool lineBased) : IRecordReader
{
    public async ValueTask<ReadItem?> NextAsync(CancellationToken cancellationToken)
    {
        if (await rows.NextAsync(cancellationToken) is not { } next) return null;
        if (next.Row is null) return new ReadItem(null, next.Raw, $"{fileName}, {next.Where}: {next.Problem}");
        try
        {
            return new ReadItem(mapping.FromRow(next.Row), next.Raw, null);
        }
        catch (RecordException ex)
        {
            return new ReadItem(null, next.Raw, Describe(next, ex));
        }
    }

    private string Describe(RowRecord record, RecordException ex)
    {
        var trace = record.Row!.Trace;
        // A child line of a multi-line record is named by its own line number.
        var where = lineBased && trace.Row is { } row && row != record.Row ? $"line {row.Line}" : record.Where;
        var source = trace.Field is { } field && ex.Value is not null && !string.Equals(field, ex.Field, StringComparison.OrdinalIgnoreCase)
            ? $", read from '{field}'" : string.Empty;
        return $"{fileName}, {where}: {ex.Message}{source}";
    }

    public ValueTask DisposeAsync() => rows.DisposeAsync();
}
