using System.Text;
using System.Text.RegularExpressions;

namespace GitExp.Core.Pipeline.Templating;

/// <summary>A mistake in a pipeline's templating; the caller adds the file, line and stage.</summary>
internal sealed class TemplateException(string message) : Exception(message);

/// <summary>How <c>${dict}</c> in a command turns booleans and lists into options (DVC's <c>parsing</c> config).</summary>
/// <param name="BooleanOptional">false: <c>--flag</c> for true, nothing for false (DVC's <c>store_true</c>);
/// true: <c>--no-flag</c> for false too (<c>boolean_optional</c>).</param>
/// <param name="ListAppend">false: <c>--list 1 2</c> (DVC's <c>nargs</c>); true: <c>--list 1 --list 2</c> (<c>append</c>).</param>
internal sealed record ParsingConfig(bool BooleanOptional = false, bool ListAppend = false)
{
    public static readonly ParsingConfig Default = new();

    /// <summary>
    /// The <c>[parsing]</c> section of a DVC project's config files (INI, as <c>dvc config</c> writes them), in DVC's
    /// order (<c>.dvc/config</c>, then <c>.dvc/config.local</c>): a later file's setting wins; DVC's defaults without one.
    /// </summary>
    public static ParsingConfig FromDvcConfig(params string?[] texts)
    {
        var config = Default;
        foreach (var text in texts.OfType<string>())
        {
            var lines = text.Split('\n');
            if (Project.DvcConfig.Read(lines, "parsing", "bool") is { } boolean)
            {
                config = config with { BooleanOptional = boolean == "boolean_optional" };
            }

            if (Project.DvcConfig.Read(lines, "parsing", "list") is { } list)
            {
                config = config with { ListAppend = list == "append" };
            }
        }

        return config;
    }
}

/// <summary>DVC's <c>${...}</c> syntax: finding references, checking them, and turning values into text.</summary>
internal static partial class Interpolation
{
    // DVC's KEYCRE: "${" not preceded by a backslash, the shortest text up to "}" on one line.
    [GeneratedRegex(@"(?<!\\)\$\{(?<inner>.*?)\}")]
    public static partial Regex Reference();

    [GeneratedRegex(@"[^A-Za-z0-9_@%+=:,./-]")]
    private static partial Regex ShellUnsafe();

    public static bool HasReference(string text) => Reference().IsMatch(text);

    /// <summary>
    /// Checks a reference by DVC's grammar (a name, then <c>.name</c> or <c>[name]</c> parts; names are any
    /// text without '.', '[' or ']') and gives it dotted: <c>a[0].b</c> → <c>a.0.b</c>.
    /// </summary>
    public static string Parse(string inner)
    {
        var parts = new List<string>();
        var i = 0;
        parts.Add(Word(inner, ref i));
        while (true)
        {
            while (i < inner.Length && inner[i] is ' ' or '\t' or '\r' or '\n')
            {
                i++;
            }

            if (i == inner.Length)
            {
                return string.Join('.', parts);
            }

            if (inner[i] == '.')
            {
                i++;
                parts.Add(Word(inner, ref i));
            }
            else if (inner[i] == '[')
            {
                i++;
                parts.Add(Word(inner, ref i));
                if (i == inner.Length || inner[i] != ']')
                {
                    throw Invalid(inner, "expected ']'");
                }

                i++;
            }
            else
            {
                throw Invalid(inner, $"unexpected '{inner[i]}'");
            }
        }

        static string Word(string inner, ref int i)
        {
            var start = i;
            while (i < inner.Length && inner[i] is not ('.' or '[' or ']'))
            {
                i++;
            }

            return i > start ? inner[start..i] : throw Invalid(inner, "expected a name");
        }
    }

    private static TemplateException Invalid(string inner, string why) =>
        new($"'${{{inner}}}' is not a valid reference ({why}; write names joined by '.' or '[...]', like a.b[0])");

    /// <summary>DVC's <c>to_str</c>: the text a value becomes inside a longer string.</summary>
    public static string ToText(TemplateValue value, ParsingConfig config) =>
        value switch
        {
            TemplateScalar { Kind: ScalarKind.Bool } s => s.Text == "True" ? "true" : "false",
            TemplateScalar s => s.Text,
            TemplateMap map => Options(map, config),
            _ => Repr(value),
        };

