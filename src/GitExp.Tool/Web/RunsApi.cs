using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GitExp.Core;
using GitExp.Core.Project;
using GitExp.Core.Serialization;
using GitExp.Core.Tracking;
using GitExp.Tool.Rendering;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static GitExp.Tool.Web.ApiConventions;

namespace GitExp.Tool.Web;

/// <summary>
/// The JSON APIs over <c>.exp/runs.db</c>. The store is opened per request (SQLite in WAL mode), so runs
/// recorded or annotated from the command line meanwhile show on the next request.
/// </summary>
internal static class RunsApi
{
    private const int MaxCompared = 10;

    public static void Map(WebApplication app, ExpProject project)
    {
        var api = app.MapGroup("/api");
        api.MapGet("/runs", (HttpRequest request) => Handle(project, store => List(store, request.Query, project.Root)));
        api.MapGet("/runs/chart", (HttpRequest request) => Handle(project, store => Chart(store, request.Query)));
        api.MapGet("/runs/{id}", (string id) => Handle(project, store => Json(Detail(store, Find(store, id)))));
        api.MapGet(
            // A catch-all, so a key's '/' (live/metrics.json:acc) can stay a '/': an escaped one never reaches a route value decoded.
            "/runs/{id}/history/{**key}",
            (string id, string key) =>
                Handle(
                    project,
                    store =>
                    {
                        var run = Find(store, id);
                        return Json(History(store, run, MetricKey(run, key)));
                    }
                )
        );
        api.MapGet(
            "/runs/{id}/log",
            (string id) =>
                Handle(
                    project,
                    store =>
                    {
                        var run = Find(store, id);
                        var path = run.LogPath is null ? null : Path.GetFullPath(run.LogPath, project.Root);
                        return path is not null && File.Exists(path)
                            ? Results.Text(File.ReadAllText(path), "text/plain; charset=utf-8")
                            : Error(StatusCodes.Status404NotFound, $"run {run.Id} has no log file");
                    }
                )
        );
        api.MapPost(
            "/runs/{id}/annotate",
            async (string id, HttpRequest request) =>
            {
                JsonObject? body;
                try
                {
                    body = await JsonNode.ParseAsync(request.Body).ConfigureAwait(false) as JsonObject;
                }
                catch (JsonException e)
                {
                    return Error(StatusCodes.Status400BadRequest, "the body is not JSON: " + e.Message);
                }

                if (body is null)
                {
                    return Error(StatusCodes.Status400BadRequest, "the body must be a JSON object");
                }

                return Handle(project, store => Edited(store, new RunEdits(store).Annotate(id, Annotation(body))));
            }
        );
        api.MapPost(
            "/runs/{id}/bookmark",
            (string id, bool? on) => Handle(project, store => Edited(store, new RunEdits(store).Bookmark([id], on ?? true)[0]))
        );
        api.MapPost(
            "/runs/{id}/archive",
            (string id) => Handle(project, store => Edited(store, new RunEdits(store).Archive([id])[0]))
        );
        api.MapPost(
            "/runs/{id}/restore",
            (string id) => Handle(project, store => Edited(store, new RunEdits(store).Restore([id])[0]))
        );
        api.MapPost(
            "/runs/{id}/delete",
            (string id) => Handle(project, store => Edited(store, new RunEdits(store).Delete([id])[0]))
        );
        api.MapGet(
            "/compare",
            (string? ids, string? pin) => Handle(project, store => Json(RunComparison.Build(store, ids, pin, MaxCompared)))
        );
        api.MapGet("/groups", (HttpRequest request) => Handle(project, store => Groups(store, request.Query)));
    }

    private static IResult Groups(RunStore store, IQueryCollection query)
    {
        var archived = query["archived"].ToString();
        if (archived is not ("" or "true" or "false" or "1" or "0"))
        {
            throw new ExpException(ExitCode.Usage, $"archived '{archived}': expected true or false");
        }

        return Json(
            new JsonObject
            {
                ["groups"] = new JsonArray(
                    store
                        .Groups(archived is "true" or "1")
                        .Select(g => (JsonNode)new JsonObject { ["name"] = g.Name, ["runs"] = g.Runs })
                        .ToArray()
                ),
            }
        );
    }

