using System.Globalization;
using System.Text.Json.Nodes;
using GitExp.Core;
using GitExp.Core.Execution;
using GitExp.Core.Project;
using GitExp.Core.Tracking;
using GitExp.Tool.Rendering;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static GitExp.Tool.Web.ApiConventions;

namespace GitExp.Tool.Web;

/// <summary>
/// Views across runs: every artifact of every run, every stage execution, and every pipeline file with
/// its versions in Git. Also maps the pages that show them.
/// </summary>
internal static class CrossRunApi
{
    private const int PageSize = 50;

    public static void Map(WebApplication app, ExpProject project, Action<WebApplication, string, string> mapPage)
    {
        mapPage(app, "/artifacts", "artifacts.html");
        mapPage(app, "/executions", "executions.html");
        mapPage(app, "/pipelines", "pipelines.html");
        var api = app.MapGroup("/api");
        api.MapGet("/artifacts", (HttpRequest request) => Handle(() => Artifacts(project, request.Query)));
        api.MapGet("/executions", (HttpRequest request) => Handle(() => Executions(project, request.Query)));
        api.MapGet(
            "/pipelines",
            async (CancellationToken cancellationToken) =>
            {
                try
                {
                    return Json(await PipelinesAsync(project.Root, cancellationToken).ConfigureAwait(false));
                }
                catch (ExpException e)
                {
                    return Error(StatusCodes.Status400BadRequest, e.Message);
                }
            }
        );
    }

    private static IResult Handle(Func<JsonObject> handle)
    {
        try
        {
            return Json(handle());
        }
        catch (ExpException e)
        {
            return Error(
                e.Code == ExitCode.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest,
                e.Message
            );
        }
    }

    /// <summary>The runs the filter grammar selects: not archived, not deleted, newest first.</summary>
    private static RunQuery Runs(IQueryCollection query)
    {
        var filterText = query["filter"].ToString();
        return new RunQuery
        {
            Filter = string.IsNullOrWhiteSpace(filterText) ? null : RunFilter.Parse(filterText, "filter"),
            BookmarkedFirst = false,
        };
    }

    private static JsonObject Artifacts(ExpProject project, IQueryCollection query)
    {
        var runs = Runs(query);
        var page = Page(query);
        // Filtered, sorted and paged in SQL: only the page's artifacts and their runs are read.
        using var store = RunStore.Open(project);
        var slice = store.Artifacts(
            runs,
            new ArtifactQuery(query["q"].ToString().Trim(), query["kind"].ToString().Trim()),
            (page - 1L) * PageSize,
            PageSize
        );
        return Paged(
            page,
            slice.Total,
            new JsonObject { ["kinds"] = Strings(slice.Kinds) },
            "artifacts",
            slice.Artifacts.Select(x =>
            {
                var json = RunFields(x.Run);
                json["path"] = x.Artifact.Path;
                json["kind"] = x.Artifact.Kind;
                json["size"] = x.Artifact.Size;
                json["sha256"] = x.Artifact.Sha256;
                // A folder is browsed on its run's page; its URL alone answers with an error naming ?file=.
                json["directory"] = x.Artifact.Sha256.EndsWith(Core.Cache.ContentHash.DirSuffix, StringComparison.Ordinal);
                json["url"] =
                    $"/api/runs/{Uri.EscapeDataString(x.Run.Id)}/artifacts/{string.Join('/', x.Artifact.Path.Split('/').Select(Uri.EscapeDataString))}";
                return json;
            })
        );
    }

    private static JsonObject Executions(ExpProject project, IQueryCollection query)
    {
        var stage = query["stage"].ToString().Trim();
        var status = query["status"].ToString().Trim();
        var cacheHit = query["cacheHit"].ToString().Trim();
        if (cacheHit is not ("" or "true" or "false"))
        {
            throw new ExpException(ExitCode.Usage, $"cacheHit '{cacheHit}': expected true or false");
        }

        var runs = Runs(query);
        var page = Page(query);
        using var store = RunStore.Open(project);
        var slice = store.Executions(
            runs,
            new ExecutionQuery(stage, status, cacheHit.Length == 0 ? null : cacheHit == "true"),
            (page - 1L) * PageSize,
            PageSize
        );
        return Paged(
            page,
            slice.Total,
            new JsonObject { ["stages"] = Strings(slice.Stages), ["statuses"] = Strings(slice.Statuses) },
            "executions",
            slice.Executions.Select(x =>
            {
                var json = RunFields(x.Run);
                foreach (var (key, value) in RunJson.Node(x.Execution))
                {
                    json[key] = value?.DeepClone();
                }

                return json;
            })
        );
    }

    private static JsonObject RunFields(RunRecord run) =>
        new()
        {
            ["runId"] = run.Id,
            ["runName"] = run.ExperimentName,
            ["runTitle"] = run.Title,
            ["runStatus"] = run.Status.ToString().ToLowerInvariant(),
            ["created"] = run.Created.ToString("O", CultureInfo.InvariantCulture),
        };

    private static int Page(IQueryCollection query)
    {
        var pageText = query["page"].ToString();
        var page = 1;
        if (
            pageText.Length > 0
            && (!int.TryParse(pageText, NumberStyles.None, CultureInfo.InvariantCulture, out page) || page < 1)
        )
        {
            throw new ExpException(ExitCode.Usage, $"page '{pageText}': expected a number from 1");
        }

        return page;
    }

    private static JsonObject Paged(int page, int total, JsonObject extra, string name, IEnumerable<JsonObject> rows)
    {
        var result = new JsonObject
        {
            ["total"] = total,
            ["page"] = page,
            ["pageSize"] = PageSize,
        };
        foreach (var (key, value) in extra.ToList())
        {
            extra.Remove(key);
            result[key] = value;
        }

        result[name] = new JsonArray([.. rows]);
        return result;
    }

    /// <summary>Each pipeline file (exp.yaml and dvc.yaml files, project files with ExpStage items) with its stages and its commits, newest first.</summary>
    private static async Task<JsonObject> PipelinesAsync(string root, CancellationToken cancellationToken)
    {
        // A fresh project per request: the index is kept on a project, and files change while the UI runs.
        var project = await ExpProject.OpenAsync(root, cancellationToken).ConfigureAwait(false);
        var index = await PipelineIndex.LoadAsync(project, [], cancellationToken).ConfigureAwait(false);
        var pipelines = new JsonArray();
        foreach (var pipeline in index.Pipelines.OrderBy(p => p.File, StringComparer.Ordinal))
        {
            var log = await project
                .Git.TryRunAsync(
                    ["log", "--format=%H%x1f%aI%x1f%an%x1f%s", "--", pipeline.File],
                    cancellationToken: cancellationToken
                )
                .ConfigureAwait(false);
            var versions = new JsonArray();
            if (log.ExitCode == 0)
            {
                foreach (var line in log.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    var parts = line.Split('\x1f');
                    if (parts.Length == 4)
                    {
                        versions.Add(
                            new JsonObject
                            {
                                ["commit"] = parts[0],
                                ["date"] = parts[1],
                                ["author"] = parts[2],
                                ["subject"] = parts[3],
                            }
                        );
                    }
                }
            }

            pipelines.Add(
                new JsonObject
                {
                    ["file"] = pipeline.File,
                    ["kind"] = PipelineIndex.IsProjectFile(pipeline.File) ? "project" : "yaml",
                    ["stages"] = new JsonArray(pipeline.Stages.Select(s => (JsonNode)s.Name).ToArray()),
                    ["versions"] = versions,
                }
            );
        }

        return new JsonObject { ["pipelines"] = pipelines };
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)v)]);
}
