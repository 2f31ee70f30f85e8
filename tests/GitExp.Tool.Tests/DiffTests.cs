using System.Text.Json.Nodes;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

public sealed class DiffTests
{
    [Fact]
    public async Task Diff_compares_head_with_the_workspace_by_default()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        await repo.ExpOkAsync("run", "-n", "exp-a", "-S", "train.lr=0.2");

        var result = await repo.ExpOkAsync("diff");

        Snapshot.Verify(result.StdOut);
    }

    [Fact]
    public async Task Diff_compares_two_experiments_by_name_as_table_and_json()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        await repo.ExpOkAsync("run", "-n", "exp-a", "-S", "train.lr=0.2");
        await repo.ExpOkAsync("run", "-n", "exp-b", "-S", "train.lr=0.05");

        var table = await repo.ExpOkAsync("diff", "exp-a", "exp-b");
        var json = await repo.ExpOkAsync("diff", "exp-a", "exp-b", "--json");

        Snapshot.Verify($"--- table\n{table.StdOut}--- json\n{json.StdOut}");
        var document = JsonNode.Parse(json.StdOut)!;
        Assert.Equal(0.2, (double)document["params"]!["params.yaml"]!["train.lr"]!["old"]!);
        Assert.Equal(0.05, (double)document["params"]!["params.yaml"]!["train.lr"]!["new"]!);
        Assert.Equal(0.15, (double)document["metrics"]!["metrics.json"]!["acc"]!["diff"]!, 9);
    }

    [Fact]
    public async Task Diff_of_an_experiment_with_itself_says_nothing_changed()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        await repo.ExpOkAsync("run", "-n", "exp-a", "-S", "train.lr=0.2");

        var result = await repo.ExpOkAsync("diff", "exp-a", "exp-a");

        Assert.Equal("No changes in params or metrics between exp-a and exp-a.", result.StdOut.Trim());
    }
}
