using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using GitExp.Core;
using GitExp.Core.Project;
using GitExp.Core.Queue;
using GitExp.Tool.Rendering;

namespace GitExp.Tool.Cli;

/// <summary><c>dotnet exp queue ...</c> and the queue side of <c>exp run</c> (--run-all, --temp).</summary>
internal static class QueueCommands
{
    public static Option<int> JobsOption()
    {
        var jobs = new Option<int>("--jobs", "-j")
        {
            Description = "How many experiments run at once.",
            DefaultValueFactory = _ => 1,
        };
        jobs.Validators.Add(result =>
        {
            // A value that is not a number is the parser's own error; reading it here would throw.
            if (result.Tokens.Count == 0)
            {
                return;
            }

            if (
                int.TryParse(result.Tokens[^1].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
                && value < 1
            )
            {
                result.AddError($"--jobs {value}: expected at least 1 parallel job");
            }
        });
        return jobs;
    }

    public static async Task<int> RunAllAsync(
        ExpProject project,
        int jobs,
        TextWriter output,
        CancellationToken cancellationToken,
        Verbosity verbosity = Verbosity.Normal,
        SlurmOptions? slurm = null
    )
    {
        var queue = new ExperimentQueue(project);
        var queued = await queue.ListQueuedAsync(cancellationToken).ConfigureAwait(false);
        if (queued.Count == 0)
        {
            // Nothing to do is not a failure (as in DVC): a script may run the queue whether or not it filled it.
            if (verbosity != Verbosity.Quiet)
            {
                output.WriteLine("Nothing to run: the queue is empty (queue experiments with 'dotnet exp run --queue').");
            }

            return 0;
        }

        project.EnsureInitialized();
        File.Delete(queue.StopPath);
        if (slurm is not null)
        {
            var submitted = await SubmitAsync(project, queued, slurm, output, verbosity, cancellationToken).ConfigureAwait(false);
            return await WaitForSlurmAsync(project, submitted, output, verbosity, cancellationToken).ConfigureAwait(false);
        }

        var results = await new QueueRunner(project, new QueueEventsWriter(output, project.Root, queued.Count, verbosity))
            .RunAsync(jobs, null, cancellationToken)
            .ConfigureAwait(false);
        return Summarize(results, output, verbosity);
    }

    /// <summary>Hands the entries to Slurm as one job array and says so; returns the ids submitted.</summary>
    private static async Task<IReadOnlyList<string>> SubmitAsync(
        ExpProject project,
        IReadOnlyList<QueueEntry> entries,
        SlurmOptions slurm,
        TextWriter output,
        Verbosity verbosity,
        CancellationToken cancellationToken
    )
    {
        var (arrayId, submitted) = await new SlurmExecutor(project)
            .SubmitAsync(entries, slurm, slurm.Tool!, cancellationToken)
            .ConfigureAwait(false);
        if (verbosity != Verbosity.Quiet)
        {
            output.WriteLine(
                arrayId is null
                    ? "Nothing to submit: every queued experiment is running or waiting in Slurm already."
                    : $"Submitted {submitted.Count} experiment(s) to Slurm as job array {arrayId} (at most {slurm.Jobs} at once)."
            );
        }

        return submitted.Select(e => e.Id).ToList();
    }

    /// <summary>
    /// Waits until Slurm's jobs of these entries have ended, reading the queue (which settles what Slurm ended) once a
    /// second; the submitting process runs nothing of the experiments itself.
    /// </summary>
    private static async Task<int> WaitForSlurmAsync(
        ExpProject project,
        IReadOnlyList<string> ids,
        TextWriter output,
        Verbosity verbosity,
        CancellationToken cancellationToken
    )
    {
        var queue = new ExperimentQueue(project);
        var waiting = ids.ToHashSet(StringComparer.Ordinal);
        var results = new List<QueueResult>();
        while (waiting.Count > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            foreach (var item in await queue.ListAsync(cancellationToken).ConfigureAwait(false))
            {
                if (
                    item.Status is QueueStatus.Failed or QueueStatus.Success
                    && item.Result is { } result
                    && waiting.Remove(item.Entry.Id)
                )
                {
                    results.Add(result);
                    if (verbosity != Verbosity.Quiet)
                    {
                        output.WriteLine(
                            result.Status == QueueStatus.Success
                                ? $"'{result.Name}' ({result.Id}) succeeded in Slurm job {item.Slurm?.JobId}."
                                : $"'{result.Name}' ({result.Id}) failed in Slurm job {item.Slurm?.JobId}: {result.Message}"
                        );
                    }
                }
            }
        }

        return Summarize(results, output, verbosity);
    }

    public static async Task<int> RunTempAsync(
        ExpProject project,
        IReadOnlyList<QueueEntry> entries,
        bool wait,
        TextWriter output,
        CancellationToken cancellationToken,
        Verbosity verbosity = Verbosity.Normal,
        SlurmOptions? slurm = null
    )
    {
        var ids = entries.Select(e => e.Id).ToList();
        if (slurm is not null)
        {
            File.Delete(new ExperimentQueue(project).StopPath);
            var submitted = await SubmitAsync(project, entries, slurm, output, verbosity, cancellationToken)
                .ConfigureAwait(false);
            if (wait)
            {
                return await WaitForSlurmAsync(project, submitted, output, verbosity, cancellationToken).ConfigureAwait(false);
            }

            foreach (var id in ids.Where(_ => verbosity != Verbosity.Quiet))
            {
                output.WriteLine($"Follow {id} with: dotnet exp queue logs {id} -f");
            }

            return 0;
        }

        if (wait)
        {
            // Like 'queue start' and --run-all: starting work ends an earlier stop request, which would
            // otherwise make the worker return at once and leave the entries queued.
            File.Delete(new ExperimentQueue(project).StopPath);
            var results = await new QueueRunner(project, new QueueEventsWriter(output, project.Root, ids.Count, verbosity))
                .RunAsync(1, ids.ToHashSet(StringComparer.Ordinal), cancellationToken)
                .ConfigureAwait(false);
            return Summarize(results, output, verbosity);
        }

        StartInBackground(project, ids);
        foreach (var id in ids.Where(_ => verbosity != Verbosity.Quiet))
        {
            output.WriteLine($"Started {id} in the background; follow it with: dotnet exp queue logs {id} -f");
        }

        return 0;
    }

    /// <summary>
    /// Starts a detached worker (<c>queue worker --only</c>) that runs these queued entries, each in its own
    /// isolated workspace, and outlives the caller: what <c>run --temp</c> and the web UI's "start now" do.
    /// </summary>
    /// <returns>The worker's process id.</returns>
    public static int StartInBackground(ExpProject project, IReadOnlyList<string> ids)
    {
        // Starting work ends an earlier stop request, which would otherwise make the worker return at once
        // and leave the entries queued.
        File.Delete(new ExperimentQueue(project).StopPath);
        return SelfLauncher.StartDetached(
            ["queue", "worker", "--only", .. ids],
            project.Root,
            Path.Combine(project.QueueDirectory, "workers.log")
        );
    }

    public static Command Create(TextWriter output)
    {
        var command = new Command("queue", "Manage queued experiments and background workers.");
        command.Subcommands.Add(Start(output));
        command.Subcommands.Add(Stop(output));
        command.Subcommands.Add(Status(output));
        command.Subcommands.Add(Logs(output));
        command.Subcommands.Add(Kill(output));
        command.Subcommands.Add(Remove(output));
        command.Subcommands.Add(Worker(output));
        return command;
    }

    private static Command Start(TextWriter output)
    {
        var jobs = JobsOption();
        var executor = new ExecutorOptions();
        var command = new Command(
            "start",
            "Start background workers that run the queue (or submit it to Slurm with --executor slurm), and return at once."
        )
        {
            jobs,
        };
        executor.AddTo(command);
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var slurm = executor.Resolve(result, project, jobs);
                project.EnsureInitialized();
                var queue = new ExperimentQueue(project);
                File.Delete(queue.StopPath);
                if (slurm is not null)
                {
                    var queued = await queue.ListQueuedAsync(cancellationToken).ConfigureAwait(false);
                    if (queued.Count == 0)
                    {
                        output.WriteLine(
                            "Nothing to submit: the queue is empty (queue experiments with 'dotnet exp run --queue')."
                        );
                        return 0;
                    }

                    await SubmitAsync(project, queued, slurm, output, Verbosity.Normal, cancellationToken).ConfigureAwait(false);
                    output.WriteLine(
                        "See progress with 'dotnet exp queue status'; cancel one with 'dotnet exp queue kill <id>'."
                    );
                    return 0;
                }

                var count = result.GetValue(jobs);
                for (var i = 0; i < count; i++)
                {
                    var pid = SelfLauncher.StartDetached(
                        ["queue", "worker"],
                        project.Root,
                        Path.Combine(project.QueueDirectory, "workers.log")
                    );
                    output.WriteLine($"Started worker {pid}.");
                }

                output.WriteLine("See progress with 'dotnet exp queue status'; stop with 'dotnet exp queue stop'.");
                return 0;
            }
        );
        return command;
    }

    private static Command Stop(TextWriter output)
    {
        var kill = new Option<bool>("--kill") { Description = "Also kill the experiments running now (they end as failed)." };
        var command = new Command("stop", "Let workers finish their current experiment, then stop.") { kill };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var queue = new ExperimentQueue(project);
                Directory.CreateDirectory(project.QueueDirectory);
                await File.WriteAllTextAsync(queue.StopPath, "", cancellationToken).ConfigureAwait(false);
                if (result.GetValue(kill))
                {
                    foreach (
                        var item in (await queue.ListAsync(cancellationToken).ConfigureAwait(false)).Where(i =>
                            i.Status == QueueStatus.Running
                        )
                    )
                    {
                        queue.RequestKill(item);
                        output.WriteLine($"Killing {item.Entry.Id} ({item.Entry.Name}).");
                    }
                }

                output.WriteLine($"Asked {queue.ActiveWorkers().Count} worker(s) to stop; 'dotnet exp queue start' resumes.");
                return 0;
            }
        );
        return command;
    }

    private static Command Status(TextWriter output)
    {
        var json = CommonOptions.Json();
        var command = new Command("status", "List queued, running, failed and finished entries, and the workers.") { json };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var queue = new ExperimentQueue(project);
                var items = await queue.ListAsync(cancellationToken).ConfigureAwait(false);
                var workers = queue.ActiveWorkers();
                if (result.GetValue(json))
                {
                    var array = new JsonArray(
                        items
                            .Select(i =>
                                (JsonNode)
                                    new JsonObject
                                    {
                                        ["id"] = i.Entry.Id,
                                        ["name"] = i.Entry.Name,
                                        ["created"] = i.Entry.Created.ToString("O", CultureInfo.InvariantCulture),
                                        ["status"] = i.Status.ToString().ToLowerInvariant(),
                                        ["exit_code"] = i.Result?.ExitCode,
                                        ["message"] = i.Result?.Message,
                                        ["slurm_job"] = i.Slurm?.JobId,
                                        ["slurm_state"] = i.Slurm?.State,
                                        ["slurm_node"] = i.Slurm?.Node,
                                    }
                            )
                            .ToArray()
                    );
                    JsonOutput.Write(output, new JsonObject { ["entries"] = array, ["workers"] = workers.Count });
                    return 0;
                }

                if (items.Count == 0)
                {
                    output.WriteLine("The queue is empty.");
                }
                else
                {
                    var slurm = items.Any(i => i.Slurm is not null);
                    var rows = items
                        .Select(i =>
                        {
                            IReadOnlyList<string> row =
                            [
                                i.Entry.Id,
                                i.Entry.Name,
                                ValueFormat.Time(i.Entry.Created),
                                i.Status == QueueStatus.Failed && i.Result?.ExitCode is { } code
                                    ? $"Failed ({code.ToString(CultureInfo.InvariantCulture)})"
                                    : i.Status.ToString(),
                            ];
                            return slurm ? [.. row, SlurmCell(i.Slurm)] : row;
                        })
                        .ToList();
                    // The same fitting as every table, without flags of its own: Name and Status stay.
                    var fit = new TableFit(
                        TableWriter.Width(null, output),
                        false,
                        slurm ? [1, 3, 4, 0, 2] : [1, 3, 0, 2],
                        2,
                        1,
                        "task",
                        "--json"
                    );
                    string[] headers = slurm
                        ? ["Task", "Name", "Created", "Status", "Slurm job"]
                        : ["Task", "Name", "Created", "Status"];
                    TableWriter.Console(output, headers, rows, rightAlignFrom: headers.Length, fit);
                }

                output.WriteLine(workers.Count == 0 ? "No worker is running." : $"{workers.Count} worker(s) running.");
                return 0;
            }
        );
        return command;
    }

    private static string SlurmCell(SlurmStatus? job) =>
        job is null ? "" : $"{job.JobId} {job.State}{(job.Node is null ? "" : " on " + job.Node)}";

    private static Command Logs(TextWriter output)
    {
        var id = new Argument<string>("id") { Description = "Id (or name) of the queue entry." };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new output until the entry finishes." };
        var stderrOnly = new Option<bool>("--stderr")
        {
            Description = "Only what the entry's commands wrote to stderr (DVC's -e is --encoding: logs here are UTF-8).",
        };
        var command = new Command("logs", "Print the output of a queued, running or finished entry.") { id, follow, stderrOnly };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var queue = new ExperimentQueue(project);
                var item = (await queue.FindAsync([result.GetValue(id)!], cancellationToken).ConfigureAwait(false))[0];
                var path = result.GetValue(stderrOnly) ? queue.StderrLogPath(item.Entry.Id) : queue.LogPath(item.Entry.Id);
                if (
                    result.GetValue(stderrOnly)
                    && !File.Exists(path)
                    && File.Exists(queue.LogPath(item.Entry.Id))
                    && item.Status is QueueStatus.Failed or QueueStatus.Success
                )
                {
                    CommonOptions.Warn(
                        $"entry {item.Entry.Id} ran before GitExp kept stderr apart; 'dotnet exp queue logs {item.Entry.Id}' shows both streams"
                    );
                    return 0;
                }

                long position = 0;
                // An entry in Slurm is asked about (squeue) every 2 s, not every 200 ms: clusters ask users not to poll
                // the controller in a tight loop; the log file is still read every 200 ms.
                var checkEvery = item.Slurm is null ? 1 : 10;
                for (var round = 1; ; round++)
                {
                    if (File.Exists(path))
                    {
                        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                        stream.Position = position;
                        using var reader = new StreamReader(stream);
                        var text = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
                        output.Write(text);
                        output.Flush();
                        position = stream.Length;
                    }

                    if (!result.GetValue(follow))
                    {
                        return 0;
                    }

                    if (round % checkEvery != 0)
                    {
                        await Task.Delay(200, cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    var now = (await queue.FindAsync([item.Entry.Id], cancellationToken).ConfigureAwait(false))[0];
                    if (
                        now.Status is QueueStatus.Failed or QueueStatus.Success
                        && (!File.Exists(path) || new FileInfo(path).Length == position)
                    )
                    {
                        return 0;
                    }

                    await Task.Delay(200, cancellationToken).ConfigureAwait(false);
                }
            }
        );
        return command;
    }

    private static Command Kill(TextWriter output)
    {
        var ids = new Argument<string[]>("ids")
        {
            Description = "Ids (or names) of running entries.",
            Arity = ArgumentArity.OneOrMore,
        };
        var force = new Option<bool>("--force", "-f")
        {
            Description = "Kill at once (SIGKILL), rather than interrupt (SIGINT) and kill only what has not ended after 10 s.",
        };
        var command = new Command("kill", "Interrupt running entries as Ctrl-C does; they end as failed, with their logs kept.")
        {
            ids,
            force,
        };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var queue = new ExperimentQueue(project);
                var items = await queue.FindAsync(result.GetValue(ids)!, cancellationToken).ConfigureAwait(false);
                var after = await queue.KillAsync(items, result.GetValue(force), cancellationToken).ConfigureAwait(false);
                foreach (var item in after)
                {
                    output.WriteLine(
                        item.Status == QueueStatus.Running
                            ? $"Asked {item.Entry.Id} ({item.Entry.Name}) to stop; it is still running (its worker may be busy)."
                            : $"Killed {item.Entry.Id} ({item.Entry.Name})."
                    );
                }

                return after.Any(i => i.Status == QueueStatus.Running) ? (int)ExitCode.Conflict : 0;
            }
        );
        return command;
    }

    private static Command Remove(TextWriter output)
    {
        var ids = new Argument<string[]>("ids") { Description = "Ids (or names) of entries.", Arity = ArgumentArity.ZeroOrMore };
        var all = new Option<bool>("--all") { Description = "Remove every entry that is not running." };
        var queued = new Option<bool>("--queued") { Description = "Remove every queued entry." };
        var failed = new Option<bool>("--failed") { Description = "Remove every failed entry, with its workspace and log." };
        var success = new Option<bool>("--success") { Description = "Forget every finished entry (the experiments stay)." };
        var command = new Command("remove", "Remove queue entries.") { ids, all, queued, failed, success };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var queue = new ExperimentQueue(project);
                var named = result.GetValue(ids) ?? [];
                var statuses = new HashSet<QueueStatus>();
                if (result.GetValue(all) || result.GetValue(queued))
                {
                    statuses.Add(QueueStatus.Queued);
                }

                if (result.GetValue(all) || result.GetValue(failed))
                {
                    statuses.Add(QueueStatus.Failed);
                }

                if (result.GetValue(all) || result.GetValue(success))
                {
                    statuses.Add(QueueStatus.Success);
                }

                if (named.Length == 0 && statuses.Count == 0)
                {
                    throw new ExpException(
                        ExitCode.Usage,
                        "name the entries to remove, or use --all, --queued, --failed or --success"
                    );
                }

                var items = (await queue.FindAsync(named, cancellationToken).ConfigureAwait(false)).ToList();
                items.AddRange(
                    (await queue.ListAsync(cancellationToken).ConfigureAwait(false)).Where(i => statuses.Contains(i.Status))
                );
                var removed = await queue
                    .RemoveAsync(items.DistinctBy(i => i.Entry.Id).ToList(), cancellationToken)
                    .ConfigureAwait(false);
                output.WriteLine(
                    removed.Count == 0
                        ? "Nothing to remove."
                        : $"Removed {removed.Count} entr{(removed.Count == 1 ? "y" : "ies")}: {string.Join(", ", removed.Select(r => r.Entry.Id))}."
                );
                return 0;
            }
        );
        return command;
    }

    private static Command Worker(TextWriter output)
    {
        var only = new Option<string[]>("--only")
        {
            Description = "Run only these entries.",
            AllowMultipleArgumentsPerToken = true,
        };
        var slurmJob = new Option<bool>("--slurm-job")
        {
            Description = "Running in a Slurm job: an entry stopped by Slurm's signal stays queued for the queue to settle.",
        };
        var command = new Command("worker", "Run the queue in this process (what 'queue start' launches).") { only, slurmJob };
        command.Hidden = true;
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var queue = new ExperimentQueue(project);
                // The held lock file is how 'queue status' counts live workers; the OS drops it if we die.
                using var registration = FileLock.TryAcquire(
                    Path.Combine(queue.WorkersDirectory, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".lock")
                );
                var ids = result.GetValue(only) is { Length: > 0 } list ? list.ToHashSet(StringComparer.Ordinal) : null;
                var results = await new QueueRunner(project, new QueueEventsWriter(output, project.Root))
                {
                    LeaveQueuedWhenSignalled = result.GetValue(slurmJob),
                }
                    .RunAsync(1, ids, cancellationToken)
                    .ConfigureAwait(false);
                return Summarize(results, output);
            }
        );
        return command;
    }

    /// <summary>One line per run; the exit code is the failed stage's own for a single experiment, else 1 if any failed.</summary>
    private static int Summarize(IReadOnlyList<QueueResult> results, TextWriter output, Verbosity verbosity = Verbosity.Normal)
    {
        var failed = results.Where(r => r.Status != QueueStatus.Success).ToList();
        if (verbosity != Verbosity.Quiet)
        {
            output.WriteLine(
                $"{results.Count - failed.Count} of {results.Count} experiment(s) succeeded{(failed.Count > 0 ? $", {failed.Count} failed (see 'dotnet exp queue status')" : "")}."
            );
        }

        foreach (var failure in failed)
        {
            Console.Error.WriteLine($"error: experiment '{failure.Name}' ({failure.Id}) failed: {failure.Message}");
        }

        return failed.Count switch
        {
            0 => 0,
            1 when results.Count == 1 && failed[0].ExitCode is > 0 and var code => code,
            _ => (int)ExitCode.StageFailed,
        };
    }
}