    private static IResult Handle(ExpProject project, Func<RunStore, IResult> handle)
    {
        try
        {
            using var store = RunStore.Open(project);
            return handle(store);
        }
        catch (ExpException e)
        {
            return Error(
                e.Code == ExitCode.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest,
                e.Message
            );
        }
    }

    /// <summary>The runs a request's filter, status, search, group and archived view select (the runs page and its chart).</summary>
    private static RunQuery Selection(IQueryCollection query)
    {
        var filterText = query["filter"].ToString();
        var matcher = string.IsNullOrWhiteSpace(filterText) ? null : RunFilter.Parse(filterText, "filter");
        var status = query["status"].ToString();
        if (status.Length > 0)
        {
            if (!Enum.TryParse<RunStatus>(status, ignoreCase: true, out _) || status.Any(char.IsDigit))
            {
                throw new ExpException(
                    ExitCode.Usage,
                    $"status '{status}': expected queued, running, succeeded, failed or interrupted"
                );
            }

            // The user's filter was read alone first, so its errors name positions in the text they typed.
            matcher = RunFilter.Parse(matcher is null ? $"status = {status}" : $"({filterText}) and status = {status}", "filter");
        }

        var text = query["q"].ToString().Trim();
        var group = query["group"].ToString();
        return new RunQuery
        {
            Archived = query["archived"].ToString() is "true" or "1",
            Deleted = query["deleted"].ToString() is "true" or "1",
            Group = group.Length == 0 ? null : group,
            Filter = matcher,
            Search = text.Length == 0 ? null : text,
        };
    }

