using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GitExp.Core.Plots;
using GitExp.Tool.Rendering;

namespace GitExp.Tool.Tests;

/// <summary>How the plots page lays series out for uPlot (one ascending x array shared by every series).</summary>
public sealed partial class PlotsHtmlTests
{
    private static JsonNode PageData(params PlotSeries[] series)
    {
        var plot = new Plot("p.json", "scatter", null, "x", "y", "x", "y", series, []);
        using var writer = new StringWriter();
        PlotsHtml.Write(writer, new PlotsResult(["a", "b"], [plot], []));
        return JsonNode.Parse(DataScript().Match(writer.ToString()).Groups[1].Value)![0]!;
    }

    private static JsonNode?[] Values(params object?[] values) => [.. values.Select(v => v is null ? null : JsonValue.Create(v))];

    [Fact]
    public void Series_with_different_and_repeated_x_keep_every_point_on_one_ascending_x()
    {
        var data = PageData(
            new PlotSeries("a", "p.json", "y", Values(2, 1, 1), Values(20, 10, 11)),
            new PlotSeries("b", "p.json", "y", Values("3", 1), Values(30.5, null))
        );

        Assert.Equal("[1,1,2,3]", data["x"]!.ToJsonString());
        Assert.Equal("[10,11,20,null]", data["series"]![0]!["y"]!.ToJsonString());
        Assert.Equal("[null,null,null,30.5]", data["series"]![1]!["y"]!.ToJsonString());
    }

    [Fact]
    public void Text_x_values_become_categories_in_order_of_appearance()
    {
        var data = PageData(new PlotSeries("a", "p.json", "y", Values("low", "high", "low"), Values(1, 2, 3)));

        Assert.Equal("""["low","high"]""", data["categories"]!.ToJsonString());
        Assert.Equal("[0,0,1]", data["x"]!.ToJsonString());
        Assert.Equal("[1,3,2]", data["series"]![0]!["y"]!.ToJsonString());
    }

    [GeneratedRegex("""<script type="application/json" id="plot-data">(.*?)</script>""", RegexOptions.Singleline)]
    private static partial Regex DataScript();
}
