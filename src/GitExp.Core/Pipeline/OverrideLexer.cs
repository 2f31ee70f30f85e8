using System.Text;

namespace GitExp.Core.Pipeline;

/// <summary>
/// The tokens of Hydra's override grammar in value mode (<c>OverrideLexer.g4</c>): the longest match wins,
/// and on a tie the rule Hydra lists first.
/// </summary>
internal static class OverrideLexer
{
    public enum Kind
    {
        POpen,
        Comma,
        PClose,
        BracketOpen,
        BracketClose,
        BraceOpen,
        BraceClose,
        Colon,
        Equal,
        Float,
        Int,
        Bool,
        Null,
        UnquotedChar,
        Id,
        Esc,
        Ws,
        Quoted,
        Interpolation,
        End,
    }

    public readonly record struct Token(Kind Kind, string Text, int Start);

    public static List<Token> Lex(string text, string flag)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var (kind, length) = Longest(text, i);
            if (length == 0)
            {
                throw new ExpException(
                    ExitCode.Usage,
                    $"-S '{flag}': unexpected '{text[i]}' in the value; quote the value (\"...\" or '...') to set it as text"
                );
            }

            tokens.Add(new Token(kind, text.Substring(i, length), i));
            i += length;
        }

        tokens.Add(new Token(Kind.End, "", text.Length));
        return tokens;
    }

    /// <summary>The longest token at <paramref name="i"/>; on a tie the rule Hydra lists first.</summary>
    private static (Kind Kind, int Length) Longest(string s, int i)
    {
        (Kind, int) best = (Kind.End, 0);
        void Try(Kind kind, int length)
        {
            if (length > best.Item2)
            {
                best = (kind, length);
            }
        }

        var ws = Spaces(s, i);
        Try(Kind.POpen, At(s, i + ws, '(') ? ws + 1 + Spaces(s, i + ws + 1) : 0);
        Try(Kind.Comma, At(s, i + ws, ',') ? ws + 1 + Spaces(s, i + ws + 1) : 0);
        Try(Kind.PClose, At(s, i + ws, ')') ? ws + 1 : 0);
        Try(Kind.BracketOpen, At(s, i, '[') ? 1 + Spaces(s, i + 1) : 0);
        Try(Kind.BracketClose, At(s, i + ws, ']') ? ws + 1 : 0);
        Try(Kind.BraceOpen, At(s, i, '{') ? 1 + Spaces(s, i + 1) : 0);
        Try(Kind.BraceClose, At(s, i + ws, '}') ? ws + 1 : 0);
        Try(Kind.Colon, At(s, i + ws, ':') ? ws + 1 + Spaces(s, i + ws + 1) : 0);
        Try(Kind.Equal, At(s, i + ws, '=') ? ws + 1 + Spaces(s, i + ws + 1) : 0);
        Try(Kind.Float, FloatLength(s, i));
        Try(Kind.Int, IntLength(s, i));
        Try(
            Kind.Bool,
            Word(s, i, "true") ? 4
                : Word(s, i, "false") ? 5
                : 0
        );
        Try(Kind.Null, Word(s, i, "null") ? 4 : 0);
        Try(Kind.UnquotedChar, i < s.Length && "/-\\+.$%*@?|".Contains(s[i], StringComparison.Ordinal) ? 1 : 0);
        Try(Kind.Id, IdLength(s, i));
        Try(Kind.Esc, EscLength(s, i));
        Try(Kind.Ws, ws);
        Try(Kind.Quoted, QuotedLength(s, i));
        Try(Kind.Interpolation, InterpolationLength(s, i));
        return best;
    }

    private static bool At(string s, int i, char c) => i < s.Length && s[i] == c;

    private static int Spaces(string s, int i)
    {
        var n = 0;
        while (i + n < s.Length && s[i + n] is ' ' or '\t')
        {
            n++;
        }

        return n;
    }

    private static bool Word(string s, int i, string word) =>
        i + word.Length <= s.Length && string.Compare(s, i, word, 0, word.Length, StringComparison.OrdinalIgnoreCase) == 0;

    private static int Digits(string s, int i, bool underscores = true)
    {
        var n = 0;
        while (
            i + n < s.Length
            && (
                char.IsAsciiDigit(s[i + n])
                || (underscores && n > 0 && s[i + n] == '_' && i + n + 1 < s.Length && char.IsAsciiDigit(s[i + n + 1]))
            )
        )
        {
            n++;
        }

        return n;
    }

    /// <summary>INT_UNSIGNED: '0' | [1-9] ('_'? DIGIT)*.</summary>
    private static int UnsignedLength(string s, int i)
    {
        if (i >= s.Length || !char.IsAsciiDigit(s[i]))
        {
            return 0;
        }

        return s[i] == '0' ? 1 : Digits(s, i);
    }

    private static int IntLength(string s, int i)
    {
        var sign = i < s.Length && s[i] is '+' or '-' ? 1 : 0;
        var n = UnsignedLength(s, i + sign);
        return n == 0 ? 0 : sign + n;
    }

    private static int FloatLength(string s, int i)
    {
        var sign = i < s.Length && s[i] is '+' or '-' ? 1 : 0;
        var j = i + sign;
        if (Word(s, j, "inf") || Word(s, j, "nan"))
        {
            return sign + 3;
        }

        // POINT_FLOAT: INT_UNSIGNED '.' | INT_UNSIGNED? '.' DIGIT ('_'? DIGIT)*
        var whole = UnsignedLength(s, j);
        var point = 0;
        if (At(s, j + whole, '.'))
        {
            var fraction = Digits(s, j + whole + 1);
            if (whole > 0 || fraction > 0)
            {
                point = whole + 1 + fraction;
            }
        }

        // EXPONENT_FLOAT: (INT_UNSIGNED | POINT_FLOAT) [eE] [+-]? DIGIT ('_'? DIGIT)*
        var mantissa = point > 0 ? point : whole;
        var exponent = 0;
        if (mantissa > 0 && j + mantissa < s.Length && s[j + mantissa] is 'e' or 'E')
        {
            var k = j + mantissa + 1;
            var expSign = k < s.Length && s[k] is '+' or '-' ? 1 : 0;
            var digits = Digits(s, k + expSign);
            if (digits > 0)
            {
                exponent = 1 + expSign + digits;
            }
        }

        var length = exponent > 0 ? mantissa + exponent : point;
        return length == 0 ? 0 : sign + length;
    }

    private static int IdLength(string s, int i)
    {
        if (i >= s.Length || !(char.IsAsciiLetter(s[i]) || s[i] == '_'))
        {
            return 0;
        }

        var n = 1;
        while (i + n < s.Length && (char.IsAsciiLetterOrDigit(s[i + n]) || s[i + n] is '_' or '-'))
        {
            n++;
        }

        return n;
    }

    /// <summary>ESC: one or more of \\ \( \) \[ \] \{ \} \: \= \, '\ ' and '\TAB'.</summary>
    private static int EscLength(string s, int i)
    {
        var n = 0;
        while (i + n + 1 < s.Length && s[i + n] == '\\' && "\\()[]{}:=, \t".Contains(s[i + n + 1], StringComparison.Ordinal))
        {
            n += 2;
        }

        return n;
    }

    /// <summary>A quoted value: the closing quote is the first one not preceded by an odd number of backslashes.</summary>
    private static int QuotedLength(string s, int i)
    {
        if (i >= s.Length || s[i] is not ('\'' or '"'))
        {
            return 0;
        }

        var quote = s[i];
        var backslashes = 0;
        for (var j = i + 1; j < s.Length; j++)
        {
            if (s[j] == quote && backslashes % 2 == 0)
            {
                return j - i + 1;
            }

            backslashes = s[j] == '\\' ? backslashes + 1 : 0;
        }

        return 0;
    }

    private static int InterpolationLength(string s, int i)
    {
        if (!At(s, i, '$') || !At(s, i + 1, '{'))
        {
            return 0;
        }

        var close = s.IndexOf('}', i + 2);
        return close > i + 2 ? close - i + 1 : 0;
    }

    /// <summary>Hydra's un-escaping of a quoted value: only backslashes right before a quote are escapes.</summary>
    public static string Unquote(string text)
    {
        var quote = text[0];
        var body = text[1..^1];
        var sb = new StringBuilder();
        var i = 0;
        while (i < body.Length)
        {
            if (body[i] != '\\')
            {
                sb.Append(body[i++]);
                continue;
            }

            var n = 0;
            while (i + n < body.Length && body[i + n] == '\\')
            {
                n++;
            }

            var beforeQuote = i + n < body.Length && body[i + n] == quote;
            var atEnd = i + n == body.Length;
            if (beforeQuote)
            {
                sb.Append('\\', (n - 1) / 2).Append(quote);
                i += n + 1;
            }
            else
            {
                sb.Append('\\', atEnd ? n / 2 : n);
                i += n;
            }
        }

        return sb.ToString();
    }
}
