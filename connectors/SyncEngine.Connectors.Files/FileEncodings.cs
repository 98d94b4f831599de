using System.Text;
using SyncEngine.Core.Connectors;

namespace SyncEngine.Connectors.Files;

/// <summary>The text encodings of files: utf-8 with or without BOM and the legacy code pages of Central European ERPs.</summary>
internal static class FileEncodings
{
    /// <summary>What reading puts where bytes are not valid in the file's encoding; a field holding it is dead-lettered.</summary>
    public const char Undecodable = '\uFFFD';

    static FileEncodings() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>The encoding to write with: a character it cannot hold throws instead of becoming a silent '?'.</summary>
    public static Encoding? ForWriting(string name, bool bom)
    {
        if (IsUtf8(name)) return new UTF8Encoding(bom, throwOnInvalidBytes: false);
        return Find(name, EncoderFallback.ExceptionFallback);
    }

    /// <summary>The encoding to read with: bytes it cannot decode become <see cref="Undecodable"/>, which the readers report per line.</summary>
    public static Encoding? ForReading(string name) =>
        IsUtf8(name) ? new UTF8Encoding(false, throwOnInvalidBytes: false) : Find(name, EncoderFallback.ReplacementFallback);

    public static bool IsUtf8(string name) =>
        name.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || name.Equals("utf8", StringComparison.OrdinalIgnoreCase);

    /// <summary>Throws a <see cref="RecordException"/> naming field, value and character when <paramref name="encoding"/> cannot hold the text.</summary>
    public static void CheckEncodable(Encoding encoding, string field, string text)
    {
        // Every supported encoding holds ASCII, and utf-8 holds everything: only other text needs the check.
        if (encoding.CodePage == Encoding.UTF8.CodePage || System.Text.Ascii.IsValid(text)) return;
        try
        {
            encoding.GetByteCount(text);
        }
        catch (EncoderFallbackException ex)
        {
            var character = ex.CharUnknownHigh != '\0' ? $"{ex.CharUnknownHigh}{ex.CharUnknownLow}" : ex.CharUnknown.ToString();
            var code = char.ConvertToUtf32(character, 0);
            throw new RecordException(
                $"field '{field}': '{text}' holds '{character}' (U+{code:X4}), which {encoding.WebName} cannot hold; change the value or the stream's Encoding",
                field, text);
        }
    }

    private static Encoding? Find(string name, EncoderFallback encoderFallback)
    {
        try
        {
            return Encoding.GetEncoding(name, encoderFallback, new DecoderReplacementFallback(Undecodable.ToString()));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
