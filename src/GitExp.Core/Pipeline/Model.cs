namespace GitExp.Core.Pipeline;

// All paths in these types are repo-relative, forward slashes, normalized (no "./", no trailing "/");
// "" is the repository root.

/// <summary>Which list of a stage an output was declared in.</summary>
public enum OutKind
{
    Out,
    Metric,
    Plot,
}

/// <summary>One output of a stage: a file or directory it writes.</summary>
public sealed record OutSpec(string Path, OutKind Kind, bool Cache, bool Persist, bool Checkpoint)
{
    /// <summary>How a plot out is drawn (its x, y, template, title...); null for outs and metrics.</summary>
    public PlotProps? Plot { get; init; }
}

/// <summary>
/// A field of a plot's x or y axis. <see cref="File"/> is the data file it is read from (repo-relative); null means
/// the plot's own file (a stage's plot out, a top-level plot named by its file), or for x: the file of each y.
/// </summary>
public sealed record PlotField(string? File, string Field);

/// <summary>DVC's plot properties: what <c>plots show</c> draws and how; null when not set.</summary>
public sealed record PlotProps
{
    public string? Template { get; init; }

    public string? Title { get; init; }

    public string? XLabel { get; init; }

    public string? YLabel { get; init; }

    public IReadOnlyList<PlotField>? X { get; init; }

    public IReadOnlyList<PlotField>? Y { get; init; }

    /// <summary>False: a CSV or TSV file has no header row (its columns are named 0, 1, ...).</summary>
    public bool? Header { get; init; }

    /// <summary>These properties where set, else <paramref name="under"/>'s (command-line options over a definition).</summary>
    public PlotProps Over(PlotProps under) =>
        new()
        {
            Template = Template ?? under.Template,
            Title = Title ?? under.Title,
            XLabel = XLabel ?? under.XLabel,
            YLabel = YLabel ?? under.YLabel,
            X = X ?? under.X,
            Y = Y ?? under.Y,
            Header = Header ?? under.Header,
        };

    /// <summary>Y names data files: the plot's id is then a name, not a path (DVC's rule).</summary>
    public bool NamesFiles => Y?.Any(f => f.File is not null) == true;
}

/// <summary>
/// One entry of a pipeline file's top-level <c>plots</c> list: a data file (or folder) drawn with its properties, or a
/// named plot whose y (and x) name the data files. <see cref="Id"/> is repo-relative when the entry is a path.
/// </summary>
public sealed record PlotDefinition(string Id, PlotProps Props, string PipelineFile);

/// <summary>A parameter a stage depends on; a null <see cref="Key"/> means every key of the file.</summary>
public sealed record ParamRef(string File, string? Key);

/// <summary>One stage of a pipeline file, with every path resolved to repo-relative form.</summary>
/// <remarks><see cref="Outs"/> holds outs, metrics and plots together; <see cref="OutSpec.Kind"/> tells which.</remarks>
public sealed record Stage(
    string Name,
    string PipelineFile,
    IReadOnlyList<string> Commands,
    string WorkingDirectory,
    IReadOnlyList<string> Deps,
    IReadOnlyList<ParamRef> Params,
    IReadOnlyList<OutSpec> Outs,
    bool Frozen,
    bool AlwaysChanged,
    string? Description,
    int Line
)
{
    /// <summary>
    /// A stage that depends on nothing (no deps, no params) cannot tell whether its result is current, so it runs
    /// every time, as DVC's "callback" stages do; like <see cref="AlwaysChanged"/> it never takes part in the run-cache.
    /// </summary>
    public bool IsCallback => Deps.Count == 0 && Params.Count == 0;

    /// <summary>The stage runs on every run: <c>always_changed</c>, or a callback stage.</summary>
    public bool RunsEveryTime => AlwaysChanged || IsCallback;

    /// <summary>The name users type: "train" for the root exp.yaml, "sub/exp.yaml:train" elsewhere.</summary>
    public string Address => PipelineFile == "exp.yaml" ? Name : $"{PipelineFile}:{Name}";

    /// <summary>
    /// The foreach or matrix group a generated stage ("train@us") belongs to ("train"); null for a written stage.
    /// Written names cannot hold '@', so the first one ends the group's name.
    /// </summary>
    public string? Group => Name.IndexOf('@', StringComparison.Ordinal) is > 0 and var at ? Name[..at] : null;

    /// <summary>
    /// Params-file values the stage's fields interpolate with <c>${...}</c> (DVC's tracked vars): shown with the
    /// params, not locked as params (the resolved command already changes when they do).
    /// </summary>
    public IReadOnlyList<ParamRef> UsedParams { get; init; } = [];
}

/// <summary>The stages of one pipeline file (exp.yaml, dvc.yaml or any other name), in file order.</summary>
public sealed record Pipeline(string File, IReadOnlyList<Stage> Stages)
{
    /// <summary>The files its templating read (repo-relative; null text when missing): the pipeline reads differently when they change.</summary>
    public IReadOnlyDictionary<string, string?> TemplateInputs { get; init; } = new Dictionary<string, string?>();

    /// <summary>What DVC would warn of while reading it (a foreach <c>item</c> hiding a variable): one line each.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The top-level <c>plots</c> entries, in file order (stages' plots are their outs).</summary>
    public IReadOnlyList<PlotDefinition> Plots { get; init; } = [];
}
