using System.Diagnostics;
using System.Text.Json;
using GitExp.Templates.Tests.Infrastructure;
using Xunit.Abstractions;

namespace GitExp.Templates.Tests;

/// <summary>A new project works at once: committed, tool restored, run, queued sweep, all seen by exp show.</summary>
[Collection(TemplateCollection.Name)]
public sealed class EndToEndTests(TemplateFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task New_project_runs_and_a_queued_sweep_adds_two_experiments_with_metrics()
    {
        var watch = Stopwatch.StartNew();
        output.WriteLine($"packages {fixture.Version} ready in {fixture.PackTime.TotalSeconds:F0} s");
        // Few epochs: every epoch is a checkpoint commit, and the builds already take most of the time.
        var project = await NewCommittedProjectAsync("Trainer", "--epochs", "3");
        output.WriteLine($"created, committed, tool restored: {watch.Elapsed.TotalSeconds:F0} s");

        await fixture.RunOkAsync(project, "dotnet", "exp", "run");
        output.WriteLine($"dotnet exp run: {watch.Elapsed.TotalSeconds:F0} s");

        var first = Assert.Single(await ExperimentsAsync(project));
        Assert.Equal("Success", first.State);
        Assert.Equal(0.1, first.LearningRate);
        Assert.Equal(3, first.Step);
        Assert.InRange(first.Loss, 0.0, 0.7);
        Assert.InRange(first.Accuracy, 0.5, 1.0);
        // The final commit takes the last checkpoint's place; the two before it are listed under the run.
        Assert.Equal(2, first.Checkpoints);

        await fixture.RunOkAsync(project, "dotnet", "exp", "run", "-S", "train.lr=0.1,0.01", "--queue");
        await fixture.RunOkAsync(project, "dotnet", "exp", "run", "--run-all", "-j", "2");
        output.WriteLine($"queued sweep run: {watch.Elapsed.TotalSeconds:F0} s");

        var all = await ExperimentsAsync(project);
        Assert.Equal(3, all.Count);
        Assert.All(all, e => Assert.Equal("Success", e.State));
        Assert.All(all, e => Assert.Equal(3, e.Step));
        Assert.Equal([0.01, 0.1, 0.1], all.Select(e => e.LearningRate).Order());
        // A smaller step size learns less in the same epochs.
        var slow = all.Single(e => e.LearningRate == 0.01);
        Assert.True(slow.Loss > first.Loss, $"loss with lr 0.01 ({slow.Loss}) should exceed loss with lr 0.1 ({first.Loss})");
        // The run reproduces: same params, same data seed, same metrics.
        Assert.All(all.Where(e => e.LearningRate == 0.1), e => Assert.Equal(first.Loss, e.Loss));
    }

    [Fact]
    public async Task No_checkpoints_project_runs_and_records_an_experiment_without_checkpoints()
    {
        var project = await NewCommittedProjectAsync("Plain", "--epochs", "2", "--no-checkpoints");

        await fixture.RunOkAsync(project, "dotnet", "exp", "run");

        var experiment = Assert.Single(await ExperimentsAsync(project));
        Assert.Equal("Success", experiment.State);
        Assert.Equal(2, experiment.Step);
        Assert.Equal(0, experiment.Checkpoints);
    }

    /// <summary>What the project's README says to do first: create it, commit it, restore the tool.</summary>
    private async Task<string> NewCommittedProjectAsync(string name, params string[] options)
    {
        var project = await fixture.NewProjectAsync(fixture.NewFolder(name.ToLowerInvariant()), name, options);
        await fixture.RunOkAsync(project, "git", "init", "-q", "-b", "main");
        await fixture.RunOkAsync(project, "git", "add", "-A");
        await fixture.RunOkAsync(project, "git", "commit", "-q", "-m", "New experiment project");
        await fixture.RunOkAsync(project, "dotnet", "tool", "restore");
        return project;
    }

    private sealed record Experiment(
        string Name,
        string State,
        double LearningRate,
        int Step,
        double Loss,
        double Accuracy,
        int Checkpoints
    );

    private async Task<IReadOnlyList<Experiment>> ExperimentsAsync(string project)
    {
        var show = await fixture.RunOkAsync(project, "dotnet", "exp", "show", "--json");
        using var json = JsonDocument.Parse(show.StdOut);
        return json
            .RootElement.EnumerateArray()
            .Where(row => row.GetProperty("type").GetString() == "experiment")
            .Select(row =>
            {
                var metrics = row.GetProperty("metrics").GetProperty("live/metrics.json");
                return new Experiment(
                    row.GetProperty("name").GetString()!,
                    row.GetProperty("state").GetString()!,
                    row.GetProperty("params").GetProperty("params.yaml").GetProperty("train.lr").GetDouble(),
                    metrics.GetProperty("step").GetInt32(),
                    metrics.GetProperty("loss").GetDouble(),
                    metrics.GetProperty("accuracy").GetDouble(),
                    row.TryGetProperty("checkpoints", out var checkpoints) ? checkpoints.GetArrayLength() : 0
                );
            })
            .ToList();
    }
}
