using System.Text.Json.Nodes;

namespace GitExp.Client.Tests;

[Collection(nameof(RunEnvironmentCollection))]
public sealed class LiveTests
{
    [Fact]
    public void Each_step_writes_latest_metrics_and_one_history_row_per_metric()
    {
        using var run = new RunEnvironment(inRun: false);
        using (var live = new Live())
        {
            live.Log("loss", 0.5);
            live.Log("acc", 0.75);
            live.NextStep();
            live.Log("loss", 0.25);
            live.Log("acc", 0.875);
            live.NextStep();
            Assert.Equal(2, live.Step);
        }

        var metrics = JsonNode.Parse(File.ReadAllText("live/metrics.json"))!;
        Assert.Equal(2, metrics["step"]!.GetValue<int>());
        Assert.Equal(0.25, metrics["loss"]!.GetValue<double>());
        Assert.Equal("step\tloss\n1\t0.5\n2\t0.25\n", File.ReadAllText("live/plots/metrics/loss.tsv"));
        Assert.Equal("step\tacc\n1\t0.75\n2\t0.875\n", File.ReadAllText("live/plots/metrics/acc.tsv"));
    }

    [Fact]
    public async Task Next_step_takes_a_checkpoint_with_the_step_number()
    {
        using var run = new RunEnvironment(inRun: true);
        var runner = run.AcknowledgeAsync(2);
        using var live = new Live();

        live.Log("loss", 1);
        live.NextStep();
        live.Log("loss", 0.5);
        live.NextStep(checkpoint: true);

        Assert.Equal(["1", "2"], await runner);
    }

    [Fact]
    public void A_resumed_run_starts_at_the_resumed_step_and_drops_history_after_it()
    {
        using var run = new RunEnvironment(inRun: false, resumedStep: 2);
        Directory.CreateDirectory("live/plots/metrics");
        File.WriteAllText("live/plots/metrics/loss.tsv", "step\tloss\n1\t0.9\n2\t0.8\n3\t0.7\n");

        using var live = new Live();
        live.Log("loss", 0.6);
        live.NextStep();

        Assert.Equal(3, live.Step);
        Assert.Equal("step\tloss\n1\t0.9\n2\t0.8\n3\t0.6\n", File.ReadAllText("live/plots/metrics/loss.tsv"));
    }

    [Fact]
    public void A_fresh_run_starts_at_step_zero_with_no_old_history()
    {
        using var run = new RunEnvironment(inRun: false);
        Directory.CreateDirectory("live/plots/metrics");
        File.WriteAllText("live/plots/metrics/loss.tsv", "step\tloss\n1\t0.9\n");

        using var live = new Live();

        Assert.Equal(0, live.Step);
        Assert.False(File.Exists("live/plots/metrics/loss.tsv"));
    }

    [Fact]
    public void A_name_with_a_slash_gets_a_history_folder_and_a_resume_trims_it_too()
    {
        using (var run = new RunEnvironment(inRun: false))
        {
            using var live = new Live();
            live.Log("val/acc", 0.5);
            live.NextStep();
            live.Log("val/acc", 0.75);
            live.NextStep();

            Assert.Equal(0.75, JsonNode.Parse(File.ReadAllText("live/metrics.json"))!["val/acc"]!.GetValue<double>());
            Assert.Equal("step\tval/acc\n1\t0.5\n2\t0.75\n", File.ReadAllText("live/plots/metrics/val/acc.tsv"));
        }

        using (var resumed = new RunEnvironment(inRun: false, resumedStep: 1))
        {
            Directory.CreateDirectory("live/plots/metrics/val");
            File.WriteAllText("live/plots/metrics/val/acc.tsv", "step\tval/acc\n1\t0.5\n2\t0.75\n");

            using var live = new Live();

            Assert.Equal("step\tval/acc\n1\t0.5\n", File.ReadAllText("live/plots/metrics/val/acc.tsv"));
        }
    }
}
