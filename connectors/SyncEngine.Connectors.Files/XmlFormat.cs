using System.Buffers;
using System.Xml;
using System.Xml.Linq;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;

namespace SyncEngine.Connectors.Files;

/// <summary>
/// XML: a root element holding one element per record, fields as child elements or attributes, child rows in a container
/// element per child name with one element per row. A character the encoding lacks is written as a character reference
/// (<c>&amp;#x20AC;</c>), which every XML reader understands, so no value has to be refused for its encoding.
/// </summary>
internal sealed class XmlFormat(FileLayout layout) : RecordFormat(layout)
{
    protected override object? Value(string field, string name, object? value, RowLayout row)
    {
        var text = Text(value);
        if (text is null) return null;
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsSurrogatePair(text, i))
            {
                i++;
                continue;
            }
            if (!XmlConvert.IsXmlChar(text[i]))
                throw new RecordException($"field '{field}': '{text}' holds U+{(int)text[i]:X4}, a character XML cannot carry", field, text);
        }
        return text;
    }

    public override async Task WriteAsync(Stream stream, IAsyncEnumerable<MappedRow> rows, bool single, CancellationToken cancellationToken)
    {
        using (var xml = XmlWriter.Create(stream, Settings()))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement(null, Layout.RootElement, Layout.Namespace);
            await foreach (var row in rows.WithCancellation(cancellationToken)) WriteRow(xml, Layout.RecordElement, row, Layout.Children);
            xml.WriteEndElement();
            xml.WriteEndDocument();
            xml.Flush();
        }
        if (Layout.Indent) await stream.WriteAsync(Layout.WriteEncoding.GetBytes(Layout.NewLine), cancellationToken);
    }

    /// <summary>Without indentation a record's element does not depend on the ones around it: a batch's elements are known when it is staged.</summary>
    public override bool Concatenates => !Layout.Indent;

    public override string LinesSignature =>
        $"xml {Layout.WriteEncoding.WebName} {Layout.RecordElement} {(Layout.Attributes ? "attributes" : "elements")} {Layout.Namespace}";

    public override async Task WriteHeadAsync(Stream stream, CancellationToken cancellationToken) => await stream.WriteAsync(Frame().Head, cancellationToken);

    public override ReadOnlyMemory<byte> Tail => Frame().Tail;

    public override void WriteLines(System.Buffers.IBufferWriter<byte> output, IReadOnlyList<MappedRow> rows)
    {
        // Written inside the document element, as in the whole file, so its namespace is declared there and not on every record.
        using var buffer = new MemoryStream();
        using var xml = XmlWriter.Create(buffer, Settings());
        var start = Open(xml, buffer);
        foreach (var row in rows) WriteRow(xml, Layout.RecordElement, row, Layout.Children);
        xml.Flush();
        output.Write(buffer.GetBuffer().AsSpan((int)start, (int)(buffer.Length - start)));
    }

    private (byte[] Head, byte[] Tail)? _frame;

    /// <summary>The declaration and the document element's start tag, and its end tag, as the writer writes them around records.</summary>
    private (byte[] Head, byte[] Tail) Frame()
    {
        if (_frame is { } frame) return frame;
        using var buffer = new MemoryStream();
        int head;
        using (var xml = XmlWriter.Create(buffer, Settings()))
        {
            head = (int)Open(xml, buffer);
            xml.WriteEndElement();
            xml.WriteEndDocument();
        }
        var all = buffer.ToArray();
        _frame = frame = (all[..head], all[head..]);
        return frame;
    }

    /// <summary>Starts the document and its element, closes the start tag, and returns where the records begin.</summary>
    private long Open(XmlWriter xml, MemoryStream buffer)
    {
        xml.WriteStartDocument();
        xml.WriteStartElement(null, Layout.RootElement, Layout.Namespace);
        xml.WriteString(string.Empty);
        xml.Flush();
        return buffer.Length;
    }

    /// <summary>Synchronous: rows go into the writer's buffer, which reaches the file whenever it fills (a local file, for every store).</summary>
    private XmlWriterSettings Settings() => new()
    {
        Encoding = Layout.WriteEncoding,
        Indent = Layout.Indent,
        IndentChars = "  ",
        NewLineChars = Layout.NewLine,
        // Line breaks inside values come back exactly as they were written.
        NewLineHandling = NewLineHandling.Entitize,
        CloseOutput = false,
    };

    private void WriteRow(XmlWriter xml, string element, MappedRow row, IReadOnlyList<ChildLayout> children)
    {
        xml.WriteStartElement(null, element, Layout.Namespace);
        for (var i = 0; i < row.Values.Length; i++)
        {
            // No value, no attribute or element: it reads back as no value.
            if (row.Values[i] is not string text) continue;
            var name = row.Names[i];
            if (Layout.Attributes) xml.WriteAttributeString(null, name, null, text);
            else xml.WriteElementString(null, name, Layout.Namespace, text);
        }
        foreach (var child in children)
        {
            if (row.Children.GetValueOrDefault(child.Name) is not { Count: > 0 } lines) continue;
            xml.WriteStartElement(null, child.Name, Layout.Namespace);
            foreach (var line in lines) WriteRow(xml, child.Layout.Element!, line, []);
            xml.WriteEndElement();
        }
        xml.WriteEndElement();
    }

    public override IRowReader OpenReader(TextReader reader, string fileName) => new Reader(Layout, reader);

    private sealed class Reader : IRowReader
    {
        private readonly FileLayout _layout;
        private readonly XmlReader _xml;
        private bool _advance = true;
        private int _index;

        public Reader(FileLayout layout, TextReader text)
        {
            _layout = layout;
            _xml = XmlReader.Create(text, new XmlReaderSettings
            {
                Async = true,
                // Files come from other systems: no DTDs, no external entities.
                DtdProcessing = DtdProcessing.Prohibit,
                XmlResolver = null,
                IgnoreWhitespace = true,
                IgnoreComments = true,
                IgnoreProcessingInstructions = true,
                CloseInput = false,
            });
        }

        public async ValueTask<RowRecord?> NextAsync(CancellationToken cancellationToken)
        {
            var line = 0;
            try
            {
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (_advance && !await _xml.ReadAsync()) return null;
                    _advance = true;
                    if (_xml.NodeType != XmlNodeType.Element) continue;
                    if (_xml.Depth == 0)
                    {
                        if (_xml.LocalName != _layout.RootElement)
                            throw new BrokenFileException($"the document element is <{_xml.LocalName}>, but the stream reads <{_layout.RootElement}>", LineOf(_xml));
                        continue;
                    }
                    if (_xml.Depth == 1 && _xml.LocalName == _layout.RecordElement)
                    {
                        line = LineOf(_xml);
                        XElement element;
                        using (var subtree = _xml.ReadSubtree())
                            element = await XElement.LoadAsync(subtree, LoadOptions.SetLineInfo, cancellationToken);
                        return Record(element, line);
                    }
                    // Other elements (a file header, a trailer) are not records.
                    await _xml.SkipAsync();
                    _advance = false;
                }
            }
            catch (XmlException ex)
            {
                throw new BrokenFileException($"not well-formed XML: {ex.Message}", line > 0 ? line : ex.LineNumber, ex);
            }
        }

        private RowRecord Record(XElement element, int line)
        {
            var where = $"record {++_index}, line {line}";
            var raw = element.ToString();
            var trace = new RowTrace();
            var row = Row(element, trace);
            var bad = Undecodable(element);
            return bad is null ? new RowRecord(where, raw, row, null) : new RowRecord(where, raw, null, bad);
        }

        /// <summary>Attributes and leaf elements by name, nested elements as <c>Kunde.Name</c>, and elements of elements as child rows.</summary>
        private static FileRow Row(XElement element, RowTrace trace)
        {
            var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            var children = new Dictionary<string, IReadOnlyList<ISourceRow>>(StringComparer.OrdinalIgnoreCase);
            foreach (var attribute in element.Attributes().Where(a => !a.IsNamespaceDeclaration)) values.TryAdd(attribute.Name.LocalName, attribute.Value);
            Flatten(element, string.Empty, values);
            foreach (var container in element.Elements().Where(e => e.HasElements))
                children.TryAdd(container.Name.LocalName, container.Elements().Select(e => (ISourceRow)Row(e, trace)).ToList());
            return new FileRow(((IXmlLineInfo)element).LineNumber, values, children, trace);
        }

        private static void Flatten(XElement element, string prefix, Dictionary<string, object?> values)
        {
            foreach (var child in element.Elements())
            {
                var name = prefix + child.Name.LocalName;
                if (child.HasElements) Flatten(child, name + ".", values);
                else values.TryAdd(name, child.Value);
                foreach (var attribute in child.Attributes().Where(a => !a.IsNamespaceDeclaration)) values.TryAdd($"{name}.{attribute.Name.LocalName}", attribute.Value);
            }
        }

        private string? Undecodable(XElement element)
        {
            foreach (var node in element.DescendantsAndSelf())
            {
                if (!node.HasElements && node.Value.Contains(FileEncodings.Undecodable))
                    return $"<{node.Name.LocalName}>: '{node.Value}' holds bytes that are not valid {_layout.ReadEncoding.WebName}";
                if (node.Attributes().FirstOrDefault(a => a.Value.Contains(FileEncodings.Undecodable)) is { } attribute)
                    return $"{attribute.Name.LocalName}=\"{attribute.Value}\" holds bytes that are not valid {_layout.ReadEncoding.WebName}";
            }
            return null;
        }

        private static int LineOf(XmlReader reader) => reader is IXmlLineInfo info ? info.LineNumber : 0;

        public ValueTask DisposeAsync()
        {
            _xml.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
