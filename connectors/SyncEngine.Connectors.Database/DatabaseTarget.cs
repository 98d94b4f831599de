using System.Data;
using System.Data.Common;
using System.Globalization;
using Microsoft.Extensions.Logging;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;

namespace SyncEngine.Connectors.Database;

/// <summary>
/// Writes a batch in one transaction. Each record is upserted on its key under a savepoint, with its child rows: header,
/// identity, the header's old child rows deleted, the new ones inserted. A record the mapping or the database refuses
/// is rolled back to its savepoint and reported failed; anything else (database down, table gone) fails the batch.
/// Large batches of flat records take the provider's bulk path.
/// </summary>
internal sealed partial class DatabaseTarget(DatabaseConnector connector, DatabaseMapping mapping, StreamContext context, ILogger logger) : IRecordTarget
{
    private const string Savepoint = "syncengine_record";

    private readonly WriteSettings _settings = mapping.Write!;
    private readonly MappingContext _mappingContext = MappingContext.For(context);
    /// <summary>A batch met a row already there (or the database has no plain bulk insert): the run upserts from then on.</summary>
    private bool _upsertOnly;
    private WritePlan? _plan;

    /// <summary>The table of the statement being run, for messages.</summary>
    private string _table = mapping.Write!.Table;

    private SqlDialect Dialect => connector.Dialect;

    public async Task<WriteResult> WriteAsync(IReadOnlyList<WriteItem> batch, CancellationToken cancellationToken)
    {
        await connector.EnsureSetupAsync(cancellationToken);
        var outcomes = new RecordOutcome?[batch.Count];
        var rows = new MappedRow?[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            try
            {
                rows[i] = await mapping.Mapping.ToRowAsync(batch[i].Record, _mappingContext, cancellationToken);
            }
            catch (RecordException ex)
            {
                outcomes[i] = RecordOutcome.Failed(batch[i].Key, ex.Message);
            }
        }

        await using var connection = await connector.OpenAsync(cancellationToken);
        _table = _settings.Table;
        try
        {
            var plan = _plan ??= await PlanAsync(connection, cancellationToken);
            var records = new List<BoundRecord>(batch.Count);
            for (var i = 0; i < batch.Count; i++)
            {
                if (rows[i] is null) continue;
                try
                {
                    records.Add(plan.Bind(i, batch[i].Key, rows[i]!, mapping.Mapping.TimeZone));
                }
                catch (RecordException ex)
                {
                    outcomes[i] = RecordOutcome.Failed(batch[i].Key, ex.Message);
                }
            }
            if (plan.IsFlat && records.Count >= connector.BulkThreshold && await TryBulkAsync(connection, plan, records, cancellationToken))
            {
                foreach (var record in records) outcomes[record.Index] = RecordOutcome.Written(record.Key, plan.KeyText(record.Header));
            }
            else
            {
                await WriteEachAsync(connection, plan, records, outcomes, cancellationToken);
            }
        }
        catch (DbException ex)
        {
            // What is known of the tables may be what failed (a table renamed or altered): read them again next time.
            _plan = null;
            connector.ForgetTables();
            throw new DatabaseException($"connection '{connector.Name}' ({connector.Where}): writing to table '{_table}' failed: {connector.Redact(Dialect.Message(ex))}", ex);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ConfigurationException)
        {
            _plan = null;
            connector.ForgetTables();
            throw;
        }
        return new WriteResult(outcomes.Select((o, i) => o ?? RecordOutcome.Failed(batch[i].Key, "the record was not written")).ToList());
    }

