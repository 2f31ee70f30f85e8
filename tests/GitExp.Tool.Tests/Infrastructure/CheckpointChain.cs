using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace GitExp.Tool.Tests.Infrastructure;

/// <summary>One commit of an experiment's chain as a user can inspect it with git and the cache.</summary>
/// <param name="Step">Its <c>Exp-Checkpoint</c> trailer; null for a commit that is not a checkpoint.</param>
/// <param name="MetricsStep">The <c>step</c> in its <c>live/metrics.json</c>, if it has one.</param>
/// <param name="Model">The cached checkpoint out <c>model/model.txt</c> (or <c>model.txt</c>) its lock names.</param>
public sealed record ChainCommit(string Commit, string Parent, int? Step, int? MetricsStep, string? Model);

/// <summary>Reads experiment chains and checks the cache, straight from Git and the files.</summary>
public static partial class CheckpointChain
{
    /// <summary>"step 1\nstep 2\n…" up to <paramref name="steps"/>: what the model file holds after that many steps.</summary>
    public static string ModelAfter(int steps) => string.Concat(Enumerable.Range(1, steps).Select(s => $"step {s}\n"));

    public static int? StepOf(string message) =>
        TrailerRegex().Match(message) is { Success: true } match ? int.Parse(match.Groups[1].Value) : null;

    /// <summary>The commits from an experiment's tip down to (not including) its baseline, newest first.</summary>
    public static async Task<IReadOnlyList<ChainCommit>> ReadAsync(TempGitRepo repo, string tip, string baseline)
    {
        var commits = (await repo.GitAsync("log", "--format=%H %P", tip, "^" + baseline)).Split(
            '\n',
            StringSplitOptions.RemoveEmptyEntries
        );
        var chain = new List<ChainCommit>();
        foreach (var line in commits)
        {
            var parts = line.Split(' ');
            var message = await repo.GitAsync("log", "-1", "--format=%B", parts[0]);
            var metrics = await repo.TryGitAsync("show", parts[0] + ":live/metrics.json");
            var metricsStep = metrics.ExitCode == 0 ? (int?)JsonNode.Parse(metrics.StdOut)!["step"] : null;
            chain.Add(new ChainCommit(parts[0], parts[1], StepOf(message), metricsStep, await ModelAtAsync(repo, parts[0])));
        }

        return chain;
    }

    /// <summary>The checkpoint step of a ref's tip, or null when it has none (or the ref does not exist).</summary>
    public static async Task<int?> TipStepAsync(TempGitRepo repo, string reference)
    {
        var result = await repo.TryGitAsync("log", "-1", "--format=%B", reference, "--");
        return result.ExitCode == 0 ? StepOf(result.StdOut) : null;
    }

    /// <summary>Polls the experiment's ref until its tip is checkpoint <paramref name="step"/> or later.</summary>
    public static Task WaitForCheckpointAsync(TempGitRepo repo, string reference, int step) =>
        QueueProject.WaitUntilAsync(
            async () => await TipStepAsync(repo, reference) >= step,
            $"{reference} records checkpoint {step}"
        );

    /// <summary>Every cache object is named after the SHA-256 of its bytes: none was changed after it was stored.</summary>
    public static void AssertCacheIntact(TempGitRepo repo)
    {
        var objects = Path.Combine(repo.Root, ".exp", "cache", "sha256");
        var files = Directory.GetFiles(objects, "*", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var name = Path.GetFileName(Path.GetDirectoryName(file)) + Path.GetFileName(file);
            var expected = name.EndsWith(".dir", StringComparison.Ordinal) ? name[..^4] : name;
            var actual = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));
            Assert.True(expected == actual, $"cache object {Path.GetRelativePath(repo.Root, file)} now hashes to {actual}");
        }
    }

    // The lock records the model only by hash; its bytes are in the cache.
    private static async Task<string?> ModelAtAsync(TempGitRepo repo, string commit)
    {
        var lockText = await repo.TryGitAsync("show", commit + ":exp.lock");
        if (lockText.ExitCode != 0 || LockedModelRegex().Match(lockText.StdOut) is not { Success: true } match)
        {
            return null;
        }

        var sha = match.Groups[1].Value;
        var path = Path.Combine(repo.Root, ".exp", "cache", "sha256", sha[..2], sha[2..]);
        return File.Exists(path) ? File.ReadAllText(path) : $"(object {sha} missing from the cache)";
    }

    [GeneratedRegex(@"^Exp-Checkpoint: (\d+)$", RegexOptions.Multiline)]
    private static partial Regex TrailerRegex();

    [GeneratedRegex(@"path: ""?(?:model/)?model\.txt""?\s+sha256: ""?([0-9a-f]{64})")]
    private static partial Regex LockedModelRegex();
}
