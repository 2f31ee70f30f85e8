using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GitExp.Core.Pipeline.Templating;

/// <summary>
/// Where a value of the templating context came from: a params file (<see cref="Local"/> false, so a stage
/// that interpolates it records it, as DVC's tracked vars) or the pipeline itself (vars maps, foreach data).
/// </summary>
internal sealed record ValueOrigin(string? Source, ImmutableList<(string Name, bool IsIndex)> Path, bool Local)
{
    public static readonly ValueOrigin Literal = new(null, [], true);

    public ValueOrigin Child(string name, bool isIndex) => this with { Path = Path.Add((name, isIndex)) };

    /// <summary>DVC's spelling in messages: "models.0.thresh".</summary>
    public string DottedPath => string.Join('.', Path.Select(p => p.Name));

    /// <summary>GitExp's params key spelling: "models[0].thresh".</summary>
    public string KeyPath
    {
        get
        {
            var sb = new StringBuilder();
            foreach (var (name, isIndex) in Path)
            {
                if (isIndex)
                {
                    sb.Append('[').Append(name).Append(']');
                }
                else
                {
                    sb.Append(sb.Length == 0 ? "" : ".").Append(name);
                }
            }

            return sb.ToString();
        }
    }
}

/// <summary>The kinds of scalar DVC's templating tells apart (Python's None, bool, int, float, str).</summary>
internal enum ScalarKind
{
    Null,
    Bool,
    Int,
    Float,
    String,
}

/// <summary>A value of the templating context: a scalar, a list or a map, with its origin.</summary>
internal abstract class TemplateValue(ValueOrigin origin)
{
    public ValueOrigin Origin { get; } = origin;

    /// <summary>A copy whose lists and maps are new (so merging stage vars into it leaves the original alone).</summary>
    public abstract TemplateValue Clone();

    public string KindName =>
        this switch
        {
            TemplateMap => "map",
            TemplateList => "list",
            TemplateScalar { Kind: ScalarKind.String } => "string",
            TemplateScalar { Kind: ScalarKind.Null } => "null",
            TemplateScalar { Kind: ScalarKind.Bool } => "boolean",
            _ => "number",
        };

    /// <summary>Reads a params file's value (JSON nodes, as every params reader gives them).</summary>
    public static TemplateValue FromJson(JsonNode? node, ValueOrigin origin)
    {
        switch (node)
        {
            case JsonObject obj:
                var map = new TemplateMap(origin);
                foreach (var (key, value) in obj)
                {
                    map.Entries[key] = FromJson(value, origin.Child(key, false));
                }

                return map;
            case JsonArray arr:
                var list = new TemplateList(origin);
                for (var i = 0; i < arr.Count; i++)
                {
                    list.Items.Add(FromJson(arr[i], origin.Child(i.ToString(CultureInfo.InvariantCulture), true)));
                }

                return list;
            case JsonValue v:
                return TemplateScalar.FromJson(v, origin);
            default:
                return new TemplateScalar(ScalarKind.Null, "None", origin);
        }
    }
}

internal sealed class TemplateScalar(ScalarKind kind, string text, ValueOrigin origin) : TemplateValue(origin)
{
    public ScalarKind Kind { get; } = kind;

    /// <summary>Python's <c>str()</c> of the value: "True" for a bool, "None" for null, "1e-05" for a float.</summary>
    public string Text { get; } = text;

    public static TemplateScalar String(string text, ValueOrigin origin) => new(ScalarKind.String, text, origin);

    public override TemplateValue Clone() => this;

    public static TemplateScalar FromJson(JsonValue v, ValueOrigin origin)
    {
        if (v.TryGetValue<JsonElement>(out var element))
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.True:
                    return new(ScalarKind.Bool, "True", origin);
                case JsonValueKind.False:
                    return new(ScalarKind.Bool, "False", origin);
                case JsonValueKind.String:
                    return String(element.GetString()!, origin);
                case JsonValueKind.Number:
                    var raw = element.GetRawText();
                    if (raw.AsSpan().IndexOfAny(".eE") < 0)
                    {
                        return new(ScalarKind.Int, raw, origin);
                    }

                    var d = double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
                    return new(ScalarKind.Float, double.IsFinite(d) ? PythonFloat(d) : raw, origin);
                default:
                    return new(ScalarKind.Null, "None", origin);
            }
        }

        if (v.TryGetValue<bool>(out var b))
        {
            return new(ScalarKind.Bool, b ? "True" : "False", origin);
        }

        if (v.TryGetValue<string>(out var s))
        {
            return String(s, origin);
        }

        if (v.TryGetValue<long>(out var l))
        {
            return new(ScalarKind.Int, l.ToString(CultureInfo.InvariantCulture), origin);
        }

        if (v.TryGetValue<int>(out var i))
        {
            return new(ScalarKind.Int, i.ToString(CultureInfo.InvariantCulture), origin);
        }

        if (v.TryGetValue<double>(out var f))
        {
            return new(ScalarKind.Float, PythonFloat(f), origin);
        }

        if (v.TryGetValue<decimal>(out var m))
        {
            return new(ScalarKind.Float, PythonFloat((double)m), origin);
        }

        return String(v.ToJsonString().Trim('"'), origin);
    }

    /// <summary>Python's <c>repr()</c> of a float: the shortest round-trip digits, "1e-05" below 1e-4, "1e+16" from 1e16.</summary>
    public static string PythonFloat(double d)
    {
        if (double.IsNaN(d))
        {
            return "nan";
        }

        if (double.IsInfinity(d))
        {
            return d > 0 ? "inf" : "-inf";
        }

        var sign = double.IsNegative(d) ? "-" : "";
        // The shortest digits that read back as d (what "R" gives), placed by Python's rules.
        var shortest = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        var e = shortest.IndexOf('E', StringComparison.Ordinal);
        var mantissa = e < 0 ? shortest : shortest[..e];
        var exponent = e < 0 ? 0 : int.Parse(shortest[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        var digits = dot < 0 ? mantissa : mantissa[..dot] + mantissa[(dot + 1)..];
        var point = (dot < 0 ? mantissa.Length : dot) + exponent; // digits[0..point] is the integer part
        var lead = digits.Length - digits.TrimStart('0').Length;
        digits = digits.TrimStart('0');
        point -= lead;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            return sign + "0.0";
        }

        if (point > 16 || point < -3)
        {
            var exp = point - 1;
            var body = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            return sign + body + "e" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture);
        }

        if (point <= 0)
        {
            return sign + "0." + new string('0', -point) + digits;
        }

        if (point >= digits.Length)
        {
            return sign + digits + new string('0', point - digits.Length) + ".0";
        }

        return sign + digits[..point] + "." + digits[point..];
    }
}

internal sealed class TemplateList(ValueOrigin origin) : TemplateValue(origin)
{
    public List<TemplateValue> Items { get; } = [];

    public override TemplateValue Clone()
    {
        var copy = new TemplateList(Origin);
        copy.Items.AddRange(Items.Select(i => i.Clone()));
        return copy;
    }
}

internal sealed class TemplateMap(ValueOrigin origin) : TemplateValue(origin)
{
    public OrderedDictionary<string, TemplateValue> Entries { get; } = new(StringComparer.Ordinal);

    public override TemplateValue Clone()
    {
        var copy = new TemplateMap(Origin);
        foreach (var (key, value) in Entries)
        {
            copy.Entries[key] = value.Clone();
        }

        return copy;
    }
}