    private async Task WriteEachAsync(DbConnection connection, WritePlan plan, List<BoundRecord> records, RecordOutcome?[] outcomes, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var record in records)
        {
            await transaction.SaveAsync(Savepoint, cancellationToken);
            _table = _settings.Table;
            try
            {
                var identity = await UpsertHeaderAsync(connection, transaction, plan, record, cancellationToken);
                for (var c = 0; c < plan.Children.Count; c++)
                {
                    var child = plan.Children[c];
                    _table = child.Settings.Table;
                    var parent = child.ParentValues(record.Header, identity, mapping.Mapping.TimeZone);
                    await WriteChildrenAsync(connection, transaction, child, record.Children[c], parent, cancellationToken);
                }
                await transaction.ReleaseAsync(Savepoint, cancellationToken);
                outcomes[record.Index] = RecordOutcome.Written(record.Key, identity is null ? plan.KeyText(record.Header) : Text(identity));
            }
            catch (DbException ex) when (Dialect.IsRecordError(ex))
            {
                await transaction.RollbackAsync(Savepoint, cancellationToken);
                outcomes[record.Index] = RecordOutcome.Failed(record.Key, $"table '{_table}' refused the record: {connector.Redact(Dialect.Message(ex))}");
            }
            catch (RecordException ex)
            {
                await transaction.RollbackAsync(Savepoint, cancellationToken);
                outcomes[record.Index] = RecordOutcome.Failed(record.Key, ex.Message);
            }
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private async Task<object?> UpsertHeaderAsync(DbConnection connection, DbTransaction transaction, WritePlan plan, BoundRecord record, CancellationToken cancellationToken)
    {
        await using var command = Dialect.Command(connection, transaction, plan.Upsert, record.Header);
        if (plan.Identity is null)
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
            return null;
        }
        var identity = await command.ExecuteScalarAsync(cancellationToken);
        if (identity is null || identity is DBNull)
            throw new InvalidOperationException($"table '{_settings.Table}' gave no value of identity column '{plan.Identity}' for record {record.Key}");
        return identity;
    }

