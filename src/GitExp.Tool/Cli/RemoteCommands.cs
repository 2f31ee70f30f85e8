using System.CommandLine;
using GitExp.Core.Experiments;
using GitExp.Core.Remotes;

namespace GitExp.Tool.Cli;

/// <summary><c>dotnet exp push</c> and <c>pull</c>: experiments shared through an ordinary Git remote.</summary>
internal static class RemoteCommands
{
    public static Command Push(TextWriter output, TextWriter error) =>
        Create(
            output,
            error,
            true,
            "push",
            "Push experiments (their refs and commits) to a Git remote, and their cached outs to the cache remote.",
            "Experiments to push: names, refs or commits (default: those of the current baseline).",
            async (remote, selection, force, cancellationToken) =>
                await remote.PushAsync(selection, force, cancellationToken).ConfigureAwait(false),
            (transfer, remote) =>
                transfer.Outcome switch
                {
                    TransferOutcome.UpToDate =>
                        $"Experiment '{transfer.Name}' ({transfer.Commit[..7]}) is already up to date on '{remote}'.",
                    TransferOutcome.Replaced =>
                        $"Pushed experiment '{transfer.Name}' ({transfer.Commit[..7]}) to '{remote}', replacing the diverged one there.",
                    _ => $"Pushed experiment '{transfer.Name}' ({transfer.Commit[..7]}) to '{remote}'.",
                },
            NoCacheRemote
        );

    public static Command Pull(TextWriter output, TextWriter error) =>
        Create(
            output,
            error,
            false,
            "pull",
            "Pull experiments (their refs and commits) from a Git remote, and their cached outs from the cache remote.",
            "Experiments to pull: names, refs or commits on the remote (default: those of the current baseline).",
            async (remote, selection, force, cancellationToken) =>
                await remote.PullAsync(selection, force, cancellationToken).ConfigureAwait(false),
            (transfer, remote) =>
                transfer.Outcome switch
                {
                    TransferOutcome.UpToDate => $"Experiment '{transfer.Name}' ({transfer.Commit[..7]}) is already up to date.",
                    TransferOutcome.Replaced =>
                        $"Pulled experiment '{transfer.Name}' ({transfer.Commit[..7]}) from '{remote}', replacing the diverged local one.",
                    _ => $"Pulled experiment '{transfer.Name}' ({transfer.Commit[..7]}) from '{remote}'.",
                },
            NoCacheRemote + " 'dotnet exp runs reindex' adds pulled experiments to the run store."
        );

    private const string NoCacheRemote =
        "Cached outs were not transferred: no cache remote is configured (see 'dotnet exp remote add'); 'dotnet exp apply' restores only those in the local cache.";

    private static Command Create(
        TextWriter output,
        TextWriter error,
        bool push,
        string name,
        string description,
        string experimentsDescription,
        Func<ExperimentRemote, ExperimentSelection, bool, CancellationToken, Task<IReadOnlyList<ExperimentTransfer>>> transfer,
        Func<ExperimentTransfer, string, string> describe,
        string footer
    )
    {
        var remote = new Argument<string>("remote") { Description = "Git remote name (see 'git remote -v') or URL." };
        var experiments = new Argument<string[]>("experiments")
        {
            Description = experimentsDescription,
            Arity = ArgumentArity.ZeroOrMore,
        };
        var all = new Option<bool>("--all-commits", "-A") { Description = "Every experiment of every baseline." };
        var rev = new Option<string[]>("--rev") { Description = "Every experiment of these baseline commits (repeatable)." };
        var force = new Option<bool>("--force", "-f")
        {
            Description = "Replace experiments that diverged (recorded again on one side) instead of refusing.",
        };
        var noCache = new Option<bool>("--no-cache")
        {
            Description = "Refs and commits only: leave the cached outs where they are.",
        };
        var transferOptions = CacheRemoteCommands.TransferOptions.Create();
        var command = new Command(name, description) { remote, experiments, all, rev, force, noCache };
        transferOptions.AddTo(command, runCache: true);
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var remoteName = result.GetValue(remote)!;
                var selection = new ExperimentSelection(
                    result.GetValue(experiments) ?? [],
                    result.GetValue(rev) ?? [],
                    result.GetValue(all)
                );
                var opened = result.GetValue(noCache)
                    ? null
                    : CacheRemoteCommands.OpenTransfer(project, result, transferOptions, output);
                var gitRemote = new ExperimentRemote(project.Git, remoteName)
                {
                    Cache = opened?.Transfer,
                    RunCache = result.GetValue(transferOptions.RunCache),
                };
                IReadOnlyList<ExperimentTransfer> transfers;
                try
                {
                    transfers = await transfer(gitRemote, selection, result.GetValue(force), cancellationToken)
                        .ConfigureAwait(false);
                }
                finally
                {
                    if (opened is { Remote: var cacheRemote })
                    {
                        await cacheRemote.DisposeAsync().ConfigureAwait(false);
                    }
                }

                foreach (var done in transfers)
                {
                    output.WriteLine(describe(done, remoteName));
                }

                if (gitRemote.CacheSummary is { } summary)
                {
                    CacheRemoteCommands.WriteSummary(output, error, summary, push);
                }
                else if (!result.GetValue(noCache) && transfers.Any(t => t.Outcome != TransferOutcome.UpToDate))
                {
                    output.WriteLine(footer);
                }

                return 0;
            }
        );
        return command;
    }
}
