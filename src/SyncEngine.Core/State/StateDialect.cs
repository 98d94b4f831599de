using System.Data.Common;

namespace SyncEngine.Core.State;

/// <summary>What differs between the SQL databases the state can live in.</summary>
public abstract class StateDialect
{
    public static readonly StateDialect Sqlite = new SqliteDialect();
    public static readonly StateDialect PostgreSql = new PostgreSqlDialect();

    public abstract string Name { get; }

    /// <summary>Column definition of an auto-numbered primary key.</summary>
    public abstract string IdentityColumn { get; }

    /// <summary>Appended to a SELECT that must lock the rows it reads until the transaction ends.</summary>
    public abstract string ForUpdate { get; }

    /// <summary>A condition that <paramref name="column"/> is one of the keys passed as one parameter (see <see cref="KeyList"/>).</summary>
    public abstract string InKeys(string column, string parameter);

    /// <summary>The value of the one parameter of <see cref="InKeys"/>: no statement grows with the number of keys.</summary>
    public abstract object KeyList(IReadOnlyCollection<string> keys);

    /// <summary>
    /// Inserts or updates many rows of one table in the fastest form the database offers; called inside a transaction.
    /// Columns are (name, SQL type: text, bigint or integer); <paramref name="shared"/> are columns with one value for every
    /// row (the flow, the time), sent once; <paramref name="onConflict"/> is the ON CONFLICT clause.
    /// </summary>
    public abstract Task UpsertAsync(DbConnection connection, DbTransaction transaction, string table, IReadOnlyList<(string Name, string Type)> columns,
        IReadOnlyList<object?[]> rows, IReadOnlyList<(string Name, string Type, object? Value)> shared, string onConflict, CancellationToken cancellationToken);

    /// <summary>
    /// Whether <see cref="UpsertAsync"/> takes a key twice in one call, the later row applied over the earlier as if each
    /// were its own statement; otherwise (PostgreSQL: a statement cannot change a row twice) each key is passed once.
    /// </summary>
    public virtual bool UpsertsRepeatedKeysInOrder => false;

    private static void AddShared(DbCommand command, IReadOnlyList<(string Name, string Type, object? Value)> shared)
    {
        for (var i = 0; i < shared.Count; i++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "s" + i;
            parameter.Value = shared[i].Value switch
            {
                null => DBNull.Value,
                string text => Storable(text),
                var value => value,
            };
            command.Parameters.Add(parameter);
        }
    }

