using GitExp.Core.Git;

namespace GitExp.Core.Experiments;

/// <summary>An experiment ref on a Git remote, as <c>git ls-remote</c> lists it.</summary>
public sealed record RemoteExperiment(string Name, string Ref, string Commit, string Baseline) : IExperimentRef;

/// <summary>What a push or pull did to one experiment's ref on the receiving side.</summary>
public enum TransferOutcome
{
    /// <summary>The ref did not exist there and was created.</summary>
    Created,

    /// <summary>The ref moved forward (new checkpoints on top of the ones it had).</summary>
    FastForwarded,

    /// <summary>The ref had diverged and was replaced (only with --force).</summary>
    Replaced,

    /// <summary>The ref already pointed at the same commit; nothing was sent.</summary>
    UpToDate,
}

/// <summary>One experiment of a push or pull and what happened to it.</summary>
public sealed record ExperimentTransfer(string Name, string Ref, string Commit, TransferOutcome Outcome);

/// <summary>Which experiments a push or pull takes: the named ones, every one of some baselines, or all.</summary>
/// <remarks>Nothing named and no flag: the experiments of the current baseline (HEAD), as DVC does.</remarks>
public sealed record ExperimentSelection(IReadOnlyList<string> Names, IReadOnlyList<string> Revs, bool AllCommits)
{
    public bool IsDefault => Names.Count == 0 && Revs.Count == 0 && !AllCommits;
}

/// <summary>
/// Shares experiments through an ordinary Git remote: each experiment ref goes to the same ref name there
/// (<c>refs/exps/...</c>) with the commits it needs. Queue and failed entries are local and never sent.
/// With a <see cref="Cache"/> transfer, the experiments' cached outs go to (or come from) a cache remote too: on a
/// push before the refs, so a ref on the Git remote never names outs the cache remote lacks.
/// </summary>
public sealed class ExperimentRemote(GitRepository git, string remote)
{
    public string Remote => remote;

    /// <summary>The cache remote the experiments' cached outs travel to and from; null: refs and commits only.</summary>
    public Remotes.CacheTransfer? Cache { get; init; }

    /// <summary>Send or fetch the run-cache's entries too (with a <see cref="Cache"/>).</summary>
    public bool RunCache { get; init; }

    /// <summary>What the cache transfer of the last push or pull did; null without a <see cref="Cache"/>.</summary>
    public Remotes.CacheTransferSummary? CacheSummary { get; private set; }

    private async Task<List<Remotes.CachedOut>> CachedOutsAsync(IEnumerable<string> commits, CancellationToken cancellationToken)
    {
        var outs = new List<Remotes.CachedOut>();
        foreach (var commit in commits.Distinct(StringComparer.Ordinal))
        {
            outs.AddRange(await Remotes.CachedOuts.OfCommitAsync(git, commit, cancellationToken).ConfigureAwait(false));
        }

        return outs;
    }

