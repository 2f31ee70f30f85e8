using System.CommandLine;
using GitExp.Core;
using GitExp.Core.Execution;
using GitExp.Core.Experiments;
using GitExp.Core.Pipeline;
using GitExp.Core.Queue;
using GitExp.Tool.Rendering;

namespace GitExp.Tool.Cli;

/// <summary><c>dotnet exp run</c>: run the pipeline and record the result as an experiment.</summary>
internal static class RunCommand
{
    public static Command Create(TextWriter output)
    {
        var targets = new Argument<string[]>("targets")
        {
            Description =
                "Stages to run: a stage name, a pipeline file, or file:stage. Default: the exp.yaml, else dvc.yaml, here or at the root.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var name = new Option<string?>("--name", "-n")
        {
            Description = "Name of the experiment (default: a generated adjective-noun).",
        };
        var message = new Option<string?>("--message", "-m") { Description = "Commit message of the experiment." };
        var setParams = new Option<string[]>("--set-param", "-S")
        {
            Description =
                "Set a param before running, in Hydra's override grammar: [file:]key=value, +key=value adds, ++key=value adds or changes, ~key deletes; with --queue, key=1,2, choice(...) and range(...) sweep (repeatable).",
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
        var allPipelines = new Option<bool>("--all-pipelines")
        {
            Description = "Run every pipeline file (exp.yaml, dvc.yaml) in the repository.",
        };
        var queue = new Option<bool>("--queue")
        {
            Description = "Queue the experiment (a snapshot of the workspace) instead of running it; -S lists make a sweep.",
        };
        var runAll = new Option<bool>("--run-all") { Description = "Run every queued experiment and return when they are done." };
        var jobs = QueueCommands.JobsOption();
        var temp = new Option<bool>("--temp")
        {
            Description = "Run in the background in an isolated workspace under .exptmp/ and return at once.",
        };
        var executor = new ExecutorOptions();
        var wait = new Option<bool>("--wait") { Description = "With --temp: stay attached until the run ends." };
        var copyPaths = new Option<string[]>("--copy-paths", "-C")
        {
            Description = "With --queue/--temp: ignored files or folders to copy into the isolated workspace (repeatable).",
        };
        var rev = new Option<string?>("--rev")
        {
            Description = "Continue from a checkpoint: a commit id, an experiment (its last checkpoint) or name~N.",
        };
        var reset = new Option<bool>("--reset") { Description = "Discard the checkpoint outs and start the experiment over." };
        var sweepLimit = new Option<int>("--sweep-limit")
        {
            Description = "The most experiments one sweep may queue.",
            DefaultValueFactory = _ => ParamEdits.DefaultSweepLimit,
        };
        var downstream = new Option<bool>("--downstream")
        {
            Description = "Run the targets and every stage after them, not the stages before.",
        };
        var wholePipeline = new Option<bool>("--pipeline", "-p") { Description = "Run the whole pipeline of each target." };
        var recursive = new Option<bool>("--recursive", "-R")
        {
            Description = "A target that is a folder means every pipeline file under it.",
        };
        var allowMissing = new Option<bool>("--allow-missing")
        {
            Description = "Skip stages whose only change is data missing from the workspace that their lock records.",
        };
        var keepGoing = new Option<bool>("--keep-going", "-k")
        {
            Description = "After a failed stage, run the stages that do not depend on it; the run still fails.",
        };
        var ignoreErrors = new Option<bool>("--ignore-errors")
        {
            Description = "As --keep-going, and record the experiment anyway: failures are reported, not raised.",
        };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only errors." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print every step, one line per checkpoint." };
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
            queue,
            runAll,
            jobs,
            temp,
            wait,
            copyPaths,
            rev,
            reset,
            sweepLimit,
            downstream,
            wholePipeline,
            recursive,
            allowMissing,
            keepGoing,
            ignoreErrors,
            quiet,
            verbose,
        };
        executor.AddTo(command);
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var queueing = result.GetValue(queue) || result.GetValue(temp);
                CheckCombinations(result, reset, rev, queueing, copyPaths, wait, temp, jobs, runAll);
                // The config's executor is for runs of the queue; a flag on any other run is a mistake.
                var runsQueue = result.GetValue(temp) || result.GetValue(runAll);
                if (!runsQueue && executor.Given(result) is { } flag)
                {
                    throw new ExpException(ExitCode.Usage, $"{flag} applies to --run-all and --temp");
                }

                var slurm = runsQueue ? executor.Resolve(result, project, jobs) : null;
                if (result.GetValue(quiet) && result.GetValue(verbose))
                {
                    throw new ExpException(ExitCode.Usage, "--quiet and --verbose cannot be used together: choose one");
                }

                if (result.GetValue(keepGoing) && result.GetValue(ignoreErrors))
                {
                    throw new ExpException(
                        ExitCode.Usage,
                        "--keep-going and --ignore-errors cannot be used together: choose one"
                    );
                }

                foreach (var option in new[] { downstream, wholePipeline, recursive, allowMissing, keepGoing, ignoreErrors })
                {
                    if (result.GetValue(option) && (queueing || result.GetValue(runAll)))
                    {
                        throw new ExpException(
                            ExitCode.Usage,
                            $"{option.Name} applies to a run in the workspace: it cannot be used with --queue, --temp or --run-all"
                        );
                    }
                }

                var verbosity =
                    result.GetValue(quiet) ? Verbosity.Quiet
                    : result.GetValue(verbose) ? Verbosity.Verbose
                    : Verbosity.Normal;
                var setParamValues = (result.GetValue(setParams) ?? []).SelectMany(ParamAssignment.ParseArgument).ToList();
                if (queueing)
                {
                    var entries = await new ExperimentQueue(project)
                        .EnqueueAsync(
                            new QueueRequest
                            {
                                SetParams = setParamValues,
                                Name = result.GetValue(name),
                                CopyPaths = result.GetValue(copyPaths) ?? [],
                                Targets = result.GetValue(targets) ?? [],
                                SweepLimit = result.GetValue(sweepLimit),
                                Rev = result.GetValue(rev),
                                CommandLine = CommonOptions.CommandLine(),
                                Message = result.GetValue(message),
                            },
                            cancellationToken
                        )
                        .ConfigureAwait(false);
                    foreach (var entry in entries.Where(_ => verbosity != Verbosity.Quiet))
                    {
                        output.WriteLine($"Queued experiment '{entry.Name}' with id {entry.Id}.");
                    }

                    if (result.GetValue(temp))
                    {
                        return await QueueCommands
                            .RunTempAsync(project, entries, result.GetValue(wait), output, cancellationToken, verbosity, slurm)
                            .ConfigureAwait(false);
                    }

                    if (!result.GetValue(runAll))
                    {
                        if (verbosity == Verbosity.Quiet)
                        {
                            return 0;
                        }

                        output.WriteLine(
                            "Run them with 'dotnet exp run --run-all [-j N]', or in the background with 'dotnet exp queue start'."
                        );
                        return 0;
                    }
                }

                if (result.GetValue(runAll))
                {
                    return await QueueCommands
                        .RunAllAsync(project, result.GetValue(jobs), output, cancellationToken, verbosity, slurm)
                        .ConfigureAwait(false);
                }

                var isInteractive = result.GetValue(interactive);
                var options = new ExperimentRunOptions
                {
                    Name = result.GetValue(name),
                    Message = result.GetValue(message),
                    SetParams = setParamValues,
                    Overwrite = result.GetValue(force),
                    Rev = result.GetValue(rev),
                    Reset = result.GetValue(reset),
                    CommandLine = CommonOptions.CommandLine(),
                    Pipeline = new PipelineRunOptions
                    {
                        Targets = result.GetValue(targets) ?? [],
                        AllPipelines = result.GetValue(allPipelines),
                        Force = result.GetValue(force),
                        SingleStage = result.GetValue(single),
                        Downstream = result.GetValue(downstream),
                        WholePipeline = result.GetValue(wholePipeline),
                        Recursive = result.GetValue(recursive),
                        AllowMissing = result.GetValue(allowMissing),
                        OnError =
                            result.GetValue(keepGoing) ? OnStageError.KeepGoing
                            : result.GetValue(ignoreErrors) ? OnStageError.Ignore
                            : OnStageError.Stop,
                        Dry = result.GetValue(dry),
                        Confirm = isInteractive ? (stage, reasons) => Ask(output, stage, reasons) : null,
                    },
                };
                var live = output == Console.Out && !Console.IsOutputRedirected;
                var run = await new ExperimentExecution(project, new RunEventsWriter(output, summarize: true, verbosity, live))
                    .RunAsync(options, cancellationToken)
                    .ConfigureAwait(false);
                if (run.Recorded is null && !options.Pipeline.Dry && verbosity != Verbosity.Quiet)
                {
                    output.WriteLine($"No experiment recorded: {run.NotRecordedReason}.");
                }

                return (int)ExitCode.Success;
            }
        );
        return command;
    }

    private static void CheckCombinations(
        ParseResult result,
        Option<bool> reset,
        Option<string?> rev,
        bool queueing,
        Option<string[]> copyPaths,
        Option<bool> wait,
        Option<bool> temp,
        Option<int> jobs,
        Option<bool> runAll
    )
    {
        if (!queueing && (result.GetValue(copyPaths) ?? []).Length > 0)
        {
            throw new ExpException(ExitCode.Usage, "--copy-paths only applies to isolated runs: add --queue or --temp");
        }

        if (result.GetValue(reset) && result.GetValue(rev) is not null)
        {
            throw new ExpException(
                ExitCode.Usage,
                "--reset and --rev cannot be used together: start over, or continue from a checkpoint"
            );
        }

        if (result.GetValue(wait) && !result.GetValue(temp))
        {
            throw new ExpException(ExitCode.Usage, "--wait only applies to --temp");
        }

        if (result.GetResult(jobs) is { Implicit: false } && !result.GetValue(runAll))
        {
            throw new ExpException(ExitCode.Usage, "--jobs only applies to --run-all (or 'dotnet exp queue start')");
        }
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
