using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GitExp.Core.Experiments;

namespace GitExp.Core.Tracking;

/// <summary>
/// A filter over runs, the same grammar in <c>runs list --filter</c> and the web UI:
/// <c>metrics.acc &gt; 0.9 and params.train.lr = 0.01 and status = succeeded</c>.
/// </summary>
/// <remarks>
/// <code>
/// expr       := term ('or' term)*
/// term       := factor ('and' factor)*
/// factor     := 'not' factor | '(' expr ')' | comparison
/// comparison := field op value          op: = != &lt; &lt;= &gt; &gt;= ~ (contains, case-insensitive)
/// field      := metrics.&lt;key&gt; | params.&lt;key&gt; | status | name | title | notes | tag | group | branch
///             | kind | user | commit | id | bookmarked | archived
/// value      := number | 'quoted text' | "quoted text" | word
/// </code>
/// A metric or param key may be written bare (<c>acc</c>) or as <c>file:key</c>. Numbers compare as
/// numbers; everything else as text, case-insensitively. A run without the field never matches.
/// </remarks>
public sealed class RunFilter
{
    private readonly Func<RunRecord, bool> _predicate;

    private RunFilter(Func<RunRecord, bool> predicate, IReadOnlySet<string> paramKeys, IReadOnlySet<string> metricKeys)
    {
        _predicate = predicate;
        ParamKeys = paramKeys;
        MetricKeys = metricKeys;
    }

    /// <summary>The param keys the filter reads (bare or <c>file:key</c>): a store need load no other params to evaluate it.</summary>
    public IReadOnlySet<string> ParamKeys { get; }

    /// <summary>The metric keys the filter reads (bare or <c>file:key</c>).</summary>
    public IReadOnlySet<string> MetricKeys { get; }

    public bool Matches(RunRecord run) => _predicate(run);

    /// <summary>Parses a filter; a malformed one is an error naming the offending token and its position.</summary>
    public static RunFilter Parse(string text, string flag = "--filter")
    {
        var parser = new Parser(text, flag);
        var predicate = parser.ParseExpression();
        parser.ExpectEnd();
        return new RunFilter(predicate, parser.ParamKeys, parser.MetricKeys);
    }

    private sealed record Token(string Text, int Position, bool Quoted);

    private sealed class Parser
    {
        private static readonly string[] Operators = ["<=", ">=", "!=", "=", "<", ">", "~"];
        private readonly string _text;
        private readonly string _flag;
        private readonly List<Token> _tokens;
        private int _next;

        public HashSet<string> ParamKeys { get; } = new(StringComparer.Ordinal);

        public HashSet<string> MetricKeys { get; } = new(StringComparer.Ordinal);

        public Parser(string text, string flag)
        {
            _text = text;
            _flag = flag;
            _tokens = Tokenize(text);
        }

        public Func<RunRecord, bool> ParseExpression()
        {
            var left = ParseTerm();
            while (Accept("or"))
            {
                var l = left;
                var right = ParseTerm();
                left = run => l(run) || right(run);
            }

            return left;
        }

        public void ExpectEnd()
        {
            if (_next < _tokens.Count)
            {
                throw Error(_tokens[_next], "expected 'and', 'or' or the end");
            }
        }

        private Func<RunRecord, bool> ParseTerm()
        {
            var left = ParseFactor();
            while (Accept("and"))
            {
                var l = left;
                var right = ParseFactor();
                left = run => l(run) && right(run);
            }

            return left;
        }

        private Func<RunRecord, bool> ParseFactor()
        {
            if (Accept("not"))
            {
                var inner = ParseFactor();
                return run => !inner(run);
            }

            if (Peek() is { Quoted: false, Text: "(" } open)
            {
                _next++;
                var inner = ParseExpression();
                if (!Accept(")"))
                {
                    throw Peek() is { } next ? Error(next, "expected ')'") : Error(open, "'(' is never closed");
                }

                return inner;
            }

            return ParseComparison();
        }

        private Func<RunRecord, bool> ParseComparison()
        {
            var field = Take("a field such as metrics.acc, params.train.lr or status");
            if (field.Quoted || Operators.Contains(field.Text) || field.Text is "(" or ")")
            {
                throw Error(field, "expected a field such as metrics.acc, params.train.lr or status");
            }

            var op = Take("an operator (= != < <= > >= ~)");
            if (op.Quoted || !Operators.Contains(op.Text))
            {
                throw Error(op, "expected an operator (= != < <= > >= ~)");
            }

            var value = Take("a value");
            // A keyword where the value belongs means the value is missing; quote it to compare with the word.
            if (
                !value.Quoted
                && (
                    Operators.Contains(value.Text)
                    || value.Text is "(" or ")"
                    || value.Text.ToLowerInvariant() is "and" or "or" or "not"
                )
            )
            {
                throw Error(value, "expected a value");
            }

            var read = Field(field);
            return run => Compare(read(run), op.Text, value.Text);
        }

