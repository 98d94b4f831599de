using System.Globalization;
using BenchmarkDotNet.Attributes;
using SyncEngine.Connectors.Files;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;
using SyncEngine.Core.Model;
using SyncEngine.Core.State;
using SyncEngine.Testing;

namespace SyncEngine.Benchmarks.Records;

/// <summary>
/// What one record costs on the engine's hot path, for the catalogue article of the e2e run: mapping a database row to the
/// canonical record and the record to a file row, its checksum, writing it as csv, xml or json, and committing its checksum
/// to the state store. Run: <c>dotnet run -c Release --project tests/SyncEngine.Benchmarks -- --filter *RecordBenchmarks*</c>.
/// </summary>
[MemoryDiagnoser]
public class RecordBenchmarks
{
    private const int Rows = 1_000;

    private RecordMapping _read = null!;
    private RecordMapping _write = null!;
    private DictionaryRow _row = null!;
    private Product _product = null!;
    private readonly Dictionary<string, (RecordFormat Format, MappedRow[] Rows)> _formats = [];
    private TempDirectory _folder = null!;
    private IStateStore _state = null!;
    private BatchCommit _commit = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var mappings = Path.Combine(AppContext.BaseDirectory, "mappings", "catalogue");
        _read = MappingLoader.Load(Path.Combine(mappings, "articles.json"));
        _write = MappingLoader.Load(Path.Combine(mappings, "csv.json"));
        _row = new DictionaryRow(new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase)
        {
            ["sku"] = "A0004711", ["ean"] = "5991000004711", ["name"] = "Kávéfőző Ékes 4711", ["unit"] = "pcs",
            ["price"] = 374.09m, ["price_gross"] = 475.09m, ["stock_bp"] = 41, ["stock_deb"] = 287, ["stock_web"] = 43,
            ["changed_at"] = new DateTime(2025, 1, 1, 1, 18, 31, DateTimeKind.Utc),
        });
        _product = (Product)_read.FromRow(_row);
        foreach (var format in new[] { "csv", "xml", "json" })
        {
            var mapping = MappingLoader.Load(Path.Combine(mappings, format + ".json"));
            var errors = new List<ConfigError>();
            var layout = FileLayout.Resolve(new SyncEngine.Connectors.Files.FileStreamOptions { Format = format, Indent = false }, mapping, "catalogue", "benchmark", typeof(Product), errors)
                ?? throw new InvalidOperationException(string.Join("; ", errors.Select(e => e.Message)));
            var recordFormat = layout.CreateFormat();
            var row = recordFormat.Prepare(mapping.ToRow(_product));
            _formats[format] = (recordFormat, Enumerable.Repeat(row, Rows).ToArray());
        }
        _folder = new TempDirectory();
        _state = TestEngine.CreateState(StateBackend.Sqlite, _folder, null);
        await _state.InitializeAsync(CancellationToken.None);
        _commit = new BatchCommit
        {
            Flow = "catalogue-csv",
            Checksums = Enumerable.Range(0, Rows).Select(i => new KeyValuePair<string, string>(Catalogue(i), CanonicalJson.Checksum(_product))).ToList(),
        };
    }

    private static string Catalogue(int i) => "A" + i.ToString("D7", CultureInfo.InvariantCulture);

    [Benchmark(Description = "map a database row to a Product")]
    public Entity MapRowToRecord() => _read.FromRow(_row);

    [Benchmark(Description = "map a Product to a csv row")]
    public MappedRow MapRecordToRow() => _write.ToRow(_product);

    [Benchmark(Description = "checksum of a Product")]
    public string Checksum() => CanonicalJson.Checksum(_product);

    [Benchmark(Description = "write a row as csv", OperationsPerInvoke = Rows)]
    public Task WriteCsv() => WriteAsync("csv");

    [Benchmark(Description = "write a row as xml", OperationsPerInvoke = Rows)]
    public Task WriteXml() => WriteAsync("xml");

    [Benchmark(Description = "write a row as json", OperationsPerInvoke = Rows)]
    public Task WriteJson() => WriteAsync("json");

    [Benchmark(Description = "commit a checksum to the SQLite state", OperationsPerInvoke = Rows)]
    public Task CommitChecksum() => _state.CommitBatchAsync(_commit, CancellationToken.None);

    private Task WriteAsync(string format)
    {
        var (recordFormat, rows) = _formats[format];
        return recordFormat.WriteAsync(Stream.Null, rows.ToAsyncEnumerable(), single: false, CancellationToken.None);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
