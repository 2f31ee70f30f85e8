using System.CommandLine;
using GitExp.Core;
using GitExp.Core.Execution;
using GitExp.Core.Experiments;
using GitExp.Core.Pipeline;

namespace GitExp.Tool.Cli;

/// <summary><c>dotnet exp run</c>: run the pipeline and record the result as an experiment.</summary>
internal static class RunCommand
{
    public static Command Create(TextWriter output)
    {
        var targets = new Argument<string[]>("targets")
        {
            Description =
                "Stages to run: a stage name, a pipeline file, or file:stage. Default: the exp.yaml here or at the root.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var name = new Option<string?>("--name", "-n")
        {
            Description = "Name of the experiment (default: a generated adjective-noun).",
        };
        var message = new Option<string?>("--message", "-m") { Description = "Commit message of the experiment." };
        var setParams = new Option<string[]>("--set-param", "-S")
        {
            Description = "Set a param before running: [file:]key=value (repeatable; +key=value adds a new key).",
            AllowMultipleArgumentsPerToken = false,
        };
        var force = new Option<bool>("--force", "-f")
        {
            Description = "Run every selected stage even if unchanged, and overwrite an experiment of the same name.",
        };
        var single = new Option<bool>("--single-stage", "-s")
        {
            Description = "Run only the targets, not the stages they depend on.",
        };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Ask before running each stage." };
        var dry = new Option<bool>("--dry")
        {
            Description = "Print the stages that would run and their commands; change nothing.",
        };
        var allPipelines = new Option<bool>("--all-pipelines") { Description = "Run every exp.yaml in the repository." };
        var command = new Command("run", "Run the pipeline and record the result as an experiment (a commit under refs/exps).")
        {
            targets,
            name,
            message,
            setParams,
            force,
            single,
            interactive,
            dry,
            allPipelines,
        };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var isInteractive = result.GetValue(interactive);
                var options = new ExperimentRunOptions
                {
                    Name = result.GetValue(name),
                    Message = result.GetValue(message),
                    SetParams = (result.GetValue(setParams) ?? []).Select(ParamAssignment.Parse).ToList(),
                    Overwrite = result.GetValue(force),
                    Pipeline = new PipelineRunOptions
                    {
                        Targets = result.GetValue(targets) ?? [],
                        AllPipelines = result.GetValue(allPipelines),
                        Force = result.GetValue(force),
                        SingleStage = result.GetValue(single),
                        Dry = result.GetValue(dry),
                        Confirm = isInteractive ? (stage, reasons) => Ask(output, stage, reasons) : null,
                    },
                };
                var run = await new ExperimentRunner(project, output).RunAsync(options, cancellationToken).ConfigureAwait(false);
                if (run.Recorded is { } experiment)
                {
                    output.WriteLine();
                    output.WriteLine($"Ran experiment '{experiment.Name}' ({experiment.Commit[..7]}), ref {experiment.Ref}.");
                    output.WriteLine($"  Compare:  dotnet exp show   |   Keep it:  dotnet exp branch {experiment.Name} <branch>");
                }
                else if (!options.Pipeline.Dry)
                {
                    output.WriteLine($"No experiment recorded: {run.NotRecordedReason}.");
                }

                return (int)ExitCode.Success;
            }
        );
        return command;
    }

    private static bool Ask(TextWriter output, Stage stage, IReadOnlyList<string> reasons)
    {
        output.Write($"Run stage '{stage.Address}' ({string.Join("; ", reasons)})? [y/n] ");
        output.Flush();
        var answer = Console.In.ReadLine();
        if (answer is null)
        {
            throw new ExpException(ExitCode.Usage, "--interactive needs an answer on standard input, which is closed");
        }

        return answer.Trim().StartsWith('y') || answer.Trim().StartsWith('Y');
    }
}
