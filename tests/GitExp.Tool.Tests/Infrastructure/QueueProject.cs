using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace GitExp.Tool.Tests.Infrastructure;

/// <summary>One entry of <c>queue status --json</c>.</summary>
public sealed record QueueRow(string Id, string Name, string Status, int? ExitCode, string? Message);

/// <summary>What <c>queue status --json</c> reports.</summary>
public sealed record QueueState(IReadOnlyList<QueueRow> Entries, int Workers)
{
    public QueueRow Named(string name) => Assert.Single(Entries, e => e.Name == name);
}

/// <summary>One experiment row of <c>exp show --json</c>.</summary>
public sealed record ShowRow(string Name, string Type, string State, JsonObject Params, JsonObject Metrics)
{
    public string? Param(string key, string file = "params.yaml") => Params[file]?[key]?.ToJsonString();

    public string? Metric(string key, string file = "metrics.json") => Metrics[file]?[key]?.ToJsonString();
}

/// <summary>
/// An initialized GitExp project in a temp repository for queue tests, with a side folder outside the
/// repository where stages leave evidence (execution counters, process ids). Disposing stops every
/// background worker and stage process the test started, then deletes both folders.
/// </summary>
public sealed class QueueProject : IAsyncDisposable
{
    /// <summary>In script texts, replaced by the side folder's absolute path.</summary>
    public const string SidePlaceholder = "{side}";

    private QueueProject(TempGitRepo repo, string side)
    {
        Repo = repo;
        Side = side;
    }

    public TempGitRepo Repo { get; }

    /// <summary>A folder outside the repository (and so outside every isolated workspace).</summary>
    public string Side { get; }

    public string Root => Repo.Root;

    /// <summary>
    /// A committed project of <paramref name="files"/> (with <see cref="SidePlaceholder"/> replaced) after
    /// <c>exp init</c>; <c>.gitignore</c> ignores <c>*.tmp</c> and <c>secret.txt</c> unless given.
    /// </summary>
    /// <param name="files">Text files of the project.</param>
    /// <param name="prepare">Adds other files (binaries) before the project is committed.</param>
    public static async Task<QueueProject> CreateAsync(
        IReadOnlyDictionary<string, string> files,
        Action<QueueProject>? prepare = null
    )
    {
        var repo = await TempGitRepo.InitAsync();
        var side = repo.Root + "-side";
        Directory.CreateDirectory(side);
        var project = new QueueProject(repo, side);
        try
        {
            repo.WriteFile(".gitignore", "*.tmp\nsecret.txt\n");
            foreach (var (path, text) in files)
            {
                repo.WriteFile(path, text.Replace(SidePlaceholder, side, StringComparison.Ordinal));
            }

            prepare?.Invoke(project);
            await repo.ExpOkAsync("init");
            await repo.CommitAllAsync("init");
            return project;
        }
        catch
        {
            await project.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// <c>params.yaml</c> (lr, batch, fail) and one stage <c>train</c> running <c>train.sh</c>: it appends
    /// "start NAME" and "done NAME" to <c>{side}/runs.log</c>, sleeps <c>sleep</c> seconds in a child
    /// whose pid (and its own) it appends to <c>{side}/pids</c>, exits with <c>fail</c> when non-zero,
    /// and writes <c>score = lr * batch</c> to metrics.json.
    /// </summary>
    public static Task<QueueProject> CreateTrainingAsync(string sleep = "0") =>
        CreateAsync(
            new Dictionary<string, string>
            {
                ["params.yaml"] = $"lr: 0.1\nbatch: 16\nfail: 0\nsleep: {sleep}\n",
                ["train.sh"] = """
                #!/bin/sh
                set -e
                value() { awk -v key="$1:" '$1 == key { print $2 }' params.yaml; }
                lr=$(value lr)
                batch=$(value batch)
                printf 'start %s\n' "$EXP_NAME" >> '{side}/runs.log'
                printf '%s\n' $$ >> '{side}/pids'
                sleep "$(value sleep)" &
                printf '%s\n' $! >> '{side}/pids'
                wait $!
                printf 'training %s with lr=%s batch=%s\n' "$EXP_NAME" "$lr" "$batch"
                if [ "$(value fail)" != 0 ]; then
                  printf 'boom: %s gives up\n' "$EXP_NAME" >&2
                  exit "$(value fail)"
                fi
                awk -v lr="$lr" -v b="$batch" 'BEGIN { printf "{\"score\": %.4f}\n", lr * b }' > metrics.json
                printf 'done %s\n' "$EXP_NAME" >> '{side}/runs.log'

                """,
                ["exp.yaml"] = """
                stages:
                  train:
                    cmd: sh train.sh
                    deps:
                      - train.sh
                    params:
                      - lr
                      - batch
                      - fail
                      - sleep
                    metrics:
                      - metrics.json:
                          cache: false

                """,
            }
        );

    public Task<ToolResult> ExpAsync(params string[] args) => Repo.ExpAsync(args);

    public Task<ToolResult> ExpOkAsync(params string[] args) => Repo.ExpOkAsync(args);

    public async Task<QueueState> StatusAsync()
    {
        var result = await ExpOkAsync("queue", "status", "--json");
        var json = JsonNode.Parse(result.StdOut)!;
        var entries = json["entries"]!
            .AsArray()
            .Select(e => new QueueRow(
                (string)e!["id"]!,
                (string)e["name"]!,
                (string)e["status"]!,
                (int?)e["exit_code"],
                (string?)e["message"]
            ))
            .ToList();
        return new QueueState(entries, (int)json["workers"]!);
    }

    /// <summary>The experiment rows (queued, running and failed entries included) of <c>exp show --json</c>.</summary>
    public async Task<IReadOnlyList<ShowRow>> ShowAsync()
    {
        var result = await ExpOkAsync("show", "--json");
        return JsonNode
            .Parse(result.StdOut)!
            .AsArray()
            .Where(r => (string)r!["type"]! == "experiment")
            .Select(r => new ShowRow(
                (string)r!["name"]!,
                (string)r["type"]!,
                (string)r["state"]!,
                r["params"]!.AsObject(),
                r["metrics"]!.AsObject()
            ))
            .ToList();
    }

    /// <summary>Everything a user could notice about the workspace, as one comparable text.</summary>
    /// <remarks>
    /// Every file's bytes (untracked and ignored ones included) except Git's object store and the tool's
    /// own cache and scratch folders, plus <c>git status --porcelain</c>, HEAD, the branch and <c>.git/index</c>.
    /// </remarks>
    public async Task<string> WorkspaceFingerprintAsync()
    {
        var text = new StringBuilder();
        // The run store (.exp/runs.db and its -wal/-shm) is the tool's own state, ignored like the cache.
        var skipped = new[] { ".git/", ".exp/cache/", ".exp/tmp/", ".exptmp/", ".exp/runs.db" };
        foreach (
            var file in Directory
                .EnumerateFiles(Root, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(Root, f).Replace('\\', '/'))
                .Where(f => f == ".exptmp/.gitignore" || !skipped.Any(s => f.StartsWith(s, StringComparison.Ordinal)))
                .Order(StringComparer.Ordinal)
        )
        {
            text.Append(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Repo.FullPath(file))))).Append(' ');
            text.AppendLine(file);
        }

