using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace GitExp.Core.Pipeline;

/// <summary>
/// The value side of a <c>-S</c> override, read by Hydra's override grammar as DVC 3 reads it: primitives,
/// quoted strings, <c>[lists]</c>, <c>{maps}</c>, the sweeps <c>a,b,c</c>, <c>choice(...)</c> and
/// <c>range(...)</c>. Each value comes out as YAML text that reads back as the value Hydra would give.
/// </summary>
/// <remarks>
/// The token rules are Hydra's <c>OverrideLexer.g4</c> (value mode): longest match wins, and on a tie the
/// rule listed first. Functions other than <c>choice</c> and <c>range</c>, and interpolation, are refused.
/// </remarks>
internal static class OverrideValue
{
    /// <summary>The values of one override: one, or several for a sweep.</summary>
    public sealed record Parsed(IReadOnlyList<string> Values, bool IsSweep);

    private enum Kind
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

    private readonly record struct Token(Kind Kind, string Text, int Start);

    /// <summary>A parsed element: its value, and the text it was typed as (kept when YAML reads it the same).</summary>
    private sealed record Element(JsonNode? Node, string? Raw);

    /// <summary>Parses the text after the first '='; <paramref name="flag"/> is the whole argument, for messages.</summary>
    public static Parsed Parse(string value, string flag)
    {
        if (value.Length == 0)
        {
            // Hydra: "key=" sets the empty string.
            return new Parsed([ParamAssignment.QuoteString("")], false);
        }

        var parser = new Parser(Lex(value, flag), flag);
        var items = parser.Value(out var isSweep);
        return new Parsed(items.Select(ToYaml).ToList(), isSweep);
    }

    /// <summary>The YAML text of an element: as typed when YAML reads that the same, else written out.</summary>
    private static string ToYaml(Element e)
    {
        if (e.Raw is not null && ParamAssignment.ReadsAs(e.Raw, e.Node))
        {
            return e.Raw;
        }

        if (e.Node is JsonValue v && v.TryGetValue(out string? s))
        {
            return ParamAssignment.ReadsAs(s, e.Node) ? s : ParamAssignment.QuoteString(s);
        }

        return ParamAssignment.ToJsonText(e.Node);
    }

    // ---- lexer ------------------------------------------------------------------------------------

    private static List<Token> Lex(string text, string flag)
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
    private static string Unquote(string text)
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

    // ---- parser -----------------------------------------------------------------------------------

    private sealed class Parser(List<Token> tokens, string flag)
    {
        private int pos;

        private Token Peek(int ahead = 0) => tokens[Math.Min(pos + ahead, tokens.Count - 1)];

        private Token Next() => tokens[pos++];

        private ExpException Error(string message) => new(ExitCode.Usage, $"-S '{flag}': {message}");

        private ExpException Unexpected(Token t, string expected) =>
            t.Kind == Kind.End ? Error($"the value ends too early; expected {expected}")
            : t.Kind == Kind.Equal
                ? Error("'=' cannot appear in a value; write one -S per param (-S a=1 -S b=2), or quote a value that holds '='")
            : Error($"unexpected '{t.Text.Trim()}' in the value; expected {expected}");

        /// <summary>value: element | element (',' element)+ (a sweep).</summary>
        public List<Element> Value(out bool isSweep)
        {
            var first = ElementOrSweep();
            if (Peek().Kind != Kind.Comma)
            {
                Expect(Kind.End, "the end of the value");
                isSweep = first.Sweep is not null;
                return first.Sweep ?? [first.Element!];
            }

            var items = new List<Element> { Single(first) };
            while (Peek().Kind == Kind.Comma)
            {
                Next();
                items.Add(Single(ElementOrSweep()));
            }

            Expect(Kind.End, "',' or the end of the value");
            isSweep = true;
            return items;
        }

        private Element Single((Element? Element, List<Element>? Sweep) e) =>
            e.Element ?? throw Error("a sweep (choice(), range()) cannot be one item of a list or of another sweep");

        private void Expect(Kind kind, string expected)
        {
            if (Peek().Kind != kind)
            {
                throw Unexpected(Peek(), expected);
            }

            Next();
        }

        private (Element? Element, List<Element>? Sweep) ElementOrSweep()
        {
            var t = Peek();
            if (t.Kind == Kind.Id && Peek(1).Kind == Kind.POpen)
            {
                return Function();
            }

            return t.Kind switch
            {
                Kind.BracketOpen => (List(), null),
                Kind.BraceOpen => (Map(), null),
                _ => (Primitive(dictKey: false), null),
            };
        }

        private Element Element() => Single(ElementOrSweep());

