using System.Text.Json.Nodes;
using GitExp.Core;
using GitExp.Core.Project;
using GitExp.Core.Schedules;
using GitExp.Tool.Rendering;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace GitExp.Tool.Web;

/// <summary>
/// The Recurring runs page and its API: the schedules with their next and latest fires, whether the scheduler runs,
/// and enable, disable and remove (through <see cref="ScheduleBook"/>, as <c>dotnet exp schedule</c> does).
/// </summary>
internal static class SchedulesApi
{
    public static void Map(WebApplication app, ExpProject project, Action<WebApplication, string, string> mapPage)
    {
        mapPage(app, "/schedules", "schedules.html");
        var api = app.MapGroup("/api");
        api.MapGet("/scheduler", () => Results.Json(ScheduleJson.Scheduler(new SchedulerProcess(project).State())));
        api.MapGet("/schedules", () => Handle(() => List(project)));
        api.MapGet(
            "/schedules/{name}",
            (string name) =>
                Handle(() =>
                {
                    var (summary, fires) = new ScheduleBook(project, TimeProvider.System).Show(name);
                    var json = ScheduleJson.Summary(summary, DateTimeOffset.UtcNow);
                    json["fires"] = new JsonArray(fires.Select(f => (JsonNode)ScheduleJson.Fire(f)).ToArray());
                    return json;
                })
        );
        api.MapPost(
            "/schedules/{name}/enable",
            (string name) => Handle(() => Edit(project, book => book.SetEnabled(name, true)))
        );
        api.MapPost(
            "/schedules/{name}/disable",
            (string name) => Handle(() => Edit(project, book => book.SetEnabled(name, false)))
        );
        api.MapPost("/schedules/{name}/remove", (string name) => Handle(() => Edit(project, book => book.Remove(name))));
    }

    private static JsonObject List(ExpProject project)
    {
        var now = DateTimeOffset.UtcNow;
        var summaries = new ScheduleBook(project, TimeProvider.System).List();
        return new JsonObject
        {
            ["scheduler"] = ScheduleJson.Scheduler(new SchedulerProcess(project).State()),
            ["schedules"] = new JsonArray(summaries.Select(s => (JsonNode)ScheduleJson.Summary(s, now)).ToArray()),
        };
    }

    /// <summary>Makes a change, then answers with the list as it is after it.</summary>
    private static JsonObject Edit(ExpProject project, Action<ScheduleBook> edit)
    {
        edit(new ScheduleBook(project, TimeProvider.System));
        return List(project);
    }

    private static IResult Handle(Func<JsonObject> handle)
    {
        try
        {
            return Results.Json(handle());
        }
        catch (ExpException e)
        {
            return Results.Json(
                new Dictionary<string, string> { ["error"] = e.Message },
                statusCode: e.Code == ExitCode.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest
            );
        }
    }
}