    /// <summary>Python's <c>str()</c>: a foreach key from a params file keeps Python's spelling ("True").</summary>
    public static string PythonText(TemplateValue value) => value is TemplateScalar s ? s.Text : Repr(value);

    private static string Repr(TemplateValue value) =>
        value switch
        {
            TemplateScalar { Kind: ScalarKind.String } s => "'" + s.Text + "'",
            TemplateScalar s => s.Text,
            TemplateList list => "[" + string.Join(", ", list.Items.Select(Repr)) + "]",
            TemplateMap map => "{" + string.Join(", ", map.Entries.Select(e => $"'{e.Key}': {Repr(e.Value)}")) + "}",
            _ => "",
        };

    /// <summary>A map as command-line options, as DVC writes <c>${dict}</c> in a cmd: <c>--key value</c>, nested keys dotted.</summary>
    private static string Options(TemplateMap map, ParsingConfig config)
    {
        var sb = new StringBuilder();
        foreach (var (key, value) in Flatten(map, ""))
        {
            switch (value)
            {
                case TemplateScalar { Kind: ScalarKind.Bool } b:
                    if (b.Text == "True")
                    {
                        sb.Append("--").Append(key).Append(' ');
                    }
                    else if (config.BooleanOptional)
                    {
                        sb.Append("--no-").Append(key).Append(' ');
                    }

                    break;
                case TemplateScalar { Kind: ScalarKind.String } s:
                    sb.Append("--").Append(key).Append(' ').Append(Quote(s.Text)).Append(' ');
                    break;
                case TemplateList list:
                    for (var n = 0; n < list.Items.Count; n++)
                    {
                        var text = list.Items[n] switch
                        {
                            TemplateScalar { Kind: ScalarKind.String } s => Quote(s.Text),
                            TemplateScalar s => s.Text,
                            _ => throw new TemplateException(
                                $"'{key}' holds a list inside a list, which has no --{key} option form"
                            ),
                        };
                        if (config.ListAppend || n == 0)
                        {
                            sb.Append("--").Append(key).Append(' ');
                        }

                        sb.Append(text).Append(' ');
                    }

                    break;
                case TemplateScalar s:
                    sb.Append("--").Append(key).Append(' ').Append(s.Text).Append(' ');
                    break;
            }
        }

        return sb.ToString().TrimEnd();
    }

    // flatten_dict with the "dot" reducer: nested maps become dotted keys; empty maps disappear.
    private static IEnumerable<(string Key, TemplateValue Value)> Flatten(TemplateMap map, string prefix)
    {
        foreach (var (key, value) in map.Entries)
        {
            var full = prefix.Length == 0 ? key : prefix + "." + key;
            if (value is TemplateMap inner)
            {
                foreach (var item in Flatten(inner, full))
                {
                    yield return item;
                }
            }
            else
            {
                yield return (full, value);
            }
        }
    }

    /// <summary>Quotes a value for the shell as DVC does: <c>shlex.quote</c>, or <c>list2cmdline</c> on Windows.</summary>
    public static string Quote(string value) => OperatingSystem.IsWindows() ? WindowsQuote(value) : PosixQuote(value);

    public static string PosixQuote(string value) =>
        value.Length == 0 ? "''"
        : !ShellUnsafe().IsMatch(value) ? value
        : "'" + value.Replace("'", "'\"'\"'", StringComparison.Ordinal) + "'";

    public static string WindowsQuote(string value)
    {
        var needQuote =
            value.Length == 0 || value.Contains(' ', StringComparison.Ordinal) || value.Contains('\t', StringComparison.Ordinal);
        var sb = new StringBuilder();
        if (needQuote)
        {
            sb.Append('"');
        }

        var backslashes = 0;
        foreach (var c in value)
        {
            if (c == '\\')
            {
                backslashes++;
            }
            else if (c == '"')
            {
                sb.Append('\\', backslashes * 2).Append("\\\"");
                backslashes = 0;
            }
            else
            {
                sb.Append('\\', backslashes).Append(c);
                backslashes = 0;
            }
        }

        sb.Append('\\', backslashes);
        if (needQuote)
        {
            sb.Append('\\', backslashes).Append('"');
        }

        return sb.ToString();
    }
}
