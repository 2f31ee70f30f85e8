using System.Diagnostics;
using System.Security.Cryptography;
using GitExp.Testing;

namespace GitExp.Tool.Tests.Infrastructure;

/// <summary>A real Git repository in a fresh temp folder, deleted on dispose.</summary>
public sealed class TempGitRepo : IDisposable
{
    /// <summary>Every test repository lives under this prefix, so snapshots can scrub it.</summary>
    public static readonly string RootPrefix = Path.Combine(Path.GetTempPath(), "gitexp-e2e-");

    private TempGitRepo(string root) => Root = root;

    public string Root { get; }

    /// <summary>A folder that is not yet a repository (for the "outside a Git repo" cases).</summary>
    public static TempGitRepo CreateEmptyFolder()
    {
        var root = RootPrefix + Guid.NewGuid().ToString("N")[..12];
        Directory.CreateDirectory(root);
        return new TempGitRepo(root);
    }

    /// <summary><c>git init -b main</c> with a local identity; no commit yet.</summary>
    public static async Task<TempGitRepo> InitAsync()
    {
        var repo = CreateEmptyFolder();
        await repo.GitAsync("init", "-q", "-b", "main");
        await repo.GitAsync("config", "user.name", "GitExp Tests");
        await repo.GitAsync("config", "user.email", "tests@gitexp.invalid");
        return repo;
    }

    /// <summary><c>git init -b main</c> in <paramref name="folder"/> (which must exist, e.g. a mounted file system), no commit yet.</summary>
    public static async Task<TempGitRepo> InitInAsync(string folder)
    {
        var repo = new TempGitRepo(folder);
        await repo.GitAsync("init", "-q", "-b", "main");
        await repo.GitAsync("config", "user.name", "GitExp Tests");
        await repo.GitAsync("config", "user.email", "tests@gitexp.invalid");
        return repo;
    }

    /// <summary><c>git init --bare</c>: a remote to push experiments to and pull them from.</summary>
    public static async Task<TempGitRepo> InitBareAsync()
    {
        var repo = CreateEmptyFolder();
        await repo.GitAsync("init", "-q", "--bare", "-b", "main");
        return repo;
    }

    /// <summary><c>git clone</c> of <paramref name="source"/> (its remote is <c>origin</c>) with a local identity.</summary>
    public static async Task<TempGitRepo> CloneAsync(string source)
    {
        var repo = CreateEmptyFolder();
        await repo.GitAsync("clone", "-q", source, ".");
        await repo.GitAsync("config", "user.name", "GitExp Tests");
        await repo.GitAsync("config", "user.email", "tests@gitexp.invalid");
        return repo;
    }

    /// <summary>A repository with the sample project (see <see cref="WriteSampleProject"/>) committed on main.</summary>
    public static async Task<TempGitRepo> WithSampleProjectAsync(string directory = "")
    {
        var repo = await InitAsync();
        repo.WriteSampleProject(directory);
        await repo.CommitAllAsync("Add sample project");
        return repo;
    }

    public string FullPath(string relative) => Path.Combine(Root, relative);

    public void WriteFile(string relative, string content)
    {
        var full = FullPath(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content.ReplaceLineEndings("\n"));
    }

    public void WriteBytes(string relative, byte[] content)
    {
        var full = FullPath(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, content);
    }

    public string ReadFile(string relative) => File.ReadAllText(FullPath(relative));

    public bool Exists(string relative) => File.Exists(FullPath(relative)) || Directory.Exists(FullPath(relative));

    /// <summary>Runs git in the repository and returns its trimmed standard output; a failure fails the test.</summary>
    public async Task<string> GitAsync(params string[] args)
    {
        var result = await TryGitAsync(args);
        Assert.True(result.ExitCode == 0, $"git {string.Join(' ', args)} failed:\n{result}");
        return result.StdOut.TrimEnd('\n');
    }

    public Task<ToolResult> TryGitAsync(params string[] args)
    {
        var info = new ProcessStartInfo("git") { WorkingDirectory = Root };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return ExpTool.RunProcessAsync(info);
    }

