using System.CommandLine;
using System.Globalization;
using GitExp.Core;
using GitExp.Core.Project;
using GitExp.Core.Remotes;
using GitExp.Tool.Rendering;

namespace GitExp.Tool.Cli;

/// <summary>
/// <c>dotnet exp remote …</c> (the cache remotes in .exp/config.yaml) and <c>dotnet exp cache push|pull|status</c>
/// (the workspace's cached outs against one of them).
/// </summary>
internal static class CacheRemoteCommands
{
    public static Command Remote(TextWriter output)
    {
        var local = new Option<bool>("--local")
        {
            Description = "Write to .exp/config.local.yaml (ignored by Git) instead of .exp/config.yaml.",
        };

        var addName = new Argument<string>("name") { Description = "The remote's name." };
        var addUrl = new Argument<string>("url")
        {
            Description = "A folder (local disk, NFS or SMB mount) or ssh://[user@]host[:port]/path.",
        };
        var makeDefault = new Option<bool>("--default", "-d") { Description = "Make it the default remote (core.remote)." };
        var add = new Command("add", "Add a cache remote.") { addName, addUrl, makeDefault, local };
        add.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var name = result.GetValue(addName)!;
                RemoteConfig.Add(project, name, result.GetValue(addUrl)!, result.GetValue(makeDefault), result.GetValue(local));
                output.WriteLine(
                    $"Added cache remote '{name}'{(result.GetValue(makeDefault) ? " as the default" : "")} to {(result.GetValue(local) ? RemoteConfig.LocalConfigFile : RemoteConfig.ConfigFile)}."
                );
                return 0;
            }
        );

        var list = new Command("list", "List the cache remotes (the default one is marked).");
        list.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var config = RemoteConfig.Load(project);
                var width = config.Remotes.Select(r => r.Name.Length).DefaultIfEmpty(0).Max();
                foreach (var remote in config.Remotes)
                {
                    var marks = new List<string>();
                    if (remote.Name == config.DefaultName)
                    {
                        marks.Add("default");
                    }

                    if (remote.Source.StartsWith(".dvc/", StringComparison.Ordinal))
                    {
                        marks.Add(remote.Source);
                    }

                    output.WriteLine(
                        $"{remote.Name.PadRight(width)}  {remote.Url}{(marks.Count > 0 ? $"  ({string.Join(", ", marks)})" : "")}"
                    );
                }

                return 0;
            }
        );

        var removeName = new Argument<string>("name") { Description = "The remote to remove." };
        var remove = new Command("remove", "Remove a cache remote (from both config files).") { removeName };
        remove.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                RemoteConfig.Remove(project, result.GetValue(removeName)!);
                output.WriteLine($"Removed cache remote '{result.GetValue(removeName)}'.");
                return 0;
            }
        );

        var defaultName = new Argument<string?>("name")
        {
            Description = "The remote to use when none is named (none: print the current default).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var setDefault = new Command("default", "Set (or print) the default cache remote.") { defaultName, local };
        setDefault.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                if (result.GetValue(defaultName) is not { } name)
                {
                    var current =
                        RemoteConfig.Load(project).DefaultName
                        ?? throw new ExpException(
                            ExitCode.NotFound,
                            "no default cache remote (set one with 'dotnet exp remote default <name>')"
                        );
                    output.WriteLine(current);
                    return 0;
                }

                RemoteConfig.SetDefault(project, name, result.GetValue(local));
                output.WriteLine($"Cache remote '{name}' is now the default.");
                return 0;
            }
        );

        var modifyName = new Argument<string>("name") { Description = "The remote to change." };
        var option = new Argument<string>("option")
        {
            Description =
                $"One of: {string.Join(", ", RemoteConfig.OptionNames)} (keyfile and password always go to .exp/config.local.yaml).",
        };
        var value = new Argument<string?>("value") { Description = "The new value.", Arity = ArgumentArity.ZeroOrOne };
        var unset = new Option<bool>("--unset", "-u") { Description = "Remove the option instead of setting it." };
        var modify = new Command("modify", "Set or remove one option of a cache remote.")
        {
            modifyName,
            option,
            value,
            unset,
            local,
        };
        modify.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var given = result.GetValue(value);
                if (given is null != result.GetValue(unset))
                {
                    throw new ExpException(ExitCode.Usage, "remote modify: give a value, or --unset to remove the option");
                }

                var file = RemoteConfig.Modify(
                    project,
                    result.GetValue(modifyName)!,
                    result.GetValue(option)!,
                    given,
                    result.GetValue(local)
                );
                var shown = result.GetValue(option) == "password" ? "(hidden)" : given;
                output.WriteLine(
                    given is null
                        ? $"Removed '{result.GetValue(option)}' of cache remote '{result.GetValue(modifyName)}' from {file}."
                        : $"Set '{result.GetValue(option)}' of cache remote '{result.GetValue(modifyName)}' to {shown} in {file}."
                );
                return 0;
            }
        );

        return new Command("remote", "Manage cache remotes: where cached outs are pushed to and pulled from.")
        {
            add,
            list,
            remove,
            setDefault,
            modify,
        };
    }

    /// <summary>The options every transfer takes: -r, -j, and --run-cache for push and pull.</summary>
    internal sealed record TransferOptions(Option<string?> Remote, Option<int?> Jobs, Option<bool> RunCache)
    {
        public static TransferOptions Create() =>
            new(
                new Option<string?>("--remote", "-r")
                {
                    Description = "The cache remote (default: core.remote, see 'dotnet exp remote list').",
                },
                new Option<int?>("--jobs", "-j")
                {
                    Description = "Objects transferred at once (default: the remote's jobs option, else 4).",
                },
                new Option<bool>("--run-cache") { Description = "Transfer the run-cache's entries (and their outs) too." }
            );

        public void AddTo(Command command, bool runCache)
        {
            command.Options.Add(Remote);
            command.Options.Add(Jobs);
            if (runCache)
            {
                command.Options.Add(RunCache);
            }
        }
    }

    /// <summary>A transfer to the cache remote the options name (or the default one); null when there is none.</summary>
    internal static (CacheTransfer Transfer, ICacheRemote Remote)? OpenTransfer(
        ExpProject project,
        ParseResult result,
        TransferOptions options,
        TextWriter output
    )
    {
        var jobs = result.GetValue(options.Jobs);
        if (jobs is <= 0)
        {
            throw new ExpException(ExitCode.Usage, $"--jobs '{jobs}': expected a whole number of 1 or more");
        }

        var settings = RemoteConfig.Load(project).Resolve(result.GetValue(options.Remote));
        if (settings is null)
        {
            return null;
        }

        var count = CacheTransfer.Jobs(jobs, settings);
        var remote = CacheTransfer.Open(settings, count);
        var live = output == Console.Out && !Console.IsOutputRedirected;
        var events = new RunEventsWriter(output, summarize: false, Verbosity.Normal, live);
        return (new CacheTransfer(project, settings, remote, count, events), remote);
    }

    /// <summary>"Pushed 12 objects (1.0 GiB) to cache remote 'storage' in 3.2 s (312.0 MiB/s); 988 already there."</summary>
    internal static void WriteSummary(TextWriter output, TextWriter error, CacheTransferSummary summary, bool push)
    {
        var rate = summary.Elapsed.TotalSeconds > 0 ? summary.Bytes / summary.Elapsed.TotalSeconds : 0;
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"{(push ? "Pushed" : "Pulled")} {summary.Transferred:N0} {(summary.Transferred == 1 ? "object" : "objects")} ({RunEventsWriter.Bytes(summary.Bytes)}) {(push ? "to" : "from")} cache remote '{summary.Remote}' in {RunEventsWriter.Elapsed(summary.Elapsed)} ({RunEventsWriter.Bytes((long)rate)}/s); {summary.Skipped:N0} already there"
        );
        if (summary.RunCacheEntries > 0)
        {
            line += string.Create(CultureInfo.InvariantCulture, $"; {summary.RunCacheEntries:N0} run-cache entries");
        }

        output.WriteLine(line + ".");
        if (summary.NotInCache.Count > 0)
        {
            error.WriteLine(
                $"warning: not in the local cache, not pushed: {string.Join(", ", summary.NotInCache.Take(5))}{(summary.NotInCache.Count > 5 ? $", ... ({summary.NotInCache.Count} outs)" : "")}"
            );
        }
    }

    public static Command Cache(TextWriter output, TextWriter error)
    {
        Command Transfer(string name, string description, bool push)
        {
            var targets = new Argument<string[]>("targets")
            {
                Description = "Stages or out paths (default: every cached out of the workspace's lock files).",
                Arity = ArgumentArity.ZeroOrMore,
            };
            var options = TransferOptions.Create();
            var command = new Command(name, description) { targets };
            options.AddTo(command, runCache: true);
            command.SetAction(
                async (result, cancellationToken) =>
                {
                    var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                    var outs = await CachedOuts
                        .OfWorkspaceAsync(project, result.GetValue(targets) ?? [], cancellationToken)
                        .ConfigureAwait(false);
                    var opened = OpenTransfer(project, result, options, output) ?? throw NoRemote();
                    await using (opened.Remote.ConfigureAwait(false))
                    {
                        var runCache = result.GetValue(options.RunCache);
                        var summary = push
                            ? await opened.Transfer.PushAsync(outs, runCache, cancellationToken).ConfigureAwait(false)
                            : await opened.Transfer.PullAsync(outs, runCache, cancellationToken).ConfigureAwait(false);
                        WriteSummary(output, error, summary, push);
                        if (!push)
                        {
                            var restored = CachedOuts.RestoreAbsent(project, outs);
                            if (restored > 0)
                            {
                                output.WriteLine($"Restored {restored} {(restored == 1 ? "out" : "outs")} into the workspace.");
                            }
                        }
                    }

                    return 0;
                }
            );
            return command;
        }

        var statusTargets = new Argument<string[]>("targets")
        {
            Description = "Stages or out paths (default: every cached out of the workspace's lock files).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var statusOptions = TransferOptions.Create();
        var status = new Command("status", "Compare the workspace's cached outs in the local cache and on a cache remote.")
        {
            statusTargets,
        };
        statusOptions.AddTo(status, runCache: false);
        status.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var outs = await CachedOuts
                    .OfWorkspaceAsync(project, result.GetValue(statusTargets) ?? [], cancellationToken)
                    .ConfigureAwait(false);
                var opened = OpenTransfer(project, result, statusOptions, output) ?? throw NoRemote();
                await using (opened.Remote.ConfigureAwait(false))
                {
                    var entries = await opened.Transfer.StatusAsync(outs, cancellationToken).ConfigureAwait(false);
                    var differing = entries.Where(e => !(e.InCache && e.OnRemote)).ToList();
                    foreach (var e in differing)
                    {
                        var word =
                            e.InCache ? "new"
                            : e.OnRemote ? "deleted"
                            : "missing";
                        output.WriteLine($"\t{word + ":", -9}{e.Path}");
                    }

                    if (differing.Count == 0)
                    {
                        output.WriteLine(
                            $"Cache and remote are in sync ({entries.Count} {(entries.Count == 1 ? "out" : "outs")})."
                        );
                    }
                    else
                    {
                        output.WriteLine(
                            "new: only in the local cache ('cache push' sends it); deleted: only on the remote ('cache pull' fetches it); missing: in neither."
                        );
                    }
                }

                return 0;
            }
        );

        return new Command("cache", "Move the workspace's cached outs to and from a cache remote (as 'dvc push', 'dvc pull').")
        {
            Transfer("push", "Send the cached outs the cache remote lacks.", push: true),
            Transfer(
                "pull",
                "Fetch the cached outs the local cache lacks (verified by hash) and restore the absent ones.",
                push: false
            ),
            status,
        };
    }

    private static ExpException NoRemote() =>
        new(
            ExitCode.NotFound,
            "no cache remote: name one with -r, or set a default with 'dotnet exp remote add <name> <url> -d'"
        );
}
