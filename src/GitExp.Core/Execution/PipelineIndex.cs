using GitExp.Core.Pipeline;
using GitExp.Core.Project;
using GitExp.Core.ProjectFiles;

namespace GitExp.Core.Execution;

/// <summary>Every pipeline of a project, their stage graph, and how command-line targets name stages.</summary>
public sealed class PipelineIndex
{
    public const string DefaultPipelineFile = "exp.yaml";

    /// <summary>DVC's pipeline file: a folder's pipeline when the folder has no <see cref="DefaultPipelineFile"/>.</summary>
    public const string DvcPipelineFile = "dvc.yaml";

    private PipelineIndex(IReadOnlyList<Pipeline.Pipeline> pipelines, StageGraph graph)
    {
        Pipelines = pipelines;
        Graph = graph;
    }

    public IReadOnlyList<Pipeline.Pipeline> Pipelines { get; }

    public StageGraph Graph { get; }

    /// <summary>
    /// Loads the pipeline files Git sees (tracked, or untracked and not ignored; see <see cref="SelectPipelineFiles"/>)
    /// plus any extra pipeline files named by path.
    /// </summary>
    /// <remarks>
    /// One command reads the pipelines many times (to select stages, find cached outs, read values to
    /// record): the index without extra files is kept on the project for the rest of the command.
    /// </remarks>
    public static async Task<PipelineIndex> LoadAsync(
        ExpProject project,
        IEnumerable<string> extraFiles,
        CancellationToken cancellationToken = default
    )
    {
        var extra = extraFiles.ToList();
        if (extra.Count == 0 && project.PipelineIndexCache is { } cached && !TemplateInputsChanged(project, cached))
        {
            return cached;
        }

        var index = await ReadAsync(project, extra, cancellationToken).ConfigureAwait(false);
        if (extra.Count == 0)
        {
            project.PipelineIndexCache = index;
        }

        return index;
    }

    // A templated pipeline reads params files (params.yaml, vars): once -S or a restore changes one, the
    // stages resolve to other commands and paths, so the pipelines are read again.
    private static bool TemplateInputsChanged(ExpProject project, PipelineIndex index) =>
        index.Pipelines.Any(p =>
            p.TemplateInputs.Any(input =>
                (File.Exists(project.FullPath(input.Key)) ? File.ReadAllText(project.FullPath(input.Key)) : null) != input.Value
            )
        );

    private static async Task<PipelineIndex> ReadAsync(
        ExpProject project,
        List<string> extraFiles,
        CancellationToken cancellationToken
    )
    {
        var found = await project
            .Git.ListFilesAsync(
                [":(top,glob)**/" + DefaultPipelineFile, ":(top,glob)**/" + DvcPipelineFile, ":(top,glob)**/*.csproj"],
                cancellationToken
            )
            .ConfigureAwait(false);
        // A project file is a pipeline only when it declares ExpStage items (GitExp.MSBuild).
        var files = SelectPipelineFiles(found)
            .Where(f => !IsProjectFile(f) || ProjectStageReader.DeclaresStages(project.FullPath(f)))
            .ToList();
        foreach (var extra in extraFiles)
        {
            if (!files.Contains(extra, StringComparer.Ordinal))
            {
                files.Add(extra);
            }
        }

        files.Sort(StringComparer.Ordinal);
        using var span = Diagnostics.ExpTrace.Start($"pipelines: read {files.Count} files");
        var pipelines = new List<Pipeline.Pipeline>();
        var reader = new ProjectStageReader(project);
        foreach (var file in files.Where(f => File.Exists(project.FullPath(f))))
        {
            pipelines.Add(
                IsProjectFile(file)
                    ? await reader.LoadAsync(file, cancellationToken).ConfigureAwait(false)
                    : PipelineParser.Load(project.Root, file)
            );
        }

        var graph = StageGraph.Build(pipelines.SelectMany(p => p.Stages));
        return new PipelineIndex(pipelines, graph);
    }

    /// <summary>
    /// Resolves targets: a stage name (in the pipeline of the current directory, else the root's),
    /// a pipeline file (all its stages), or <c>file:stage</c>. No targets means the default pipeline.
    /// </summary>
    public IReadOnlyList<Stage> Resolve(ExpProject project, IReadOnlyList<string> targets, string currentDirectory)
    {
        var defaultFile = DefaultPipelineFor(project, currentDirectory);
        if (targets.Count == 0)
        {
            if (defaultFile is null)
            {
                throw new ExpException(
                    ExitCode.NotFound,
                    $"no '{DefaultPipelineFile}' or '{DvcPipelineFile}' in '{currentDirectory}' or at the repository root: create one or name a pipeline file"
                );
            }

            return NotEmpty(Graph.Stages.Where(s => s.PipelineFile == defaultFile).ToList(), defaultFile);
        }

        var stages = new List<Stage>();
        foreach (var target in targets)
        {
            foreach (var stage in ResolveOne(project, target, defaultFile, currentDirectory))
            {
                if (!stages.Contains(stage))
                {
                    stages.Add(stage);
                }
            }
        }

        return stages;
    }