        private Func<RunRecord, object?> Field(Token field)
        {
            var name = field.Text;
            var lower = name.ToLowerInvariant();
            if (lower.StartsWith("metrics.", StringComparison.Ordinal))
            {
                var key = name["metrics.".Length..];
                MetricKeys.Add(key);
                return run => Lookup(run.Metrics.ToDictionary(m => m.Key, m => m.Value.Last), key);
            }

            if (lower.StartsWith("params.", StringComparison.Ordinal))
            {
                var key = name["params.".Length..];
                ParamKeys.Add(key);
                return run => Lookup(run.Params, key);
            }

            return lower switch
            {
                "status" => run => run.Status.ToString(),
                "name" => run => run.ExperimentName,
                "title" => run => run.Title,
                "notes" => run => run.Notes,
                "tag" => run => run.Tags,
                "group" => run => run.Group,
                "branch" => run => run.Branch,
                "kind" => run => run.Kind,
                "user" => run => run.GitUser,
                "commit" => run => run.Commit,
                "id" => run => run.Id,
                "bookmarked" => run => run.Bookmarked ? "true" : "false",
                "archived" => run => run.Archived ? "true" : "false",
                _ => throw Error(
                    field,
                    "unknown field (expected metrics.<key>, params.<key>, status, name, title, notes, tag, group, branch, kind, user, commit, id, bookmarked or archived)"
                ),
            };
        }

        private static object? Lookup(IReadOnlyDictionary<string, JsonNode?> values, string key)
        {
            if (values.TryGetValue(key, out var exact))
            {
                return exact;
            }

            // Keys are stored as file:key; a bare key matches in any file.
            var match = values.FirstOrDefault(v => v.Key.EndsWith(":" + key, StringComparison.Ordinal));
            return match.Key is null ? null : match.Value;
        }

        private static bool Compare(object? actual, string op, string expected)
        {
            switch (actual)
            {
                case null:
                    return false;
                case IEnumerable<string> many when actual is not string:
                    return op == "!=" ? many.All(v => Compare(v, op, expected)) : many.Any(v => Compare(v, op, expected));
                case JsonNode node:
                    if (ValueComparer.AsNumber(node) is { } number)
                    {
                        return CompareNumbers(number, op, expected) ?? CompareText(node.ToJsonString(), op, expected);
                    }

                    return CompareText(
                        node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString(),
                        op,
                        expected
                    );
                default:
                    var text = actual.ToString() ?? "";
                    return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
                        ? CompareNumbers(parsed, op, expected) ?? CompareText(text, op, expected)
                        : CompareText(text, op, expected);
            }
        }

        private static bool? CompareNumbers(double actual, string op, string expected)
        {
            if (!double.TryParse(expected, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                return null;
            }

            return op switch
            {
                "=" => actual == value,
                "!=" => actual != value,
                "<" => actual < value,
                "<=" => actual <= value,
                ">" => actual > value,
                ">=" => actual >= value,
                _ => null,
            };
        }

        private static bool CompareText(string actual, string op, string expected)
        {
            var order = string.Compare(actual, expected, StringComparison.OrdinalIgnoreCase);
            return op switch
            {
                "=" => order == 0,
                "!=" => order != 0,
                "<" => order < 0,
                "<=" => order <= 0,
                ">" => order > 0,
                ">=" => order >= 0,
                _ => actual.Contains(expected, StringComparison.OrdinalIgnoreCase),
            };
        }

        private bool Accept(string keyword)
        {
            if (Peek() is { Quoted: false } token && string.Equals(token.Text, keyword, StringComparison.OrdinalIgnoreCase))
            {
                _next++;
                return true;
            }

            return false;
        }

        private Token? Peek() => _next < _tokens.Count ? _tokens[_next] : null;

        private Token Take(string expected) =>
            _next < _tokens.Count ? _tokens[_next++] : throw Error(null, "expected " + expected);

        private ExpException Error(Token? token, string message)
        {
            var where = token is null
                ? $"at position {(_text.Length + 1).ToString(CultureInfo.InvariantCulture)} (the end)"
                : $"at position {(token.Position + 1).ToString(CultureInfo.InvariantCulture)} ('{token.Text}')";
            return new ExpException(ExitCode.Usage, $"{_flag} '{_text}': {message} {where}");
        }

        private List<Token> Tokenize(string text)
        {
            var tokens = new List<Token>();
            var i = 0;
            while (i < text.Length)
            {
                var c = text[i];
                if (char.IsWhiteSpace(c))
                {
                    i++;
                }
                else if (c is '\'' or '"')
                {
                    var end = text.IndexOf(c, i + 1);
                    if (end < 0)
                    {
                        throw new ExpException(ExitCode.Usage, $"{_flag} '{text}': unclosed quote at position {i + 1} ({c})");
                    }

                    tokens.Add(new Token(text[(i + 1)..end], i, Quoted: true));
                    i = end + 1;
                }
                else if (c is '(' or ')')
                {
                    tokens.Add(new Token(c.ToString(), i, Quoted: false));
                    i++;
                }
                else if (Operators.FirstOrDefault(o => string.CompareOrdinal(text, i, o, 0, o.Length) == 0) is { } op)
                {
                    tokens.Add(new Token(op, i, Quoted: false));
                    i += op.Length;
                }
                else
                {
                    var start = i;
                    while (
                        i < text.Length
                        && !char.IsWhiteSpace(text[i])
                        && text[i] is not ('(' or ')' or '\'' or '"')
                        && !Operators.Any(o => string.CompareOrdinal(text, i, o, 0, o.Length) == 0)
                    )
                    {
                        i++;
                    }

                    tokens.Add(new Token(text[start..i], start, Quoted: false));
                }
            }

            return tokens;
        }
    }
}
