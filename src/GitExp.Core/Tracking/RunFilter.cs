using System.Globalization;

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
/// A metric or param key may be written bare (<c>acc</c>) or as <c>file:key</c>; a bare key several files
/// hold means the first of them in key order. Numbers compare as numbers; everything else as text,
/// case-insensitively. A run without the field never matches. <see cref="RunStore.Find"/> evaluates a
/// filter in SQL (see <see cref="RunQuerySql"/>).
/// </remarks>
public sealed class RunFilter
{
    private RunFilter(string text, string flag, FilterNode root)
    {
        Text = text;
        Flag = flag;
        Root = root;
    }

    /// <summary>The filter as written.</summary>
    public string Text { get; }

    /// <summary>The flag or field it was given in, which its errors name (<c>--filter</c>).</summary>
    public string Flag { get; }

    /// <summary>The parsed expression; <see cref="RunStore"/> evaluates it in SQL.</summary>
    internal FilterNode Root { get; }

    /// <summary>Parses a filter; a malformed one is an error naming the offending token and its position.</summary>
    public static RunFilter Parse(string text, string flag = "--filter")
    {
        var parser = new Parser(text, flag);
        var root = parser.ParseExpression();
        parser.ExpectEnd();
        return new RunFilter(text, flag, root);
    }

    private sealed record Token(string Text, int Position, bool Quoted);

    private sealed class Parser
    {
        private static readonly string[] Operators = ["<=", ">=", "!=", "=", "<", ">", "~"];
        private readonly string _text;
        private readonly string _flag;
        private readonly List<Token> _tokens;
        private int _next;

        public Parser(string text, string flag)
        {
            _text = text;
            _flag = flag;
            _tokens = Tokenize(text);
        }

        public FilterNode ParseExpression()
        {
            var left = ParseTerm();
            while (Accept("or"))
            {
                left = new FilterOr(left, ParseTerm());
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

        private FilterNode ParseTerm()
        {
            var left = ParseFactor();
            while (Accept("and"))
            {
                left = new FilterAnd(left, ParseFactor());
            }

            return left;
        }

        private FilterNode ParseFactor()
        {
            if (Accept("not"))
            {
                return new FilterNot(ParseFactor());
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

        private FilterComparison ParseComparison()
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

            var (name, key) = Field(field);
            // A status is one of five words: a typo would select nothing without a word of why.
            if (
                name == FilterField.Status
                && op.Text is "=" or "!="
                && (!Enum.TryParse<RunStatus>(value.Text, ignoreCase: true, out _) || !value.Text.All(char.IsAsciiLetter))
            )
            {
                throw Error(value, "no run has this status (expected queued, running, succeeded, failed or interrupted)");
            }

            return new FilterComparison(name, key, op.Text, value.Text);
        }

        private (FilterField Field, string? Key) Field(Token field)
        {
            var name = field.Text;
            var lower = name.ToLowerInvariant();
            if (lower.StartsWith("metrics.", StringComparison.Ordinal))
            {
                return (FilterField.Metric, name["metrics.".Length..]);
            }

            if (lower.StartsWith("params.", StringComparison.Ordinal))
            {
                return (FilterField.Param, name["params.".Length..]);
            }

            return lower switch
            {
                "status" => (FilterField.Status, null),
                "name" => (FilterField.Name, null),
                "title" => (FilterField.Title, null),
                "notes" => (FilterField.Notes, null),
                "tag" => (FilterField.Tag, null),
                "group" => (FilterField.Group, null),
                "branch" => (FilterField.Branch, null),
                "kind" => (FilterField.Kind, null),
                "user" => (FilterField.User, null),
                "commit" => (FilterField.Commit, null),
                "baseline" => (FilterField.Baseline, null),
                "id" => (FilterField.Id, null),
                "bookmarked" => (FilterField.Bookmarked, null),
                "archived" => (FilterField.Archived, null),
                _ => throw Error(
                    field,
                    "unknown field (expected metrics.<key>, params.<key>, status, name, title, notes, tag, group, branch, kind, user, commit, baseline, id, bookmarked or archived)"
                ),
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

/// <summary>What a filter comparison reads from a run.</summary>
internal enum FilterField
{
    Metric,
    Param,
    Status,
    Name,
    Title,
    Notes,
    Tag,
    Group,
    Branch,
    Kind,
    User,
    Commit,
    Baseline,
    Id,
    Bookmarked,
    Archived,
}

/// <summary>A parsed filter: comparisons joined by and, or, not.</summary>
internal abstract record FilterNode;

internal sealed record FilterAnd(FilterNode Left, FilterNode Right) : FilterNode;

internal sealed record FilterOr(FilterNode Left, FilterNode Right) : FilterNode;

internal sealed record FilterNot(FilterNode Inner) : FilterNode;

/// <summary><c>field op value</c>; <paramref name="Key"/> is the metric or param key as written (bare or <c>file:key</c>).</summary>
internal sealed record FilterComparison(FilterField Field, string? Key, string Op, string Value) : FilterNode;
