using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace SyncEngine.Connectors.Files;

/// <summary>One top-level JSON value of a file, or the raw line that is not JSON.</summary>
internal sealed record JsonItem(int Line, string Raw, JToken? Token, string? Problem);

/// <summary>
/// Reads the records of a JSON file one at a time: the elements of an array, one object (or several in a row), or one
/// object per line. The first line tells which: one per line when it holds a whole value, so a broken line is dead-lettered
/// alone and the lines after it are read; otherwise the file is read as a stream of tokens.
/// </summary>
internal sealed class JsonTokenReader(TextReader text) : IAsyncDisposable
{
    private static readonly JsonLoadSettings Load = new() { LineInfoHandling = LineInfoHandling.Ignore, CommentHandling = CommentHandling.Ignore };

    private enum Mode
    {
        Unknown,
        Lines,
        Tokens,
        Array,
        Done,
    }

    private Mode _mode;
    private JsonTextReader? _json;
    private int _line;
    private JsonItem? _first;

    public async ValueTask<JsonItem?> NextAsync(CancellationToken cancellationToken)
    {
        if (_mode == Mode.Unknown) await DetectAsync(cancellationToken);
        if (_mode == Mode.Done) return null;
        if (_mode == Mode.Lines)
        {
            if (_first is { } first)
            {
                _first = null;
                return first;
            }
            while (await text.ReadLineAsync(cancellationToken) is { } line)
            {
                _line++;
                if (!string.IsNullOrWhiteSpace(line)) return Parse(line, _line);
            }
            return null;
        }

        var start = 0;
        try
        {
            if (!await _json!.ReadAsync(cancellationToken) || (_mode == Mode.Array && _json.TokenType == JsonToken.EndArray))
            {
                _mode = Mode.Done;
                return null;
            }
            start = _json.LineNumber;
            var token = await JToken.ReadFromAsync(_json, Load, cancellationToken);
            return new JsonItem(start, token.ToString(Formatting.None), token, null);
        }
        catch (JsonReaderException ex)
        {
            throw new BrokenFileException($"not valid JSON: {ex.Message}", start > 0 ? start : ex.LineNumber, ex);
        }
    }

    private async Task DetectAsync(CancellationToken cancellationToken)
    {
        var skipped = 0;
        string? first;
        while ((first = await text.ReadLineAsync(cancellationToken)) is not null && string.IsNullOrWhiteSpace(first)) skipped++;
        if (first is null)
        {
            _mode = Mode.Done;
            return;
        }
        _line = skipped + 1;
        var trimmed = first.TrimStart();
        if (trimmed.StartsWith('{') && Parse(first, _line) is { Token: not null } item)
        {
            // The first line holds a whole object: one object per line, and that line is the first record.
            _mode = Mode.Lines;
            _first = item;
            return;
        }
        // The lines read so far go back in front of the rest, so line numbers stay right.
        _json = Reader(new PrefixedTextReader(new string('\n', skipped) + first + "\n", text));
        if (trimmed.StartsWith('['))
        {
            try
            {
                await _json.ReadAsync(cancellationToken);
            }
            catch (JsonReaderException ex)
            {
                throw new BrokenFileException($"not valid JSON: {ex.Message}", ex.LineNumber, ex);
            }
            _mode = Mode.Array;
        }
        else
        {
            _mode = Mode.Tokens;
        }
    }

    private static JsonItem Parse(string line, int number)
    {
        try
        {
            using var reader = Reader(new StringReader(line));
            var token = JToken.ReadFrom(reader, Load);
            if (reader.Read()) return new JsonItem(number, line, null, "not valid JSON: more than one value on the line");
            return new JsonItem(number, line, token, null);
        }
        catch (JsonReaderException ex)
        {
            return new JsonItem(number, line, null, $"not valid JSON: {ex.Message}");
        }
    }

    private static JsonTextReader Reader(TextReader reader) => new(reader)
    {
        // Dates stay text and decimals stay exact: the mapping or the canonical model converts them.
        DateParseHandling = DateParseHandling.None,
        FloatParseHandling = FloatParseHandling.Decimal,
        SupportMultipleContent = true,
        CloseInput = false,
    };

    public ValueTask DisposeAsync()
    {
        ((IDisposable?)_json)?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Text already read, followed by the rest of a reader.</summary>
    private sealed class PrefixedTextReader(string prefix, TextReader rest) : TextReader
    {
        private int _position;

        public override int Peek() => _position < prefix.Length ? prefix[_position] : rest.Peek();

        public override int Read() => _position < prefix.Length ? prefix[_position++] : rest.Read();

        public override int Read(char[] buffer, int index, int count) => Read(buffer.AsSpan(index, count));

        public override int Read(Span<char> buffer)
        {
            if (_position >= prefix.Length) return rest.Read(buffer);
            var n = Math.Min(buffer.Length, prefix.Length - _position);
            prefix.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override Task<int> ReadAsync(char[] buffer, int index, int count) => ReadAsync(buffer.AsMemory(index, count)).AsTask();

        public override ValueTask<int> ReadAsync(Memory<char> buffer, CancellationToken cancellationToken = default)
        {
            if (_position >= prefix.Length) return rest.ReadAsync(buffer, cancellationToken);
            return ValueTask.FromResult(Read(buffer.Span));
        }
    }
}
