using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using GitExp.Core;
using GitExp.Core.Project;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GitExp.Tool.Web;

/// <summary>
/// The web UI: Kestrel with minimal APIs over the run store and pages embedded in the tool.
/// A random token per start is written into every page and required on every POST, so no other
/// site can change runs through the user's browser.
/// </summary>
internal static class UiServer
{
    public const string TokenHeader = "X-GitExp-Token";

    public static async Task<int> RunAsync(
        ExpProject project,
        IPAddress address,
        int port,
        TextWriter output,
        CancellationToken cancellationToken
    )
    {
        if (!IPAddress.IsLoopback(address))
        {
            await Console
                .Error.WriteLineAsync(
                    $"warning: --host {address} makes the UI reachable from other machines; anyone who can reach it can read your runs"
                )
                .ConfigureAwait(false);
        }

        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        var builder = WebApplication.CreateSlimBuilder(
            new WebApplicationOptions { ContentRootPath = project.Root, EnvironmentName = Environments.Production }
        );
        builder.Logging.ClearProviders();
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.WebHost.ConfigureKestrel(k => k.Listen(address, port));
        await using var app = builder.Build();

        var pages = new EmbeddedPages(token);
        app.Use(
            (context, next) =>
            {
                var headers = context.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers.XFrameOptions = "DENY";
                // uPlot styles elements through the CSSOM, which style-src does not restrict; no inline script runs anywhere.
                headers.ContentSecurityPolicy =
                    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
                headers.CacheControl = "no-store";
                if (IPAddress.IsLoopback(address) && !IsLocalHost(context.Request.Host.Host))
                {
                    // Bound to loopback: a foreign Host header means DNS rebinding, not a user.
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return Task.CompletedTask;
                }

                if (HttpMethods.IsPost(context.Request.Method) && !HasToken(context.Request, token))
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return context.Response.WriteAsJsonAsync(
                        new Dictionary<string, string> { ["error"] = $"missing or wrong {TokenHeader} header" },
                        context.RequestAborted
                    );
                }

                return next(context);
            }
        );
        pages.Map(app);
        RunsApi.Map(app, project);
        RunActionsApi.Map(app, project);
        StageGraphApi.Map(app, project);
        CrossRunApi.Map(app, project, pages.MapPage);
        ExperimentsApi.Map(app, project, pages.MapPage);
        PipelinesApi.Map(app, project);
        SchedulesApi.Map(app, project, pages.MapPage);

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e) when (e.InnerException is AddressInUseException)
        {
            throw new ExpException(
                ExitCode.Conflict,
                $"--port {port}: cannot listen on {address}:{port}: the port is in use (another 'dotnet exp ui'?); choose another with --port, or --port 0 for any free one"
            );
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new ExpException(
                ExitCode.Usage,
                $"--host {address}: cannot listen on {address}:{port}: {e.Message} (is it an address of this machine?)"
            );
        }

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var actualPort = new Uri(bound).Port;
        var shown = IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) ? "127.0.0.1" : address.ToString();
        await output.WriteLineAsync($"GitExp UI: http://{shown}:{actualPort}/").ConfigureAwait(false);
        var scheduler = new Core.Schedules.SchedulerProcess(project).State();
        await output
            .WriteLineAsync(
                scheduler.Running
                    ? $"Scheduler: running (pid {scheduler.Pid}); recurring runs at http://{shown}:{actualPort}/schedules"
                    : "Scheduler: not running (recurring runs fire only while it runs: 'dotnet exp scheduler start')"
            )
            .ConfigureAwait(false);
        await output.WriteLineAsync("Press Ctrl+C to stop.").ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }

    private static bool IsLocalHost(string host) => host is "127.0.0.1" or "localhost" or "[::1]" or "::1";

    private static bool HasToken(HttpRequest request, string token) =>
        request.Headers.TryGetValue(TokenHeader, out var sent)
        && sent.Count == 1
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(sent[0] ?? ""), Encoding.UTF8.GetBytes(token));

    /// <summary>The pages, scripts and styles compiled into the tool as resources named <c>GitExp.Web.*</c>.</summary>
    private sealed class EmbeddedPages(string token)
    {
        private static readonly Assembly Assembly = typeof(UiServer).Assembly;

        public void Map(WebApplication app)
        {
            MapPage(app, "/", "runs.html");
            MapPage(app, "/run", "run.html");
            MapPage(app, "/compare", "compare.html");
            MapPage(app, "/new", "new.html");
            app.MapGet(
                "/assets/{name}",
                (string name) =>
                {
                    var bytes = Read(name);
                    if (bytes is null || name.EndsWith(".html", StringComparison.Ordinal))
                    {
                        return Results.NotFound();
                    }

                    var type =
                        name.EndsWith(".js", StringComparison.Ordinal) ? "text/javascript; charset=utf-8"
                        : name.EndsWith(".css", StringComparison.Ordinal) ? "text/css; charset=utf-8"
                        : name.EndsWith(".svg", StringComparison.Ordinal) ? "image/svg+xml"
                        : "application/octet-stream";
                    return Results.Bytes(bytes, type);
                }
            );
            // Browsers ask for /favicon.ico whatever the page links; the same icon answers, so no page logs a 404.
            var icon = Read("favicon.svg")!;
            app.MapGet("/favicon.ico", () => Results.Bytes(icon, "image/svg+xml"));
        }

        public void MapPage(WebApplication app, string path, string resource)
        {
            // The token is hex, so writing it into the page needs no escaping.
            var html = Encoding.UTF8.GetString(Read(resource)!).Replace("{{TOKEN}}", token, StringComparison.Ordinal);
            app.MapGet(path, () => Results.Content(html, "text/html; charset=utf-8"));
        }

        private static byte[]? Read(string name)
        {
            using var stream = Assembly.GetManifestResourceStream("GitExp.Web." + name);
            if (stream is null)
            {
                return null;
            }

            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            return memory.ToArray();
        }
    }
}