        text.AppendLine("status: " + await Repo.GitAsync("status", "--porcelain", "--untracked-files=all"));
        text.AppendLine("HEAD: " + await Repo.HeadAsync());
        text.AppendLine("branch: " + await Repo.BranchAsync());
        text.AppendLine("index: " + Repo.IndexFingerprint());
        return text.ToString();
    }

    /// <summary>The queue as a user sees it: every <c>refs/exps</c> ref with its commit, and every status entry.</summary>
    public async Task<string> QueueFingerprintAsync()
    {
        var refs = await Repo.GitAsync("for-each-ref", "--format=%(refname) %(objectname)", "refs/exps/");
        var status = await StatusAsync();
        return refs + "\n" + string.Join("\n", status.Entries);
    }

    /// <summary>Lines of a file in the side folder; none when it does not exist.</summary>
    public IReadOnlyList<string> SideLines(string name)
    {
        var path = Path.Combine(Side, name);
        return File.Exists(path) ? File.ReadAllLines(path) : [];
    }

    /// <summary>The process ids the sample stage recorded.</summary>
    public IReadOnlyList<int> StagePids() => SideLines("pids").Select(int.Parse).ToList();

    /// <summary>Polls every 100 ms until <paramref name="condition"/> holds; fails the test after <paramref name="seconds"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(seconds))
            {
                Assert.Fail($"timed out after {seconds} s waiting until {what}");
            }

            await Task.Delay(100);
        }
    }

    public static Task WaitUntilAsync(Func<bool> condition, string what, int seconds = 30) =>
        WaitUntilAsync(() => Task.FromResult(condition()), what, seconds);

    /// <summary>Whether a process runs (a zombie, dead but not yet reaped, does not count).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is not ("Z" or "X");
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Live worker processes of this repository, from their lock files under <c>.exp/tmp/queue/workers</c>.</summary>
    public IReadOnlyList<int> WorkerPids()
    {
        var directory = Repo.FullPath(".exp/tmp/queue/workers");
        if (!Directory.Exists(directory))
        {
            return [];
        }

        return Directory
            .GetFiles(directory, "*.lock")
            .Select(f => int.Parse(Path.GetFileNameWithoutExtension(f)))
            .Where(pid => IsAlive(pid) && IsInRepo(pid) && File.ReadAllText($"/proc/{pid}/cmdline").Contains("worker"))
            .ToList();
    }

    /// <summary>Stops the background workers (<c>queue stop --kill</c>) and waits, bounded, until none is left.</summary>
    public async Task StopWorkersAsync()
    {
        await ExpAsync("queue", "stop", "--kill");
        await WaitUntilAsync(async () => (await StatusAsync()).Workers == 0 && WorkerPids().Count == 0, "no worker runs");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            try
            {
                await StopWorkersAsync();
            }
            finally
            {
                // Whatever a failed test left behind, by the ids it was started with.
                foreach (var pid in WorkerPids().Concat(StagePids().Where(IsInRepo)))
                {
                    Kill(pid);
                }
            }
        }
        finally
        {
            Repo.Dispose();
            try
            {
                Directory.Delete(Side, recursive: true);
            }
            catch (IOException) { }
        }
    }

    /// <summary>Sends SIGKILL to a process this test started.</summary>
    public static void Kill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        catch (ArgumentException) { }
        catch (InvalidOperationException) { }
    }

    private bool IsInRepo(int pid)
    {
        try
        {
            var cwd = new DirectoryInfo($"/proc/{pid}/cwd").LinkTarget;
            return cwd is not null && (cwd + "/").StartsWith(Root + "/", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
