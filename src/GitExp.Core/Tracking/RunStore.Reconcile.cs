using GitExp.Core.Experiments;
using GitExp.Core.Git;
using GitExp.Core.Processes;
using GitExp.Core.Project;

namespace GitExp.Core.Tracking;

public sealed partial class RunStore
{
    /// <summary>
    /// Opens the project's store (<c>.exp/runs.db</c>) and settles the runs whose process is gone (<see cref="Reconcile"/>):
    /// how every command opens it, so a run killed with SIGKILL, by the OOM killer or by a crash never stays
    /// <c>running</c> past the next command.
    /// </summary>
    public static RunStore Open(ExpProject project)
    {
        var store = Open(Path.Combine(project.ExpDirectory, "runs.db"));
        try
        {
            store.Reconcile(project.Git);
        }
        catch (Exception e)
            when (e
                    is Microsoft.Data.Sqlite.SqliteException
                        or IOException
                        or UnauthorizedAccessException
                        or InvalidOperationException
                        or System.ComponentModel.Win32Exception
            )
        {
            // Settling is a courtesy of whoever opens the store: one that cannot write it (read-only, locked for too
            // long) or start git still reads it, and a later command settles the run.
        }

        return store;
    }

    /// <summary>
    /// Marks <c>interrupted</c> every run the store says is running whose process (host, pid, start time, boot) is gone,
    /// with the checkpoints it committed to its experiment's ref and its running stage interrupted; returns their ids.
    /// A run of another host, or one recorded without its process (by an earlier <c>dotnet exp</c>), is left as it is.
    /// </summary>
    public IReadOnlyList<string> Reconcile(GitRepository git)
    {
        // Cheap: one indexed query and a /proc read per running run. Git is started only when one died.
        var dead = new List<string>();
        using (
            var query = Command(
                "SELECT id, host, pid, pid_start, boot_id FROM runs WHERE status = 'running' AND pid IS NOT NULL AND pid_start IS NOT NULL"
            )
        )
        using (var reader = query.ExecuteReader())
        {
            while (reader.Read())
            {
                var process = new ProcessIdentity(
                    reader.GetString(1),
                    reader.GetInt32(2),
                    reader.GetInt64(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4)
                );
                if (process.IsGone())
                {
                    dead.Add(reader.GetString(0));
                }
            }
        }

        if (dead.Count == 0)
        {
            return dead;
        }

        using var objects = git.OpenObjectReader();
        var settled = new List<string>();
        foreach (var id in dead)
        {
            // Immediate: the check and the write hold the write lock, so a run a worker starts again meanwhile
            // (a queue entry keeps its id) is never settled by a late reader.
            using var transaction = _connection.BeginTransaction(deferred: false);
            var run = Load("WHERE id = $id", ("$id", id)).FirstOrDefault();
            if (run is not { Status: RunStatus.Running, Process: { } process } || !process.IsGone())
            {
                continue;
            }

            SaveCore(Interrupted(run, objects));
            transaction.Commit();
            settled.Add(id);
        }

        return settled;
    }

    /// <summary>The run as its death left it: interrupted at its last known moment, with the checkpoints it committed.</summary>
    private RunRecord Interrupted(RunRecord run, CatFileBatch objects)
    {
        var lastSeen = run.Executions.Select(e => e.Finished).Append(run.Started ?? run.Created).Max();
        var (checkpoints, continued) =
            run.Checkpoints.Count > 0 || run.ExperimentRef is null
                ? (run.Checkpoints, (string?)null)
                : CommittedCheckpoints(objects, run);
        return run with
        {
            Status = RunStatus.Interrupted,
            Finished = lastSeen,
            Checkpoints = checkpoints,
            ResumedFrom = run.ResumedFrom ?? (continued is null ? null : ResumedRun(continued, run.Id)),
            Executions = run
                .Executions.Select(e => e.Status == ExecutionRecord.Running ? e with { Status = ExecutionRecord.Interrupted } : e)
                .ToList(),
        };
    }

    /// <summary>
    /// The checkpoints a run committed, oldest first: from its experiment's tip back along first parents, each checkpoint
    /// commit that no other run recorded, up to the first commit that is not a checkpoint of an unfinished chain (the
    /// baseline, a final commit, or a checkpoint that another run recorded: the one this run continued from).
    /// </summary>
    /// <returns>The checkpoints, and the commit the first of them follows (null when it took none).</returns>
    private (IReadOnlyList<(string Commit, int Step)> Checkpoints, string? Continued) CommittedCheckpoints(
        CatFileBatch objects,
        RunRecord run
    )
    {
        var checkpoints = new List<(string Commit, int Step)>();
        var text = objects.ReadText(run.ExperimentRef!);
        var commit = objects.LastId;
        while (text is not null && commit is not null && !RecordedByAnother(commit, run.Id))
        {
            var message = text[(text.IndexOf("\n\n", StringComparison.Ordinal) + 2)..];
            if (ExperimentChain.StepOf(message) is not { } step || CheckpointPlanner.LastStepOf(message) is not null)
            {
                break;
            }

            checkpoints.Add((commit, step));
            commit = FirstParent(text);
            text = commit is null ? null : objects.ReadText(commit);
        }

        checkpoints.Reverse();
        return (checkpoints, checkpoints.Count > 0 ? commit : null);
    }

    /// <summary>
    /// The run that recorded <paramref name="checkpoint"/> as one of its checkpoints and did not finish (interrupted or
    /// failed): the run that another, whose first commit follows that checkpoint, resumed. Null when there is none.
    /// </summary>
    public string? ResumedRun(string checkpoint, string runId)
    {
        using var query = Command(
            """
            SELECT runs.id FROM checkpoints JOIN runs ON runs.id = checkpoints.run_id
            WHERE checkpoints.commit_sha = $commit AND runs.id != $id AND runs.status IN ('interrupted', 'failed')
            ORDER BY runs.created DESC LIMIT 1
            """,
            ("$commit", checkpoint),
            ("$id", runId)
        );
        return query.ExecuteScalar() as string;
    }

    private static string? FirstParent(string commitText)
    {
        foreach (var line in commitText.Split('\n'))
        {
            if (line.Length == 0)
            {
                break;
            }

            if (line.StartsWith("parent ", StringComparison.Ordinal))
            {
                return line["parent ".Length..];
            }
        }

        return null;
    }

    /// <summary>Whether another run recorded this commit, as its experiment or one of its checkpoints.</summary>
    private bool RecordedByAnother(string commit, string runId)
    {
        using var query = Command(
            """
            SELECT 1 FROM checkpoints WHERE commit_sha = $commit AND run_id != $id
            UNION ALL SELECT 1 FROM runs WHERE commit_sha = $commit AND id != $id LIMIT 1
            """,
            ("$commit", commit),
            ("$id", runId)
        );
        return query.ExecuteScalar() is not null;
    }
}
