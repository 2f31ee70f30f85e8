using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GitExp.Core;
using GitExp.Core.Execution;
using GitExp.Core.Experiments;
using GitExp.Core.Queue;
using GitExp.Tool.Rendering;

namespace GitExp.Tool.Cli;

/// <summary>The small experiment commands: diff, apply, branch, rename, remove, list, status, init.</summary>
internal static class ExperimentCommands
{
    public static Command Diff(TextWriter output)
    {
        var a = new Argument<string?>("a")
        {
            Description = "Old side: an experiment or Git revision (default HEAD).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var b = new Argument<string?>("b")
        {
            Description = "New side: an experiment or Git revision (default the workspace).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var all = new Option<bool>("--all") { Description = "Also list params and metrics that did not change." };
        var json = CommonOptions.Json();
        var md = CommonOptions.Markdown();
        var precision = new Option<int>("--precision")
        {
            Description = "Significant digits of numbers.",
            DefaultValueFactory = _ => ValueFormat.DefaultPrecision,
        };
        var width = CommonOptions.Width();
        var transpose = CommonOptions.Transpose();
        var command = new Command("diff", "Compare the params and metrics of two experiments or revisions.")
        {
            a,
            b,
            all,
            json,
            md,
            precision,
            width,
            transpose,
        };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                CommonOptions.OneFormat(result, json, md);
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var (oldName, newName, rows) = await ExperimentDiff
                    .ComputeAsync(project, result.GetValue(a), result.GetValue(b), result.GetValue(all), cancellationToken)
                    .ConfigureAwait(false);
                if (result.GetValue(json))
                {
                    var document = new JsonObject
                    {
                        ["old"] = oldName,
                        ["new"] = newName,
                        ["params"] = DiffJson(rows, false),
                        ["metrics"] = DiffJson(rows, true),
                    };
                    JsonOutput.Write(output, document);
                    return 0;
                }

                if (rows.Count == 0)
                {
                    output.WriteLine($"No changes in params or metrics between {oldName} and {newName}.");
                    return 0;
                }

                var digits = result.GetValue(precision);
                var header = new[] { "Path", "Key", oldName, newName, "Change" };
                var cells = rows.Select(r =>
                        (IReadOnlyList<string>)
                            [
                                r.File,
                                r.Key,
                                ValueFormat.Text(r.Old, digits),
                                ValueFormat.Text(r.New, digits),
                                ValueFormat.Change(r.Change, digits),
                            ]
                    )
                    .ToList();
                if (result.GetValue(md))
                {
                    TableWriter.Markdown(output, header, cells);
                }
                else
                {
                    // Key and both values stay, then Change, then Path (decision 0028).
                    var fit = CommonOptions.Fit(
                        result,
                        width,
                        transpose,
                        output,
                        [1, 2, 3, 4, 0],
                        required: 3,
                        nameColumn: 1,
                        rowNoun: "key",
                        hint: "--width, --transpose or --json"
                    );
                    TableWriter.Console(output, header, cells, rightAlignFrom: 2, fit);
                }

                return 0;
            }
        );
        return command;
    }

