using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using GitExp.Core;
using GitExp.Core.Execution;
using GitExp.Core.Pipeline;
using GitExp.Core.Project;
using GitExp.Core.Tracking;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static GitExp.Tool.Web.ApiConventions;

namespace GitExp.Tool.Web;

/// <summary>
/// <c>GET /api/runs/{id}/stages</c>: the stage graph of a run's pipelines with what each stage did in the run.
/// The pipelines are those of the run's experiment commit when it has one (its <c>exp.yaml</c> files read from
/// Git; project-file pipelines from the workspace, as MSBuild evaluates them there), else the workspace's.
/// </summary>
internal static class StageGraphApi
{
    public const string NotRun = "not run";

    public static void Map(WebApplication app, ExpProject project)
    {
        app.MapGet(
            "/api/runs/{id}/stages",
            async (string id, CancellationToken cancellationToken) =>
            {
                try
                {
                    RunRecord run;
                    using (var store = RunStore.Open(project))
                    {
                        run = RunsApi.Find(store, id);
                    }

                    return Json(await StagesAsync(project.Root, run, cancellationToken).ConfigureAwait(false));
                }
                catch (ExpException e)
                {
                    return Error(
                        e.Code == ExitCode.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest,
                        e.Message
                    );
                }
            }
        );
    }

    /// <summary>The stage graph of one pipeline file as it was at <paramref name="commit"/> (a version on the pipelines page).</summary>
    internal static async Task<JsonObject> VersionAsync(
        string root,
        string commit,
        string file,
        CancellationToken cancellationToken
    )
    {
        var project = await ExpProject.OpenAsync(root, cancellationToken).ConfigureAwait(false);
        var resolved =
            await project.Git.ResolveCommitAsync(commit + "^{commit}", cancellationToken).ConfigureAwait(false)
            ?? throw new ExpException(ExitCode.NotFound, $"commit '{commit}' is not in this repository");
        var pipelines = await CommitPipelinesAsync(project, resolved, cancellationToken).ConfigureAwait(false) ?? [];
        var pipeline =
            pipelines.FirstOrDefault(p => p.File == file)
            ?? throw new ExpException(ExitCode.NotFound, $"'{file}' is not a pipeline file at commit {resolved[..7]}");
        var graph = StageGraph.Build(pipeline.Stages);
        var stages = new JsonArray();
        foreach (var stage in graph.TopologicalOrder())
        {
            stages.Add(
                Entry(
                    stage.Address,
                    stage.Name,
                    stage.PipelineFile,
                    graph.DirectUpstream(stage).Select(s => s.Address),
                    null,
                    stage
                )
            );
        }

        return new JsonObject
        {
            ["source"] = "version",
            ["commit"] = resolved,
            ["file"] = file,
            ["stages"] = stages,
        };
    }

    private static async Task<JsonObject> StagesAsync(string root, RunRecord run, CancellationToken cancellationToken)
    {
        // A fresh project per request: the index is kept on a project, and files change while the UI runs.
        var project = await ExpProject.OpenAsync(root, cancellationToken).ConfigureAwait(false);
        var fromCommit = run.Commit is null
            ? null
            : await CommitPipelinesAsync(project, run.Commit, cancellationToken).ConfigureAwait(false);
        var pipelines =
            fromCommit ?? (await PipelineIndex.LoadAsync(project, [], cancellationToken).ConfigureAwait(false)).Pipelines;
        var graph = StageGraph.Build(pipelines.SelectMany(p => p.Stages));

        // A stage run twice in one run (it should not be) shows its last execution.
        var executions = new Dictionary<string, ExecutionRecord>(StringComparer.Ordinal);
        foreach (var execution in run.Executions)
        {
            executions[execution.Stage] = execution;
        }

        var stages = new JsonArray();
        foreach (var stage in graph.TopologicalOrder())
        {
            executions.TryGetValue(stage.Address, out var execution);
            executions.Remove(stage.Address);
            stages.Add(
                Entry(
                    stage.Address,
                    stage.Name,
                    stage.PipelineFile,
                    graph.DirectUpstream(stage).Select(s => s.Address),
                    execution,
                    stage
                )
            );
        }

        // Executions of stages the pipelines no longer declare (an extra pipeline file such as a dvc.yaml named on
        // the command line) still show, unconnected, in the order they ran.
        foreach (var execution in run.Executions.Where(e => executions.GetValueOrDefault(e.Stage) == e))
        {
            var colon = execution.Stage.LastIndexOf(':');
            stages.Add(
                Entry(
                    execution.Stage,
                    execution.Stage[(colon + 1)..],
                    colon < 0 ? PipelineIndex.DefaultPipelineFile : execution.Stage[..colon],
                    [],
                    execution,
                    null
                )
            );
        }

        return new JsonObject
        {
            ["source"] = fromCommit is null ? "workspace" : "commit",
            ["commit"] = fromCommit is null ? null : run.Commit,
            ["stages"] = stages,
        };
    }