    private IEnumerable<Stage> ResolveOne(ExpProject project, string target, string? defaultFile, string currentDirectory)
    {
        var colon = FileColon(target);
        string? file;
        string? stageName;
        if (colon > 0)
        {
            file = project.ToRepoPath(Path.Combine(currentDirectory, target[..colon]));
            stageName = target[(colon + 1)..];
        }
        else if (IsPipelinePath(target))
        {
            file = project.ToRepoPath(Path.Combine(currentDirectory, target));
            stageName = null;
        }
        else
        {
            file = defaultFile;
            stageName = target;
        }

        if (file is null || !Pipelines.Any(p => p.File == file))
        {
            throw new ExpException(
                ExitCode.NotFound,
                $"target '{target}': pipeline file '{file ?? DefaultPipelineFile}' does not exist"
            );
        }

        var inFile = Graph.Stages.Where(s => s.PipelineFile == file).ToList();
        if (stageName is null)
        {
            return NotEmpty(inFile, file);
        }

        if (inFile.FirstOrDefault(s => s.Name == stageName) is { } stage)
        {
            return [stage];
        }

        // A foreach or matrix group's name stands for every stage it generates, as in DVC.
        var group = inFile.Where(s => s.Group == stageName).ToList();
        return group.Count > 0
            ? group
            : throw new ExpException(
                ExitCode.NotFound,
                $"target '{target}': no stage '{stageName}' in '{file}' (stages: {string.Join(", ", inFile.Select(s => s.Name))})"
            );
    }

    // "file:stage": the first ':' after a pipeline file's name, so that a generated stage's key may hold ':'.
    private static int FileColon(string target)
    {
        for (var at = target.IndexOf(':', StringComparison.Ordinal); at > 0; at = target.IndexOf(':', at + 1))
        {
            if (IsPipelinePath(target[..at]))
            {
                return at;
            }
        }

        return target.LastIndexOf(':');
    }

    /// <summary>Every stage of every pipeline (<c>--all-pipelines</c>); none is an error, as for one pipeline.</summary>
    public IReadOnlyList<Stage> AllStages() =>
        NotEmpty(Graph.Stages, Pipelines.Count == 1 ? Pipelines[0].File : "the repository's pipeline files");

    // An empty pipeline would otherwise run nothing and still record an experiment.
    private static List<Stage> NotEmpty(IReadOnlyList<Stage> stages, string file) =>
        stages.Count > 0
            ? [.. stages]
            : throw new ExpException(
                ExitCode.InvalidProject,
                $"{file}: no stages to run; add one under 'stages:' with at least a 'cmd'"
            );

    /// <summary>
    /// The pipeline files among <paramref name="paths"/> (repo-relative): every <c>exp.yaml</c>, every
    /// <c>dvc.yaml</c> whose folder has no <c>exp.yaml</c>, and every project file. The one rule for the
    /// workspace, a commit's tree (the UI) and the default target of a folder.
    /// </summary>
    public static IEnumerable<string> SelectPipelineFiles(IEnumerable<string> paths)
    {
        var all = paths.ToList();
        var expFolders = all.Where(f => FileName(f) == DefaultPipelineFile)
            .Select(RepoPath.DirectoryOf)
            .ToHashSet(StringComparer.Ordinal);
        return all.Where(f =>
            IsProjectFile(f)
            || FileName(f) == DefaultPipelineFile
            || (FileName(f) == DvcPipelineFile && !expFolders.Contains(RepoPath.DirectoryOf(f)))
        );
    }

    private static string FileName(string repoPath) => repoPath[(repoPath.LastIndexOf('/') + 1)..];

    /// <summary>An MSBuild project file (its ExpStage items are a pipeline).</summary>
    public static bool IsProjectFile(string path) =>
        path.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase)
        || path.EndsWith(".fsproj", StringComparison.OrdinalIgnoreCase)
        || path.EndsWith(".vbproj", StringComparison.OrdinalIgnoreCase);

    /// <summary>A target that names a whole pipeline file (exp.yaml, dvc.yaml, a project file).</summary>
    public static bool IsPipelinePath(string target) =>
        IsProjectFile(target)
        || target.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase)
        || target.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    private string? DefaultPipelineFor(ExpProject project, string currentDirectory)
    {
        var here = project.ToRepoPath(currentDirectory);
        return DefaultPipelineIn(here) ?? DefaultPipelineIn("");
    }

    // A folder's pipeline: its exp.yaml, else its dvc.yaml (loaded only when there is no exp.yaml beside it).
    private string? DefaultPipelineIn(string folder)
    {
        foreach (var name in (string[])[DefaultPipelineFile, DvcPipelineFile])
        {
            var file = folder.Length == 0 ? name : folder + "/" + name;
            if (Pipelines.Any(p => p.File == file))
            {
                return file;
            }
        }

        return null;
    }
}
