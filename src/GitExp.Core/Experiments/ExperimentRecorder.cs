using GitExp.Core.Execution;
using GitExp.Core.Git;
using GitExp.Core.Pipeline;
using GitExp.Core.Project;

namespace GitExp.Core.Experiments;

/// <summary>Turns the workspace as it is now into an experiment commit on top of its baseline.</summary>
public sealed class ExperimentRecorder(ExpProject project)
{
    // Checkpoints of one run: the pipeline is read once, as the runner reads it once, and a cached out
    // already found ignored is not asked about again (two git spawns less per checkpoint).
    private IReadOnlyList<string>? _checkpointCachedOuts;
    private readonly HashSet<string> _knownIgnored = new(StringComparer.Ordinal);

    public async Task<(Experiment? Experiment, string? NotRecordedReason)> RecordAsync(
        string baseline,
        string name,
        string? message,
        bool overwrite,
        bool nameGiven,
        CancellationToken cancellationToken = default,
        IReadOnlyList<RefUpdate>? alsoUpdate = null,
        ExperimentChain? chain = null,
        string? trailers = null,
        IReadOnlyCollection<string>? include = null
    )
    {
        var git = project.Git;
        var cachedOuts = await CachedOutsAsync(cancellationToken).ConfigureAwait(false);
        await EnsureIgnoredAsync(cachedOuts, cancellationToken).ConfigureAwait(false);
        var tree = await git.WriteWorkspaceTreeAsync(cachedOuts, cancellationToken, include).ConfigureAwait(false);
        // A generated name asks only for "record this result": one that is already recorded (or is HEAD
        // itself) is not recorded twice. A name the user chose is always created, since scripts refer to it.
        if (chain is null && !nameGiven && tree == await git.TreeOfAsync(baseline, cancellationToken).ConfigureAwait(false))
        {
            return (null, "the workspace matches HEAD: nothing to record");
        }

        var store = new ExperimentStore(git);
        var siblings = (await store.ListAsync(cancellationToken).ConfigureAwait(false))
            .Where(e => e.Baseline == baseline)
            .ToList();
        var existing = siblings.FirstOrDefault(e => e.Name == name);
        if (chain is null && !nameGiven && siblings.FirstOrDefault(s => s.Name != name && s.Tree == tree) is { } twin)
        {
            return (null, $"experiment '{twin.Name}' already records this exact result");
        }

        var subject = string.IsNullOrWhiteSpace(message) ? $"exp: {name}" : message.Trim();
        var parent = chain?.Parent ?? baseline;
        if (chain?.LastCheckpoint is { } last && last.Tree == tree)
        {
            // The run ended exactly at its last checkpoint: the final commit takes that checkpoint's
            // place, so every commit of the chain is one step and name~N means N steps back.
            parent = last.Parent;
            trailers = $"{ExperimentChain.CheckpointTrailer}: {chain.Step}\n{trailers}";
        }

        var text = trailers is null ? subject + "\n" : subject + "\n\n" + trailers.TrimEnd('\n') + "\n";
        var commit = await git.CommitTreeAsync(tree, [parent], text, cancellationToken).ConfigureAwait(false);
        // A chain that already moved the ref (checkpoints) owns it; otherwise the name must still be free.
        var expectedOld = chain?.RefValue ?? (overwrite ? existing?.Commit : null);
        if (existing is not null && existing.Commit != expectedOld)
        {
            throw new ExpException(
                ExitCode.Conflict,
                $"experiment '{name}' was created by someone else during this run; nothing recorded (commit {commit[..7]})"
            );
        }

        // One transaction: the experiment appears exactly when, say, its queue entry disappears.
        var refName = Experiment.RefFor(baseline, name);
        await git.UpdateRefsAsync(
                [new RefUpdate(refName, commit, expectedOld ?? GitRepository.ZeroId), .. alsoUpdate ?? []],
                "exp: record " + name,
                cancellationToken
            )
            .ConfigureAwait(false);
        var info = new Experiment(name, refName, commit, tree, baseline, DateTimeOffset.UtcNow, subject);
        return (info, null);
    }

    /// <summary>Commits the workspace as a checkpoint on the chain and moves the experiment's ref to it.</summary>
    public async Task<string> CommitCheckpointAsync(ExperimentChain chain, int step, CancellationToken cancellationToken)
    {
        var git = project.Git;
        var cachedOuts = _checkpointCachedOuts ??= await CachedOutsAsync(cancellationToken).ConfigureAwait(false);
        await EnsureIgnoredAsync(cachedOuts, cancellationToken, _knownIgnored).ConfigureAwait(false);
        var tree = await git.WriteWorkspaceTreeAsync(cachedOuts, cancellationToken).ConfigureAwait(false);
        var message = string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"exp: {chain.Name} checkpoint {step}\n\n{ExperimentChain.CheckpointTrailer}: {step}\n"
        );
        var commit = await git.CommitTreeAsync(tree, [chain.Parent], message, cancellationToken).ConfigureAwait(false);
        await git.UpdateRefsAsync(
                [new RefUpdate(chain.Ref, commit, chain.RefValue ?? GitRepository.ZeroId)],
                $"exp: checkpoint {step} of {chain.Name}",
                cancellationToken
            )
            .ConfigureAwait(false);
        chain.Advance(commit, step, tree);
        return commit;
    }

    /// <summary>Repo-relative paths of every cached out: they are in the commit only as hashes in the lock.</summary>
    public async Task<IReadOnlyList<string>> CachedOutsAsync(CancellationToken cancellationToken)
    {
        var index = await PipelineIndex.LoadAsync(project, [], cancellationToken).ConfigureAwait(false);
        return index
            .Graph.Stages.SelectMany(s => s.Outs)
            .Where(o => o.Cache)
            .Select(o => o.Path)
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    // As DVC does, a cached out gets a line in the .gitignore beside it so 'git status' stays clean.
    private async Task EnsureIgnoredAsync(
        IReadOnlyList<string> cachedOuts,
        CancellationToken cancellationToken,
        HashSet<string>? knownIgnored = null
    )
    {
        foreach (var path in cachedOuts)
        {
            if (!File.Exists(project.FullPath(path)) && !Directory.Exists(project.FullPath(path)))
            {
                continue;
            }

            if (knownIgnored?.Contains(path) == true)
            {
                continue;
            }

            if (await project.Git.IsIgnoredAsync(path, cancellationToken).ConfigureAwait(false))
            {
                knownIgnored?.Add(path);
                continue;
            }

            var slash = path.LastIndexOf('/');
            var directory = slash < 0 ? "" : path[..slash];
            var ignoreFile = project.FullPath(directory.Length == 0 ? ".gitignore" : directory + "/.gitignore");
            var existing = File.Exists(ignoreFile)
                ? await File.ReadAllTextAsync(ignoreFile, cancellationToken).ConfigureAwait(false)
                : "";
            var separator = existing.Length == 0 || existing.EndsWith('\n') ? "" : "\n";
            await File.AppendAllTextAsync(ignoreFile, separator + "/" + path[(slash + 1)..] + "\n", cancellationToken)
                .ConfigureAwait(false);
            knownIgnored?.Add(path);
        }
    }
}
