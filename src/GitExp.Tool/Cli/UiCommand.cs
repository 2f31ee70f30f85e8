using System.CommandLine;
using System.Net;
using GitExp.Core;

namespace GitExp.Tool.Cli;

/// <summary><c>dotnet exp ui</c>: the web UI over the run store, on Kestrel, bound to 127.0.0.1 unless told otherwise.</summary>
internal static class UiCommand
{
    public static Command Create(TextWriter output)
    {
        var port = new Option<int>("--port")
        {
            Description = "Port to listen on (0 picks a free one).",
            DefaultValueFactory = _ => 4141,
        };
        var host = new Option<string>("--host")
        {
            Description = "Address to bind; anything but 127.0.0.1 is reachable from other machines.",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        var command = new Command("ui", "Browse, annotate and compare runs in a web browser (Ctrl+C stops it).") { port, host };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var portValue = result.GetValue(port);
                if (portValue is < 0 or > 65535)
                {
                    throw new ExpException(ExitCode.Usage, $"--port {portValue}: expected 0 to 65535");
                }

                var hostText = result.GetValue(host)!;
                if (!IPAddress.TryParse(hostText, out var address) && hostText != "localhost")
                {
                    throw new ExpException(ExitCode.Usage, $"--host '{hostText}': expected an IP address such as 127.0.0.1");
                }

                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                project.EnsureInitialized();
                // Web.UiServer is the only type that touches ASP.NET Core; calling it here keeps other commands from loading it.
                return await Web
                    .UiServer.RunAsync(project, address ?? IPAddress.Loopback, portValue, output, cancellationToken)
                    .ConfigureAwait(false);
            }
        );
        return command;
    }
}