    /// <summary>The remote's experiments (queue and failed refs, which have another shape, are left out).</summary>
    public async Task<IReadOnlyList<RemoteExperiment>> ListAsync(CancellationToken cancellationToken = default)
    {
        var refs = await git.ListRemoteRefsAsync(remote, Experiment.RefPrefix + "*", cancellationToken).ConfigureAwait(false);
        var experiments = new List<RemoteExperiment>();
        foreach (var (name, commit) in refs)
        {
            if (Experiment.ParseRef(name) is { } parsed)
            {
                experiments.Add(new RemoteExperiment(parsed.Name, name, commit, parsed.Baseline));
            }
        }

        return experiments.OrderBy(e => e.Ref, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Pushes the selected local experiments in one atomic <c>git push</c>. A remote ref that is not an ancestor of
    /// the local one (the experiment diverged) is refused, and nothing is pushed, unless <paramref name="force"/>.
    /// </summary>
    public async Task<IReadOnlyList<ExperimentTransfer>> PushAsync(
        ExperimentSelection selection,
        bool force,
        CancellationToken cancellationToken = default
    )
    {
        var head = await git.HeadCommitAsync(cancellationToken).ConfigureAwait(false);
        var local = await new ExperimentStore(git).ListAsync(cancellationToken).ConfigureAwait(false);
        var chosen = await SelectAsync(
                local,
                selection,
                head,
                name => $"no experiment named '{name}' in this repository (see 'dotnet exp list -A')",
                cancellationToken
            )
            .ConfigureAwait(false);
        if (chosen.Count == 0)
        {
            throw new ExpException(ExitCode.NotFound, NothingMessage("push", "this repository has", selection, head, "list"));
        }

        var theirs = await git.ListRemoteRefsAsync(remote, Experiment.RefPrefix + "*", cancellationToken).ConfigureAwait(false);
        var transfers = new List<ExperimentTransfer>();
        foreach (var experiment in chosen)
        {
            var outcome = await OutcomeAsync(theirs.GetValueOrDefault(experiment.Ref), experiment.Commit, cancellationToken)
                .ConfigureAwait(false);
            transfers.Add(new ExperimentTransfer(experiment.Name, experiment.Ref, experiment.Commit, outcome));
        }

        RefuseDiverged(transfers, force, $"on '{remote}'", "pushed");
        if (Cache is not null)
        {
            var outs = await CachedOutsAsync(chosen.Select(e => e.Commit), cancellationToken).ConfigureAwait(false);
            CacheSummary = await Cache.PushAsync(outs, RunCache, cancellationToken).ConfigureAwait(false);
        }

        var pushes = transfers
            .Where(t => t.Outcome != TransferOutcome.UpToDate)
            .Select(t => new RemotePush(t.Ref, t.Commit, theirs.GetValueOrDefault(t.Ref) ?? ""))
            .ToList();
        if (pushes.Count > 0)
        {
            await git.PushAsync(remote, pushes, cancellationToken).ConfigureAwait(false);
        }

        return transfers;
    }

    /// <summary>
    /// Fetches the selected experiments of the remote (one fetch) and sets the same local refs in one update-ref
    /// transaction. A local experiment that diverged from the remote's is refused, and nothing changes, unless
    /// <paramref name="force"/>.
    /// </summary>
    public async Task<IReadOnlyList<ExperimentTransfer>> PullAsync(
        ExperimentSelection selection,
        bool force,
        CancellationToken cancellationToken = default
    )
    {
        var head = await git.HeadCommitAsync(cancellationToken).ConfigureAwait(false);
        var remoteExperiments = await ListAsync(cancellationToken).ConfigureAwait(false);
        var chosen = await SelectAsync(
                remoteExperiments,
                selection,
                head,
                name => $"no experiment named '{name}' on remote '{remote}' (see 'dotnet exp list {remote} -A')",
                cancellationToken
            )
            .ConfigureAwait(false);
        if (chosen.Count == 0)
        {
            throw new ExpException(
                ExitCode.NotFound,
                NothingMessage("pull", $"remote '{remote}' has", selection, head, "list " + remote)
            );
        }

        var ours = (await new ExperimentStore(git).ListAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(
            e => e.Ref,
            e => e.Commit,
            StringComparer.Ordinal
        );
        var missing = chosen.Where(e => ours.GetValueOrDefault(e.Ref) != e.Commit).Select(e => e.Ref).ToList();
        if (missing.Count > 0)
        {
            // Objects only: the refs change below, in one transaction that checks their old values.
            await git.FetchObjectsAsync(remote, missing, cancellationToken).ConfigureAwait(false);
        }

        var transfers = new List<ExperimentTransfer>();
        foreach (var experiment in chosen)
        {
            var outcome = await OutcomeAsync(ours.GetValueOrDefault(experiment.Ref), experiment.Commit, cancellationToken)
                .ConfigureAwait(false);
            transfers.Add(new ExperimentTransfer(experiment.Name, experiment.Ref, experiment.Commit, outcome));
        }

        RefuseDiverged(transfers, force, "locally", "pulled");
        foreach (var transfer in transfers.Where(t => t.Outcome != TransferOutcome.UpToDate))
        {
            // Before any ref moves: a commit from elsewhere that would write GitExp's own files (a cache object) stays out.
            await git.RefuseToolPathsAsync(
                    transfer.Commit,
                    $"experiment '{transfer.Name}' of remote '{remote}'",
                    cancellationToken
                )
                .ConfigureAwait(false);
        }

        var updates = transfers
            .Where(t => t.Outcome != TransferOutcome.UpToDate)
            .Select(t => new RefUpdate(t.Ref, t.Commit, ours.GetValueOrDefault(t.Ref) ?? GitRepository.ZeroId))
            .ToList();
        if (updates.Count > 0)
        {
            await git.UpdateRefsAsync(updates, $"exp: pull from {remote}", cancellationToken).ConfigureAwait(false);
        }

        if (Cache is not null)
        {
            var outs = await CachedOutsAsync(chosen.Select(e => e.Commit), cancellationToken).ConfigureAwait(false);
            CacheSummary = await Cache.PullAsync(outs, RunCache, cancellationToken).ConfigureAwait(false);
        }

        return transfers;
    }

    /// <summary>How the receiving side's ref (<paramref name="current"/>, null if absent) would change to <paramref name="incoming"/>.</summary>
    private async Task<TransferOutcome> OutcomeAsync(string? current, string incoming, CancellationToken cancellationToken) =>
        current is null ? TransferOutcome.Created
        : current == incoming ? TransferOutcome.UpToDate
        // A commit this repository does not have cannot be an ancestor of one it has: diverged.
        : await git.IsAncestorAsync(current, incoming, cancellationToken).ConfigureAwait(false) ? TransferOutcome.FastForwarded
        : TransferOutcome.Replaced;

    private static void RefuseDiverged(List<ExperimentTransfer> transfers, bool force, string where, string verb)
    {
        var diverged = transfers.Where(t => t.Outcome == TransferOutcome.Replaced).ToList();
        if (diverged.Count > 0 && !force)
        {
            var names = string.Join(", ", diverged.Select(t => $"'{t.Name}'"));
            throw new ExpException(
                ExitCode.Conflict,
                $"experiment {names} {where} has diverged (recorded again on one side, e.g. with 'run -f'); nothing was {verb}; use --force to replace it"
            );
        }
    }

    private async Task<List<T>> SelectAsync<T>(
        IReadOnlyList<T> all,
        ExperimentSelection selection,
        string head,
        Func<string, string> notFound,
        CancellationToken cancellationToken
    )
        where T : class, IExperimentRef
    {
        var chosen = new List<T>();
        foreach (var name in selection.Names)
        {
            chosen.Add(ExperimentStore.Match(all, name, head) ?? throw new ExpException(ExitCode.NotFound, notFound(name)));
        }

        if (selection.AllCommits)
        {
            chosen.AddRange(all);
        }

        foreach (var revision in selection.Revs)
        {
            var commit =
                await git.ResolveCommitAsync(revision, cancellationToken).ConfigureAwait(false)
                ?? throw new ExpException(ExitCode.NotFound, $"--rev '{revision}': no such commit");
            chosen.AddRange(all.Where(e => e.Baseline == commit));
        }

        if (selection.IsDefault)
        {
            chosen.AddRange(all.Where(e => e.Baseline == head));
        }

        return chosen.DistinctBy(e => e.Ref).ToList();
    }

    private static string NothingMessage(
        string verb,
        string owner,
        ExperimentSelection selection,
        string head,
        string listCommand
    ) =>
        selection.AllCommits ? $"nothing to {verb}: {owner} no experiments"
        : selection.IsDefault
            ? $"nothing to {verb}: {owner} no experiments of the current baseline {head[..7]} (name them, or use --rev or -A; see 'dotnet exp {listCommand} -A')"
        : $"nothing to {verb}: {owner} no experiments of {string.Join(", ", selection.Revs)} (see 'dotnet exp {listCommand} -A')";
}