        private Element List()
        {
            var start = Next().Start;
            var items = new JsonArray();
            if (Peek().Kind != Kind.BracketClose)
            {
                items.Add(Element().Node?.DeepClone());
                while (Peek().Kind == Kind.Comma)
                {
                    Next();
                    items.Add(Element().Node?.DeepClone());
                }
            }

            var close = Peek();
            Expect(Kind.BracketClose, "',' or ']'");
            return new Element(items, Source(start, close));
        }

        private Element Map()
        {
            var start = Next().Start;
            var map = new JsonObject();
            if (Peek().Kind != Kind.BraceClose)
            {
                do
                {
                    if (map.Count > 0)
                    {
                        Next();
                    }

                    var key = Primitive(dictKey: true);
                    Expect(Kind.Colon, "':' after a map key");
                    var keyText =
                        key.Node is JsonValue kv && kv.TryGetValue(out string? ks) ? ks : key.Node?.ToJsonString() ?? "null";
                    map[keyText] = Element().Node?.DeepClone();
                } while (Peek().Kind == Kind.Comma);
            }

            var close = Peek();
            Expect(Kind.BraceClose, "',' or '}'");
            return new Element(map, Source(start, close));
        }

        private string Source(int start, Token close) =>
            string.Concat(tokens.Select(t => t.Start >= start && t.Start <= close.Start ? t.Text : ""));

        /// <summary>A primitive: one quoted value, or a run of plain tokens (one typed token, or text).</summary>
        private Element Primitive(bool dictKey)
        {
            if (!dictKey && Peek().Kind == Kind.Quoted)
            {
                var quoted = Next();
                return new Element(JsonValue.Create(Unquote(quoted.Text)), quoted.Text);
            }

            var run = new List<Token>();
            while (IsPrimitivePart(Peek().Kind, dictKey))
            {
                run.Add(Next());
            }

            if (run.Count == 0)
            {
                throw Unexpected(Peek(), dictKey ? "a map key" : "a value");
            }

            if (run.Any(t => t.Kind == Kind.Interpolation))
            {
                throw Error("interpolation (${...}) is not supported; write the value itself, or quote it to set it as text");
            }

            var first = run[0].Kind == Kind.Ws ? 1 : 0;
            var last = run[^1].Kind == Kind.Ws ? run.Count - 1 : run.Count;
            if (last <= first)
            {
                throw Error("a value cannot be only spaces; quote it to set spaces as text");
            }

            if (last - first > 1)
            {
                var text = string.Concat(
                    run.Skip(first).Take(last - first).Select(t => t.Kind == Kind.Esc ? Unescape(t.Text) : t.Text)
                );
                return new Element(JsonValue.Create(text), null);
            }

            var token = run[first];
            return token.Kind switch
            {
                Kind.Int or Kind.Float => Number(token.Text),
                Kind.Null => new Element(null, token.Text),
                Kind.Bool => new Element(
                    JsonValue.Create(token.Text.Equals("true", StringComparison.OrdinalIgnoreCase)),
                    token.Text
                ),
                Kind.Esc => new Element(JsonValue.Create(Unescape(token.Text)), null),
                _ => new Element(JsonValue.Create(token.Text), token.Text),
            };
        }

        private static string Unescape(string esc)
        {
            var sb = new StringBuilder();
            for (var i = 1; i < esc.Length; i += 2)
            {
                sb.Append(esc[i]);
            }

            return sb.ToString();
        }

        private static bool IsPrimitivePart(Kind kind, bool dictKey) =>
            kind is Kind.Id or Kind.Null or Kind.Int or Kind.Float or Kind.Bool or Kind.UnquotedChar or Kind.Esc or Kind.Ws
            || (!dictKey && kind is Kind.Colon or Kind.Interpolation);

        private Element Number(string text)
        {
            var clean = text.Replace("_", "", StringComparison.Ordinal);
            var body = clean.TrimStart('+', '-');
            if (body.Equals("inf", StringComparison.OrdinalIgnoreCase) || body.Equals("nan", StringComparison.OrdinalIgnoreCase))
            {
                throw Error($"'{text}' is not a number a params file can hold; quote it to set it as text");
            }

            return new Element(Yaml.TypePlain(clean), clean);
        }

        // ---- functions ----------------------------------------------------------------------------