    /// <summary>One value against another across every run the selection holds: the runs page's chart view.</summary>
    private static IResult Chart(RunStore store, IQueryCollection query)
    {
        var y = query["y"].ToString();
        if (y.Length == 0)
        {
            throw new ExpException(ExitCode.Usage, "y: expected metrics.<key>, params.<key> or duration");
        }

        var x = query["x"].ToString() is { Length: > 0 } given ? given : "created";
        var chart = store.Chart(Selection(query), x, y, "chart");
        return JsonBytes(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("scale", chart.Scale.ToString().ToLowerInvariant());
            writer.WriteNumber("matched", chart.Matched);
            Numbers(writer, "x", chart.X);
            Numbers(writer, "y", chart.Y);
            Strings(writer, "categories", chart.Categories);
            writer.WriteEndObject();
        });
    }

    private static void Numbers(Utf8JsonWriter writer, string name, IReadOnlyList<double> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            // A value beyond double's range cannot be written as JSON (nor drawn).
            if (double.IsFinite(value))
            {
                writer.WriteNumberValue(value);
            }
            else
            {
                writer.WriteNullValue();
            }
        }

        writer.WriteEndArray();
    }

    private static IResult List(RunStore store, IQueryCollection query, string projectRoot)
    {
        var order = query["order"].ToString() is "" ? "desc" : query["order"].ToString();
        if (order is not ("asc" or "desc"))
        {
            throw new ExpException(ExitCode.Usage, $"order '{order}': expected asc or desc");
        }

        var page = Number(query, "page", 1, 1, int.MaxValue);
        var pageSize = Number(query, "pageSize", 25, 1, 500);
        var sort = query["sort"].ToString();
        // Filtered, searched and sorted in SQL; only the page's runs are loaded.
        var slice = store.Page(
            Selection(query) with
            {
                Sort = RunSort.Parse(sort.Length == 0 ? null : sort, order == "desc", "sort"),
            },
            (long)(page - 1) * pageSize,
            pageSize,
            RunParts.Params | RunParts.Metrics | RunParts.Tags
        );
        return JsonBytes(writer =>
        {
            writer.WriteStartObject();
            // The page keeps its column choice per project (localStorage is per address, and ports change).
            writer.WriteString("project", projectRoot);
            writer.WriteNumber("total", slice.Total);
            writer.WriteNumber("page", page);
            writer.WriteNumber("pageSize", pageSize);
            Strings(writer, "metricKeys", slice.MetricKeys);
            Strings(writer, "paramKeys", slice.ParamKeys);
            writer.WriteStartArray("runs");
            foreach (var run in slice.Runs)
            {
                // What the runs table needs: the run without its artifacts, checkpoints and executions.
                RunJson.Write(writer, run, details: false, w => RunJson.Number(w, "duration", run.Duration?.TotalSeconds));
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }

    private static void Strings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static int Number(IQueryCollection query, string name, int fallback, int min, int max)
    {
        var text = query[name].ToString();
        if (text.Length == 0)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new ExpException(ExitCode.Usage, $"{name} '{text}': expected a number from {min} to {max}");
    }

    private static JsonObject Detail(RunStore store, RunRecord run)
    {
        var json = RunJson.Node(run);
        json["duration"] = run.Duration?.TotalSeconds;
        json["histories"] = new JsonArray(store.MetricsWithHistory(run).Select(k => (JsonNode)k).ToArray());
        return json;
    }

    internal static JsonArray History(RunStore store, RunRecord run, string metricKey) =>
        // A value beyond double's range (1e400) cannot be plotted or written as JSON: that point is left out.
        new(
            store
                .MetricHistory(run, metricKey)
                .Where(p => double.IsFinite(p.Value))
                .Select(p => (JsonNode)new JsonArray(p.Step, p.Value))
                .ToArray()
        );

    /// <summary>A metric key of the run (<c>file:key</c>), or a key without its file: the first file's in key order that has it, as in filters.</summary>
    private static string MetricKey(RunRecord run, string key)
    {
        // Kestrel leaves an escaped '/' escaped in the path; a client that escaped the whole key sent one.
        if (!run.Metrics.ContainsKey(key) && key.Contains("%2F", StringComparison.OrdinalIgnoreCase))
        {
            key = key.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        }

        return run.Metrics.ContainsKey(key)
            ? key
            : run.Metrics.Keys.Where(k => k.EndsWith(":" + key, StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
                .FirstOrDefault()
                ?? key;
    }

    /// <summary>The body of an annotate request as an edit: a field given as null or "" clears it, one left out is kept.</summary>
    private static RunAnnotation Annotation(JsonObject body)
    {
        foreach (var name in body.Select(p => p.Key))
        {
            if (name is not ("title" or "notes" or "tags" or "group"))
            {
                throw new ExpException(
                    ExitCode.Usage,
                    $"annotate: unknown field '{name}' (expected title, notes, tags or group)"
                );
            }
        }

        return new RunAnnotation
        {
            Title = Text(body, "title"),
            Notes = Text(body, "notes"),
            Group = Text(body, "group"),
            Tags = body.ContainsKey("tags") ? TextList(body, "annotate", "tags") : null,
        };
    }

    /// <summary>A text field: null when left out, "" when null (cleared).</summary>
    private static string? Text(JsonObject body, string name)
    {
        if (!body.TryGetPropertyValue(name, out var node))
        {
            return null;
        }

        if (node is null)
        {
            return "";
        }

        return node.GetValueKind() == JsonValueKind.String
            ? node.GetValue<string>()
            : throw new ExpException(ExitCode.Usage, $"annotate: '{name}' must be text or null");
    }

    /// <summary>A list of text (tags); null or left out is none.</summary>
    internal static List<string> TextList(JsonObject body, string what, string name) =>
        body[name] switch
        {
            null => [],
            JsonArray array when array.All(t => t?.GetValueKind() == JsonValueKind.String) => array
                .Select(t => t!.GetValue<string>())
                .ToList(),
            _ => throw new ExpException(ExitCode.Usage, $"{what}: '{name}' must be a list of text"),
        };

    /// <summary>The run as an edit left it, with what the run page shows.</summary>
    private static IResult Edited(RunStore store, RunRecord run) => Json(Detail(store, run));

    internal static RunRecord Find(RunStore store, string id) => new RunEdits(store).Find(id);

    private static IResult JsonBytes(Action<Utf8JsonWriter> write) =>
        Results.Bytes(CompactJson.ToBytes(write), "application/json; charset=utf-8");
}
