using System.CommandLine;
using GitExp.Core.Queue;

namespace GitExp.Tool.Cli;

/// <summary><c>dotnet exp clean</c>: remove what dead queue workers and temp runs left behind.</summary>
internal static class CleanCommand
{
    public static Command Create(TextWriter output)
    {
        var command = new Command(
            "clean",
            "Remove the isolated workspaces and queue files that dead workers left; never those of a running entry."
        );
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var removed = await new TempCleaner(project).CleanAsync(cancellationToken).ConfigureAwait(false);
                foreach (var line in removed)
                {
                    output.WriteLine("Removed " + line + ".");
                }

                output.WriteLine(removed.Count == 0 ? "Nothing to clean up." : "Done.");
                return 0;
            }
        );
        return command;
    }
}