        private (Element? Element, List<Element>? Sweep) Function()
        {
            var name = Next().Text;
            Next(); // '('
            var args = new List<(Element? Element, List<Element>? Sweep)>();
            var kwargs = new Dictionary<string, Element>(StringComparer.Ordinal);
            if (Peek().Kind != Kind.PClose)
            {
                while (true)
                {
                    if (Peek().Kind == Kind.Id && Peek(1).Kind == Kind.Equal)
                    {
                        var argName = Next().Text;
                        Next();
                        kwargs[argName] = Element();
                    }
                    else if (kwargs.Count > 0)
                    {
                        throw Error($"{name}(): a positional argument follows a keyword argument");
                    }
                    else
                    {
                        args.Add(ElementOrSweep());
                    }

                    if (Peek().Kind != Kind.Comma)
                    {
                        break;
                    }

                    Next();
                }
            }

            Expect(Kind.PClose, "',' or ')'");
            return name switch
            {
                "choice" => (null, Choice(args, kwargs)),
                "range" => (null, Range(args, kwargs)),
                "glob" => throw Error("glob() is not supported; DVC supports only choice() and range() sweeps"),
                _ => throw Error(
                    $"'{name}()' is not supported; use choice(a,b,...), range(start,stop[,step]) or a list a,b,c, or quote the value to set it as text"
                ),
            };
        }

        private List<Element> Choice(List<(Element? Element, List<Element>? Sweep)> args, Dictionary<string, Element> kwargs)
        {
            if (kwargs.Count > 0)
            {
                throw Error($"choice() takes values, not '{kwargs.Keys.First()}='");
            }

            if (args.Count == 0)
            {
                throw Error("choice() needs at least one value");
            }

            return args.Select(a => a.Element ?? throw Error("choice() cannot hold another sweep")).ToList();
        }

        /// <summary>Hydra's range: range(stop), range(start, stop) or range(start, stop, step); ints stay ints, any float makes floats.</summary>
        private List<Element> Range(List<(Element? Element, List<Element>? Sweep)> args, Dictionary<string, Element> kwargs)
        {
            var values = new Dictionary<string, Element>(StringComparer.Ordinal);
            string[] names = ["start", "stop", "step"];
            if (args.Count > 3)
            {
                throw Error("range() takes start, stop and step: at most 3 values");
            }

            for (var i = 0; i < args.Count; i++)
            {
                values[names[i]] = args[i].Element ?? throw Error("range() takes numbers, not a sweep");
            }

            foreach (var (key, value) in kwargs)
            {
                if (!names.Contains(key))
                {
                    throw Error($"range() has no argument '{key}'; it takes start, stop and step");
                }

                if (!values.TryAdd(key, value))
                {
                    throw Error($"range() got '{key}' twice");
                }
            }

            if (!values.ContainsKey("start"))
            {
                throw Error("range needs start and stop (or only stop): range(1,4), range(0,1,0.25)");
            }

            if (!values.ContainsKey("stop"))
            {
                // Hydra: range(n) is range(0, n).
                values["stop"] = values["start"];
                values["start"] = new Element(JsonValue.Create(0L), "0");
            }

            var start = RangeNumber(values["start"], "start");
            var stop = RangeNumber(values["stop"], "stop");
            var step = values.TryGetValue("step", out var s) ? RangeNumber(s, "step") : (Value: 1m, Integral: true);
            if (step.Value == 0)
            {
                throw Error("range() step must not be 0");
            }

            var integral = start.Integral && stop.Integral && step.Integral;
            var result = new List<Element>();
            for (var i = 0; ; i++)
            {
                var current = start.Value + (step.Value * i);
                if (step.Value > 0 ? current >= stop.Value : current <= stop.Value)
                {
                    break;
                }

                if (i >= MaxRangeValues)
                {
                    throw Error($"range() gives more than {MaxRangeValues} values");
                }

                var text = integral ? current.ToString("0", CultureInfo.InvariantCulture) : FloatText((double)current);
                result.Add(new Element(Yaml.TypePlain(text), text));
            }

            if (result.Count == 0)
            {
                throw Error("the range is empty: start must be below stop for a positive step (above it for a negative one)");
            }

            return result;
        }

        private const int MaxRangeValues = 100_000;

        private (decimal Value, bool Integral) RangeNumber(Element e, string name)
        {
            if (e.Node is JsonValue v && e.Raw is not null && v.GetValueKind() == System.Text.Json.JsonValueKind.Number)
            {
                var integral =
                    v.TryGetValue(out long _)
                    && !e.Raw.Contains('.', StringComparison.Ordinal)
                    && !e.Raw.Contains('e', StringComparison.OrdinalIgnoreCase);
                if (decimal.TryParse(e.Raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
                {
                    return (d, integral);
                }
            }

            throw Error($"range() {name} must be a number, not {e.Raw ?? e.Node?.ToJsonString() ?? "null"}");
        }

        /// <summary>A float as Python prints it (<c>0.5</c>, <c>2.0</c>, <c>1e-05</c>), so a YAML reader sees a float.</summary>
        private static string FloatText(double d)
        {
            var text = d.ToString("R", CultureInfo.InvariantCulture);
            if (text.Contains('E', StringComparison.Ordinal))
            {
                return text.Replace("E", "e", StringComparison.Ordinal);
            }

            return text.Contains('.', StringComparison.Ordinal) ? text : text + ".0";
        }
    }
}
