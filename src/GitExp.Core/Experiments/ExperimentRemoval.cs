using GitExp.Core.Git;
using GitExp.Core.Project;
using GitExp.Core.Queue;

namespace GitExp.Core.Experiments;

/// <summary>What <c>exp remove</c> is asked to remove.</summary>
public sealed record RemoveRequest
{
    /// <summary>Experiments (name, ref or commit) and queue entries (name, id or commit); with a scope, names within it.</summary>
    public IReadOnlyList<string> Names { get; init; } = [];

    /// <summary>Baseline commits whose experiments are the scope (<c>--rev</c>).</summary>
    public IReadOnlyList<string> Revs { get; init; } = [];

    /// <summary>With <see cref="Revs"/>: each rev and its first-parent ancestors, this many commits in all (<c>-n</c>).</summary>
    public int Num { get; init; } = 1;

    /// <summary>Every baseline is the scope (<c>-A</c>).</summary>
    public bool AllCommits { get; init; }

    /// <summary>Remove everything in the scope except the named experiments.</summary>
    public bool Keep { get; init; }

    /// <summary>Also remove every queued (not running) entry.</summary>
    public bool Queue { get; init; }

    /// <summary>Remove the experiments of this Git remote (name or URL) instead of the local ones.</summary>
    public string? GitRemote { get; init; }
}

/// <summary>What was removed: experiments (local or the remote's) and queue entries.</summary>
public sealed record RemoveResult(IReadOnlyList<IExperimentRef> Experiments, IReadOnlyList<QueueEntry> QueueEntries);

/// <summary>
/// Removes experiments and queue entries, locally or on a Git remote (<c>exp remove</c>): every name is resolved
/// before anything is removed, so a mistake removes nothing. A name may be an experiment, a queue entry, or both
/// (as in DVC); local refs go in one transaction with a reflog entry, a remote's in one atomic push.
/// </summary>
public sealed class ExperimentRemoval(ExpProject project)
{
    public async Task<RemoveResult> RemoveAsync(RemoveRequest request, CancellationToken cancellationToken = default)
    {
        Check(request);
        var git = project.Git;
        var head = await git.HeadCommitAsync(cancellationToken).ConfigureAwait(false);
        var remote = request.GitRemote is { } remoteName ? new ExperimentRemote(git, remoteName) : null;
        IReadOnlyList<IExperimentRef> everything = remote is not null
            ? await remote.ListAsync(cancellationToken).ConfigureAwait(false)
            : await new ExperimentStore(git).ListAsync(cancellationToken).ConfigureAwait(false);
        var where = remote is null ? "" : $" on '{remote.Remote}'";

        // --rev and -A set the scope; names given with them mean those names within it, never the whole scope.
        var scoped = request.AllCommits || request.Revs.Count > 0;
        var scope = new List<IExperimentRef>();
        if (request.AllCommits)
        {
            scope.AddRange(everything);
        }

        var baselines = await BaselinesAsync(git, request.Revs, request.Num, cancellationToken).ConfigureAwait(false);
        scope.AddRange(everything.Where(e => baselines.Contains(e.Baseline)));

        var scopeLabel = request.AllCommits
            ? $"the experiments of every baseline{where} (-A)"
            : $"the experiments of baseline {string.Join(", ", baselines.Select(b => b[..7]))}{where} (--rev)";
        var queue = new ExperimentQueue(project);
        var queueItems =
            remote is null && request.Names.Count > 0 && !scoped
                ? await queue.ListAsync(cancellationToken).ConfigureAwait(false)
                : [];
        var named = new List<IExperimentRef>();
        var namedEntries = new List<QueueItem>();
        foreach (var name in request.Names)
        {
            if (scoped)
            {
                named.AddRange(ExperimentStore.MatchInScope(scope, name, scopeLabel));
                continue;
            }

            var experiment = ExperimentStore.Match(everything, name, head);
            var entries = ExperimentQueue.Match(queueItems, name);
            if (experiment is null && entries.Count == 0)
            {
                throw new ExpException(
                    ExitCode.NotFound,
                    remote is null
                        ? $"no experiment or queue entry named '{name}' (see 'dotnet exp list' and 'dotnet exp queue status'); nothing removed"
                        : $"no experiment named '{name}' on '{remote.Remote}' (see 'dotnet exp list {remote.Remote}'); nothing removed"
                );
            }

            if (experiment is not null)
            {
                named.Add(experiment);
            }

            namedEntries.AddRange(entries);
        }

        List<IExperimentRef> doomed;
        if (request.Keep)
        {
            var inScope = scoped ? scope : everything.Where(e => e.Baseline == head).ToList();
            doomed = inScope.Where(e => !named.Any(n => n.Ref == e.Ref)).ToList();
        }
        else
        {
            doomed = request.Names.Count > 0 ? named : scope;
        }

        doomed = doomed.DistinctBy(e => e.Ref).ToList();
        if (request.Queue)
        {
            namedEntries.AddRange(
                (await queue.ListAsync(cancellationToken).ConfigureAwait(false)).Where(i => i.Status == QueueStatus.Queued)
            );
        }

        // First: a running entry is refused there before anything is removed.
        var removedEntries = await queue
            .RemoveAsync(namedEntries.DistinctBy(i => i.Entry.Id).ToList(), cancellationToken)
            .ConfigureAwait(false);
        if (remote is not null)
        {
            if (doomed.Count > 0)
            {
                await git.PushAsync(
                        remote.Remote,
                        doomed.Select(e => new RemotePush(e.Ref, "", e.Commit)).ToList(),
                        cancellationToken
                    )
                    .ConfigureAwait(false);
            }
        }
        else
        {
            await new ExperimentStore(git)
                .RemoveAsync(doomed.Cast<Experiment>().ToList(), cancellationToken)
                .ConfigureAwait(false);
        }

        return new RemoveResult(doomed, removedEntries.Select(i => i.Entry).ToList());
    }

