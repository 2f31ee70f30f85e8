using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GitExp.Core.Plots;

namespace GitExp.Tool.Rendering;

/// <summary>
/// <c>plots show</c>'s page: one self-contained HTML file with the web UI's chart library (uPlot) inline, each plot's
/// data as JSON, and images as data URIs, so it opens offline from any folder (decision 38).
/// </summary>
internal static class PlotsHtml
{
    private static readonly string[] Colors =
    [
        "#1f77b4",
        "#ff7f0e",
        "#2ca02c",
        "#d62728",
        "#9467bd",
        "#8c564b",
        "#e377c2",
        "#7f7f7f",
        "#bcbd22",
        "#17becf",
    ];

    // Draws every plot of the #plot-data JSON with uPlot: x with its category names when x is not numeric,
    // lines (points when sparse) for linear, lines only for simple, points only for scatter, and for smooth a
    // faint raw line under its moving average over a tenth of the points.
    private const string Script = """
        (() => {
          const colors = COLORS;
          const plots = JSON.parse(document.getElementById("plot-data").textContent);
          const root = document.getElementById("plots");
          const smooth = ys => {
            const half = Math.max(1, Math.round(ys.filter(v => v !== null).length / 20));
            return ys.map((v, i) => {
              if (v === null) return null;
              let sum = 0, n = 0;
              for (let j = Math.max(0, i - half); j <= Math.min(ys.length - 1, i + half); j++) {
                if (ys[j] !== null) { sum += ys[j]; n++; }
              }
              return sum / n;
            });
          };
          for (const p of plots) {
            const figure = document.createElement("figure");
            figure.className = "plot";
            figure.dataset.id = p.id;
            root.append(figure);
            const series = [{ label: p.xLabel, value: p.categories ? (u, v) => (v === null ? "--" : p.categories[v]) : undefined }];
            const data = [p.x];
            p.series.forEach((s, i) => {
              const color = colors[i % colors.length];
              if (p.template === "smooth") {
                series.push({ label: s.label + " (raw)", stroke: color + "40", width: 1, spanGaps: true, points: { show: false } });
                data.push(s.y);
                series.push({ label: s.label, stroke: color, width: 2, spanGaps: true, points: { show: false } });
                data.push(smooth(s.y));
              } else if (p.template === "scatter") {
                series.push({ label: s.label, stroke: color, fill: color, paths: () => null, points: { show: true, size: 6, fill: color } });
                data.push(s.y);
              } else {
                series.push({ label: s.label, stroke: color, width: 2, spanGaps: true, points: p.template === "simple" ? { show: false } : {} });
                data.push(s.y);
              }
            });
            const xAxis = { label: p.xLabel };
            if (p.categories) {
              xAxis.values = (u, splits) => splits.map(v => (Number.isInteger(v) && p.categories[v] !== undefined ? p.categories[v] : ""));
            }
            new uPlot({
              title: p.title, width: 640, height: 360, scales: { x: { time: false } },
              axes: [xAxis, { label: p.yLabel }], series,
            }, data, figure);
          }
        })();
        """;

    private const string Style = """
        body { font-family: system-ui, sans-serif; margin: 16px; color: #222; }
        h1 { font-size: 18px; font-weight: 600; }
        #plots, .images { display: flex; flex-wrap: wrap; gap: 24px; }
        figure { margin: 0; }
        figcaption { font-size: 13px; font-weight: 600; margin-bottom: 4px; }
        .images img { max-width: 480px; border: 1px solid #ddd; display: block; }
        .images figcaption { font-weight: normal; }
        """;

    /// <summary>Writes the page for <paramref name="result"/>.</summary>
    public static void Write(TextWriter output, PlotsResult result)
    {
        var revisions = WebUtility.HtmlEncode(string.Join(", ", result.Revisions));
        output.Write("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        output.Write($"<title>Plots: {revisions}</title>\n<style>\n");
        output.Write(Resource("uPlot.min.css"));
        output.Write("\n");
        output.Write(Style);
        output.Write("\n</style>\n</head>\n<body>\n");
        output.Write($"<h1>Plots: {revisions}</h1>\n<div id=\"plots\"></div>\n");
        foreach (var plot in result.Plots.Where(p => p.IsImage))
        {
            output.Write($"<section class=\"images\" data-id=\"{WebUtility.HtmlEncode(plot.Id)}\">\n");
            foreach (var image in plot.Images)
            {
                var caption = WebUtility.HtmlEncode($"{plot.Title ?? plot.Id} ({image.Revision})");
                output.Write(
                    $"<figure><figcaption>{caption}</figcaption><img alt=\"{caption}\" src=\"data:{MediaType(image.File)};base64,"
                );
                output.Write(Convert.ToBase64String(image.Content));
                output.Write("\"></figure>\n");
            }

            output.Write("</section>\n");
        }

        output.Write("<script>\n");
        // A script element ends at the first "</script" whatever the script means; the library holds none, but be sure.
        output.Write(Resource("uPlot.iife.min.js").Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase));
        output.Write("\n</script>\n<script type=\"application/json\" id=\"plot-data\">");
        // The default encoder escapes <, > and &, so the data cannot end its script element either.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            WriteData(json, result.Plots.Where(p => !p.IsImage));
        }

