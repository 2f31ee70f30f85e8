namespace GitExp.Client.Tests;

[Collection(nameof(RunEnvironmentCollection))]
public sealed class CheckpointTests
{
    [Fact]
    public void Save_outside_a_run_returns_at_once_and_writes_nothing()
    {
        using var run = new RunEnvironment(inRun: false);

        Checkpoint.Save(3, TimeSpan.FromMilliseconds(100));

        Assert.False(Checkpoint.IsEnabled);
        Assert.Empty(Directory.GetFiles(run.Folder));
    }

    [Fact]
    public async Task Save_in_a_run_writes_the_step_and_waits_until_the_runner_takes_it()
    {
        using var run = new RunEnvironment(inRun: true);
        var runner = run.AcknowledgeAsync(2);

        Checkpoint.Save(1);
        Checkpoint.Save(2);

        Assert.Equal(["1", "2"], await runner);
        Assert.False(File.Exists(run.SignalFile));
    }

    [Fact]
    public void Save_times_out_when_no_runner_takes_it()
    {
        using var run = new RunEnvironment(inRun: true);

        var error = Assert.Throws<TimeoutException>(() => Checkpoint.Save(1, TimeSpan.FromMilliseconds(200)));

        Assert.Contains("did not take the checkpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resumed_step_comes_from_the_runner()
    {
        using var run = new RunEnvironment(inRun: true, resumedStep: 7);

        Assert.True(Checkpoint.Resumed);
        Assert.Equal(7, Checkpoint.ResumedStep);
    }
}
