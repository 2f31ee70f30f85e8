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
    public static Command Diff(TextWriter output) =>
        DiffCommand(output, "diff", "Compare the params and metrics of two experiments or revisions.", only: null);

    /// <summary>
    /// <c>exp diff</c>, and <c>params diff</c> / <c>metrics diff</c> (<paramref name="only"/>: params or metrics only,
    /// with <c>--targets</c> to choose files), one diff with one rendering.
    /// </summary>
    internal static Command DiffCommand(TextWriter output, string name, string description, bool? only)
    {
        var noun = only switch
        {
            true => "metrics",
            false => "params",
            null => "params or metrics",
        };
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
        var all = new Option<bool>("--all") { Description = $"Also list {noun} that did not change." };
        var targets = CommonOptions.TargetFiles(noun);
        var json = CommonOptions.Json();
        var md = CommonOptions.Markdown();
        var precision = CommonOptions.Precision();
        var width = CommonOptions.Width();
        var transpose = CommonOptions.Transpose();
        // DVC: exp diff --param-deps, params diff --deps; metrics diff has neither.
        var paramDeps = new Option<bool>(only is null ? "--param-deps" : "--deps")
        {
            Description = "Only the params some stage depends on.",
        };
        var command = new Command(name, description) { a, b, all, json, md, precision, width, transpose };
        if (only is not null)
        {
            command.Options.Add(targets);
        }

        if (only is not true)
        {
            command.Options.Add(paramDeps);
        }

        command.SetAction(
            async (result, cancellationToken) =>
            {
                CommonOptions.OneFormat(result, json, md);
                var digits = CommonOptions.CheckPrecision(result.GetValue(precision));
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var (oldName, newName, computed) = await ExperimentDiff
                    .ComputeAsync(
                        project,
                        result.GetValue(a),
                        result.GetValue(b),
                        result.GetValue(all),
                        only is not true && result.GetValue(paramDeps),
                        cancellationToken,
                        CommonOptions.Warn
                    )
                    .ConfigureAwait(false);
                var files = CommonOptions.RepoPaths(project, only is null ? [] : result.GetValue(targets) ?? []);
                var rows = computed
                    .Where(r => only is null || r.IsMetric == only)
                    .Where(r => files.Count == 0 || files.Contains(r.File))
                    .ToList();
                if (result.GetValue(json))
                {
                    JsonOutput.Write(
                        output,
                        only is { } metrics
                            ? DiffJson(rows, metrics)
                            : new JsonObject
                            {
                                ["old"] = oldName,
                                ["new"] = newName,
                                ["params"] = DiffJson(rows, false),
                                ["metrics"] = DiffJson(rows, true),
                            }
                    );
                    return 0;
                }

                if (rows.Count == 0)
                {
                    output.WriteLine($"No changes in {noun} between {oldName} and {newName}.");
                    return 0;
                }

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
            Description =
                "Name, ref or commit of the experiment, a queued or failed queue entry (name or id), or a checkpoint (name~N).",
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
                var found = await ExperimentTargets
                    .ResolveAsync(project, result.GetValue(experiment)!, includeQueueEntries: true, cancellationToken)
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
                            + "(fetch them from a cache remote with 'dotnet exp pull <git-remote> <experiment>' or 'dotnet exp cache pull', reproduce them with 'dotnet exp run', or copy .exp/cache from where the experiment ran)"
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
                var found = await ExperimentTargets
                    .ResolveAsync(project, result.GetValue(experiment)!, includeQueueEntries: false, cancellationToken)
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
        var force = new Option<bool>("--force", "-f") { Description = "Replace an experiment that already has the new name." };
        var command = new Command("rename", "Rename an experiment.") { experiment, newName, force };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var head = await project.Git.HeadCommitAsync(cancellationToken).ConfigureAwait(false);
                var store = new ExperimentStore(project.Git);
                var found = await store.ResolveAsync(result.GetValue(experiment)!, head, cancellationToken).ConfigureAwait(false);
                var renamed = await store
                    .RenameAsync(found, result.GetValue(newName)!, result.GetValue(force), cancellationToken)
                    .ConfigureAwait(false);
                output.WriteLine(
                    renamed.Name == found.Name
                        ? $"Experiment '{found.Name}' already has that name: nothing to do."
                        : $"Renamed '{found.Name}' to '{renamed.Name}'."
                );
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
        var num = new Option<int>("--num", "-n")
        {
            Description =
                "With --rev: each rev and its first-parent ancestors, this many commits in all (negative: all of them).",
            DefaultValueFactory = _ => 1,
        };
        var gitRemote = new Option<string?>("--git-remote", "-g")
        {
            Description = "Remove the experiments of this Git remote (name or URL) instead of the local ones.",
        };
        var command = new Command("remove", "Remove experiments and queue entries (their refs; Git collects the commits later).")
        {
            queue,
            experiments,
            rev,
            all,
            keep,
            num,
            gitRemote,
        };
        command.Aliases.Add("rm");
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var removed = await new ExperimentRemoval(project)
                    .RemoveAsync(
                        new RemoveRequest
                        {
                            Names = result.GetValue(experiments) ?? [],
                            Revs = result.GetValue(rev) ?? [],
                            Num = result.GetValue(num),
                            AllCommits = result.GetValue(all),
                            Keep = result.GetValue(keep),
                            Queue = result.GetValue(queue),
                            GitRemote = result.GetValue(gitRemote),
                        },
                        cancellationToken
                    )
                    .ConfigureAwait(false);
                if (removed.QueueEntries.Count > 0 || result.GetValue(queue))
                {
                    output.WriteLine(
                        $"Removed {removed.QueueEntries.Count} queue entr{(removed.QueueEntries.Count == 1 ? "y" : "ies")}{(removed.QueueEntries.Count > 0 ? ": " + string.Join(", ", removed.QueueEntries.Select(e => $"{e.Name} ({e.Id})")) : "")}."
                    );
                }

                var where = result.GetValue(gitRemote) is { } remote ? $" from '{remote}'" : "";
                if (removed.Experiments.Count > 0 || removed.QueueEntries.Count == 0)
                {
                    output.WriteLine(
                        removed.Experiments.Count == 0
                            ? $"No experiments to remove{where}."
                            : $"Removed {removed.Experiments.Count} experiment(s){where}: {string.Join(", ", removed.Experiments.Select(e => e.Name))}."
                    );
                }

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
        var nameOnly = new Option<bool>("--name-only", "--names-only") { Description = "Print only the names, one per line." };
        var shaOnly = new Option<bool>("--sha-only", "--shas-only")
        {
            Description = "Print only the experiments' commit ids, one per line.",
        };
        var allCommits = new Option<bool>("--all-commits", "-A")
        {
            Description = "List experiments of every commit, not only HEAD.",
        };
        var rev = new Option<string[]>("--rev")
        {
            Description = "List the experiments of these baseline commits (default HEAD).",
        };
        var num = new Option<int>("--num", "-n")
        {
            Description =
                "Also the experiments of the first-parent ancestors of each rev: this many commits in all (negative: all of them).",
            DefaultValueFactory = _ => 1,
        };
        var json = CommonOptions.Json();
        var command = new Command("list", "List experiments (local, or of a Git remote), grouped by baseline commit.")
        {
            remote,
            nameOnly,
            shaOnly,
            allCommits,
            rev,
            num,
            json,
        };
        command.Aliases.Add("ls");
        command.SetAction(
            async (result, cancellationToken) =>
            {
                CommonOptions.OneFormat(result, nameOnly, shaOnly, json);
                ExperimentRemoval.CheckNum(result.GetValue(num));

                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var git = project.Git;
                var revs = result.GetValue(rev) is { Length: > 0 } given ? given : ["HEAD"];
                var baselines = await ExperimentRemoval
                    .BaselinesAsync(git, revs, result.GetValue(num), cancellationToken)
                    .ConfigureAwait(false);
                // A remote's refs carry no commit dates (ls-remote reads no objects): its names are listed in name order.
                var experiments = (
                    result.GetValue(remote) is { } remoteName
                        ? (await new ExperimentRemote(git, remoteName).ListAsync(cancellationToken).ConfigureAwait(false))
                            .OrderBy(e => e.Name, StringComparer.Ordinal)
                            .Cast<IExperimentRef>()
                        : (await new ExperimentStore(git).ListAsync(cancellationToken).ConfigureAwait(false)).OrderBy(e =>
                            e.Created
                        )
                )
                    .Where(e => result.GetValue(allCommits) || baselines.Contains(e.Baseline))
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
                    if (result.GetValue(nameOnly) || result.GetValue(shaOnly))
                    {
                        foreach (var experiment in group)
                        {
                            output.WriteLine(result.GetValue(nameOnly) ? experiment.Name : experiment.Commit);
                        }

                        continue;
                    }

                    // As DVC prints it: the baseline by branch or tag name where one points at it, then "sha [name]".
                    var label = await git.DescribeAsync(group.Key, cancellationToken).ConfigureAwait(false) ?? group.Key[..7];
                    output.WriteLine(label + ":");
                    foreach (var experiment in group)
                    {
                        output.WriteLine($"\t{experiment.Commit[..7]} [{experiment.Name}]");
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

    internal static JsonObject DiffJson(IEnumerable<DiffRow> rows, bool metrics)
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
