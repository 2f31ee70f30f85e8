using System.Text.RegularExpressions;
using GitExp.Testing;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>Real DVC projects, committed as they are in their repositories, run here (decision 33).</summary>
public partial class DvcCorpusTests
{
    private static readonly DvcCorpusFiles Corpus = new(Path.Combine(AppContext.BaseDirectory, "DvcCorpus"));

    // What `exp status` may say of a project whose data, code and models are not in Git (only its pipeline files
    // are in the corpus): every other reason, a non-zero exit or an error line means it does not run as committed.
    [GeneratedRegex(@"^(never run|always changed|(dep|out) '[^']+' (missing|modified)|param '[^']+' (added|removed|changed.*))$")]
    private static partial Regex DataReason();

    [Fact]
    public async Task At_least_95_percent_of_real_dvc_projects_run_as_committed()
    {
        var known = Corpus.KnownFailures();
        var results = new List<(string Folder, string? Failure)>();
        foreach (var folder in Corpus.Folders())
        {
            results.Add((folder, await StatusFailureAsync(folder)));
        }

        var problems = new List<string>();
        foreach (var (folder, failure) in results)
        {
            if (known.TryGetValue(folder, out var k) && k.Checks.Contains(DvcCorpusCheck.Status))
            {
                // A listed failure must still fail for its listed reason, so the list cannot go stale.
                if (failure is null || !failure.Contains(k.Reason, StringComparison.Ordinal))
                {
                    problems.Add($"{folder}: listed as failing with '{k.Reason}', but: {failure ?? "it runs"}");
                }
            }
            else if (failure is not null)
            {
                problems.Add($"{folder}: {failure}");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
        var counted = results.Where(r => !(known.TryGetValue(r.Folder, out var k) && k.AwaitsTemplating)).ToList();
        var passed = counted.Count(r => r.Failure is null);
        Assert.True(
            passed >= 0.95 * counted.Count,
            $"{passed} of {counted.Count} real DVC projects run as committed; at least 95% must"
        );
    }

    /// <summary>Commits the folder's files to a fresh repository and runs <c>exp status</c>; null when it runs as committed.</summary>
    private static async Task<string?> StatusFailureAsync(string folder)
    {
        using var repo = await TempGitRepo.InitAsync();
        var source = Path.Combine(Corpus.Root, folder);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            repo.WriteBytes(Path.GetRelativePath(source, file), await File.ReadAllBytesAsync(file));
        }

        await repo.CommitAllAsync($"{folder} as committed");
        var status = await repo.ExpAsync("status");
        if (status.ExitCode != 0)
        {
            return $"exit {status.ExitCode}: {string.Join(" / ", status.ErrorLines)}";
        }

        var odd = status
            .StdOut.ReplaceLineEndings("\n")
            .Split('\n')
            .Where(l => l.StartsWith('\t'))
            .Select(l => l.Trim())
            .FirstOrDefault(r => !DataReason().IsMatch(r));
        return odd is null ? null : $"status reason '{odd}'";
    }
}
