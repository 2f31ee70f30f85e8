using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GitExp.Core;
using GitExp.Core.Cache;
using GitExp.Core.Experiments;
using GitExp.Core.Pipeline;
using GitExp.Core.Project;
using GitExp.Core.Queue;
using GitExp.Core.Tracking;
using GitExp.Tool.Cli;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static GitExp.Tool.Web.ApiConventions;

namespace GitExp.Tool.Web;

/// <summary>
/// The run page's artifacts (listed, downloaded, previewed), live log and store events (server-sent
/// events), tags, and queuing runs: a clone with edited params, or a new run from the workspace (queued, or
/// started at once by a detached worker).
/// </summary>
internal static class RunActionsApi
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    // Served artifacts are the run's own files, not the tool's: no script runs in them, ever.
    private const string ArtifactPolicy =
        "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'";

    public static void Map(WebApplication app, ExpProject project)
    {
        var storePath = Path.Combine(project.ExpDirectory, "runs.db");
        var stopping = app.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var api = app.MapGroup("/api");
        api.MapGet("/runs/{id}/artifacts", (string id) => Handle(() => Json(ListArtifacts(project, id))));
        api.MapGet(
            "/runs/{id}/artifacts/{*path}",
            (string id, string path, string? file, string? download, HttpContext context) =>
                Handle(() => Artifact(project, id, path, file, download is "1" or "true", context))
        );
        api.MapGet("/runs/{id}/log/stream", (string id, HttpContext context) => StreamLogAsync(project, id, context, stopping));
        api.MapGet("/events", (HttpContext context) => StreamEventsAsync(storePath, context, stopping));
        api.MapPost(
            "/runs/{id}/tags",
            async (string id, HttpRequest request) =>
            {
                var body = await BodyAsync(request).ConfigureAwait(false);
                return body.Error ?? Handle(() => Tags(project, id, body.Json!));
            }
        );
        api.MapPost(
            "/runs/{id}/clone",
            async (string id, HttpRequest request) =>
            {
                var body = await BodyAsync(request).ConfigureAwait(false);
                return body.Error
                    ?? await HandleAsync(() => CloneAsync(project, id, body.Json!, request.HttpContext.RequestAborted))
                        .ConfigureAwait(false);
            }
        );
        api.MapPost(
            "/runs/{id}/terminate",
            (string id, HttpRequest request) =>
                HandleAsync(async () =>
                {
                    var said = new ControlMessages();
                    await new RunControl(project, said)
                        .TerminateAsync(id, request.HttpContext.RequestAborted)
                        .ConfigureAwait(false);
                    return Json(new JsonObject { ["message"] = said.Text });
                })
        );
        api.MapPost(
            "/runs/{id}/retry",
            (string id, HttpRequest request) =>
                HandleAsync(async () =>
                {
                    var said = new ControlMessages();
                    var entry = await new RunControl(project, said)
                        .RetryAsync(id, request.HttpContext.RequestAborted)
                        .ConfigureAwait(false);
                    // Started at once in its own workspace, as "Start now" does: a retry is meant to run.
                    QueueCommands.StartInBackground(project, [entry.Id]);
                    return Json(Entry(entry, said.Text + " Started it in the background."));
                })
        );
        api.MapGet(
            "/runs/{id}/live",
            (string id, HttpRequest request) =>
                HandleAsync(async () =>
                {
                    var run = Find(project, id);
                    var histories = await RunTracker
                        .LiveHistoriesAsync(project, run, request.HttpContext.RequestAborted)
                        .ConfigureAwait(false);
                    return Json(
                        new JsonObject
                        {
                            ["status"] = Lower(run.Status),
                            ["series"] = new JsonArray(
                                histories
                                    .Select(h =>
                                        (JsonNode)
                                            new JsonObject
                                            {
                                                ["key"] = h.Key,
                                                ["points"] = new JsonArray(
                                                    h.Points.Where(p => double.IsFinite(p.Value))
                                                        .Select(p => (JsonNode)new JsonArray(p.Step, p.Value))
                                                        .ToArray()
                                                ),
                                            }
                                    )
                                    .ToArray()
                            ),
                        }
                    );
                })
        );
        api.MapGet("/workspace/params", () => HandleAsync(() => WorkspaceParamsAsync(project)));
        api.MapPost(
            "/runs/new",
            async (HttpRequest request) =>
            {
                var body = await BodyAsync(request).ConfigureAwait(false);
                return body.Error
                    ?? await HandleAsync(() => NewRunAsync(project, body.Json!, request.HttpContext.RequestAborted))
                        .ConfigureAwait(false);
            }
        );
    }

    // ---- artifacts ----

    private static JsonArray ListArtifacts(ExpProject project, string id)
    {
        var run = Find(project, id);
        var cache = new CacheReader(project);
        var list = new JsonArray();
        foreach (var artifact in run.Artifacts)
        {
            var isDirectory = artifact.Sha256.EndsWith(ContentHash.DirSuffix, StringComparison.Ordinal);
            var json = new JsonObject
            {
                ["path"] = artifact.Path,
                ["sha256"] = artifact.Sha256,
                ["size"] = artifact.Size,
                ["kind"] = artifact.Kind,
                ["directory"] = isDirectory,
                ["cached"] = cache.ObjectFile(artifact.Sha256) is not null,
            };
            if (isDirectory)
            {
                json["files"] = new JsonArray(
                    (cache.Manifest(artifact.Sha256) ?? [])
                        .Select(f => (JsonNode)new JsonObject { ["path"] = f.RelativePath, ["size"] = f.Size })
                        .ToArray()
                );
            }

            list.Add(json);
        }

        return list;
    }

    private static IResult Artifact(ExpProject project, string id, string path, string? file, bool download, HttpContext context)
    {
        // Route values keep an encoded slash encoded; decode once, then judge the path as given.
        path = Uri.UnescapeDataString(path);
        CheckRelative(path, "path");
        if (file is not null)
        {
            CheckRelative(file, "file");
        }

        var run = Find(project, id);
        // Only what the run recorded as its artifacts is served: never an arbitrary file of the repo.
        var artifact =
            run.Artifacts.FirstOrDefault(a => a.Path == path)
            ?? throw new ExpException(ExitCode.NotFound, $"run {run.Id} has no artifact '{path}'");
        var cache = new CacheReader(project);
        string sha256 = artifact.Sha256;
        var name = path;
        if (sha256.EndsWith(ContentHash.DirSuffix, StringComparison.Ordinal))
        {
            if (file is null)
            {
                throw new ExpException(ExitCode.Usage, $"'{path}' is a directory: name one of its files with ?file=");
            }

            name = path + "/" + file;
            var manifest = cache.Manifest(sha256);
            if (manifest is not null)
            {
                sha256 =
                    manifest.FirstOrDefault(f => f.RelativePath == file).Sha256
                    ?? throw new ExpException(ExitCode.NotFound, $"'{path}' has no file '{file}'");
            }
            else
            {
                sha256 = "";
            }
        }
        else if (file is not null)
        {
            throw new ExpException(ExitCode.Usage, $"'{path}' is a file, not a directory: drop ?file=");
        }

        byte[]? bytes = null;
        if (sha256.Length > 0 && cache.ObjectFile(sha256) is { } cached)
        {
            bytes = File.ReadAllBytes(cached);
        }
        else if (run.Commit is not null)
        {
            // Not in the cache (a metric kept in Git, or a cache that was cleaned): the experiment commit's blob.
            using var reader = project.Git.OpenObjectReader();
            bytes = reader.Read(run.Commit + ":" + name);
        }

        if (bytes is null)
        {
            throw new ExpException(
                ExitCode.NotFound,
                $"'{name}' of run {run.Id} is neither in the cache nor in the run's commit (pull it with 'dotnet exp pull')"
            );
        }

        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ArtifactPolicy;
        headers.XFrameOptions = "SAMEORIGIN";
        if (download)
        {
            headers.ContentDisposition = "attachment; filename=\"" + SafeFileName(Path.GetFileName(name)) + "\"";
        }

        return Results.Bytes(bytes, ContentType(name));
    }

    private static void CheckRelative(string path, string what)
    {
        if (
            path.Length == 0
            || path.Contains('\\', StringComparison.Ordinal)
            || path.Contains('\0', StringComparison.Ordinal)
            || Path.IsPathRooted(path)
            || path.Split('/').Any(s => s is ".." or "." or "")
        )
        {
            throw new ExpException(ExitCode.Usage, $"{what} '{path}': expected a relative path inside the project");
        }
    }

    private static string SafeFileName(string name) =>
        new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray());

    internal static string ContentType(string name) =>
        Path.GetExtension(name).ToLowerInvariant() switch
        {
            ".png" => "image/png",
            ".jpg" or ".jpeg" => "image/jpeg",
            ".gif" => "image/gif",
            ".svg" => "image/svg+xml",
            ".html" or ".htm" => "text/html; charset=utf-8",
            ".csv" => "text/csv; charset=utf-8",
            ".tsv" => "text/tab-separated-values; charset=utf-8",
            ".json" => "application/json; charset=utf-8",
            ".md" or ".txt" or ".log" or ".yaml" or ".yml" => "text/plain; charset=utf-8",
            _ => "application/octet-stream",
        };

    /// <summary>Reads the content cache without writing to it: object files and directory manifests, confined to the cache.</summary>
    private sealed class CacheReader(ExpProject project)
    {
        // The layout (which cache, which folder, by kind of hash) is Core's; this adds only what serving needs.
        private readonly CacheSet _caches = project.OpenCaches();

        public string? ObjectFile(string name)
        {
            if (HashKinds.OfObjectName(name) is not { } kind)
            {
                return null;
            }

            var cache = _caches.Of(kind);
            string path;
            try
            {
                path = cache.ObjectPath(name);
            }
            catch (ArgumentException)
            {
                return null;
            }

            var info = new FileInfo(path);
            if (!info.Exists)
            {
                return null;
            }

            // A cache object is a plain file; one that is a link is followed only when it stays in the project or cache.
            if (info.LinkTarget is not null)
            {
                var target = info.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
                if (target is null || !(Inside(target, cache.CacheDir) || Inside(target, project.Root)) || !File.Exists(target))
                {
                    return null;
                }

                return target;
            }

            return path;
        }

        public IReadOnlyList<(string RelativePath, string Sha256, long Size)>? Manifest(string dirName)
        {
            if (ObjectFile(dirName) is null)
            {
                return null;
            }

            try
            {
                return _caches.Of(HashKinds.OfObjectName(dirName)!.Value).ReadManifest(dirName);
            }
            catch (ExpException)
            {
                return null;
            }
        }

        private static bool Inside(string path, string root)
        {
            var full = Path.GetFullPath(path);
            var dir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)) + Path.DirectorySeparatorChar;
            return full.StartsWith(dir, StringComparison.Ordinal);
        }
    }

    // ---- server-sent events ----

    private static async Task StreamLogAsync(ExpProject project, string id, HttpContext context, CancellationToken stopping)
    {
        RunRecord run;
        try
        {
            run = Find(project, id);
        }
        catch (ExpException e)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context
                .Response.WriteAsJsonAsync(new Dictionary<string, string> { ["error"] = e.Message })
                .ConfigureAwait(false);
            return;
        }

        using var both = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var token = both.Token;
        StartEvents(context);
        var decoder = new UTF8Encoding(false).GetDecoder();
        long offset = 0;
        var buffer = new byte[64 * 1024];
        var chars = new char[buffer.Length + 4];
        RunStatus? lastStatus = null;
        var lastStages = "";
        try
        {
            while (!token.IsCancellationRequested)
            {
                // The status is read before the file, so the last read after the run ended takes all it wrote.
                var status = Find(project, run.Id);
                if (status.Status != lastStatus && status.Status is RunStatus.Running or RunStatus.Queued)
                {
                    // A queued run that a worker picks up turns running: the page shows it without a reload.
                    lastStatus = status.Status;
                    await SendAsync(context, "status", JsonSerializer.Serialize(Lower(status.Status)), token)
                        .ConfigureAwait(false);
                }

                // Each stage is saved as it starts and finishes: the page fetches the stage graph again on this event
                // only, rather than polling it (it reads the pipelines afresh). After the run ends, "end" says it all.
                var stages = string.Join('\n', status.Executions.Select(e => e.Stage + " " + e.Status));
                if (stages != lastStages && status.Status is RunStatus.Running or RunStatus.Queued)
                {
                    lastStages = stages;
                    // JSON text, as every other event of this stream carries.
                    await SendAsync(context, "stages", JsonSerializer.Serialize(stages), token).ConfigureAwait(false);
                }

                var logPath = status.LogPath is null ? null : Path.GetFullPath(status.LogPath, project.Root);
                if (logPath is not null && File.Exists(logPath))
                {
                    await using var stream = new FileStream(
                        logPath,
                        FileMode.Open,
                        FileAccess.Read,
                        FileShare.ReadWrite | FileShare.Delete
                    );
                    stream.Seek(offset, SeekOrigin.Begin);
                    int read;
                    var text = new StringBuilder();
                    while ((read = await stream.ReadAsync(buffer, token).ConfigureAwait(false)) > 0)
                    {
                        offset += read;
                        var count = decoder.GetChars(buffer, 0, read, chars, 0);
                        text.Append(chars, 0, count);
                    }

                    if (text.Length > 0)
                    {
                        await SendAsync(context, "log", JsonSerializer.Serialize(text.ToString()), token).ConfigureAwait(false);
                    }
                }

                if (status.Status is not (RunStatus.Running or RunStatus.Queued))
                {
                    await SendAsync(context, "end", JsonSerializer.Serialize(Lower(status.Status)), token).ConfigureAwait(false);
                    return;
                }

                await Task.Delay(Poll, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
    }

    private static string Lower(RunStatus status) => status.ToString().ToLowerInvariant();

    private static async Task StreamEventsAsync(string storePath, HttpContext context, CancellationToken stopping)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var token = both.Token;
        StartEvents(context);
        try
        {
            await context.Response.WriteAsync(": connected\n\n", token).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(token).ConfigureAwait(false);
            var last = Stamp(storePath);
            var count = 0;
            while (!token.IsCancellationRequested)
            {
                await Task.Delay(Poll, token).ConfigureAwait(false);
                var now = Stamp(storePath);
                if (now != last)
                {
                    last = now;
                    await SendAsync(
                            context,
                            "runs-changed",
                            (++count).ToString(System.Globalization.CultureInfo.InvariantCulture),
                            token
                        )
                        .ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>What changes when the store is written: the database's and the write-ahead log's size and time.</summary>
    private static (long, DateTime, long, DateTime) Stamp(string storePath)
    {
        var db = new FileInfo(storePath);
        var wal = new FileInfo(storePath + "-wal");
        return (
            db.Exists ? db.Length : -1,
            db.Exists ? db.LastWriteTimeUtc : default,
            wal.Exists ? wal.Length : -1,
            wal.Exists ? wal.LastWriteTimeUtc : default
        );
    }

    private static void StartEvents(HttpContext context)
    {
        context.Response.ContentType = "text/event-stream; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["X-Accel-Buffering"] = "no";
    }

    private static async Task SendAsync(HttpContext context, string name, string data, CancellationToken token)
    {
        await context.Response.WriteAsync($"event: {name}\ndata: {data}\n\n", token).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(token).ConfigureAwait(false);
    }

    // ---- tags, clone, new run ----

    private static IResult Tags(ExpProject project, string id, JsonObject body)
    {
        Only(body, "tags", "add", "remove");
        using var store = RunStore.Open(project);
        var run = new RunEdits(store).Annotate(
            id,
            new RunAnnotation
            {
                AddTags = RunsApi.TextList(body, "tags", "add"),
                RemoveTags = RunsApi.TextList(body, "tags", "remove"),
            }
        );
        return Json(new JsonObject { ["id"] = run.Id, ["tags"] = new JsonArray(run.Tags.Select(t => (JsonNode)t).ToArray()) });
    }

    private static async Task<IResult> CloneAsync(
        ExpProject project,
        string id,
        JsonObject body,
        CancellationToken cancellationToken
    )
    {
        Only(body, "clone", "params", "queue", "name");
        if (body["queue"]?.GetValueKind() is not JsonValueKind.True)
        {
            throw new ExpException(
                ExitCode.Usage,
                "clone: the UI only queues clones; send queue: true and run 'dotnet exp queue start'"
            );
        }

        var run = Find(project, id);
        var overrides = Params(body);
        var entry = await RunClone
            .QueueAsync(
                project,
                new QueueRequest
                {
                    SetParams = RunClone.Assignments(run, overrides),
                    Name = OptionalText(body, "name"),
                    CommandLine = $"dotnet exp runs clone {run.Id} --queue (web UI)",
                },
                title: null,
                group: run.Group,
                cancellationToken
            )
            .ConfigureAwait(false);
        return Json(Entry(entry, Queued(entry, $"cloned run {run.Id}")));
    }

    private static async Task<IResult> WorkspaceParamsAsync(ExpProject project)
    {
        var sources = await ValueSources.FromWorkspaceAsync(project).ConfigureAwait(false);
        var values = sources.ReadWorkspace(project.Root);
        var json = new JsonObject();
        foreach (var (key, value) in values.Params)
        {
            json[key] = value?.DeepClone();
        }

        return Json(new JsonObject { ["params"] = json });
    }

    private static async Task<IResult> NewRunAsync(ExpProject project, JsonObject body, CancellationToken cancellationToken)
    {
        Only(body, "runs/new", "params", "queue", "temp", "name", "title", "group");
        var queue = body["queue"]?.GetValueKind() is JsonValueKind.True;
        var temp = body["temp"]?.GetValueKind() is JsonValueKind.True;
        if (queue == temp)
        {
            throw new ExpException(
                ExitCode.Usage,
                "runs/new: send either queue: true (queue it for 'dotnet exp queue start') or temp: true (start it now, as 'dotnet exp run --temp')"
            );
        }

        var entry = await RunClone
            .QueueAsync(
                project,
                new QueueRequest
                {
                    SetParams = Params(body),
                    Name = OptionalText(body, "name"),
                    CommandLine = temp ? "dotnet exp run --temp (web UI)" : "dotnet exp run --queue (web UI)",
                },
                OptionalText(body, "title"),
                OptionalText(body, "group"),
                cancellationToken
            )
            .ConfigureAwait(false);
        if (!temp)
        {
            return Json(Entry(entry, Queued(entry, "queued from the workspace")));
        }

        // Never in this process: the run gets its own isolated workspace and worker, as 'run --temp' does,
        // so it goes on if the UI stops and a failing stage cannot take the server down.
        QueueCommands.StartInBackground(project, [entry.Id]);
        return Json(Entry(entry, $"Started '{entry.Name}' ({entry.Id}) in the background, in its own workspace."));
    }

    /// <summary>What <see cref="RunControl"/> did, in the words the page shows.</summary>
    private sealed class ControlMessages : IRunControlEvents
    {
        public string Text { get; private set; } = "";

        public void StopRequested(RunRecord run) =>
            Text = $"Asked run {run.Id} to stop, as Ctrl+C does; it ends as failed, with its log kept.";

        public void Dequeued(RunRecord run) => Text = $"Took run {run.Id} out of the queue; it never ran.";

        public void Queued(QueueEntry entry, string commit, RunRecord? from) =>
            Text = from is null
                ? $"Queued '{entry.Name}' ({entry.Id}) of commit {commit[..7]}."
                : $"Queued '{entry.Name}' ({entry.Id}), a retry of run {from.Id}: commit {commit[..7]}, the same params.";
    }

    private static string Queued(QueueEntry entry, string what) =>
        $"Queued '{entry.Name}' ({entry.Id}), {what}. Run 'dotnet exp queue start' to run it.";

    private static JsonObject Entry(QueueEntry entry, string message) =>
        new()
        {
            ["id"] = entry.Id,
            ["name"] = entry.Name,
            ["commit"] = entry.Commit,
            ["setParams"] = new JsonArray(entry.SetParams.Select(p => (JsonNode)p).ToArray()),
            ["message"] = message,
        };

    private static List<ParamAssignment> Params(JsonObject body)
    {
        if (body["params"] is null)
        {
            return [];
        }

        if (body["params"] is not JsonObject values)
        {
            throw new ExpException(ExitCode.Usage, "'params' must be an object of \"file:key\": value");
        }

        return values.Select(p => RunClone.FromJson(p.Key, p.Value)).ToList();
    }

    // ---- plumbing ----

    private static RunRecord Find(ExpProject project, string id)
    {
        using var store = RunStore.Open(project);
        return RunsApi.Find(store, id);
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

    private static IResult Handle(Func<IResult> handle)
    {
        try
        {
            return handle();
        }
        catch (ExpException e)
        {
            return Error(Status(e), e.Message);
        }
    }

    private static async Task<IResult> HandleAsync(Func<Task<IResult>> handle)
    {
        try
        {
            return await handle().ConfigureAwait(false);
        }
        catch (ExpException e)
        {
            return Error(Status(e), e.Message);
        }
    }

    private static int Status(ExpException e) =>
        e.Code switch
        {
            ExitCode.NotFound => StatusCodes.Status404NotFound,
            ExitCode.Conflict => StatusCodes.Status409Conflict,
            _ => StatusCodes.Status400BadRequest,
        };
}
