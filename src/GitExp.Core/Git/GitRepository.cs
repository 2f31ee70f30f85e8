using System.Globalization;
using System.Text;
using GitExp.Core.Processes;

namespace GitExp.Core.Git;

/// <summary>One update inside an atomic <c>git update-ref --stdin</c> transaction.</summary>
/// <param name="Ref">Full ref name.</param>
/// <param name="NewValue">The new object id, or null to delete the ref.</param>
/// <param name="OldValue">The value the ref must have now; <see cref="GitRepository.ZeroId"/> means "must not exist".</param>
public sealed record RefUpdate(string Ref, string? NewValue, string? OldValue);

/// <summary>One ref of a <see cref="GitRepository.PushAsync"/>: the commit to push and the value the remote ref must have now ("" = must not exist).</summary>
public sealed record RemotePush(string Ref, string Commit, string ExpectedRemote);

/// <summary>A ref, the commit it points at and that commit's whole message.</summary>
public sealed record RefMessage(string Ref, string Commit, string Message);

/// <summary>A ref with the commit it points at and that commit's facts (trailers as text), as read by for-each-ref.</summary>
public sealed record RefInfo(
    string Name,
    string Commit,
    string Tree,
    IReadOnlyList<string> Parents,
    DateTimeOffset CommitTime,
    string Subject
)
{
    public string Trailers { get; init; } = "";
}

/// <summary>Every access to Git goes through here: the <c>git</c> program, never a library.</summary>
public sealed class GitRepository
{
    public const string ZeroId = "0000000000000000000000000000000000000000";

    private GitRepository(string root, string gitDir)
    {
        Root = root;
        GitDir = gitDir;
    }

    /// <summary>The top of the work tree (absolute).</summary>
    public string Root { get; }

    /// <summary>The repository's git directory (absolute; for a linked worktree, its own one).</summary>
    public string GitDir { get; }

    /// <summary>Where the facts of commits are remembered between commands; null: always read them from Git.</summary>
    public Project.FactsFile? CommitFactsCache { get; set; }