    private async Task WriteChildrenAsync(DbConnection connection, DbTransaction transaction, ChildPlan child, IReadOnlyList<object?[]> rows,
        object?[] parent, CancellationToken cancellationToken)
    {
        if (child.Key.Count == 0)
        {
            // The header's old lines go and the new ones come: an order changed after import is updated, not doubled.
            await using (var delete = Dialect.Command(connection, transaction, child.Delete, parent))
                await delete.ExecuteNonQueryAsync(cancellationToken);
        }
        foreach (var row in rows)
        {
            // Every child row gets the parent key: the lines belong to this header, whatever id it got.
            await using var command = Dialect.Command(connection, transaction, child.Key.Count == 0 ? child.Insert : child.Upsert, row.Concat(parent));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        if (child.Key.Count > 0)
        {
            // Lines with a key of their own are updated in place (their ids stay); those no longer in the document go.
            await using var others = Dialect.Command(connection, transaction, child.DeleteOthers(rows.Count), parent.Concat(rows.SelectMany(row => child.KeyValues(row, parent))));
            await others.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private async Task<bool> TryBulkAsync(DbConnection connection, WritePlan plan, List<BoundRecord> records, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            var rows = records.Select(r => r.Header).ToList();
            // New rows go in as plain inserts until one batch meets a row already there; from then on the run upserts.
            if (!_upsertOnly && !await Dialect.BulkInsertAsync(connection, transaction, plan.Header.RealName, plan.Columns, rows, cancellationToken))
                _upsertOnly = true;
            if (_upsertOnly)
                await Dialect.BulkUpsertAsync(connection, transaction, plan.Header.RealName, plan.Columns, plan.KeyColumns, rows, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            LogBulkWritten(records.Count, _settings.Table, Dialect.BulkMethod);
            return true;
        }
        catch (DbException ex) when (connection.State == ConnectionState.Open)
        {
            // One refused row fails the whole bulk statement: the batch is written again record by record, so only that row fails.
            LogBulkFallback(records.Count, _settings.Table, Dialect.BulkMethod, connector.Redact(Dialect.Message(ex)));
            await transaction.RollbackAsync(cancellationToken);
            return false;
        }
    }

    private async Task<WritePlan> PlanAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var header = await RequireTableAsync(connection, _settings.Table, cancellationToken);
        var columns = header.Require(mapping.Mapping.Fields.Select(f => f.Name), mapping.File);
        var key = header.Require(_settings.Key, mapping.File).Select(c => c.Name).ToList();
        var identity = _settings.Identity is null ? null : header.Require([_settings.Identity], mapping.File)[0].Name;
        var names = columns.Select(c => c.Name).ToList();
        var children = new List<ChildPlan>();
        foreach (var settings in _settings.Children)
        {
            var table = await RequireTableAsync(connection, settings.Table, cancellationToken);
            var childMapping = mapping.Mapping.Children.First(c => string.Equals(c.Name, settings.Name, StringComparison.OrdinalIgnoreCase));
            children.Add(new ChildPlan(Dialect, settings, table, childMapping, mapping.File,
                settings.ParentKey.Select(p => (table.Require([p.Child], mapping.File)[0],
                    string.Equals(p.Header, identity, StringComparison.OrdinalIgnoreCase) ? -1 : names.FindIndex(n => string.Equals(n, p.Header, StringComparison.OrdinalIgnoreCase)))).ToList()));
        }
        return new WritePlan(header, columns, key, identity, Dialect.Upsert(header.RealName, names, key, identity), children);
    }

    private async Task<TableInfo> RequireTableAsync(DbConnection connection, string name, CancellationToken cancellationToken) =>
        await connector.TableAsync(connection, null, name, cancellationToken)
        ?? throw new DatabaseException($"connection '{connector.Name}' ({connector.Where}): table '{name}' does not exist (named in {mapping.File})");

    internal static string Text(object value) => ValueConverter.ToText(value, CultureInfo.InvariantCulture) ?? string.Empty;

    [LoggerMessage(Level = LogLevel.Debug, Message = "Wrote {Count} rows to {Table} by {Method}")]
    private partial void LogBulkWritten(int count, string table, string method);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bulk write of {Count} rows to {Table} by {Method} was refused ({Reason}); writing the batch record by record")]
    private partial void LogBulkFallback(int count, string table, string method, string reason);
}

/// <summary>One record's values, converted to its columns' types: the header row, and the rows of each child table in plan order.</summary>
internal sealed record BoundRecord(int Index, string Key, object?[] Header, IReadOnlyList<IReadOnlyList<object?[]>> Children);

/// <summary>The statements and columns of a write mapping against the real tables, worked out once per run.</summary>
internal sealed class WritePlan(TableInfo header, IReadOnlyList<ColumnInfo> columns, IReadOnlyList<string> keyColumns, string? identity, string upsert,
    IReadOnlyList<ChildPlan> children)
{
    private readonly int[] _keyIndexes = keyColumns.Select(k => columns.ToList().FindIndex(c => string.Equals(c.Name, k, StringComparison.OrdinalIgnoreCase))).ToArray();

    public TableInfo Header { get; } = header;
    public IReadOnlyList<ColumnInfo> Columns { get; } = columns;
    public IReadOnlyList<string> KeyColumns { get; } = keyColumns;
    public string? Identity { get; } = identity;
    public string Upsert { get; } = upsert;
    public IReadOnlyList<ChildPlan> Children { get; } = children;

    /// <summary>No child rows and no identity to hand on: the batch can be loaded in bulk.</summary>
    public bool IsFlat => Children.Count == 0 && Identity is null;

    public BoundRecord Bind(int index, string key, MappedRow row, TimeZoneInfo timeZone)
    {
        var header = new object?[Columns.Count];
        for (var i = 0; i < header.Length; i++) header[i] = ColumnValue.Convert(row.Values[i], Columns[i], timeZone, row.Names[i]);
        if (Children.Count == 0) return new BoundRecord(index, key, header, []);
        var children = new List<IReadOnlyList<object?[]>>(Children.Count);
        foreach (var child in Children) children.Add(child.Bind(row, timeZone));
        return new BoundRecord(index, key, header, children);
    }

    /// <summary>The row's key values joined with '|': the target id of a table without identity.</summary>
    public string KeyText(object?[] header)
    {
        if (_keyIndexes.Length == 1) return KeyPart(header[_keyIndexes[0]]);
        if (_keyIndexes.Length == 2) return string.Concat(KeyPart(header[_keyIndexes[0]]), "|", KeyPart(header[_keyIndexes[1]]));
        var parts = new string[_keyIndexes.Length];
        for (var i = 0; i < parts.Length; i++) parts[i] = KeyPart(header[_keyIndexes[i]]);
        return string.Join('|', parts);
    }

    private static string KeyPart(object? value) => value is null ? string.Empty : DatabaseTarget.Text(value);
}

/// <summary>A child table: the mapped columns followed by the parent key columns, and its statements.</summary>
internal sealed class ChildPlan
{
    private readonly int[] _fieldIndexes;
    private readonly IReadOnlyList<ColumnInfo> _columns;
    private readonly IReadOnlyList<(ColumnInfo Column, int HeaderIndex)> _parentKey;
    private readonly int[] _keyIndexes;
    private readonly SqlDialect _dialect;
    private readonly string _table;
    private readonly string _path;

