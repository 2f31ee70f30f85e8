using System.CommandLine;
using GitExp.Core.Experiments;
using GitExp.Tool.Rendering;

namespace GitExp.Tool.Cli;

/// <summary><c>dotnet exp save</c>: record the workspace as an experiment without running anything.</summary>
internal static class SaveCommand
{
    public static Command Create(TextWriter output)
    {
        var targets = new Argument<string[]>("targets")
        {
            Description = "Stages whose changes go into the lock file first (default: every stage of the pipeline).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var name = new Option<string?>("--name", "-n")
        {
            Description = "Name of the experiment (default: a generated adjective-noun).",
        };
        var message = new Option<string?>("--message", "-m") { Description = "Commit message of the experiment." };
        var force = new Option<bool>("--force", "-f") { Description = "Overwrite an experiment of the same name." };
        var include = new Option<string[]>("--include-untracked", "-I")
        {
            Description = "A file or folder that .gitignore names, to save in the experiment too (repeatable).",
        };
        var command = new Command(
            "save",
            "Record the workspace as an experiment without running anything (manual edits, notebooks)."
        )
        {
            targets,
            name,
            message,
            force,
            include,
        };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var saved = await new ExperimentExecution(
                    project,
                    new RunEventsWriter(output, summarize: false, Verbosity.Normal, live: false)
                )
                    .SaveAsync(
                        new ExperimentSaveOptions
                        {
                            Name = result.GetValue(name),
                            Message = result.GetValue(message),
                            Overwrite = result.GetValue(force),
                            Targets = result.GetValue(targets) ?? [],
                            Include = result.GetValue(include) ?? [],
                            CommandLine = CommonOptions.CommandLine(),
                        },
                        cancellationToken
                    )
                    .ConfigureAwait(false);
                output.WriteLine($"Saved experiment '{saved.Name}' ({saved.Commit[..7]}), ref {saved.Ref}.");
                return 0;
            }
        );
        return command;
    }
}
