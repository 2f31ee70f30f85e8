using System.Text.Json.Nodes;

namespace GitExp.Core.Plots;

/// <summary>The templates <c>plots show</c> draws: DVC's names, drawn as lines or points.</summary>
public static class PlotTemplates
{
    /// <summary>DVC's default template.</summary>
    public const string Default = "linear";

    /// <summary>linear and simple: lines; smooth: smoothed lines; scatter: points.</summary>
    public static readonly IReadOnlyList<string> Supported = ["linear", "simple", "scatter", "smooth"];

    public static bool IsSupported(string template) => Supported.Contains(template, StringComparer.Ordinal);

    public static string Unsupported(string template) =>
        $"template '{template}' is not supported (supported: {string.Join(", ", Supported)})";
}

/// <summary>One line (or set of points) of a plot: a y field of one data file at one revision.</summary>
/// <param name="X">The x values: the x field's, or the index (DVC's "step") when the plot has no x.</param>
public sealed record PlotSeries(
    string Revision,
    string File,
    string Field,
    IReadOnlyList<JsonNode?> X,
    IReadOnlyList<JsonNode?> Y
);

/// <summary>An image plot's file at one revision.</summary>
public sealed record PlotImage(string Revision, string File, byte[] Content);

/// <summary>
/// A plot to draw: its resolved properties and the series of every revision that has its data (or, for an image
/// file, the image of every revision). <see cref="XField"/> and <see cref="YField"/> name the values in DVC's
/// datapoints: the field, or <c>dvc_inferred_x_value</c> / <c>dvc_inferred_y_value</c> when series use different ones.
/// </summary>
public sealed record Plot(
    string Id,
    string Template,
    string? Title,
    string XField,
    string YField,
    string XLabel,
    string YLabel,
    IReadOnlyList<PlotSeries> Series,
    IReadOnlyList<PlotImage> Images
)
{
    public bool IsImage => Images.Count > 0;

    /// <summary>The revisions the plot has data of, in the order they were asked for.</summary>
    public IReadOnlyList<string> Revisions =>
        [.. Series.Select(s => s.Revision).Concat(Images.Select(i => i.Revision)).Distinct(StringComparer.Ordinal)];
}

/// <summary>
/// What <c>plots show</c> and <c>plots diff</c> found: the plots, in definition order, and one line per plot and
/// revision that could not be drawn (a missing file, a field the data lacks).
/// </summary>
public sealed record PlotsResult(IReadOnlyList<string> Revisions, IReadOnlyList<Plot> Plots, IReadOnlyList<PlotProblem> Problems);

/// <summary>Why a plot could not be drawn for one revision (or, with no revision, at all).</summary>
public sealed record PlotProblem(string Id, string? Revision, string Message)
{
    public override string ToString() => Revision is null ? $"{Id}: {Message}" : $"{Id} in {Revision}: {Message}";
}

/// <summary>A target on the command line: as typed (a plot name or a pattern) and as a repo-relative path.</summary>
public sealed record PlotTarget(string Typed, string Path);
