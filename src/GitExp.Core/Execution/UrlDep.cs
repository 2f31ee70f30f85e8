using System.Net;
using GitExp.Core.Pipeline;

namespace GitExp.Core.Execution;

/// <summary>
/// An <c>http://</c> or <c>https://</c> dep, DVC's HTTP dependency: what its server says of it stands for its hash.
/// As DVC 3 (dvc-data's <c>Meta.from_info</c>), the <c>ETag</c> header as sent (else <c>Content-MD5</c>) is its
/// checksum and <c>Content-Length</c> its size; a HEAD request reads them, and the stage runs again when they change.
/// </summary>
internal static class UrlDep
{
    // One client for the process (connection reuse); the environment's proxy settings apply, as in DVC.
    private static readonly HttpClient Client = new(new SocketsHttpHandler { AllowAutoRedirect = true })
    {
        Timeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>True for the deps read over HTTP.</summary>
    public static bool IsUrl(string path) => RepoPath.IsHttpUrl(path);

    /// <summary>
    /// The dep as its server describes it now; null when the server says it is not there (404 or 410). A dep whose
    /// server sends neither an ETag nor a Content-MD5 has an empty checksum: nothing tells it unchanged.
    /// </summary>
    /// <exception cref="ExpException">The server cannot be reached, or answers with another error.</exception>
    public static HashedPath? Read(Stage stage, string url)
    {
        try
        {
            using var head = Client.Send(new HttpRequestMessage(HttpMethod.Head, url), HttpCompletionOption.ResponseHeadersRead);
            if (head.StatusCode is not (HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented))
            {
                return Describe(stage, url, head);
            }

            // A server that does not answer HEAD: the headers of a GET, without reading its body.
            using var get = Client.Send(new HttpRequestMessage(HttpMethod.Get, url), HttpCompletionOption.ResponseHeadersRead);
            return Describe(stage, url, get);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            throw new ExpException(
                ExitCode.Remote,
                $"{stage.PipelineFile}:{stage.Line}: stage '{stage.Name}': dep '{url}' cannot be reached: {Innermost(e)}"
            );
        }
    }

    private static HashedPath? Describe(Stage stage, string url, HttpResponseMessage response)
    {
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new ExpException(
                ExitCode.Remote,
                $"{stage.PipelineFile}:{stage.Line}: stage '{stage.Name}': dep '{url}': the server answered {(int)response.StatusCode} {response.ReasonPhrase}"
            );
        }

        var checksum =
            response.Headers.ETag?.ToString()
            ?? (response.Content.Headers.ContentMD5 is { } md5 ? Convert.ToBase64String(md5) : "");
        return new HashedPath(url, checksum, response.Content.Headers.ContentLength ?? -1, null);
    }

    private static string Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e is TaskCanceledException ? "no answer within 60 seconds" : e.Message;
    }
}