        output.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));

        output.Write("</script>\n<script>\n");
        output.Write(Script.Replace("COLORS", JsonSerializer.Serialize(Colors), StringComparison.Ordinal));
        output.Write("\n</script>\n</body>\n</html>\n");
    }

    /// <summary>The media type of an image plot file, for its data URI.</summary>
    public static string MediaType(string file) =>
        Path.GetExtension(file).ToLowerInvariant() switch
        {
            ".png" => "image/png",
            ".jpg" or ".jpeg" => "image/jpeg",
            ".gif" => "image/gif",
            _ => "image/svg+xml",
        };

    // Each plot as uPlot wants it: one ascending x array and every series' y aligned to it (null where a series has
    // no point). The k-th point of a series at x takes the slot (x, k), so series that share their steps share slots
    // and repeated x values (a scatter) keep all their points.
    private static void WriteData(Utf8JsonWriter json, IEnumerable<Plot> plots)
    {
        json.WriteStartArray();
        foreach (var plot in plots)
        {
            var categories = plot.Series.SelectMany(s => s.X).Any(x => Number(x) is null && x is not null)
                ? plot.Series.SelectMany(s => s.X).Select(Text).Distinct(StringComparer.Ordinal).ToList()
                : null;
            double? XOf(JsonNode? x) => categories is null ? Number(x) : categories.IndexOf(Text(x));

            var points = plot
                .Series.Select(s =>
                {
                    var seen = new Dictionary<double, int>();
                    var list = new List<((double X, int K) Slot, double? Y)>(s.X.Count);
                    for (var i = 0; i < s.X.Count; i++)
                    {
                        if (XOf(s.X[i]) is not { } x)
                        {
                            continue;
                        }

                        var k = seen.GetValueOrDefault(x);
                        seen[x] = k + 1;
                        list.Add(((x, k), i < s.Y.Count ? Number(s.Y[i]) : null));
                    }

                    return list;
                })
                .ToList();
            var slots = points.SelectMany(p => p.Select(q => q.Slot)).Distinct().Order().ToList();
            var position = new Dictionary<(double, int), int>(slots.Count);
            for (var i = 0; i < slots.Count; i++)
            {
                position[slots[i]] = i;
            }

            var several = plot.Series.Select(s => (s.File, s.Field)).Distinct().Count() > 1;
            var revisions = plot.Revisions.Count;
            json.WriteStartObject();
            json.WriteString("id", plot.Id);
            json.WriteString("title", plot.Title ?? plot.Id);
            json.WriteString("template", plot.Template);
            json.WriteString("xLabel", plot.XLabel);
            json.WriteString("yLabel", plot.YLabel);
            if (categories is not null)
            {
                json.WriteStartArray("categories");
                categories.ForEach(json.WriteStringValue);
                json.WriteEndArray();
            }

            json.WriteStartArray("x");
            slots.ForEach(s => json.WriteNumberValue(s.X));
            json.WriteEndArray();
            json.WriteStartArray("series");
            for (var s = 0; s < plot.Series.Count; s++)
            {
                var series = plot.Series[s];
                var label =
                    several && revisions > 1 ? $"{series.Revision} {series.File}: {series.Field}"
                    : several ? $"{series.File}: {series.Field}"
                    : series.Revision;
                var y = new double?[slots.Count];
                foreach (var (slot, value) in points[s])
                {
                    y[position[slot]] = value;
                }

                json.WriteStartObject();
                json.WriteString("label", label);
                json.WriteStartArray("y");
                foreach (var value in y)
                {
                    if (value is { } v && double.IsFinite(v))
                    {
                        json.WriteNumberValue(v);
                    }
                    else
                    {
                        json.WriteNullValue();
                    }
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    // A number as DVC's charts read one: JSON numbers and booleans, and text that is a number (CSV values are text).
    private static double? Number(JsonNode? node) =>
        node is JsonValue value
            ? value.GetValueKind() switch
            {
                JsonValueKind.Number => value.TryGetValue<double>(out var d) ? d
                : value.TryGetValue<int>(out var i) ? i
                : value.TryGetValue<long>(out var l) ? l
                : double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture),
                JsonValueKind.True => 1,
                JsonValueKind.False => 0,
                JsonValueKind.String
                    when double.TryParse(
                        value.GetValue<string>(),
                        NumberStyles.Float,
                        CultureInfo.InvariantCulture,
                        out var parsed
                    ) => parsed,
                _ => null,
            }
            : null;

    private static string Text(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String
            ? value.GetValue<string>()
            : node?.ToJsonString() ?? "";

    private static string Resource(string name)
    {
        using var stream =
            typeof(PlotsHtml).Assembly.GetManifestResourceStream("GitExp.Web." + name)
            ?? throw new InvalidOperationException($"the tool was built without its chart library resource {name}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
