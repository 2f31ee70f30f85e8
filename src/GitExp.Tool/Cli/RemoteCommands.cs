using System.CommandLine;
using GitExp.Core.Experiments;

namespace GitExp.Tool.Cli;

/// <summary><c>dotnet exp push</c> and <c>pull</c>: experiments shared through an ordinary Git remote.</summary>
internal static class RemoteCommands
{
    public static Command Push(TextWriter output) =>
        Create(
            output,
            "push",
            "Push experiments (their refs and commits) to a Git remote; cached outs are not transferred.",
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
            null
        );

    public static Command Pull(TextWriter output) =>
        Create(
            output,
            "pull",
            "Pull experiments (their refs and commits) from a Git remote; cached outs are not transferred.",
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
            "Cached outs are not transferred: 'dotnet exp apply' restores only those in the local cache. "
                + "'dotnet exp runs reindex' adds pulled experiments to the run store."
        );

    private static Command Create(
        TextWriter output,
        string name,
        string description,
        string experimentsDescription,
        Func<ExperimentRemote, ExperimentSelection, bool, CancellationToken, Task<IReadOnlyList<ExperimentTransfer>>> transfer,
        Func<ExperimentTransfer, string, string> describe,
        string? footer
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
        var command = new Command(name, description) { remote, experiments, all, rev, force };
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
                var transfers = await transfer(
                        new ExperimentRemote(project.Git, remoteName),
                        selection,
                        result.GetValue(force),
                        cancellationToken
                    )
                    .ConfigureAwait(false);
                foreach (var done in transfers)
                {
                    output.WriteLine(describe(done, remoteName));
                }

                if (footer is not null && transfers.Any(t => t.Outcome != TransferOutcome.UpToDate))
                {
                    output.WriteLine(footer);
                }

                return 0;
            }
        );
        return command;
    }
}