    /// <summary>Sets the executable bits on disk, as <c>chmod +x</c> does.</summary>
    public async Task ChmodExecutableAsync(string relative)
    {
        var result = await ExpTool.RunProcessAsync(new ProcessStartInfo("chmod", ["+x", FullPath(relative)]));
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    public Task<ToolResult> ExpAsync(params string[] args) => ExpTool.RunAsync(Root, args);

    /// <summary>Runs the tool and fails the test, showing both streams, unless it exits 0.</summary>
    public async Task<ToolResult> ExpOkAsync(params string[] args)
    {
        var result = await ExpAsync(args);
        Assert.True(result.ExitCode == 0, $"dotnet exp {string.Join(' ', args)} failed:\n{result}");
        return result;
    }

    public async Task<string> CommitAllAsync(string message)
    {
        await GitAsync("add", "-A");
        await GitAsync("commit", "-q", "-m", message);
        return await HeadAsync();
    }

    public Task<string> HeadAsync() => GitAsync("rev-parse", "HEAD");

    /// <summary>The current branch, or null when HEAD is detached.</summary>
    public async Task<string?> BranchAsync()
    {
        var result = await TryGitAsync("symbolic-ref", "-q", "--short", "HEAD");
        return result.ExitCode == 0 ? result.StdOut.Trim() : null;
    }

    /// <summary>A hash of <c>.git/index</c>: any change to the user's staging area changes it.</summary>
    public string IndexFingerprint()
    {
        var index = FullPath(".git/index");
        return File.Exists(index) ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(index))) : "no index";
    }

    /// <summary>Experiment refs (full names), sorted.</summary>
    public async Task<IReadOnlyList<string>> ExperimentRefsAsync()
    {
        var text = await GitAsync("for-each-ref", "--format=%(refname)", "refs/exps/");
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();
    }

    public static string ExperimentRef(string baseline, string name) => $"refs/exps/{baseline[..2]}/{baseline[2..]}/{name}";

    /// <summary><c>git ls-tree -r</c> of a commit as path → mode.</summary>
    public async Task<IReadOnlyDictionary<string, string>> TreeAsync(string rev)
    {
        var text = await GitAsync("ls-tree", "-r", rev);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => (Meta: line[..line.IndexOf('\t')], Path: line[(line.IndexOf('\t') + 1)..]))
            .ToDictionary(e => e.Path, e => e.Meta.Split(' ')[0], StringComparer.Ordinal);
    }

    /// <summary>How many times the sample <c>train</c> stage ran (its cmd appends a line to the ignored runs.log).</summary>
    public int TrainRuns(string directory = "")
    {
        var log = FullPath(Path.Combine(directory, "runs.log"));
        return File.Exists(log) ? File.ReadAllLines(log).Length : 0;
    }

    /// <summary>
    /// A small project: params.yaml with comments, and an exp.yaml whose <c>train</c> stage runs a
    /// POSIX shell script that reads <c>train.lr</c>, writes metrics.json and the cached out model/model.bin,
    /// and appends a line to the ignored runs.log so tests can count executions.
    /// </summary>
    public void WriteSampleProject(string directory = "")
    {
        WriteFile(
            Path.Combine(directory, "params.yaml"),
            """
            # Sample training parameters
            train:
              lr: 0.1 # learning rate
              epochs: 3
            seed: 42 # keep runs reproducible

            """
        );
        WriteFile(
            Path.Combine(directory, "train.sh"),
            """
            #!/bin/sh
            # Reads train.lr from params.yaml and pretends to train a model.
            set -e
            lr=$(awk '/^[[:space:]]+lr:/ { print $2 }' params.yaml)
            printf 'run\n' >> runs.log
            acc=$(awk -v lr="$lr" 'BEGIN { printf "%.4f", 1 - lr }')
            loss=$(awk -v lr="$lr" 'BEGIN { printf "%.4f", lr * 2 }')
            printf '{"acc": %s, "loss": %s}\n' "$acc" "$loss" > metrics.json
            mkdir -p model
            printf 'model trained with lr=%s\n' "$lr" > model/model.bin

            """
        );
        WriteFile(
            Path.Combine(directory, "exp.yaml"),
            """
            stages:
              train:
                cmd: sh train.sh
                deps:
                  - train.sh
                params:
                  - train.lr
                outs:
                  - model/model.bin
                metrics:
                  - metrics.json:
                      cache: false

            """
        );
        WriteFile(Path.Combine(directory, ".gitignore"), "runs.log\n");
    }

    public void Dispose() => TestFolders.DeleteTree(Root);
}
