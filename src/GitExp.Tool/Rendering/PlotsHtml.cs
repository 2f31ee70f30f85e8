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
    // The web UI's palette (common.js), as a JavaScript array.
    private const string Colors =
        """["#2f6fde", "#e4572e", "#17a398", "#a23b72", "#f3a712", "#6a4c93", "#3d9970", "#ff6f91", "#0074d9", "#85144b"]""";

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
        output.Write(Script.Replace("COLORS", Colors, StringComparison.Ordinal));
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
    // no point). The k-th point of a series at x takes the k-th slot of x, so series that share their steps share
    // slots and repeated x values (a scatter) keep all their points.
    private static void WriteData(Utf8JsonWriter json, IEnumerable<Plot> plots)
    {
        json.WriteStartArray();
        foreach (var plot in plots)
        {
            var categories = plot.Series.Any(s => s.X.Any(x => x is not null && Number(x) is null))
                ? plot.Series.SelectMany(s => s.X).Select(Text).Distinct(StringComparer.Ordinal).ToList()
                : null;
            var xs = new double[plot.Series.Count][];
            var ys = new double[plot.Series.Count][];
            for (var s = 0; s < plot.Series.Count; s++)
            {
                var series = plot.Series[s];
                xs[s] = new double[series.X.Count];
                ys[s] = new double[series.X.Count];
                for (var i = 0; i < series.X.Count; i++)
                {
                    xs[s][i] = (categories is null ? Number(series.X[i]) : categories.IndexOf(Text(series.X[i]))) ?? double.NaN;
                    ys[s][i] = i < series.Y.Count ? Number(series.Y[i]) ?? double.NaN : double.NaN;
                }
            }

            var (x, positions) = Align(xs);
            var several = plot.Series.Select(s => s.File + "\0" + s.Field).Distinct(StringComparer.Ordinal).Count() > 1;
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
            foreach (var value in x)
            {
                json.WriteNumberValue(value);
            }

            json.WriteEndArray();
            json.WriteStartArray("series");
            for (var s = 0; s < plot.Series.Count; s++)
            {
                var series = plot.Series[s];
                var label =
                    several && revisions > 1 ? $"{series.Revision} {series.File}: {series.Field}"
                    : several ? $"{series.File}: {series.Field}"
                    : series.Revision;
                var y = new double[x.Length];
                Array.Fill(y, double.NaN);
                for (var i = 0; i < positions[s].Length; i++)
                {
                    if (positions[s][i] >= 0)
                    {
                        y[positions[s][i]] = ys[s][i];
                    }
                }

                json.WriteStartObject();
                json.WriteString("label", label);
                json.WriteStartArray("y");
                foreach (var value in y)
                {
                    if (double.IsFinite(value))
                    {
                        json.WriteNumberValue(value);
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

    // The shared x array, and where each point of each series sits in it (-1: no x). When every series has the same
    // ascending x (steps), that is the x array itself; else each distinct x gets as many slots as the series with the
    // most points at it.
    private static (double[] X, int[][] Positions) Align(double[][] xs)
    {
        var first = xs.Length > 0 ? xs[0] : [];
        var ascending = true;
        for (var i = 0; i < first.Length && ascending; i++)
        {
            ascending = double.IsFinite(first[i]) && (i == 0 || first[i] > first[i - 1]);
        }

        if (ascending && xs.All(x => x.AsSpan().SequenceEqual(first)))
        {
            var identity = Enumerable.Range(0, first.Length).ToArray();
            return (first, [.. xs.Select(_ => identity)]);
        }

        var slots = new Dictionary<double, int>();
        foreach (var series in xs)
        {
            var counts = new Dictionary<double, int>();
            foreach (var value in series.Where(double.IsFinite))
            {
                counts[value] = counts.GetValueOrDefault(value) + 1;
                slots[value] = Math.Max(slots.GetValueOrDefault(value), counts[value]);
            }
        }

        var distinct = slots.Keys.Order().ToArray();
        var start = new Dictionary<double, int>(distinct.Length);
        var x = new List<double>();
        foreach (var value in distinct)
        {
            start[value] = x.Count;
            x.AddRange(Enumerable.Repeat(value, slots[value]));
        }

        var positions = new int[xs.Length][];
        for (var s = 0; s < xs.Length; s++)
        {
            var taken = new Dictionary<double, int>();
            positions[s] = new int[xs[s].Length];
            for (var i = 0; i < xs[s].Length; i++)
            {
                var value = xs[s][i];
                if (!double.IsFinite(value))
                {
                    positions[s][i] = -1;
                    continue;
                }

                var k = taken.GetValueOrDefault(value);
                taken[value] = k + 1;
                positions[s][i] = start[value] + k;
            }
        }

        return ([.. x], positions);
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