    public ChildPlan(SqlDialect dialect, ChildTableSettings settings, TableInfo table, ChildMapping child, string file,
        IReadOnlyList<(ColumnInfo Column, int HeaderIndex)> parentKey)
    {
        _dialect = dialect;
        _table = table.RealName;
        _path = child.Path;
        Settings = settings;
        Name = child.Name;
        _parentKey = parentKey;
        // A mapped column that is also a parent key column is filled from the header.
        var mapped = child.Fields.Select((f, i) => (f.Name, Index: i)).Where(f => !parentKey.Any(p => string.Equals(p.Column.Name, f.Name, StringComparison.OrdinalIgnoreCase))).ToList();
        _fieldIndexes = mapped.Select(f => f.Index).ToArray();
        _columns = table.Require(mapped.Select(f => f.Name), file);
        var all = _columns.Select(c => c.Name).Concat(parentKey.Select(p => p.Column.Name)).ToList();
        Key = settings.Key.Count == 0 ? [] : table.Require(settings.Key, file).Select(c => c.Name).ToList();
        _keyIndexes = Key.Select(k => all.FindIndex(c => string.Equals(c, k, StringComparison.OrdinalIgnoreCase))).ToArray();
        Insert = dialect.Insert(_table, all);
        Upsert = Key.Count == 0 ? string.Empty : dialect.Upsert(_table, all, Key, null);
        Delete = dialect.Delete(_table, parentKey.Select(p => p.Column.Name).ToList());
    }

    public ChildTableSettings Settings { get; }
    public string Name { get; }

    public IReadOnlyList<string> Key { get; }
    public string Insert { get; }
    public string Upsert { get; }
    public string Delete { get; }

    public string DeleteOthers(int keep) => _dialect.DeleteOthers(_table, _parentKey.Select(p => p.Column.Name).ToList(), Key, keep);

    public IReadOnlyList<object?[]> Bind(MappedRow header, TimeZoneInfo timeZone)
    {
        var rows = header.Children.GetValueOrDefault(Name) ?? [];
        return rows.Select((row, index) =>
        {
            try
            {
                return _fieldIndexes.Select((field, i) => ColumnValue.Convert(row.Values[field], _columns[i], timeZone, row.Names[field])).ToArray();
            }
            catch (RecordException ex)
            {
                throw new RecordException($"{_path}[{index + 1}]: {ex.Message}", ex.Field, ex.Value, ex);
            }
        }).ToList();
    }

    public object?[] ParentValues(object?[] header, object? identity, TimeZoneInfo timeZone) =>
        _parentKey.Select(p => ColumnValue.Convert(p.HeaderIndex < 0 ? identity : header[p.HeaderIndex], p.Column, timeZone)).ToArray();

    public IEnumerable<object?> KeyValues(object?[] row, object?[] parent) => _keyIndexes.Select(i => i < row.Length ? row[i] : parent[i - row.Length]);
}
