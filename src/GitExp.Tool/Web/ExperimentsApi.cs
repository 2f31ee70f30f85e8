using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GitExp.Core;
using GitExp.Core.Project;
using GitExp.Core.Tracking;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static GitExp.Tool.Web.ApiConventions;

namespace GitExp.Tool.Web;

/// <summary>
/// The experiments page and its API: experiments are groups of runs (<see cref="RunGroups"/>), listed with their run
/// counts and best run by a metric, created with a description, and runs moved between them.
/// </summary>
internal static class ExperimentsApi
{
    public static void Map(WebApplication app, ExpProject project, Action<WebApplication, string, string> mapPage)
    {
        mapPage(app, "/experiments", "experiments.html");
        var api = app.MapGroup("/api/experiments");
        api.MapGet(
            "",
            (string? metric, string? order) =>
                Handle(
                    project,
                    (store, _) =>
                    {
                        if (order is not (null or "" or "max" or "min"))
                        {
                            throw new ExpException(ExitCode.Usage, $"order '{order}': expected max or min");
                        }

                        var keys = store.MetricKeysInUse();
                        var key = string.IsNullOrEmpty(metric) ? keys.FirstOrDefault() : metric;
                        var list = store.GroupSummaries(key, order == "min");
                        return new JsonObject
                        {
                            ["metric"] = key,
                            ["order"] = order == "min" ? "min" : "max",
                            ["metricKeys"] = new JsonArray(keys.Select(k => (JsonNode)k).ToArray()),
                            ["experiments"] = new JsonArray(list.Select(Summary).ToArray()),
                        };
                    }
                )
        );
        api.MapPost(
            "",
            async (HttpRequest request) =>
            {
                var body = await BodyAsync(request).ConfigureAwait(false);
                return body.Error
                    ?? Handle(
                        project,
                        (store, said) =>
                        {
                            Only(body.Json!, "experiments", "name", "description");
                            new RunGroups(store, said).Create(
                                OptionalText(body.Json!, "name") ?? "",
                                OptionalText(body.Json!, "description")
                            );
                            return new JsonObject { ["name"] = said.Name, ["message"] = said.Text };
                        }
                    );
            }
        );
        api.MapPost(
            "/move",
            async (HttpRequest request) =>
            {
                var body = await BodyAsync(request).ConfigureAwait(false);
                return body.Error
                    ?? Handle(
                        project,
                        (store, said) =>
                        {
                            Only(body.Json!, "experiments/move", "runs", "experiment");
                            var moved = new RunGroups(store, said).Move(
                                RunsApi.TextList(body.Json!, "experiments/move", "runs"),
                                OptionalText(body.Json!, "experiment")
                            );
                            return new JsonObject
                            {
                                ["moved"] = new JsonArray(moved.Select(r => (JsonNode)r.Id).ToArray()),
                                ["message"] = said.Text,
                            };
                        }
                    );
            }
        );
    }

    private static JsonNode Summary(RunGroupSummary g) =>
        new JsonObject
        {
            ["name"] = g.Name,
            ["description"] = g.Description,
            ["created"] = g.Created?.ToString("O", CultureInfo.InvariantCulture),
            ["runs"] = g.Runs,
            ["best"] = g.Best is { } best
                ? new JsonObject
                {
                    ["run"] = best.RunId,
                    ["runName"] = best.RunName,
                    ["value"] = best.Value,
                }
                : null,
        };

    private sealed class Said : IRunGroupEvents
    {
        public string Text { get; private set; } = "";

        public string? Name { get; private set; }

        public void GroupCreated(string name)
        {
            Name = name;
            Text = $"Created experiment '{name}'.";
        }

        public void RunsMoved(IReadOnlyList<RunRecord> runs, string? group) =>
            Text =
                $"Moved {runs.Count} run{(runs.Count == 1 ? "" : "s")} "
                + (group is null ? "out of their experiment." : $"into '{group}'.");
    }

    private static IResult Handle(ExpProject project, Func<RunStore, Said, JsonObject> handle)
    {
        try
        {
            using var store = RunStore.Open(project);
            return Json(handle(store, new Said()));
        }
        catch (ExpException e)
        {
            return Error(
                e.Code switch
                {
                    ExitCode.NotFound => StatusCodes.Status404NotFound,
                    ExitCode.Conflict => StatusCodes.Status409Conflict,
                    _ => StatusCodes.Status400BadRequest,
                },
                e.Message
            );
        }
    }

    private static async Task<(JsonObject? Json, IResult? Error)> BodyAsync(HttpRequest request)
    {
        try
        {
            return await JsonNode.ParseAsync(request.Body).ConfigureAwait(false) is JsonObject body
                ? (body, null)
                : (null, Error(StatusCodes.Status400BadRequest, "the body must be a JSON object"));
        }
        catch (JsonException e)
        {
            return (null, Error(StatusCodes.Status400BadRequest, "the body is not JSON: " + e.Message));
        }
    }
}
