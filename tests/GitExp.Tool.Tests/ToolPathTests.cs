using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>An experiment's tree (crafted, or pulled from someone else) never writes GitExp's own files.</summary>
public sealed class ToolPathTests
{
    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>The cache object a run with lr=0.3 would store for model/model.bin, poisoned.</summary>
    private static readonly string PoisonedObject =
        $".exp/cache/sha256/{Sha256("model trained with lr=0.3\n")[..2]}/{Sha256("model trained with lr=0.3\n")[2..]}";

    public static TheoryData<string> InternalPaths => new() { PoisonedObject, ".exp/tmp/state", ".exptmp/q1/params.yaml" };

    [Theory]
    [MemberData(nameof(InternalPaths))]
    public async Task Apply_refuses_an_experiment_whose_tree_holds_a_tool_internal_path(string path)
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        var head = await repo.HeadAsync();
        await repo.ExpOkAsync("run", "-n", "exp-a", "-S", "train.lr=0.2");
        var crafted = await CraftExperimentAsync(repo, head, "exp-a", "crafted", path, "poison\n");

        var refused = await repo.ExpAsync("apply", "crafted");

        Assert.Equal(3, refused.ExitCode);
        var line = Assert.Single(refused.ErrorLines);
        Assert.Contains(path, line);
        Assert.DoesNotContain("   at ", refused.StdErr);
        Assert.False(repo.Exists(path) && repo.ReadFile(path) == "poison\n");
        Assert.Contains("lr: 0.2 ", repo.ReadFile("params.yaml"));
        Assert.Equal(crafted, await repo.GitAsync("rev-parse", TempGitRepo.ExperimentRef(head, "crafted")));

        // A run that produces the poisoned name stores and restores its own bytes, and says so.
        await repo.ExpOkAsync("run", "-n", "exp-c", "-S", "train.lr=0.3");
        await repo.ExpOkAsync("apply", "exp-a");
        await repo.ExpOkAsync("apply", "exp-c");
        Assert.Equal("model trained with lr=0.3\n", repo.ReadFile("model/model.bin"));
        Assert.Contains("Everything is up to date.", (await repo.ExpOkAsync("status")).StdOut);
    }

    [Fact]
    public async Task Pull_refuses_an_experiment_whose_tree_holds_a_cache_object_and_sets_no_ref()
    {
        using var remote = await TempGitRepo.InitBareAsync();
        using var origin = await TempGitRepo.WithSampleProjectAsync();
        var head = await origin.HeadAsync();
        await origin.ExpOkAsync("run", "-n", "exp-a", "-S", "train.lr=0.2");
        await CraftExperimentAsync(origin, head, "exp-a", "crafted", PoisonedObject, "poison\n");
        await origin.GitAsync("push", "-q", remote.Root, "main", "refs/exps/*:refs/exps/*");
        using var clone = await TempGitRepo.CloneAsync(remote.Root);

        var refused = await clone.ExpAsync("pull", "origin", "crafted");

        Assert.Equal(3, refused.ExitCode);
        var line = Assert.Single(refused.ErrorLines);
        Assert.Contains("'crafted'", line);
        Assert.Contains(PoisonedObject, line);
        Assert.Empty(await clone.ExperimentRefsAsync());

        await clone.ExpOkAsync("pull", "origin", "exp-a");
        Assert.Equal([TempGitRepo.ExperimentRef(head, "exp-a")], await clone.ExperimentRefsAsync());
    }

    /// <summary>
    /// With plain git (hash-object, mktree, commit-tree, update-ref): a copy of <paramref name="from"/>'s tree with one
    /// more file at <paramref name="path"/>, recorded as experiment <paramref name="name"/> of <paramref name="baseline"/>.
    /// </summary>
    internal static async Task<string> CraftExperimentAsync(
        TempGitRepo repo,
        string baseline,
        string from,
        string name,
        string path,
        string content
    )
    {
        var source = await repo.GitAsync("rev-parse", TempGitRepo.ExperimentRef(baseline, from));
        var blobFile = Path.Combine(repo.Root, "..", Path.GetFileName(repo.Root) + ".blob");
        File.WriteAllText(blobFile, content);
        var blob = await repo.GitAsync("hash-object", "-w", blobFile);
        File.Delete(blobFile);
        var tree = await AddToTreeAsync(repo, source + "^{tree}", path.Split('/'), blob);
        var commit = await repo.GitAsync("commit-tree", tree, "-p", baseline, "-m", "crafted");
        await repo.GitAsync("update-ref", TempGitRepo.ExperimentRef(baseline, name), commit);
        return commit;
    }

    private static async Task<string> AddToTreeAsync(TempGitRepo repo, string? tree, string[] parts, string blob)
    {
        var entries = new List<string>();
        string? sub = null;
        if (tree is not null)
        {
            foreach (var line in (await repo.GitAsync("ls-tree", tree)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var entryName = line[(line.IndexOf('\t') + 1)..];
                if (entryName == parts[0])
                {
                    sub = line.Split(' ', '\t')[2];
                }
                else
                {
                    entries.Add(line);
                }
            }
        }

        entries.Add(
            parts.Length == 1
                ? $"100644 blob {blob}\t{parts[0]}"
                : $"040000 tree {await AddToTreeAsync(repo, sub, parts[1..], blob)}\t{parts[0]}"
        );
        var info = new ProcessStartInfo("sh", ["-c", "printf '%s\\n' \"$@\" | git mktree", "sh", .. entries])
        {
            WorkingDirectory = repo.Root,
        };
        var made = await ExpTool.RunProcessAsync(info);
        Assert.True(made.ExitCode == 0, made.ToString());
        return made.StdOut.Trim();
    }
}