    public static async Task<GitRepository> DiscoverAsync(string directory, CancellationToken cancellationToken = default)
    {
        var result = await ProcessRunner
            .RunAsync(
                "git",
                ["rev-parse", "--show-toplevel", "--absolute-git-dir"],
                directory,
                cancellationToken: cancellationToken
            )
            .ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new ExpException(
                ExitCode.NotARepository,
                $"'{directory}' is not inside a Git work tree: run 'git init' and commit once, then try again"
            );
        }

        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return new GitRepository(lines[0].Trim(), lines[1].Trim());
    }

    /// <summary>Runs git in the work tree and returns its output; a failure throws <see cref="GitCommandException"/>.</summary>
    public async Task<string> RunAsync(
        IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? input = null,
        CancellationToken cancellationToken = default
    )
    {
        var result = await TryRunAsync(arguments, environment, input, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new GitCommandException(string.Join(' ', arguments), result.ExitCode, result.StandardError);
        }

        return result.StandardOutput;
    }

    public Task<ProcessResult> TryRunAsync(
        IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? input = null,
        CancellationToken cancellationToken = default
    ) => ProcessRunner.RunAsync("git", arguments, Root, environment, input, cancellationToken);

    public CatFileBatch OpenObjectReader() => new(Root, null);

    /// <summary>The commit HEAD points at; a repository without commits is a user error.</summary>
    public async Task<string> HeadCommitAsync(CancellationToken cancellationToken = default) =>
        await ResolveCommitAsync("HEAD", cancellationToken).ConfigureAwait(false)
        ?? throw new ExpException(
            ExitCode.NotARepository,
            "the Git repository has no commit yet: commit once (git commit) before running experiments"
        );

    /// <summary>The short name of the checked-out branch, or null on a detached HEAD.</summary>
    public async Task<string?> CurrentBranchAsync(CancellationToken cancellationToken = default)
    {
        var result = await TryRunAsync(["symbolic-ref", "--quiet", "--short", "HEAD"], cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return result.ExitCode == 0 ? result.StandardOutput.Trim() : null;
    }

    /// <summary>Resolves a revision to a commit id, or null if it names no commit.</summary>
    public async Task<string?> ResolveCommitAsync(string revision, CancellationToken cancellationToken = default)
    {
        var result = await TryRunAsync(
                ["rev-parse", "--verify", "--quiet", "--end-of-options", revision + "^{commit}"],
                cancellationToken: cancellationToken
            )
            .ConfigureAwait(false);
        return result.ExitCode == 0 ? result.StandardOutput.Trim() : null;
    }

    /// <summary>
    /// A name for a commit as DVC's <c>describe</c> gives one: the current branch, else another branch, else a tag
    /// pointing exactly at it; null when none does.
    /// </summary>
    public async Task<string?> DescribeAsync(string commit, CancellationToken cancellationToken = default)
    {
        // A commit this repository does not have (a remote's experiment on an unfetched baseline) has no name here.
        var listed = await TryRunAsync(
                ["for-each-ref", "--points-at=" + commit, "--format=%(refname)", "refs/heads", "refs/tags"],
                cancellationToken: cancellationToken
            )
            .ConfigureAwait(false);
        if (listed.ExitCode != 0)
        {
            return null;
        }

        var names = listed.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var current = await CurrentBranchAsync(cancellationToken).ConfigureAwait(false);
        var branches = names
            .Where(n => n.StartsWith("refs/heads/", StringComparison.Ordinal))
            .Select(n => n["refs/heads/".Length..]);
        var tags = names.Where(n => n.StartsWith("refs/tags/", StringComparison.Ordinal)).Select(n => n["refs/tags/".Length..]);
        return branches.FirstOrDefault(b => b == current) ?? branches.FirstOrDefault() ?? tags.FirstOrDefault();
    }

    /// <summary>The commit and up to <paramref name="count"/> - 1 of its first-parent ancestors, newest first.</summary>
    public async Task<IReadOnlyList<string>> FirstParentCommitsAsync(
        string commit,
        int count,
        CancellationToken cancellationToken = default
    ) =>
        (
            await RunAsync(
                    ["rev-list", "--first-parent", "--max-count=" + count.ToString(CultureInfo.InvariantCulture), commit],
                    cancellationToken: cancellationToken
                )
                .ConfigureAwait(false)
        ).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public async Task<string> TreeOfAsync(string commit, CancellationToken cancellationToken = default) =>
        (
            await RunAsync(["rev-parse", "--verify", commit + "^{tree}"], cancellationToken: cancellationToken)
                .ConfigureAwait(false)
        ).Trim();

    /// <summary>Lists refs under a prefix with their commit, parents, commit time and subject.</summary>
    /// <remarks>
    /// The refs come from a plain <c>for-each-ref</c> (which opens no object); the facts of their commits
    /// from <see cref="CommitFactsAsync"/>, so a listing repeated over unchanged experiments reads no commit.
    /// </remarks>
    public async Task<IReadOnlyList<RefInfo>> ListRefsAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var output = await RunAsync(
                ["for-each-ref", "--format=%(refname)%00%(objectname)", prefix],
                cancellationToken: cancellationToken
            )
            .ConfigureAwait(false);
        // Names and commits side by side (not a list of tuples: each generic over a value type costs JIT time at start-up).
        var names = new List<string>();
        var commits = new List<string>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var zero = line.IndexOf('\0', StringComparison.Ordinal);
            if (zero > 0)
            {
                names.Add(line[..zero]);
                commits.Add(line[(zero + 1)..]);
            }
        }

        var facts = await CommitFactsAsync(commits, cancellationToken).ConfigureAwait(false);
        var refs = new List<RefInfo>(names.Count);
        for (var i = 0; i < names.Count; i++)
        {
            if (facts.TryGetValue(commits[i], out var f))
            {
                refs.Add(
                    new RefInfo(
                        names[i],
                        commits[i],
                        f.Tree,
                        f.Parents,
                        DateTimeOffset.FromUnixTimeSeconds(f.CommitTime),
                        f.Subject
                    )
                    {
                        Trailers = f.Trailers,
                    }
                );
            }
        }

        return refs;
    }

    /// <summary>
    /// The facts of many commits: those remembered in <see cref="CommitFactsCache"/>, the rest read by one
    /// <c>git rev-list --no-walk --stdin</c> (and remembered). A commit that does not exist is left out.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, CommitFacts>> CommitFactsAsync(
        IReadOnlyCollection<string> commits,
        CancellationToken cancellationToken = default
    )
    {
        var facts = new Dictionary<string, CommitFacts>(StringComparer.Ordinal);
        var missing = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var commit in commits)
        {
            if (!seen.Add(commit))
            {
                continue;
            }

            if (CommitFactsCache?.TryGet(commit, out var json) == true && CommitFacts.TryParse(json, out var known))
            {
                facts[commit] = known;
            }
            else
            {
                missing.Add(commit);
            }
        }

        if (missing.Count == 0)
        {
            return facts;
        }

        // rev-list is plumbing: unlike log, no user setting (log.showSignature, ...) changes its output.
        var output = await RunAsync(
                ["rev-list", "--no-walk=unsorted", "--stdin", "--format=" + CommitFacts.PrettyFormat],
                input: string.Join('\n', missing) + "\n",
                cancellationToken: cancellationToken
            )
            .ConfigureAwait(false);
        foreach (var record in output.Split('\u001e'))
        {
            // Each record follows rev-list's own "commit <id>" line.
            var text = record.TrimStart('\n');
            var newline = text.IndexOf('\n', StringComparison.Ordinal);
            if (newline < 0 || CommitFacts.ParseRecord(text[(newline + 1)..]) is not { } parsed)
            {
                continue;
            }

            facts[parsed.Commit] = parsed.Facts;
            CommitFactsCache?.Add(parsed.Commit, parsed.Facts.ToJson());
        }

        CommitFactsCache?.Flush();
        return facts;
    }

    /// <summary>
    /// Where the last value of every ref GitExp deletes is recorded, in Git's reflog format: Git deletes a ref's own
    /// reflog with the ref, and this file keeps the commits reachable for <c>git gc</c> until the entries expire.
    /// </summary>
    public string RemovedRefsLog => Path.Combine(CommonDir, "logs", "refs", "exps-removed");

    /// <summary>Applies ref changes as one atomic transaction; each checks the ref's current value.</summary>
    /// <remarks>
    /// Every ref written gets a reflog entry (<c>--create-reflog</c>: Git keeps none for refs outside
    /// <c>refs/heads</c> by default), and every ref deleted is first recorded in <see cref="RemovedRefsLog"/>,
    /// so any change GitExp makes can be undone with plain git (docs/commands.md, "Recovering experiments").
    /// </remarks>
    /// <exception cref="ExpException">A ref moved under us: someone else changed it first.</exception>
    public async Task UpdateRefsAsync(
        IEnumerable<RefUpdate> updates,
        string reflogMessage,
        CancellationToken cancellationToken = default
    )
    {
        var script = new StringBuilder("start\n");
        var deleted = new List<RefUpdate>();
        foreach (var update in updates)
        {
            if (update.NewValue is null)
            {
                script.Append(CultureInfo.InvariantCulture, $"delete {update.Ref} {update.OldValue}\n");
                if (update.OldValue is { } old && old != ZeroId)
                {
                    deleted.Add(update);
                }
            }
            else
            {
                script.Append(CultureInfo.InvariantCulture, $"update {update.Ref} {update.NewValue} {update.OldValue}\n");
            }
        }

        script.Append("prepare\ncommit\n");
        // Recorded before the refs go: a record of a ref that then stayed (a failed transaction) harms nothing.
        await RecordRemovedAsync(deleted, reflogMessage, cancellationToken).ConfigureAwait(false);
        var result = await TryRunAsync(
                ["update-ref", "--create-reflog", "-m", reflogMessage, "--stdin"],
                input: script.ToString(),
                cancellationToken: cancellationToken
            )
            .ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new ExpException(
                ExitCode.Conflict,
                "a Git ref changed while this command ran ("
                    + FirstLine(result.StandardError)
                    + "); nothing was changed, try again"
            );
        }
    }

    /// <summary>Appends one reflog-format line per deleted ref: its last value, who, when, and the ref's name.</summary>
    private async Task RecordRemovedAsync(List<RefUpdate> deleted, string reflogMessage, CancellationToken cancellationToken)
    {
        if (deleted.Count == 0)
        {
            return;
        }

        var ident = await TryRunAsync(["var", "GIT_COMMITTER_IDENT"], cancellationToken: cancellationToken).ConfigureAwait(false);
        // The clock, not GIT_COMMITTER_DATE: the entries expire (git gc) counting from when the ref was removed.
        var name = ident.StandardOutput.LastIndexOf('>') is var end and > 0 ? ident.StandardOutput[..(end + 1)].Trim() : "";
        var who =
            (ident.ExitCode == 0 && name.Length > 0 ? name : "GitExp <gitexp@localhost>")
            + $" {DateTimeOffset.UtcNow.ToUnixTimeSeconds()} +0000";
        var lines = new StringBuilder();
        foreach (var update in deleted)
        {
            // Git's reflog line: "<old> <new> <ident>\t<message>"; the message names the ref to restore.
            var message = (reflogMessage + ": " + update.Ref).Replace('\n', ' ');
            lines.Append(CultureInfo.InvariantCulture, $"{update.OldValue} {ZeroId} {who}\t{message}\n");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(RemovedRefsLog)!);
        // Concurrent writers (queue workers) take turns, so lines never interleave.
        using var held = await Project
            .FileLock.AcquireAsync(Path.Combine(CommonDir, "gitexp-removed.lock"), cancellationToken)
            .ConfigureAwait(false);
        await File.AppendAllTextAsync(RemovedRefsLog, lines.ToString(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>True when <paramref name="refName"/> is a valid full ref name by Git's own rules.</summary>
    public async Task<bool> IsValidRefNameAsync(string refName, CancellationToken cancellationToken = default) =>
        (await TryRunAsync(["check-ref-format", refName], cancellationToken: cancellationToken).ConfigureAwait(false)).ExitCode
        == 0;

    /// <summary>
    /// Writes a tree of the work tree as it is now (tracked changes and untracked, not ignored files)
    /// without touching the user's index: a copy of it is updated in a private index file.
    /// </summary>
    /// <param name="exclude">Repo-relative paths to leave out (cached outputs).</param>
    public async Task<string> WriteWorkspaceTreeAsync(
        IReadOnlyCollection<string> exclude,
        CancellationToken cancellationToken = default,
        IReadOnlyCollection<string>? include = null
    )
    {
        var indexPath = Path.Combine(GitDir, "exp-index-" + Guid.NewGuid().ToString("N"));
        try
        {
            var userIndex = Path.Combine(GitDir, "index");
            if (File.Exists(userIndex))
            {
                // Starting from the user's index keeps its stat data, so git re-hashes only what changed.
                File.Copy(userIndex, indexPath);
            }

            var environment = new Dictionary<string, string?> { ["GIT_INDEX_FILE"] = indexPath };
            // Ignored paths (cached outs are) stay out by themselves; naming them in a pathspec would make git add fail.
            await RunAsync(["add", "--all", "--", ":/"], environment, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (include is { Count: > 0 })
            {
                // Paths asked for by name (exp save -I) go in even when .gitignore names them.
                var add = new List<string> { "add", "--all", "--force", "--" };
                add.AddRange(include.Select(path => ":(top,literal)" + path));
                await RunAsync(add, environment, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            if (exclude.Count > 0)
            {
                // A cached output that HEAD happened to track must not stay in the tree either.
                var remove = new List<string> { "rm", "--cached", "-r", "-q", "--ignore-unmatch", "--" };
                remove.AddRange(exclude.Select(path => ":(top,literal)" + path));
                await RunAsync(remove, environment, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            return (
                await RunAsync(["write-tree"], environment, cancellationToken: cancellationToken).ConfigureAwait(false)
            ).Trim();
        }
        finally
        {
            File.Delete(indexPath);
        }
    }

    /// <summary>Creates a commit object (no ref moves) and returns its id.</summary>
    public async Task<string> CommitTreeAsync(
        string tree,
        IReadOnlyList<string> parents,
        string message,
        CancellationToken cancellationToken = default
    )
    {
        var arguments = new List<string> { "commit-tree", tree };
        foreach (var parent in parents)
        {
            arguments.Add("-p");
            arguments.Add(parent);
        }

        return (await RunAsync(arguments, input: message, cancellationToken: cancellationToken).ConfigureAwait(false)).Trim();
    }

    /// <summary>
    /// Makes the work tree match <paramref name="targetTree"/> where it differs from <paramref name="currentTree"/>,
    /// the way a branch switch does, through a private index: HEAD and the user's index stay as they are.
    /// </summary>
    /// <exception cref="ExpException">The switch would write a path only GitExp writes (<see cref="ToolPaths"/>): nothing changes.</exception>
    public async Task CheckoutTreeAsync(string currentTree, string targetTree, CancellationToken cancellationToken = default)
    {
        var written = (
            await RunAsync(
                    ["diff", "--name-only", "-z", "--no-renames", currentTree, targetTree],
                    cancellationToken: cancellationToken
                )
                .ConfigureAwait(false)
        ).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        if (ToolPaths.FirstInternal(written) is { } path)
        {
            throw ToolPathRefused(path, $"the commit being checked out (tree {targetTree[..7]})");
        }

        var indexPath = Path.Combine(GitDir, "exp-index-" + Guid.NewGuid().ToString("N"));
        try
        {
            var environment = new Dictionary<string, string?> { ["GIT_INDEX_FILE"] = indexPath };
            await RunAsync(["read-tree", currentTree], environment, cancellationToken: cancellationToken).ConfigureAwait(false);
            // Fresh stat data, so read-tree -u believes the work tree is up to date with currentTree.
            await TryRunAsync(["update-index", "-q", "--refresh"], environment, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            await RunAsync(["read-tree", "-m", "-u", currentTree, targetTree], environment, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }
        finally
        {
            File.Delete(indexPath);
        }
    }

    /// <summary>Refuses a commit whose tree holds a path only GitExp writes (<see cref="ToolPaths"/>).</summary>
    /// <param name="label">What the commit is, for the message ("experiment 'x' of remote 'origin'").</param>
    public async Task RefuseToolPathsAsync(string commit, string label, CancellationToken cancellationToken = default)
    {
        var paths = (
            await RunAsync(["ls-tree", "-r", "-z", "--name-only", "--full-tree", commit], cancellationToken: cancellationToken)
                .ConfigureAwait(false)
        ).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        if (ToolPaths.FirstInternal(paths) is { } path)
        {
            throw ToolPathRefused(path, label);
        }
    }

    private static ExpException ToolPathRefused(string path, string label) =>
        new(
            ExitCode.InvalidProject,
            $"{label} holds '{path}', a path only GitExp writes (.exp/ other than config.yaml and .gitignore, .exptmp/, .git): refused, nothing was changed"
        );

    /// <summary>The files of a commit at or under <paramref name="paths"/> (repo-relative; files and folders alike).</summary>
    public async Task<IReadOnlyList<string>> ListCommitFilesAsync(
        string commit,
        IReadOnlyList<string> paths,
        CancellationToken cancellationToken = default
    ) =>
        (
            await RunAsync(
                    ["ls-tree", "-r", "-z", "--name-only", "--full-tree", commit, "--", .. paths],
                    cancellationToken: cancellationToken
                )
                .ConfigureAwait(false)
        ).Split('\0', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Whether tracked files differ from HEAD (staged or not); untracked files do not count.</summary>
    public async Task<bool> HasTrackedChangesAsync(CancellationToken cancellationToken = default) =>
        (
            await RunAsync(["status", "--porcelain", "--untracked-files=no"], cancellationToken: cancellationToken)
                .ConfigureAwait(false)
        ).Length > 0;

    /// <summary>The commit message of a commit (full text).</summary>
    public async Task<string> CommitMessageAsync(string commit, CancellationToken cancellationToken = default) =>
        await RunAsync(["log", "-1", "--format=%B", commit], cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>Whether a path is ignored by the repository's ignore rules.</summary>
    public async Task<bool> IsIgnoredAsync(string relativePath, CancellationToken cancellationToken = default) =>
        (
            await TryRunAsync(["check-ignore", "-q", "--no-index", "--", relativePath], cancellationToken: cancellationToken)
                .ConfigureAwait(false)
        ).ExitCode == 0;

    /// <summary>Repo-relative paths of tracked and untracked-not-ignored files matching pathspecs.</summary>
    public async Task<IReadOnlyList<string>> ListFilesAsync(
        IReadOnlyList<string> pathspecs,
        CancellationToken cancellationToken = default
    )
    {
        var arguments = new List<string> { "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--full-name", "--" };
        arguments.AddRange(pathspecs);
        var output = await RunAsync(arguments, cancellationToken: cancellationToken).ConfigureAwait(false);
        return output.Split('\0', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Lists refs under a prefix with their commit and full commit message.</summary>
    public async Task<IReadOnlyList<RefMessage>> ListRefMessagesAsync(
        string prefix,
        CancellationToken cancellationToken = default
    )
    {
        // %1e (record separator) ends each record: messages hold newlines, never that byte.
        var output = await RunAsync(
                ["for-each-ref", "--format=%(refname)%00%(objectname)%00%(contents)%1e", prefix],
                cancellationToken: cancellationToken
            )
            .ConfigureAwait(false);
        var refs = new List<RefMessage>();
        foreach (var record in output.Split('\u001e'))
        {
            var fields = record.TrimStart('\n').Split('\0');
            if (fields.Length == 3)
            {
                refs.Add(new RefMessage(fields[0], fields[1], fields[2]));
            }
        }

        return refs;
    }

    /// <summary>Stores a blob and returns its id.</summary>
    public async Task<string> WriteBlobAsync(string content, CancellationToken cancellationToken = default) =>
        (
            await RunAsync(["hash-object", "-w", "--stdin"], input: content, cancellationToken: cancellationToken)
                .ConfigureAwait(false)
        ).Trim();

    /// <summary>A copy of <paramref name="tree"/> with some files' contents replaced (or added) by blobs.</summary>
    public Task<string> ReplaceBlobsAsync(
        string tree,
        IReadOnlyDictionary<string, string> blobsByPath,
        CancellationToken cancellationToken = default
    )
    {
        // -z keeps any file name (tabs, newlines, quotes) intact.
        var info = new StringBuilder();
        foreach (var (path, blob) in blobsByPath)
        {
            info.Append(CultureInfo.InvariantCulture, $"100644 {blob}\t{path}\0");
        }

        return EditTreeAsync(tree, info.ToString(), cancellationToken);
    }

    /// <summary>Paths of files that <paramref name="toTree"/> has and <paramref name="fromTree"/> has not (no rename detection).</summary>
    public async Task<IReadOnlyList<string>> AddedPathsAsync(
        string fromTree,
        string toTree,
        CancellationToken cancellationToken = default
    ) =>
        (
            await RunAsync(
                    ["diff", "--name-only", "-z", "--no-renames", "--diff-filter=A", fromTree, toTree],
                    cancellationToken: cancellationToken
                )
                .ConfigureAwait(false)
        ).Split('\0', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A copy of <paramref name="tree"/> without some files.</summary>
    public Task<string> RemovePathsAsync(
        string tree,
        IReadOnlyCollection<string> paths,
        CancellationToken cancellationToken = default
    )
    {
        if (paths.Count == 0)
        {
            return Task.FromResult(tree);
        }

        // Mode 0 removes the entry.
        var info = new StringBuilder();
        foreach (var path in paths)
        {
            info.Append(CultureInfo.InvariantCulture, $"0 {ZeroId}\t{path}\0");
        }

        return EditTreeAsync(tree, info.ToString(), cancellationToken);
    }

    /// <summary>
    /// <paramref name="tree"/> with NUL-terminated <c>update-index --index-info</c> lines applied, in a private index
    /// file: the user's index is never touched.
    /// </summary>
    private async Task<string> EditTreeAsync(string tree, string indexInfo, CancellationToken cancellationToken)
    {
        var indexPath = Path.Combine(GitDir, "exp-index-" + Guid.NewGuid().ToString("N"));
        try
        {
            var environment = new Dictionary<string, string?> { ["GIT_INDEX_FILE"] = indexPath };
            await RunAsync(["read-tree", tree], environment, cancellationToken: cancellationToken).ConfigureAwait(false);
            await RunAsync(["update-index", "-z", "--index-info"], environment, indexInfo, cancellationToken)
                .ConfigureAwait(false);
            return (
                await RunAsync(["write-tree"], environment, cancellationToken: cancellationToken).ConfigureAwait(false)
            ).Trim();
        }
        finally
        {
            File.Delete(indexPath);
        }
    }

    /// <summary>Checks out a commit into a new linked work tree (detached); HEAD and index of this one stay.</summary>
    /// <remarks>
    /// Holds the worktree lock: a concurrent <c>git worktree prune</c> (another worker cleaning up) would
    /// otherwise delete the new worktree's administrative folder before git has written its files.
    /// </remarks>
    public async Task AddWorktreeAsync(string path, string commit, CancellationToken cancellationToken = default)
    {
        using var held = await AcquireWorktreeLockAsync(cancellationToken).ConfigureAwait(false);
        string[] add = ["worktree", "add", "--quiet", "--detach", path, commit];
        if ((await TryRunAsync(add, cancellationToken: cancellationToken).ConfigureAwait(false)).ExitCode != 0)
        {
            // Most likely a stale registration of this path that RemoveWorktreeAsync could not see (a
            // folder deleted by hand under another spelling of the path): prune it, then try once more.
            await TryRunAsync(["worktree", "prune"], cancellationToken: cancellationToken).ConfigureAwait(false);
            await RunAsync(add, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Removes a linked work tree and its administrative files; a missing one is not an error.</summary>
    public async Task RemoveWorktreeAsync(string path, CancellationToken cancellationToken = default)
    {
        // Nothing on disk and nothing registered: the usual case before a new entry runs, and no git to start.
        if (!Directory.Exists(path) && !IsRegisteredWorktree(path))
        {
            return;
        }

        var removed = await TryRunAsync(["worktree", "remove", "--force", "--force", path], cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        if (removed.ExitCode == 0 && !Directory.Exists(path))
        {
            return; // 'worktree remove' deleted the administrative files too: nothing left to prune
        }

        if (Directory.Exists(path))
        {
            Cache.ContentCache.RemoveOutput(path);
        }

        // Prune deletes the administrative folder of any worktree that has no gitdir file yet, such as
        // one another worker is adding right now; the lock keeps the two apart.
        using var held = await AcquireWorktreeLockAsync(cancellationToken).ConfigureAwait(false);
        await TryRunAsync(["worktree", "prune"], cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Forgets the linked worktrees whose folder is gone (<c>git worktree prune</c>), under the worktree lock so a
    /// worktree being added is never taken for one; returns git's line for each.
    /// </summary>
    public async Task<IReadOnlyList<string>> PruneWorktreesAsync(CancellationToken cancellationToken = default)
    {
        using var held = await AcquireWorktreeLockAsync(cancellationToken).ConfigureAwait(false);
        var result = await TryRunAsync(["worktree", "prune", "--verbose"], cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new GitCommandException("worktree prune", result.ExitCode, result.StandardError);
        }

        return (result.StandardOutput + "\n" + result.StandardError).Split(
            '\n',
            StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries
        );
    }

    /// <summary>The repository's common git directory: where linked worktrees are registered.</summary>
    private string CommonDir
    {
        get
        {
            var file = Path.Combine(GitDir, "commondir");
            return File.Exists(file) ? Path.GetFullPath(Path.Combine(GitDir, File.ReadAllText(file).Trim())) : GitDir;
        }
    }

    /// <summary>Serializes adding and pruning linked worktrees across threads and processes.</summary>
    private Task<Project.FileLock> AcquireWorktreeLockAsync(CancellationToken cancellationToken) =>
        Project.FileLock.AcquireAsync(Path.Combine(CommonDir, "gitexp-worktrees.lock"), cancellationToken);

    /// <summary>Whether some <c>worktrees/*/gitdir</c> names <paramref name="path"/> (read from disk, no git).</summary>
    private bool IsRegisteredWorktree(string path)
    {
        var worktrees = Path.Combine(CommonDir, "worktrees");
        if (!Directory.Exists(worktrees))
        {
            return false;
        }

        var expected = Path.Combine(Path.GetFullPath(path), ".git");
        foreach (var admin in Directory.EnumerateDirectories(worktrees))
        {
            try
            {
                var gitdir = File.ReadAllText(Path.Combine(admin, "gitdir")).Trim();
                if (string.Equals(Path.GetFullPath(gitdir, Root), expected, StringComparison.Ordinal))
                {
                    return true;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Being added or pruned right now, or not a worktree's folder: not this path's registration.
            }
        }

        return false;
    }

    /// <summary>The refs of a remote that match <paramref name="pattern"/>, as ref name → commit (<c>git ls-remote</c>).</summary>
    /// <exception cref="ExpException">The remote is unknown, unreachable or refused access.</exception>
    public async Task<IReadOnlyDictionary<string, string>> ListRemoteRefsAsync(
        string remote,
        string pattern,
        CancellationToken cancellationToken = default
    )
    {
        await CheckRemoteAsync(remote, cancellationToken).ConfigureAwait(false);
        var result = await TryRunAsync(["ls-remote", "--refs", remote, pattern], cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw RemoteFailed(remote, "read", result.StandardError);
        }

        var refs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab > 0)
            {
                refs[line[(tab + 1)..].Trim()] = line[..tab];
            }
        }

        return refs;
    }

    /// <summary>Fetches the objects of some refs of a remote without updating any local ref (nor FETCH_HEAD).</summary>
    public async Task FetchObjectsAsync(
        string remote,
        IReadOnlyCollection<string> refs,
        CancellationToken cancellationToken = default
    )
    {
        var result = await TryRunAsync(
                ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--no-recurse-submodules", remote, .. refs],
                cancellationToken: cancellationToken
            )
            .ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw RemoteFailed(remote, "fetch from", result.StandardError);
        }
    }

    /// <summary>
    /// Pushes commits to refs of a remote in one atomic <c>git push</c>: all refs change or none. Each ref must
    /// still have the value seen before (<c>--force-with-lease</c>), so a concurrent push is never overwritten.
    /// </summary>
    public async Task PushAsync(
        string remote,
        IReadOnlyCollection<RemotePush> pushes,
        CancellationToken cancellationToken = default
    )
    {
        var arguments = new List<string> { "push", "--atomic", "--no-recurse-submodules" };
        arguments.AddRange(pushes.Select(p => $"--force-with-lease={p.Ref}:{p.ExpectedRemote}"));
        arguments.Add(remote);
        arguments.AddRange(pushes.Select(p => $"{p.Commit}:{p.Ref}"));
        var result = await TryRunAsync(arguments, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw RemoteFailed(remote, "push to", result.StandardError);
        }
    }

    /// <summary>True when <paramref name="ancestor"/> is <paramref name="descendant"/> or one of its ancestors (both must exist here).</summary>
    public async Task<bool> IsAncestorAsync(string ancestor, string descendant, CancellationToken cancellationToken = default) =>
        (
            await TryRunAsync(["merge-base", "--is-ancestor", ancestor, descendant], cancellationToken: cancellationToken)
                .ConfigureAwait(false)
        ).ExitCode == 0;

    /// <summary>
    /// Refuses a remote that is neither a configured remote nor a URL or path, before git gives its longer
    /// "does not appear to be a git repository".
    /// </summary>
    private async Task CheckRemoteAsync(string remote, CancellationToken cancellationToken)
    {
        if (remote.Length == 0 || remote.StartsWith('-'))
        {
            throw new ExpException(ExitCode.Usage, $"'{remote}' is not a Git remote name or URL");
        }

        var configured = (await RunAsync(["remote"], cancellationToken: cancellationToken).ConfigureAwait(false)).Split(
            '\n',
            StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries
        );
        var looksLikeUrlOrPath = remote.IndexOfAny([':', '/', '\\']) >= 0 || Directory.Exists(Path.Combine(Root, remote));
        if (!configured.Contains(remote, StringComparer.Ordinal) && !looksLikeUrlOrPath)
        {
            throw new ExpException(
                ExitCode.NotFound,
                $"no Git remote named '{remote}' ('git remote -v' lists the remotes; a URL or path works too)"
            );
        }
    }

    /// <summary>A remote operation failed: git's most telling line (a rejected ref, else its first line) on one line.</summary>
    private static ExpException RemoteFailed(string remote, string verb, string standardError)
    {
        var lines = standardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var telling =
            lines.FirstOrDefault(l =>
                l.Contains("[rejected]", StringComparison.Ordinal) || l.Contains("[remote rejected]", StringComparison.Ordinal)
            )
            ?? lines.FirstOrDefault()
            ?? "no message";
        return new ExpException(ExitCode.Remote, $"git could not {verb} remote '{remote}': {telling}");
    }

    private static string FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? "";
}
