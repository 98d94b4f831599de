using System.Globalization;
using System.Runtime.CompilerServices;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Model;

namespace SyncEngine.Testing;

/// <summary>
/// A shop in the test: canonical records read in order (the cursor is the position) and the records written to it.
/// <see cref="BeforeRead"/> lets a test act in the middle of a run, before the record at a position is read.
/// </summary>
public sealed class MemorySystem
{
    public List<Entity> Records { get; } = [];
    public List<Entity> Written { get; } = [];
    public Func<int, Task>? BeforeRead { get; set; }

    /// <summary>Why the shop refuses a record written to it; null for one it takes.</summary>
    public Func<Entity, string?>? Refuse { get; set; }

    /// <summary>The records of one type written so far, and forgets them.</summary>
    public List<T> Take<T>() where T : Entity
    {
        lock (Written)
        {
            var taken = Written.OfType<T>().ToList();
            Written.RemoveAll(r => r is T);
            return taken;
        }
    }
}

/// <summary>The test's systems by connection name; one system for every connection when made with one.</summary>
public sealed class MemoryShops(MemorySystem? every = null)
{
    private readonly Dictionary<string, MemorySystem> _shops = new(StringComparer.OrdinalIgnoreCase);

    public MemorySystem this[string connection]
    {
        get
        {
            lock (_shops)
            {
                if (!_shops.TryGetValue(connection, out var shop)) _shops[connection] = shop = every ?? new MemorySystem();
                return shop;
            }
        }
    }
}

public sealed class MemoryConnectorFactory(MemoryShops shops) : IConnectorFactory
{
    public string Type => "Memory";

    public IConnector Create(ConnectionContext connection) => new MemoryConnector(connection.Name, shops[connection.Name]);
}

public sealed class MemoryConnector(string name, MemorySystem system) : IConnector
{
    public string Name => name;

    public IReadOnlyList<StreamInfo> Streams { get; } =
    [
        new("orders", typeof(Order), StreamAccess.ReadWrite),
        new("customers", typeof(Customer), StreamAccess.ReadWrite),
        new("stock", typeof(StockLevel), StreamAccess.ReadWrite),
        new("products", typeof(Product), StreamAccess.ReadWrite),
    ];

    public IRecordSource OpenSource(StreamContext context) => new Source(system, context.RecordType);

    public IRecordTarget OpenTarget(StreamContext context) => new Target(system);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class Source(MemorySystem system, Type type) : IRecordSource
    {
        public async IAsyncEnumerable<SourceRecord> ReadAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var start = cursor is null ? 0 : int.Parse(cursor, CultureInfo.InvariantCulture);
            for (var i = start; i < system.Records.Count; i++)
            {
                if (!type.IsInstanceOfType(system.Records[i])) continue;
                if (system.BeforeRead is { } before) await before(i + 1);
                yield return SourceRecord.Ok(system.Records[i], (i + 1).ToString(CultureInfo.InvariantCulture));
            }
        }
    }

    private sealed class Target(MemorySystem system) : IRecordTarget
    {
        public Task<WriteResult> WriteAsync(IReadOnlyList<WriteItem> batch, CancellationToken cancellationToken)
        {
            var outcomes = batch.Select(i => system.Refuse?.Invoke(i.Record) is { } reason ? RecordOutcome.Failed(i.Key, reason) : RecordOutcome.Written(i.Key, i.TargetId)).ToList();
            lock (system.Written) system.Written.AddRange(batch.Where((_, i) => outcomes[i].Kind == OutcomeKind.Written).Select(i => i.Record));
            return Task.FromResult(new WriteResult(outcomes));
        }
    }
}
