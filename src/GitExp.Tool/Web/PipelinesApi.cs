using System.Text.Json;
using System.Text.Json.Nodes;
using GitExp.Core;
using GitExp.Core.Project;
using GitExp.Core.Queue;
using GitExp.Core.Tracking;
using GitExp.Tool.Cli;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static GitExp.Tool.Web.ApiConventions;

namespace GitExp.Tool.Web;

/// <summary>
/// A pipeline version (a commit that changed a pipeline file) on the pipelines page: its stage graph, and a run of
/// that commit created from it (queued, or started at once in its own workspace). Its runs are the runs page's
/// <c>baseline = &lt;commit&gt;</c>; the files and their versions are <c>GET /api/pipelines</c>.
/// </summary>
internal static class PipelinesApi
{
    public static void Map(WebApplication app, ExpProject project)
    {
        var api = app.MapGroup("/api/pipelines");
        api.MapGet(
            "/graph",
            async (string? commit, string? file, CancellationToken cancellationToken) =>
            {
                try
                {
                    if (string.IsNullOrWhiteSpace(commit) || string.IsNullOrWhiteSpace(file))
                    {
                        throw new ExpException(ExitCode.Usage, "pipelines/graph: give both commit and file");
                    }

                    return Json(
                        await StageGraphApi.VersionAsync(project.Root, commit, file, cancellationToken).ConfigureAwait(false)
                    );
                }
                catch (ExpException e)
                {
                    return Error(e);
                }
            }
        );
        api.MapPost(
            "/run",
            async (HttpRequest request) =>
            {
                JsonObject body;
                try
                {
                    body =
                        await JsonNode.ParseAsync(request.Body).ConfigureAwait(false) as JsonObject
                        ?? throw new ExpException(ExitCode.Usage, "the body must be a JSON object");
                }
                catch (JsonException e)
                {
                    return Error(new ExpException(ExitCode.Usage, "the body is not JSON: " + e.Message));
                }

                try
                {
                    return Json(await RunAsync(project, body, request.HttpContext.RequestAborted).ConfigureAwait(false));
                }
                catch (ExpException e)
                {
                    return Error(e);
                }
            }
        );
    }

    private static async Task<JsonObject> RunAsync(ExpProject project, JsonObject body, CancellationToken cancellationToken)
    {
        foreach (
            var name in body.Select(p => p.Key)
                .Where(n => n is not ("commit" or "queue" or "temp" or "name" or "title" or "group"))
        )
        {
            throw new ExpException(
                ExitCode.Usage,
                $"pipelines/run: unknown field '{name}' (expected commit, queue, temp, name, title, group)"
            );
        }

        var queue = body["queue"]?.GetValueKind() is JsonValueKind.True;
        var temp = body["temp"]?.GetValueKind() is JsonValueKind.True;
        if (queue == temp)
        {
            throw new ExpException(
                ExitCode.Usage,
                "pipelines/run: send either queue: true (queue it for 'dotnet exp queue start') or temp: true (start it now)"
            );
        }

        var commit =
            OptionalText(body, "commit") ?? throw new ExpException(ExitCode.Usage, "pipelines/run: give the commit to run");
        var said = new Said();
        var entry = await new RunControl(project, said)
            .QueueCommitAsync(
                commit,
                [],
                OptionalText(body, "name"),
                OptionalText(body, "title"),
                OptionalText(body, "group"),
                cancellationToken
            )
            .ConfigureAwait(false);
        if (temp)
        {
            QueueCommands.StartInBackground(project, [entry.Id]);
        }

        return new JsonObject
        {
            ["id"] = entry.Id,
            ["name"] = entry.Name,
            ["commit"] = entry.Commit,
            ["baseline"] = entry.Baseline,
            ["message"] = temp
                ? said.Text + " Started it in the background, in its own workspace."
                : said.Text + " Run 'dotnet exp queue start' to run it.",
        };
    }

    private sealed class Said : IRunControlEvents
    {
        public string Text { get; private set; } = "";

        public void StopRequested(RunRecord run) { }

        public void Dequeued(RunRecord run) { }

        public void Queued(QueueEntry entry, string commit, RunRecord? from) =>
            Text = $"Queued '{entry.Name}' ({entry.Id}), a run of commit {commit[..7]}.";
    }
}
