using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace GitExp.Core.Pipeline.Templating;

/// <summary>
/// Resolves the fields of one stage (DVC's <c>Context.resolve</c>): every string's references, written out as
/// YAML nodes at the positions the strings were written.
/// </summary>
internal sealed class FieldResolver(string file, ParsingConfig config)
{
    /// <summary>Writes a stage field with its references resolved (DVC resolves every string, map keys included).</summary>
    public void Emit(ResolvedYaml yaml, TemplateContext context, string stage, YamlNode node, string key)
    {
        switch (node)
        {
            case YamlScalarNode s when IsString(s) && s.Value!.Contains("${", StringComparison.Ordinal):
                var resolved = At(file, s, $"stage '{stage}': '{key}': ", () => Resolve(context, s.Value!, key));
                if (resolved is string text)
                {
                    yaml.Scalar(text, ScalarStyle.DoubleQuoted, s);
                }
                else
                {
                    EmitValue(yaml, (TemplateValue)resolved, s);
                }

                break;
            case YamlSequenceNode seq:
                yaml.StartList(seq);
                foreach (var child in seq.Children)
                {
                    Emit(yaml, context, stage, child, key);
                }

                yaml.EndList();
                break;
            case YamlMappingNode map:
                yaml.StartMap(map);
                foreach (var (k, v) in map.Children)
                {
                    Emit(yaml, context, stage, k, key);
                    Emit(yaml, context, stage, v, key);
                }

                yaml.EndMap();
                break;
            default:
                Copy(yaml, node);
                break;
        }
    }

    public static void Copy(ResolvedYaml yaml, YamlNode node)
    {
        switch (node)
        {
            case YamlScalarNode s:
                yaml.Scalar(s.Value ?? "", s.Style, s, s.Tag.IsEmpty || s.Tag.IsNonSpecific ? null : s.Tag.Value);
                break;
            case YamlSequenceNode seq:
                yaml.StartList(seq);
                seq.Children.ToList().ForEach(c => Copy(yaml, c));
                yaml.EndList();
                break;
            case YamlMappingNode map:
                yaml.StartMap(map);
                foreach (var (k, v) in map.Children)
                {
                    Copy(yaml, k);
                    Copy(yaml, v);
                }

                yaml.EndMap();
                break;
        }
    }

    // A whole-value reference keeps its type: "${epochs}" stays a number, "${flag}" a boolean.
    private static void EmitValue(ResolvedYaml yaml, TemplateValue value, YamlNode at)
    {
        switch (value)
        {
            case TemplateScalar { Kind: ScalarKind.String } s:
                yaml.Scalar(s.Text, ScalarStyle.DoubleQuoted, at);
                break;
            case TemplateScalar { Kind: ScalarKind.Null }:
                yaml.Scalar("null", ScalarStyle.Plain, at);
                break;
            case TemplateScalar { Kind: ScalarKind.Bool } b:
                yaml.Scalar(b.Text == "True" ? "true" : "false", ScalarStyle.Plain, at);
                break;
            case TemplateScalar n:
                yaml.Scalar(
                    n.Text switch
                    {
                        "inf" => ".inf",
                        "-inf" => "-.inf",
                        "nan" => ".nan",
                        var t => t,
                    },
                    ScalarStyle.Plain,
                    at
                );
                break;
            case TemplateList list:
                yaml.StartList(at);
                list.Items.ForEach(i => EmitValue(yaml, i, at));
                yaml.EndList();
                break;
            case TemplateMap map:
                yaml.StartMap(at);
                foreach (var (k, v) in map.Entries)
                {
                    yaml.Scalar(k, ScalarStyle.DoubleQuoted, at);
                    EmitValue(yaml, v, at);
                }

                yaml.EndMap();
                break;
        }
    }

    /// <summary>
    /// DVC's resolve_str: a string that is one reference becomes that value (any type); otherwise each
    /// reference is replaced by its text, and <c>\${</c> becomes <c>${</c>.
    /// </summary>
    public object Resolve(TemplateContext context, string text, string? key)
    {
        var matches = Interpolation.Reference().Matches(text);
        if (matches.Count == 1 && matches[0].Length == text.Length)
        {
            return Lookup(context, matches[0].Groups["inner"].Value, key);
        }

        var sb = new StringBuilder();
        var index = 0;
        foreach (System.Text.RegularExpressions.Match m in matches)
        {
            var value = Lookup(context, m.Groups["inner"].Value, key);
            sb.Append(text, index, m.Index - index).Append(Interpolation.ToText(value, config));
            index = m.Index + m.Length;
        }

        sb.Append(text, index, text.Length - index);
        return sb.ToString().Replace("\\${", "${", StringComparison.Ordinal);
    }

    public static TemplateValue AsValue(object resolved) =>
        resolved as TemplateValue ?? TemplateScalar.String((string)resolved, ValueOrigin.Literal);

    private static TemplateValue Lookup(TemplateContext context, string inner, string? key)
    {
        var dotted = Interpolation.Parse(inner);
        var value =
            context.Select(dotted)
            ?? throw new TemplateException(
                $"undefined name '{dotted}' in '${{{inner}}}'"
                    // ${NAME} in a command is often meant for the shell, as it was before templating.
                    + (
                        key == "cmd" && !dotted.Contains('.', StringComparison.Ordinal)
                            ? $"; for a shell variable write ${dotted.Trim()} or \\${{{dotted.Trim()}}}"
                            : ""
                    )
            );
        // DVC's validate_value: lists and maps only as foreach/matrix data, and a map as cmd options.
        if (key is not null && !key.Contains("foreach", StringComparison.Ordinal))
        {
            if (value is TemplateList)
            {
                throw new TemplateException($"'${{{inner}}}' is a list, which only 'foreach' and 'matrix' can use");
            }

            if (value is TemplateMap && key != "cmd")
            {
                throw new TemplateException(
                    $"'${{{inner}}}' is a map, which only 'cmd' (as --key value options), 'foreach' and 'matrix' can use"
                );
            }
        }

        return value;
    }

    public static bool IsString(YamlScalarNode s) =>
        s.Value is not null
        && (
            !Yaml.IsPlain(s)
            || Yaml.TypePlain(s.Value) is System.Text.Json.Nodes.JsonValue v
                && v.GetValueKind() == System.Text.Json.JsonValueKind.String
        );

    /// <summary>Runs <paramref name="action"/>, turning a templating mistake into a located error.</summary>
    public static T At<T>(string file, YamlNode node, string prefix, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (TemplateException e)
        {
            throw Yaml.Error(file, node, prefix + e.Message);
        }
    }
}