    public static Command Apply(TextWriter output, TextWriter error)
    {
        var experiment = new Argument<string>("experiment")
        {
            Description = "Name, ref or commit of the experiment, or a checkpoint (name~N).",
        };
        var force = new Option<bool>("--force", "-f") { Description = "Overwrite local changes." };
        var command = new Command(
            "apply",
            "Put an experiment's files and cached outs into the workspace; HEAD stays where it is."
        )
        {
            experiment,
            force,
        };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var found = await CommonOptions
                    .ResolveExperimentOrCheckpointAsync(project, result.GetValue(experiment)!, cancellationToken)
                    .ConfigureAwait(false);
                var missing = await ExperimentApply
                    .ApplyAsync(project, found, result.GetValue(force), cancellationToken)
                    .ConfigureAwait(false);
                output.WriteLine(
                    $"Applied experiment '{found.Name}' ({found.Commit[..7]}) to the workspace. HEAD is unchanged; commit the files to keep them."
                );
                if (missing.Count > 0)
                {
                    // The Git files are applied and consistent; only the large outs are absent (pulled experiments).
                    error.WriteLine(
                        $"warning: cached outs of '{found.Name}' not in the local cache, not restored: {string.Join(", ", missing)} "
                            + "(cached outs are not pushed or pulled; reproduce them with 'dotnet exp run', or copy .exp/cache from where the experiment ran)"
                    );
                }

                return 0;
            }
        );
        return command;
    }

    public static Command Branch(TextWriter output)
    {
        var experiment = new Argument<string>("experiment")
        {
            Description = "Name, ref or commit of the experiment, or a checkpoint (name~N).",
        };
        var branch = new Argument<string?>("branch")
        {
            Description = "Name of the new branch (default <experiment>-branch).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command("branch", "Create a Git branch from an experiment.") { experiment, branch };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var found = await CommonOptions
                    .ResolveExperimentOrCheckpointAsync(project, result.GetValue(experiment)!, cancellationToken)
                    .ConfigureAwait(false);
                var name = result.GetValue(branch) ?? found.Name.Replace('~', '-') + "-branch";
                await new ExperimentStore(project.Git).BranchAsync(found, name, cancellationToken).ConfigureAwait(false);
                output.WriteLine(
                    $"Created branch '{name}' at experiment '{found.Name}' ({found.Commit[..7]}). Switch to it with: git switch {name}"
                );
                return 0;
            }
        );
        return command;
    }

    public static Command Rename(TextWriter output)
    {
        var experiment = new Argument<string>("experiment") { Description = "Name, ref or commit of the experiment." };
        var newName = new Argument<string>("new-name") { Description = "The new name." };
        var command = new Command("rename", "Rename an experiment.") { experiment, newName };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var head = await project.Git.HeadCommitAsync(cancellationToken).ConfigureAwait(false);
                var store = new ExperimentStore(project.Git);
                var found = await store.ResolveAsync(result.GetValue(experiment)!, head, cancellationToken).ConfigureAwait(false);
                var renamed = await store.RenameAsync(found, result.GetValue(newName)!, cancellationToken).ConfigureAwait(false);
                output.WriteLine($"Renamed '{found.Name}' to '{renamed.Name}'.");
                return 0;
            }
        );
        return command;
    }

    public static Command Remove(TextWriter output)
    {
        var experiments = new Argument<string[]>("experiments")
        {
            Description = "Names, refs or commits of experiments.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var rev = new Option<string[]>("--rev")
        {
            Description = "Remove every experiment of these baseline commits (with names: those names of these baselines).",
        };
        var all = new Option<bool>("--all-commits", "-A")
        {
            Description = "Remove every experiment of every commit (with names: those names of every baseline).",
        };
        var keep = new Option<bool>("--keep")
        {
            Description = "Keep the named experiments and remove all others (of the current baseline, or of --rev/-A).",
        };
        var queue = new Option<bool>("--queue") { Description = "Also remove every queued (not running) experiment." };
        var command = new Command("remove", "Remove experiments (their refs; Git collects the commits later).")
        {
            queue,
            experiments,
            rev,
            all,
            keep,
        };
        command.Aliases.Add("rm");
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var head = await project.Git.HeadCommitAsync(cancellationToken).ConfigureAwait(false);
                var store = new ExperimentStore(project.Git);
                var names = result.GetValue(experiments) ?? [];
                var revs = result.GetValue(rev) ?? [];
                var everything = await store.ListAsync(cancellationToken).ConfigureAwait(false);
                // --rev and -A set the scope; names given with them mean those names within it, never the whole scope.
                var scoped = result.GetValue(all) || revs.Length > 0;
                var scope = new List<Experiment>();
                if (result.GetValue(all))
                {
                    scope.AddRange(everything);
                }

                var baselines = new List<string>();
                foreach (var revision in revs)
                {
                    var commit =
                        await project.Git.ResolveCommitAsync(revision, cancellationToken).ConfigureAwait(false)
                        ?? throw new ExpException(ExitCode.NotFound, $"--rev '{revision}': no such commit");
                    baselines.Add(commit[..7]);
                    scope.AddRange(everything.Where(e => e.Baseline == commit));
                }

                var scopeLabel = result.GetValue(all)
                    ? "the experiments of every baseline (-A)"
                    : $"the experiments of baseline {string.Join(", ", baselines)} (--rev)";
                var named = new List<Experiment>();
                foreach (var name in names)
                {
                    if (scoped)
                    {
                        named.AddRange(ExperimentStore.MatchInScope(scope, name, scopeLabel));
                    }
                    else
                    {
                        named.Add(await store.ResolveAsync(name, head, cancellationToken).ConfigureAwait(false));
                    }
                }

                List<Experiment> doomed;
                if (result.GetValue(keep))
                {
                    if (names.Length == 0)
                    {
                        throw new ExpException(ExitCode.Usage, "--keep needs the experiments to keep");
                    }

                    var inScope = scoped ? scope : everything.Where(e => e.Baseline == head).ToList();
                    doomed = inScope.Where(e => !named.Any(n => n.Ref == e.Ref)).ToList();
                }
                else
                {
                    if (names.Length == 0 && !scoped && !result.GetValue(queue))
                    {
                        throw new ExpException(
                            ExitCode.Usage,
                            "name the experiments to remove, or use --rev, --all-commits, --keep or --queue"
                        );
                    }

                    doomed = names.Length > 0 ? named : scope;
                }

                doomed = doomed.DistinctBy(e => e.Ref).ToList();
                await store.RemoveAsync(doomed, cancellationToken).ConfigureAwait(false);
                if (result.GetValue(queue))
                {
                    var experimentQueue = new ExperimentQueue(project);
                    var queued = (await experimentQueue.ListAsync(cancellationToken).ConfigureAwait(false))
                        .Where(i => i.Status == QueueStatus.Queued)
                        .ToList();
                    await experimentQueue.RemoveAsync(queued, cancellationToken).ConfigureAwait(false);
                    output.WriteLine($"Removed {queued.Count} queued experiment(s).");
                }

                output.WriteLine(
                    doomed.Count == 0
                        ? "No experiments to remove."
                        : $"Removed {doomed.Count} experiment(s): {string.Join(", ", doomed.Select(e => e.Name))}."
                );
                return 0;
            }
        );
        return command;
    }

    public static Command List(TextWriter output)
    {
        var remote = new Argument<string?>("remote")
        {
            Description = "List the experiments of this Git remote (name or URL) instead of the local ones.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var nameOnly = new Option<bool>("--name-only") { Description = "Print only the names, one per line." };
        var allCommits = new Option<bool>("--all-commits", "-A")
        {
            Description = "List experiments of every commit, not only HEAD.",
        };
        var json = CommonOptions.Json();
        var command = new Command("list", "List experiments (local, or of a Git remote), grouped by baseline commit.")
        {
            remote,
            nameOnly,
            allCommits,
            json,
        };
        command.Aliases.Add("ls");
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var head = await project.Git.HeadCommitAsync(cancellationToken).ConfigureAwait(false);
                // A remote's refs carry no commit dates (ls-remote reads no objects): its names are listed in name order.
                var experiments = (
                    result.GetValue(remote) is { } remoteName
                        ? (await new ExperimentRemote(project.Git, remoteName).ListAsync(cancellationToken).ConfigureAwait(false))
                            .OrderBy(e => e.Name, StringComparer.Ordinal)
                            .Cast<IExperimentRef>()
                        : (await new ExperimentStore(project.Git).ListAsync(cancellationToken).ConfigureAwait(false)).OrderBy(e =>
                            e.Created
                        )
                )
                    .Where(e => result.GetValue(allCommits) || e.Baseline == head)
                    .OrderBy(e => e.Baseline, StringComparer.Ordinal)
                    .ToList();
                if (result.GetValue(json))
                {
                    var array = new JsonArray(
                        experiments
                            .Select(e =>
                                (JsonNode)
                                    new JsonObject
                                    {
                                        ["name"] = e.Name,
                                        ["rev"] = e.Commit,
                                        ["baseline"] = e.Baseline,
                                        ["ref"] = e.Ref,
                                    }
                            )
                            .ToArray()
                    );
                    JsonOutput.Write(output, array);
                    return 0;
                }

                foreach (var group in experiments.GroupBy(e => e.Baseline))
                {
                    if (!result.GetValue(nameOnly))
                    {
                        output.WriteLine(group.Key[..7] + ":");
                    }

                    foreach (var experiment in group)
                    {
                        output.WriteLine(result.GetValue(nameOnly) ? experiment.Name : "\t" + experiment.Name);
                    }
                }

                return 0;
            }
        );
        return command;
    }

    public static Command Status(TextWriter output)
    {
        var targets = new Argument<string[]>("targets")
        {
            Description = "Stages or pipeline files (default: the exp.yaml, else dvc.yaml, here or at the root).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var allPipelines = new Option<bool>("--all-pipelines")
        {
            Description = "Check every pipeline file (exp.yaml, dvc.yaml) in the repository.",
        };
        var json = CommonOptions.Json();
        var command = new Command("status", "List the stages that changed since they last ran, and why.")
        {
            targets,
            allPipelines,
            json,
        };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                // On a terminal, files that must be read to be hashed show as a line that updates until they are.
                IRunEvents events =
                    output == Console.Out && !Console.IsOutputRedirected && !result.GetValue(json)
                        ? new RunEventsWriter(output, summarize: false, Verbosity.Normal, live: true)
                        : SilentRunEvents.Instance;
                var statuses = await new PipelineRunner(project, events)
                    .StatusAsync(
                        new PipelineRunOptions
                        {
                            Targets = result.GetValue(targets) ?? [],
                            AllPipelines = result.GetValue(allPipelines),
                        },
                        cancellationToken
                    )
                    .ConfigureAwait(false);
                var changed = statuses.Where(s => s.Changed).ToList();
                if (result.GetValue(json))
                {
                    var document = new JsonObject();
                    foreach (var status in changed)
                    {
                        document[status.Stage.Address] = new JsonArray(
                            status.Reasons.Select(r => (JsonNode)JsonValue.Create(r)).ToArray()
                        );
                    }

                    JsonOutput.Write(output, document);
                    return 0;
                }

                if (changed.Count == 0)
                {
                    output.WriteLine("Everything is up to date.");
                }

                foreach (var status in changed)
                {
                    output.WriteLine(status.Stage.Address + ":");
                    foreach (var reason in status.Reasons)
                    {
                        output.WriteLine("\t" + reason);
                    }
                }

                return 0;
            }
        );
        return command;
    }

    public static Command Init(TextWriter output)
    {
        var command = new Command("init", "Set up GitExp in this Git repository (.exp/ and its ignore files).");
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                project.EnsureInitialized();
                var wroteConfig = project.WriteDefaultConfig();
                output.WriteLine(
                    wroteConfig
                        ? "Initialized GitExp in .exp/ (commit .exp/config.yaml and .exp/.gitignore)."
                        : "GitExp is already initialized here."
                );
                return 0;
            }
        );
        return command;
    }

    private static JsonObject DiffJson(IEnumerable<DiffRow> rows, bool metrics)
    {
        var files = new JsonObject();
        foreach (var row in rows.Where(r => r.IsMetric == metrics))
        {
            if (files[row.File] is not JsonObject values)
            {
                values = new JsonObject();
                files[row.File] = values;
            }

            values[row.Key] = new JsonObject
            {
                ["old"] = row.Old?.DeepClone(),
                ["new"] = row.New?.DeepClone(),
                // Rounded to 15 digits: a difference of doubles carries binary noise (0.15000000000000002).
                ["diff"] = row.Change is { } change
                    ? double.Parse(change.ToString("G15", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)
                    : null,
            };
        }

        return files;
    }
}
