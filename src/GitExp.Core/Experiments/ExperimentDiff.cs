using System.Text.Json.Nodes;
using GitExp.Core.Project;

namespace GitExp.Core.Experiments;

/// <summary>One changed (or, with all, unchanged) param or metric between two revisions.</summary>
public sealed record DiffRow(bool IsMetric, string File, string Key, JsonNode? Old, JsonNode? New)
{
    /// <summary>New minus old when both are numbers within double's range.</summary>
    public double? Change => ValueComparer.AsNumber(New) - ValueComparer.AsNumber(Old) is { } c && double.IsFinite(c) ? c : null;

    public bool Changed => !JsonNode.DeepEquals(Old, New);
}

/// <summary>One param or metric of one revision.</summary>
public sealed record ValueRow(bool IsMetric, string File, string Key, JsonNode? Value);

/// <summary>Compares the params and metrics of two revisions: experiments, commits, or the workspace.</summary>
public static class ExperimentDiff
{
    public const string Workspace = "workspace";

    /// <param name="oldRev">An experiment name, a Git revision, or "workspace"; default HEAD.</param>
    /// <param name="newRev">Same; default the workspace.</param>
    /// <param name="paramDeps">Only the params some stage depends on (DVC's <c>--param-deps</c>, <c>params diff --deps</c>).</param>
    public static async Task<(string Old, string New, IReadOnlyList<DiffRow> Rows)> ComputeAsync(
        ExpProject project,
        string? oldRev,
        string? newRev,
        bool all,
        bool paramDeps,
        CancellationToken cancellationToken = default,
        Action<string>? warn = null
    )
    {
        var sources = await ValueSources.FromWorkspaceAsync(project, cancellationToken, warn ?? (_ => { })).ConfigureAwait(false);
        if (paramDeps)
        {
            sources = sources.OnlyParamDeps();
        }

        var head = await project.Git.HeadCommitAsync(cancellationToken).ConfigureAwait(false);
        var oldValues = await ReadAsync(project, sources, oldRev ?? "HEAD", head, cancellationToken).ConfigureAwait(false);
        var newValues = await ReadAsync(project, sources, newRev ?? Workspace, head, cancellationToken).ConfigureAwait(false);
        var rows = new List<DiffRow>();
        foreach (var isMetric in new[] { false, true })
        {
            var before = isMetric ? oldValues.Metrics : oldValues.Params;
            var after = isMetric ? newValues.Metrics : newValues.Params;
            foreach (var key in before.Keys.Concat(after.Keys).Distinct(StringComparer.Ordinal))
            {
                var colon = key.IndexOf(':', StringComparison.Ordinal);
                var row = new DiffRow(
                    isMetric,
                    key[..colon],
                    key[(colon + 1)..],
                    before.GetValueOrDefault(key),
                    after.GetValueOrDefault(key)
                );
                if (all || row.Changed)
                {
                    rows.Add(row);
                }
            }
        }

        return (oldRev ?? "HEAD", newRev ?? Workspace, rows);
    }

    /// <summary>The params and metrics of one revision (an experiment, a Git revision or "workspace"), file by file.</summary>
    public static async Task<IReadOnlyList<ValueRow>> ValuesAsync(
        ExpProject project,
        string rev,
        CancellationToken cancellationToken = default,
        Action<string>? warn = null
    )
    {
        var sources = await ValueSources.FromWorkspaceAsync(project, cancellationToken, warn ?? (_ => { })).ConfigureAwait(false);
        var head = await project.Git.HeadCommitAsync(cancellationToken).ConfigureAwait(false);
        var values = await ReadAsync(project, sources, rev, head, cancellationToken).ConfigureAwait(false);
        return
        [
            .. new[] { (false, values.Params), (true, values.Metrics) }.SelectMany(group =>
                group.Item2.Select(pair =>
                {
                    var colon = pair.Key.IndexOf(':', StringComparison.Ordinal);
                    return new ValueRow(group.Item1, pair.Key[..colon], pair.Key[(colon + 1)..], pair.Value);
                })
            ),
        ];
    }

    private static async Task<RevisionValues> ReadAsync(
        ExpProject project,
        ValueSources sources,
        string rev,
        string head,
        CancellationToken cancellationToken
    ) =>
        await ResolveCommitAsync(project, rev, head, cancellationToken).ConfigureAwait(false) is { } commit
            ? sources.ReadCommits(project.Git, [commit], project.ValuesCache)[0]
            : sources.ReadWorkspace(project.Root);

    /// <summary>
    /// The commit a revision names: an experiment (of <paramref name="head"/>'s baseline first) or a Git revision;
    /// null for "workspace". Anything else is one line naming it.
    /// </summary>
    public static async Task<string?> ResolveCommitAsync(
        ExpProject project,
        string rev,
        string head,
        CancellationToken cancellationToken = default
    ) => (await ResolveCommitsAsync(project, [rev], head, cancellationToken).ConfigureAwait(false))[0];

    /// <summary>As <see cref="ResolveCommitAsync"/> for many revisions, listing the experiments once.</summary>
    public static async Task<IReadOnlyList<string?>> ResolveCommitsAsync(
        ExpProject project,
        IReadOnlyList<string> revs,
        string head,
        CancellationToken cancellationToken = default
    )
    {
        var experiments = revs.Any(r => r != Workspace)
            ? await new ExperimentStore(project.Git).ListAsync(cancellationToken).ConfigureAwait(false)
            : [];
        var commits = new List<string?>(revs.Count);
        foreach (var rev in revs)
        {
            commits.Add(
                rev == Workspace
                    ? null
                    : ExperimentStore.Match(experiments, rev, head)?.Commit
                        ?? await project.Git.ResolveCommitAsync(rev, cancellationToken).ConfigureAwait(false)
                        ?? throw new ExpException(ExitCode.NotFound, $"'{rev}' is neither an experiment nor a Git revision")
            );
        }

        return commits;
    }
}
