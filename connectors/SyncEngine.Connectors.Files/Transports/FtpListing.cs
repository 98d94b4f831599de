using System.Globalization;

namespace SyncEngine.Connectors.Files.Transports;

/// <summary>What FTP servers answer: Unix-style LIST lines, MDTM time stamps, 257 paths.</summary>
internal static class FtpListing
{
    /// <summary>A regular file's name and size from one Unix-style LIST line (<c>-rw-r--r-- 1 owner group 1234 Nov 23 08:13 name</c>); null for anything else.</summary>
    public static (string Name, long Length)? ParseListLine(string line)
    {
        if (line.Length == 0 || line[0] != '-') return null;
        // permissions, links, owner, group, size, month, day, time or year, name (which may hold spaces)
        var rest = line.AsSpan();
        long length = 0;
        for (var field = 0; field < 8; field++)
        {
            rest = rest.TrimStart(' ');
            var end = rest.IndexOf(' ');
            if (end < 0) return null;
            if (field == 4 && !long.TryParse(rest[..end], NumberStyles.None, CultureInfo.InvariantCulture, out length)) return null;
            rest = rest[end..];
        }
        var name = rest.TrimStart(' ').ToString();
        return name.Length == 0 ? null : (name, length);
    }

    /// <summary>An MDTM answer (<c>20261123081500</c> or with fractions), which RFC 3659 gives in UTC.</summary>
    public static DateTimeOffset? ParseModified(string text)
    {
        var value = text.Trim();
        var dot = value.IndexOf('.');
        var whole = dot < 0 ? value : value[..dot];
        if (!DateTime.TryParseExact(whole, "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time)) return null;
        if (dot > 0 && double.TryParse("0" + value[dot..], NumberStyles.Float, CultureInfo.InvariantCulture, out var fraction)) time = time.AddSeconds(fraction);
        return new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc));
    }

    /// <summary>The quoted path of a 257 answer (<c>257 "/home/edi" is the current directory</c>); a doubled quote is a quote.</summary>
    public static string? ParseQuotedPath(string text)
    {
        var start = text.IndexOf('"');
        if (start < 0) return null;
        var builder = new System.Text.StringBuilder();
        for (var i = start + 1; i < text.Length; i++)
        {
            if (text[i] != '"')
            {
                builder.Append(text[i]);
                continue;
            }
            if (i + 1 < text.Length && text[i + 1] == '"')
            {
                builder.Append('"');
                i++;
                continue;
            }
            return builder.ToString();
        }
        return null;
    }

    /// <summary>The absolute server path of a store path, given the folder the login starts in.</summary>
    public static string Absolute(string home, string root, string path)
    {
        var relative = FileNames.Normalize(path).Trim('/');
        var basePath = root.StartsWith('/') ? root : FileNames.Combine(home, root);
        basePath = "/" + basePath.Trim('/');
        return relative.Length == 0 ? basePath : basePath.TrimEnd('/') + "/" + relative;
    }
}