    /// <summary>
    /// The baseline commits <c>--rev</c> and <c>-n/--num</c> select: each rev and its first-parent ancestors,
    /// <paramref name="num"/> commits in all (as DVC's rev selection flags), in order; an unknown rev is one line.
    /// </summary>
    public static async Task<IReadOnlyList<string>> BaselinesAsync(
        GitRepository git,
        IReadOnlyList<string> revs,
        int num,
        CancellationToken cancellationToken
    )
    {
        var baselines = new List<string>();
        foreach (var revision in revs)
        {
            var commit =
                await git.ResolveCommitAsync(revision, cancellationToken).ConfigureAwait(false)
                ?? throw new ExpException(ExitCode.NotFound, $"--rev '{revision}': no such commit");
            baselines.AddRange(await git.FirstParentCommitsAsync(commit, num, cancellationToken).ConfigureAwait(false));
        }

        return baselines.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// <c>-n/--num</c> counts first-parent commits, a negative number meaning all of them as in DVC (and <c>git log
    /// -n</c>); 0 is one line (show, list and remove alike), since it would select no baseline at all.
    /// </summary>
    public static void CheckNum(int num)
    {
        if (num == 0)
        {
            throw new ExpException(
                ExitCode.Usage,
                "--num 0: expected a number of commits (1 or more), or a negative number for every first-parent commit"
            );
        }
    }

    private static void Check(RemoveRequest request)
    {
        if (request.Keep && request.Queue)
        {
            throw new ExpException(ExitCode.Usage, "--keep and --queue cannot be used together");
        }

        if (request.Keep && request.Names.Count == 0)
        {
            throw new ExpException(ExitCode.Usage, "--keep needs the experiments to keep");
        }

        CheckNum(request.Num);
        if (request.Num != 1 && request.Revs.Count == 0)
        {
            throw new ExpException(ExitCode.Usage, "--num applies to --rev: it counts commits back from each rev");
        }

        if (request.GitRemote is not null && request.Queue)
        {
            throw new ExpException(ExitCode.Usage, "--queue removes local queue entries: it cannot be used with --git-remote");
        }

        if (request.Names.Count == 0 && request.Revs.Count == 0 && !request.AllCommits && !request.Queue)
        {
            throw new ExpException(
                ExitCode.Usage,
                "name the experiments to remove, or use --rev, --all-commits, --keep or --queue"
            );
        }
    }
}
