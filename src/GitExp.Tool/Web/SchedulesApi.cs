using System.Text.Json;
using System.Text.Json.Nodes;
using GitExp.Core;
using GitExp.Core.Project;
using GitExp.Core.Schedules;
using GitExp.Tool.Rendering;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static GitExp.Tool.Web.ApiConventions;

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
        api.MapPost(
            "/schedules",
            async (HttpRequest request, CancellationToken cancellationToken) =>
            {
                try
                {
                    var body =
                        await JsonNode.ParseAsync(request.Body, cancellationToken: cancellationToken).ConfigureAwait(false)
                            as JsonObject
                        ?? throw new ExpException(ExitCode.Usage, "the body must be a JSON object");
                    await new ScheduleBook(project, TimeProvider.System)
                        .AddAsync(Request(body), cancellationToken)
                        .ConfigureAwait(false);
                    return Results.Json(List(project));
                }
                catch (JsonException e)
                {
                    return Error(new ExpException(ExitCode.Usage, "the body is not JSON: " + e.Message));
                }
                catch (ExpException e)
                {
                    return Error(e);
                }
            }
        );
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

    private static readonly string[] Fields =
    [
        "name",
        "cron",
        "timeZone",
        "start",
        "end",
        "maxConcurrent",
        "catchUp",
        "rev",
        "setParams",
        "targets",
        "group",
    ];

    /// <summary>A new schedule from the page's form: the fields of <c>schedule add</c>, its <c>-S</c> values as text.</summary>
    private static ScheduleRequest Request(JsonObject body)
    {
        Only(body, "schedules", Fields);

        var catchUp = OptionalText(body, "catchUp");
        return new ScheduleRequest
        {
            Name = OptionalText(body, "name") ?? throw new ExpException(ExitCode.Usage, "name: a schedule needs a name"),
            Cron =
                OptionalText(body, "cron")
                ?? throw new ExpException(ExitCode.Usage, "--cron: a schedule needs a cron expression"),
            TimeZone = OptionalText(body, "timeZone"),
            Start = OptionalText(body, "start"),
            End = OptionalText(body, "end"),
            MaxConcurrent = body["maxConcurrent"] switch
            {
                null => null,
                JsonValue v when v.TryGetValue<int>(out var n) => n,
                _ => throw new ExpException(ExitCode.Usage, "--max-concurrent: expected a whole number"),
            },
            CatchUp =
                catchUp is null ? CatchUp.One
                : Enum.TryParse<CatchUp>(catchUp, ignoreCase: true, out var parsed) ? parsed
                : throw new ExpException(ExitCode.Usage, $"--catch-up '{catchUp}': expected none, one or all"),
            Rev = OptionalText(body, "rev"),
            SetParams = Texts(body, "setParams"),
            Targets = Texts(body, "targets"),
            Group = OptionalText(body, "group"),
            CommandLine = "dotnet exp schedule add (web UI)",
        };
    }

    private static List<string> Texts(JsonObject body, string name) =>
        body[name] switch
        {
            null => [],
            JsonArray items => items
                .Select(i =>
                    i is JsonValue v && v.TryGetValue<string>(out var text)
                        ? text.Trim()
                        : throw new ExpException(ExitCode.Usage, $"'{name}' must be a list of text")
                )
                .Where(t => t.Length > 0)
                .ToList(),
            _ => throw new ExpException(ExitCode.Usage, $"'{name}' must be a list of text"),
        };

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
            return Error(e);
        }
    }
}
