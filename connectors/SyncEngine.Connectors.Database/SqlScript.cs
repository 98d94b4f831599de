using System.Text;
using System.Text.RegularExpressions;

namespace SyncEngine.Connectors.Database;

/// <summary>One statement of a script and the line it starts on, for error messages.</summary>
public sealed record SqlStatement(string Text, int Line);

/// <summary>
/// Splits a SQL script into statements at <c>;</c> and at SQL Server's <c>GO</c> lines, leaving alone what is inside quotes,
/// comments, PostgreSQL dollar quotes (<c>$$ ... $$</c>) and the <c>BEGIN ... END</c> body of a trigger.
/// </summary>
public static partial class SqlScript
{
    public static IReadOnlyList<SqlStatement> Split(string script)
    {
        var statements = new List<SqlStatement>();
        var current = new StringBuilder();
        var line = 1;
        var startLine = 1;
        var depth = 0;
        var i = 0;

        void Finish()
        {
            var text = current.ToString().Trim();
            if (!IsOnlyComments(text)) statements.Add(new SqlStatement(text, startLine));
            current.Clear();
            depth = 0;
        }

        while (i < script.Length)
        {
            var c = script[i];
            if (current.Length == 0)
            {
                if (char.IsWhiteSpace(c))
                {
                    if (c == '\n') line++;
                    i++;
                    continue;
                }
                startLine = line;
            }
            var next = i + 1 < script.Length ? script[i + 1] : '\0';
            int end;
            if (c == '-' && next == '-') end = IndexOrEnd(script, "\n", i + 2);
            else if (c == '/' && next == '*') end = IndexOrEnd(script, "*/", i + 2) + 2;
            else if (c is '\'' or '"' or '`' or '[') end = EndOfQuote(script, i, c == '[' ? ']' : c);
            else if (c == '$' && DollarTag().Match(script, i) is { Success: true } tag) end = IndexOrEnd(script, tag.Value, i + tag.Length) + tag.Length;
            else if (c == ';')
            {
                // Inside a trigger's BEGIN ... END the semicolons end the body's own statements.
                if (depth > 0 && Trigger().IsMatch(WithoutComments(current.ToString())))
                {
                    current.Append(c);
                    i++;
                    continue;
                }
                Finish();
                i++;
                continue;
            }
            else if (char.IsLetter(c) && (i == 0 || !IsWordChar(script[i - 1])))
            {
                var wordEnd = i;
                while (wordEnd < script.Length && IsWordChar(script[wordEnd])) wordEnd++;
                var word = script[i..wordEnd];
                if (word.Equals("GO", StringComparison.OrdinalIgnoreCase) && IsAloneOnLine(script, i, wordEnd))
                {
                    Finish();
                    i = wordEnd;
                    continue;
                }
                if (word.Equals("BEGIN", StringComparison.OrdinalIgnoreCase) || word.Equals("CASE", StringComparison.OrdinalIgnoreCase)) depth++;
                else if (word.Equals("END", StringComparison.OrdinalIgnoreCase) && depth > 0) depth--;
                end = wordEnd;
            }
            else end = i + 1;

            end = Math.Min(end, script.Length);
            for (var k = i; k < end; k++)
            {
                if (script[k] == '\n') line++;
            }
            // A comment before a statement is left out, so the statement's line is where its SQL starts.
            var leadingComment = current.Length == 0 && (c == '-' && next == '-' || c == '/' && next == '*');
            if (!leadingComment) current.Append(script, i, end - i);
            i = end;
        }
        Finish();
        return statements;
    }

    /// <summary>The tables a script creates (<c>CREATE TABLE [IF NOT EXISTS] name</c>), unquoted.</summary>
    public static IReadOnlyList<string> CreatedTables(string script) =>
        Split(script).Select(s => CreateTable().Match(WithoutComments(s.Text))).Where(m => m.Success)
            .Select(m => string.Join('.', m.Groups[1].Value.Split('.').Select(p => p.Trim('"', '`', '[', ']'))))
            .ToList();

    private static int IndexOrEnd(string text, string value, int from)
    {
        var index = text.IndexOf(value, Math.Min(from, text.Length), StringComparison.Ordinal);
        return index < 0 ? text.Length : index;
    }

    private static int EndOfQuote(string text, int start, char close)
    {
        var i = start + 1;
        while (i < text.Length)
        {
            if (text[i] == close)
            {
                // A doubled quote is the quote character itself.
                if (i + 1 < text.Length && text[i + 1] == close && close != ']') i += 2;
                else return i + 1;
            }
            else i++;
        }
        return text.Length;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '$';

    private static bool IsAloneOnLine(string text, int start, int end)
    {
        var before = text.LastIndexOf('\n', Math.Max(0, start - 1));
        var lineStart = start == 0 ? 0 : before + 1;
        var lineEnd = IndexOrEnd(text, "\n", end);
        return string.IsNullOrWhiteSpace(text[lineStart..start]) && string.IsNullOrWhiteSpace(text[end..lineEnd]);
    }

    private static bool IsOnlyComments(string text) => string.IsNullOrWhiteSpace(WithoutComments(text));

    private static string WithoutComments(string text) => Comment().Replace(text, " ");

    [GeneratedRegex(@"\G\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$")]
    private static partial Regex DollarTag();

    [GeneratedRegex(@"--[^\n]*|/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex Comment();

    [GeneratedRegex(@"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP\s+|TEMPORARY\s+)?TRIGGER\b", RegexOptions.IgnoreCase)]
    private static partial Regex Trigger();

    [GeneratedRegex(@"^\s*CREATE\s+(?:TEMP\s+|TEMPORARY\s+|UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?((?:""[^""]+""|`[^`]+`|\[[^\]]+\]|[^\s(.]+)(?:\.(?:""[^""]+""|`[^`]+`|\[[^\]]+\]|[^\s(.]+))?)", RegexOptions.IgnoreCase)]
    private static partial Regex CreateTable();
}