    /// <summary>
    /// Text as the state store keeps it: a NUL becomes '␀' (U+2400) and half a surrogate pair U+FFFD. PostgreSQL refuses
    /// both, and a dead letter holding a bad input line, or a key read from one, failed the run at its commit, every run.
    /// </summary>
    public static string Storable(string text)
    {
        var clean = true;
        for (var i = 0; i < text.Length && clean; i++)
        {
            if (text[i] == '\0') clean = false;
            else if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i])) clean = false;
        }
        if (clean) return text;
        var builder = new System.Text.StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0') builder.Append('\u2400');
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) builder.Append(c).Append(text[++i]);
            else builder.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
        }
        return builder.ToString();
    }

    /// <summary>Run once per connection pool before migrations.</summary>
    public virtual Task PrepareAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Run on every connection the store opens, before it is used.</summary>
    public virtual Task OpenedAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Serialises schema migrations between processes that start at the same time.</summary>
    public virtual Task LockSchemaAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) => Task.CompletedTask;

    private sealed class SqliteDialect : StateDialect
    {
        public override string Name => "SQLite";
        public override string IdentityColumn => "INTEGER PRIMARY KEY AUTOINCREMENT";
        public override string ForUpdate => string.Empty; // a write transaction in SQLite already excludes other writers

        // One INSERT ... SELECT inserts its rows one after the other: a repeated key meets the row before it and updates it.
        public override bool UpsertsRepeatedKeysInOrder => true;

        public override string InKeys(string column, string parameter) => $"{column} IN (SELECT value FROM json_each(@{parameter}))";

        public override object KeyList(IReadOnlyCollection<string> keys) => System.Text.Json.JsonSerializer.Serialize(keys.Select(Storable));

        public override async Task UpsertAsync(DbConnection connection, DbTransaction transaction, string table, IReadOnlyList<(string Name, string Type)> columns,
            IReadOnlyList<object?[]> rows, IReadOnlyList<(string Name, string Type, object? Value)> shared, string onConflict, CancellationToken cancellationToken)
        {
            if (rows.Count == 0) return;
            // One statement for the whole batch: the rows travel as one JSON array of arrays (UTF-8 bytes, read as text) and
            // jsonb_each turns them back into rows inside SQLite, so nothing is bound or stepped per row. Parsed once into
            // SQLite's binary JSON, each row's values are read from it without printing and parsing the row again as text
            // (json_each's would be). (WHERE true: SQLite's grammar needs it between a SELECT and ON CONFLICT.)
            // Built before the first await and copied out, so one buffer per thread serves every commit.
            var buffer = _rows ??= new System.Buffers.ArrayBufferWriter<byte>(64 * 1024);
            buffer.ResetWrittenCount();
            using (var json = new System.Text.Json.Utf8JsonWriter(buffer))
            {
                json.WriteStartArray();
                foreach (var row in rows)
                {
                    json.WriteStartArray();
                    foreach (var value in row)
                    {
                        switch (value)
                        {
                            case null:
                                json.WriteNullValue();
                                break;
                            case string text:
                                json.WriteStringValue(Storable(text));
                                break;
                            default:
                                json.WriteNumberValue(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                                break;
                        }
                    }
                    json.WriteEndArray();
                }
                json.WriteEndArray();
            }
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = $"INSERT INTO {table} ({string.Join(", ", columns.Select(c => c.Name).Concat(shared.Select(c => c.Name)))}) " +
                $"SELECT {string.Join(", ", columns.Select((_, i) => $"value ->> {i}").Concat(shared.Select((_, i) => $"@s{i}")))} " +
                $"FROM jsonb_each(jsonb(CAST(@rows AS TEXT))) WHERE true {onConflict}";
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@rows";
            parameter.Value = buffer.WrittenSpan.ToArray();
            if (buffer.Capacity > 16 * 1024 * 1024) _rows = null;
            command.Parameters.Add(parameter);
            AddShared(command, shared);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        [ThreadStatic]
        private static System.Buffers.ArrayBufferWriter<byte>? _rows;

        public override async Task PrepareAsync(DbConnection connection, CancellationToken cancellationToken)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL;";
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        /// <summary>
        /// FULL: every state commit is on disk before the target is told to publish (files renamed after their receipt was
        /// committed). NORMAL would let a power failure roll back commits whose files a receiver already took, and they
        /// would be sent again; one sync per batch is cheap.
        /// </summary>
        public override async Task OpenedAsync(DbConnection connection, CancellationToken cancellationToken)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA synchronous=FULL;";
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private sealed class PostgreSqlDialect : StateDialect
    {
        public override string Name => "PostgreSQL";
        public override string IdentityColumn => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
        public override string ForUpdate => " FOR UPDATE";

        public override string InKeys(string column, string parameter) => $"{column} = ANY(@{parameter})";

        public override object KeyList(IReadOnlyCollection<string> keys) => keys.Select(Storable).ToArray();

        public override async Task UpsertAsync(DbConnection connection, DbTransaction transaction, string table, IReadOnlyList<(string Name, string Type)> columns,
            IReadOnlyList<object?[]> rows, IReadOnlyList<(string Name, string Type, object? Value)> shared, string onConflict, CancellationToken cancellationToken)
        {
            if (rows.Count == 0) return;
            // One statement for the whole batch: each column travels as one typed array and unnest turns them back into rows.
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = $"INSERT INTO {table} ({string.Join(", ", columns.Select(c => c.Name).Concat(shared.Select(c => c.Name)))}) " +
                $"SELECT {string.Join(", ", columns.Select((_, i) => $"u.v{i}").Concat(shared.Select((c, i) => $"@s{i}::{c.Type}")))} " +
                $"FROM unnest({string.Join(", ", columns.Select((c, i) => $"@p{i}::{c.Type}[]"))}) AS u({string.Join(", ", columns.Select((_, i) => $"v{i}"))}) {onConflict}";
            for (var i = 0; i < columns.Count; i++)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = "p" + i;
                parameter.Value = columns[i].Type switch
                {
                    "bigint" => rows.Select(r => r[i] is null ? (long?)null : Convert.ToInt64(r[i], System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
                    "integer" => rows.Select(r => r[i] is null ? (int?)null : Convert.ToInt32(r[i], System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
                    _ => (object)rows.Select(r => r[i] is string text ? Storable(text) : (string?)r[i]).ToArray(),
                };
                command.Parameters.Add(parameter);
            }
            AddShared(command, shared);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        public override async Task LockSchemaAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "SELECT pg_advisory_xact_lock(7431001)";
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
