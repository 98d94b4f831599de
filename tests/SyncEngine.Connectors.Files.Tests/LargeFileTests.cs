using System.Text;
using Microsoft.Extensions.Configuration;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;
using SyncEngine.Core.Model;

namespace SyncEngine.Connectors.Files.Tests;

[CollectionDefinition(nameof(LargeFileTests), DisableParallelization = true)]
public sealed class LargeFileCollection;

/// <summary>Reading streams: a large file is read record by record, never whole. Alone in its collection so memory readings are its own.</summary>
[Collection(nameof(LargeFileTests))]
public sealed class LargeFileTests : IAsyncDisposable
{
    private const int Lines = 200_000;
    private readonly FilesEngine _engine = new();
    private readonly string _file;
    private readonly string _mapping;

    public LargeFileTests()
    {
        _mapping = _engine[_engine.Mapping("articles.json", """
            {
              "record": "Product", "direction": "read", "culture": "de-DE",
              "fields": { "Id": "Artikelnummer", "Sku": "Artikelnummer", "Name": "Bezeichnung", "Prices.Base": "Preis" }
            }
            """)];
        Directory.CreateDirectory(_engine["supplier"]);
        _file = _engine["supplier/articles.csv"];
        using var writer = new StreamWriter(_file, false, new UTF8Encoding(false), 1 << 16);
        writer.Write("Artikelnummer;Bezeichnung;Preis\r\n");
        for (var i = 0; i < Lines; i++)
            writer.Write($"{100000 + i};Brillenfassung Modell {i} aus Titan, mattschwarz, mit Federscharnier;{i % 1000},{i % 100:00}\r\n");
    }

    [Fact]
    public async Task The_first_record_of_a_large_csv_comes_before_the_file_is_read_whole()
    {
        var mapping = MappingLoader.Load(_mapping);
        var errors = new List<ConfigError>();
        var layout = FileLayout.Resolve(new FileStreamOptions { Format = "csv", Delimiter = ";" }, mapping, "products", "test", typeof(Product), errors);
        Assert.Empty(errors);
        await using var file = new CountingStream(File.OpenRead(_file));
        using var text = new StreamReader(file, layout!.ReadEncoding);
        await using var reader = new MappedRecordReader(layout.CreateFormat().OpenReader(text, "articles.csv"), mapping, "articles.csv", lineBased: true);

        var first = await reader.NextAsync(CancellationToken.None);

        Assert.Equal("100000", first!.Record!.Id);
        Assert.True(file.Length > 16 << 20, $"the file has {file.Length} bytes");
        Assert.True(file.BytesRead < 1 << 20, $"{file.BytesRead} of {file.Length} bytes were read for the first record");
    }

    [Fact]
    public async Task Reading_200000_csv_lines_keeps_memory_flat()
    {
        _engine.Connection("supplier", "supplier", new Dictionary<string, string?> { ["Format"] = "csv", ["Delimiter"] = ";", ["MinimumAge"] = "00:00:00" }, "products", "Product");
        var source = _engine.Connector("supplier").OpenSource(new StreamContext
        {
            Flow = "articles", Stream = "products", RecordType = typeof(Product), MappingFile = _mapping,
            Options = new ConfigurationBuilder().Build(), Links = new NoLinks(), Receipts = new TestReceipts(),
        });
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var peak = 0L;
        var count = 0;
        decimal total = 0;

        await foreach (var record in source.ReadAsync(null, CancellationToken.None))
        {
            total += ((Product)record.Record!).Prices.Base ?? 0;
            if (++count % 50_000 == 0) peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true) - baseline);
        }

        Assert.Equal(Lines, count);
        Assert.Equal(Enumerable.Range(0, Lines).Sum(i => i % 1000 + i % 100 / 100m), total);
        // The file is over 16 MB on disk and twice that as text; what stays alive while reading is a few buffers.
        Assert.True(peak < 8 << 20, $"{peak} bytes more were alive while reading than before");
    }

    private sealed class NoLinks : ILinkLookup
    {
        public Task<string?> FindTargetIdAsync(string system, string entity, string externalId, string targetSystem, CancellationToken cancellationToken) =>
            Task.FromResult<string?>(null);
    }

    /// <summary>Counts the bytes read from a file.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));
        public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => Count(await inner.ReadAsync(buffer, cancellationToken));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        private int Count(int read)
        {
            BytesRead += read;
            return read;
        }
    }

    public ValueTask DisposeAsync() => _engine.DisposeAsync();
}
