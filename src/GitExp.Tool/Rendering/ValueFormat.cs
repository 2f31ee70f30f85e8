using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GitExp.Tool.Rendering;

/// <summary>How params and metrics appear as text: numbers rounded to a number of significant digits.</summary>
internal static class ValueFormat
{
    public const int DefaultPrecision = 5;

    private static readonly string[] Formats =
    [
        .. Enumerable.Range(0, 18).Select(p => "G" + p.ToString(CultureInfo.InvariantCulture)),
    ];

    public static string Text(JsonNode? value, int precision)
    {
        // The values the params parser and the values cache make: formatted without writing them out as JSON first
        // (a table of 10,000 experiments has 300,000 cells). A parsed JSON element takes the general path below.
        if (value is JsonValue plain && !plain.TryGetValue<JsonElement>(out _))
        {
            if (plain.TryGetValue<long>(out var integer))
            {
                return integer.ToString(CultureInfo.InvariantCulture);
            }

            if (plain.TryGetValue<double>(out var real) && double.IsFinite(real) && real != Math.Floor(real))
            {
                return precision >= 17
                    ? real.ToString(CultureInfo.InvariantCulture)
                    : real.ToString(Formats[precision], CultureInfo.InvariantCulture);
            }

            if (plain.TryGetValue<string>(out var text))
            {
                return text;
            }

            if (plain.TryGetValue<bool>(out var flag))
            {
                return flag ? "true" : "false";
            }
        }

        switch (value)
        {
            case null:
                return "-";
            case JsonValue scalar when scalar.GetValueKind() == JsonValueKind.String:
                return scalar.GetValue<string>();
            case JsonValue scalar when scalar.GetValueKind() == JsonValueKind.Number:
                var raw = scalar.ToJsonString();
                if (long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
                {
                    return raw;
                }

                var number = double.Parse(raw, CultureInfo.InvariantCulture);
                var exponent = raw.IndexOfAny(['e', 'E']);
                if (
                    !double.IsFinite(number)
                    || (number == 0 && raw.AsSpan(0, exponent < 0 ? raw.Length : exponent).ContainsAnyInRange('1', '9'))
                )
                {
                    // Beyond double's range (1e400, 1e-400): shown as written.
                    return raw;
                }

                // G17 shows binary noise (0.7 as 0.69999999999999996); full precision means the shortest round-trip text.
                if (precision >= 17)
                {
                    return number.ToString(CultureInfo.InvariantCulture);
                }

                return number.ToString("G" + precision.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            default:
                return value.ToJsonString();
        }
    }

    public static string Time(DateTimeOffset? time) =>
        time is { } t ? t.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "-";

    /// <summary>A signed change such as <c>+0.013</c>; "-" when there is none.</summary>
    public static string Change(double? change, int precision)
    {
        if (change is not { } value)
        {
            return "-";
        }

        var text = value.ToString("G" + precision.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return value > 0 ? "+" + text : text;
    }
}
