using GitExp.Core.Git;

namespace GitExp.Core.Experiments;

/// <summary>Finds, names, moves and deletes experiment refs; every change is an update-ref transaction.</summary>
public sealed class ExperimentStore(GitRepository git)
{
    public async Task<IReadOnlyList<Experiment>> ListAsync(CancellationToken cancellationToken = default)
    {
        var refs = await git.ListRefsAsync(Experiment.RefPrefix, cancellationToken).ConfigureAwait(false);
        var experiments = new List<Experiment>();
        foreach (var info in refs)
        {
            if (Experiment.ParseRef(info.Name) is { } parsed)
            {
                experiments.Add(
                    new Experiment(parsed.Name, info.Name, info.Commit, info.Tree, parsed.Baseline, info.CommitTime, info.Subject)
                    {
                        Step = ExperimentChain.StepOf(info.Trailers) ?? CheckpointPlanner.LastStepOf(info.Trailers),
                        Interrupted = CheckpointPlanner.IsInterrupted(info.Trailers),
                    }
                );
            }
        }

        return experiments;
    }

    /// <summary>
    /// Finds an experiment by name (within <paramref name="baseline"/> first, then anywhere), by full
    /// ref, or by a commit id prefix of at least 4 characters.
    /// </summary>
    public async Task<Experiment> ResolveAsync(
        string nameOrRev,
        string? baseline,
        CancellationToken cancellationToken = default
    ) =>
        await TryResolveAsync(nameOrRev, baseline, cancellationToken).ConfigureAwait(false)
        ?? throw new ExpException(ExitCode.NotFound, $"no experiment named '{nameOrRev}' (see 'dotnet exp list')");

    /// <summary>As <see cref="ResolveAsync"/>, but null when nothing matches (an ambiguous name still throws).</summary>
    public async Task<Experiment?> TryResolveAsync(
        string nameOrRev,
        string? baseline,
        CancellationToken cancellationToken = default
    )
    {
        var all = await ListAsync(cancellationToken).ConfigureAwait(false);
        return Match(all, nameOrRev, baseline);
    }

    /// <summary>
    /// The resolution rules of <see cref="TryResolveAsync"/> over any list of experiments (local or a remote's):
    /// full ref, name within <paramref name="baseline"/>, a name unique among all, a commit id prefix of at least
    /// 4 characters. Null when nothing matches; an ambiguous name throws, listing the candidates.
    /// </summary>
    public static T? Match<T>(IReadOnlyList<T> all, string nameOrRev, string? baseline)
        where T : class, IExperimentRef
    {
        var byRef = all.FirstOrDefault(e => e.Ref == nameOrRev);
        if (byRef is not null)
        {
            return byRef;
        }

        var named = all.Where(e => e.Name == nameOrRev).ToList();
        if (baseline is not null && named.FirstOrDefault(e => e.Baseline == baseline) is { } local)
        {
            return local;
        }

        if (named.Count == 1)
        {
            return named[0];
        }

        if (named.Count > 1)
        {
            throw new ExpException(
                ExitCode.Usage,
                $"experiment name '{nameOrRev}' is ambiguous: "
                    + string.Join(", ", named.Select(e => $"{e.Ref} ({e.Commit[..7]})"))
                    + "; give the full ref"
            );
        }

        if (nameOrRev.Length >= 4 && nameOrRev.All(Uri.IsHexDigit))
        {
            var bySha = all.Where(e => e.Commit.StartsWith(nameOrRev.ToLowerInvariant(), StringComparison.Ordinal))
                .DistinctBy(e => e.Commit)
                .ToList();
            if (bySha.Count == 1)
            {
                return bySha[0];
            }
        }

        return null;
    }

    /// <summary>
    /// Every experiment of <paramref name="scope"/> (the experiments of some baselines, or of all) that
    /// <paramref name="nameOrRev"/> names: by name or full ref (one per baseline), else by a commit id prefix.
    /// </summary>
    /// <param name="scopeLabel">How the message names the scope when nothing matches.</param>
    public static IReadOnlyList<T> MatchInScope<T>(IReadOnlyList<T> scope, string nameOrRev, string scopeLabel)
        where T : class, IExperimentRef
    {
        var exact = scope.Where(e => e.Name == nameOrRev || e.Ref == nameOrRev).ToList();
        if (exact.Count > 0)
        {
            return exact;
        }

        return Match(scope, nameOrRev, null) is { } byCommit
            ? [byCommit]
            : throw new ExpException(ExitCode.NotFound, $"no experiment named '{nameOrRev}' among {scopeLabel}");
    }

    public async Task<IReadOnlySet<string>> NamesForBaselineAsync(
        string baseline,
        CancellationToken cancellationToken = default
    ) =>
        (await ListAsync(cancellationToken).ConfigureAwait(false))
            .Where(e => e.Baseline == baseline)
            .Select(e => e.Name)
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Renames an experiment (its ref moves in one transaction). Its own name is a no-op; a name another
    /// experiment of the same baseline has is refused unless <paramref name="overwrite"/>, which replaces that one.
    /// </summary>
    public async Task<Experiment> RenameAsync(
        Experiment experiment,
        string newName,
        bool overwrite = false,
        CancellationToken cancellationToken = default
    )
    {
        await ExperimentNames.ValidateAsync(git, newName, "new name", cancellationToken).ConfigureAwait(false);
        if (newName == experiment.Name)
        {
            return experiment;
        }

        var target = Experiment.RefFor(experiment.Baseline, newName);
        var replaced = (await ListAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(e =>
            e.Baseline == experiment.Baseline && e.Name == newName
        );
        if (replaced is not null && !overwrite)
        {
            throw new ExpException(
                ExitCode.Conflict,
                $"an experiment named '{newName}' already exists for baseline {experiment.Baseline[..7]}; use -f to replace it"
            );
        }

        await git.UpdateRefsAsync(
                [
                    new RefUpdate(target, experiment.Commit, replaced?.Commit ?? GitRepository.ZeroId),
                    new RefUpdate(experiment.Ref, null, experiment.Commit),
                ],
                $"exp: rename {experiment.Name} to {newName}",
                cancellationToken
            )
            .ConfigureAwait(false);
        return experiment with { Name = newName, Ref = target };
    }

    public Task RemoveAsync(IReadOnlyCollection<Experiment> experiments, CancellationToken cancellationToken = default) =>
        experiments.Count == 0
            ? Task.CompletedTask
            : git.UpdateRefsAsync(
                experiments.Select(e => new RefUpdate(e.Ref, null, e.Commit)),
                "exp: remove",
                cancellationToken
            );

    /// <summary>Creates a Git branch at the experiment's commit; an existing branch is never moved.</summary>
    public async Task<string> BranchAsync(Experiment experiment, string branch, CancellationToken cancellationToken = default)
    {
        var refName = "refs/heads/" + branch;
        if (!await git.IsValidRefNameAsync(refName, cancellationToken).ConfigureAwait(false))
        {
            throw new ExpException(ExitCode.Usage, $"branch '{branch}': not a valid Git branch name");
        }

        if (await git.ResolveCommitAsync(refName, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new ExpException(ExitCode.Conflict, $"branch '{branch}' already exists; choose another name");
        }

        await git.UpdateRefsAsync(
                [new RefUpdate(refName, experiment.Commit, GitRepository.ZeroId)],
                $"exp: branch from {experiment.Name}",
                cancellationToken
            )
            .ConfigureAwait(false);
        return refName;
    }
}