    private static JsonObject Entry(
        string address,
        string name,
        string pipeline,
        IEnumerable<string> deps,
        ExecutionRecord? execution,
        Stage? stage
    ) =>
        new()
        {
            ["address"] = address,
            ["name"] = name,
            ["pipeline"] = pipeline,
            ["deps"] = new JsonArray(deps.Select(d => (JsonNode)d).ToArray()),
            ["status"] = execution?.Status ?? NotRun,
            ["durationMs"] = execution is null || execution.Status == ExecutionRecord.Running ? null : execution.DurationMs,
            ["cacheHit"] = execution?.CacheHit,
            ["exitCode"] = execution?.ExitCode,
            ["started"] = execution?.Started.ToString("O", CultureInfo.InvariantCulture),
            // What the stage declares, for the stage's details: null for an execution of a stage no pipeline declares now.
            ["declared"] = stage is null ? null : Declared(stage),
        };

    private static JsonObject Declared(Stage stage) =>
        new()
        {
            ["commands"] = Strings(stage.Commands),
            ["workingDirectory"] = stage.WorkingDirectory,
            ["description"] = stage.Description,
            ["fileDeps"] = Strings(stage.Deps),
            ["params"] = Strings(stage.Params.Select(p => p.Key is null ? p.File : p.File + ":" + p.Key)),
            ["outs"] = new JsonArray(
                stage
                    .Outs.Select(o =>
                        (JsonNode)
                            new JsonObject
                            {
                                ["path"] = o.Path,
                                ["kind"] = o.Kind.ToString().ToLowerInvariant(),
                                ["cache"] = o.Cache,
                            }
                    )
                    .ToArray()
            ),
            ["frozen"] = stage.Frozen,
            ["alwaysChanged"] = stage.AlwaysChanged,
        };

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)v).ToArray());

    /// <summary>
    /// The pipelines of <paramref name="commit"/>: its <c>exp.yaml</c> (or <c>dvc.yaml</c>) files parsed from their blobs, and its
    /// project files that are pipelines in the workspace (ExpStage items need MSBuild, which evaluates the
    /// workspace's copy). Null when the commit is not in the repository.
    /// </summary>
    private static async Task<IReadOnlyList<Core.Pipeline.Pipeline>?> CommitPipelinesAsync(
        ExpProject project,
        string commit,
        CancellationToken cancellationToken
    )
    {
        var listed = await project
            .Git.TryRunAsync(
                ["ls-tree", "-r", "-z", "--name-only", commit + "^{commit}", "--"],
                cancellationToken: cancellationToken
            )
            .ConfigureAwait(false);
        if (listed.ExitCode != 0)
        {
            return null;
        }

        var files = PipelineIndex
            .SelectPipelineFiles(listed.StandardOutput.Split('\0', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => !PipelineIndex.IsProjectFile(f))
            .Order(StringComparer.Ordinal)
            .ToList();
        var projectFiles = listed
            .StandardOutput.Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Where(PipelineIndex.IsProjectFile)
            .ToHashSet(StringComparer.Ordinal);

        var pipelines = new List<Core.Pipeline.Pipeline>();
        using (var reader = project.Git.OpenObjectReader())
        {
            var blobs = reader.ReadMany(files.Select(f => commit + ":" + f).ToList());
            for (var i = 0; i < files.Count; i++)
            {
                if (blobs[i] is { } bytes)
                {
                    // Templating reads that commit's params files, as the pipeline was at that commit.
                    pipelines.Add(
                        PipelineParser.Parse(
                            Encoding.UTF8.GetString(bytes),
                            files[i],
                            path => reader.ReadMany([commit + ":" + path])[0] is { } b ? Encoding.UTF8.GetString(b) : null
                        )
                    );
                }
            }
        }

        if (projectFiles.Count > 0)
        {
            var workspace = await PipelineIndex.LoadAsync(project, [], cancellationToken).ConfigureAwait(false);
            pipelines.AddRange(workspace.Pipelines.Where(p => projectFiles.Contains(p.File)));
        }

        return pipelines.OrderBy(p => p.File, StringComparer.Ordinal).ToList();
    }
}
