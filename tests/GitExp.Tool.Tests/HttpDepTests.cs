using System.Text;
using GitExp.Tool.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GitExp.Tool.Tests;

/// <summary>
/// An http(s) dep (iterative/sagemaker-pipeline has one), served by a real Kestrel server: DVC records its server's
/// ETag as its <c>checksum</c>, status asks the server again with a HEAD request, and the stage runs when it changed.
/// </summary>
public sealed class HttpDepTests : IAsyncDisposable
{
    private readonly WebApplication _server;
    private volatile string _etag = "\"v1\"";
    private volatile bool _found = true;
    private int _heads;
    private int _gets;

    public HttpDepTests()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _server = builder.Build();
        _server.MapMethods("/data.csv", ["GET", "HEAD"], Serve);
    }

    private string Url => _server.Urls.Single() + "/data.csv";

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private async Task Serve(HttpContext context)
    {
        Interlocked.Increment(ref HttpMethods.IsHead(context.Request.Method) ? ref _heads : ref _gets);
        if (!_found)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var body = Encoding.UTF8.GetBytes("a,b\n1,2\n");
        context.Response.Headers.ETag = _etag;
        context.Response.ContentType = "text/csv";
        context.Response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(body);
        }
    }

    [Fact]
    public async Task A_changed_etag_reruns_the_stage_a_missing_url_is_missing_and_an_unreachable_one_is_one_line()
    {
        await _server.StartAsync();
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteFile(
            "dvc.yaml",
            $"stages:\n  prepare:\n    cmd: echo ran >> runs.txt && echo done > out.txt\n    deps:\n    - {Url}\n    outs:\n    - out.txt\n"
        );
        await repo.CommitAllAsync("A pipeline reading a URL");

        await repo.ExpOkAsync("run", "-n", "first");

        var lockText = repo.ReadFile("dvc.lock");
        Assert.Contains(
            $"    - path: \"{Url}\"\n      hash: md5\n      checksum: \"\\\"v1\\\"\"\n      size: 8\n",
            lockText,
            StringComparison.Ordinal
        );
        Assert.Equal("Everything is up to date.", (await repo.ExpOkAsync("status")).StdOut.Trim());

        _etag = "\"v2\"";
        Assert.Contains($"dep '{Url}' modified", (await repo.ExpOkAsync("status")).StdOut, StringComparison.Ordinal);
        await repo.ExpOkAsync("run", "-n", "second");

        Assert.Equal("ran\nran\n", repo.ReadFile("runs.txt"));
        Assert.Contains("checksum: \"\\\"v2\\\"\"", repo.ReadFile("dvc.lock"), StringComparison.Ordinal);
        Assert.Equal("Everything is up to date.", (await repo.ExpOkAsync("status")).StdOut.Trim());
        // Only the headers were asked for: status never downloads the file.
        Assert.True(_heads > 0);
        Assert.Equal(0, _gets);

        _found = false;
        Assert.Contains($"dep '{Url}' missing", (await repo.ExpOkAsync("status")).StdOut, StringComparison.Ordinal);

        var url = Url;
        await _server.StopAsync();
        var unreachable = await repo.ExpAsync("status");
        Assert.Equal(7, unreachable.ExitCode);
        var error = Assert.Single(unreachable.ErrorLines);
        Assert.Contains($"dvc.yaml:2: stage 'prepare': dep '{url}' cannot be reached: ", error, StringComparison.Ordinal);
    }
}
