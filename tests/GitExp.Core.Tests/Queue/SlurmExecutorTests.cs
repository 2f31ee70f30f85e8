using GitExp.Core.Project;
using GitExp.Core.Queue;
using GitExp.Core.Tests.Infrastructure;

namespace GitExp.Core.Tests.Queue;

public sealed class SlurmExecutorTests
{
    [Fact]
    public void A_job_slurm_no_longer_knows_is_read_from_slurmstepds_line_in_its_output()
    {
        // Short form of the time limit (the real one takes Slurm's one-minute minimum: SlurmExecutorTests in the tool's
        // tests, Soak): after MinJobAge scontrol forgets the job, and the output file is what is left.
        const string Output =
            "training\nslurmstepd-vm: error: *** JOB 28 ON vm CANCELLED AT 2026-12-07T21:19:54 DUE TO TIME LIMIT ***\n";

        var (state, reason) = SlurmExecutor.Describe(null, Output, null, killedByUser: false);

        Assert.Equal("TIMEOUT", state);
        Assert.Equal("killed by Slurm: the job reached its time limit", reason);
    }

    [Theory]
    [InlineData("TIMEOUT", "", null, false, "killed by Slurm: the job reached its time limit")]
    [InlineData("CANCELLED", "", null, true, "killed by 'dotnet exp queue kill' (scancel)")]
    [InlineData("CANCELLED", "", null, false, "cancelled in Slurm (scancel)")]
    [InlineData("NODE_FAIL", "", null, false, "killed by Slurm: its node failed")]
    [InlineData(null, "*** JOB 3 ON vm CANCELLED AT 2026-12-07T21:19:54 ***", null, false, "cancelled in Slurm (scancel)")]
    [InlineData(null, "", "0\n", false, "the Slurm job ended (COMPLETED) without a result")]
    [InlineData(
        null,
        "",
        "127\n",
        false,
        "the Slurm job failed before recording a result (is the tool on the compute nodes' PATH? see the job's output)"
    )]
    [InlineData(null, "", null, false, "the Slurm job ended (UNKNOWN) without a result")]
    [InlineData(null, "", null, true, "killed by 'dotnet exp queue kill' (scancel)")]
    public void Slurms_state_becomes_the_reason_a_user_reads(
        string? state,
        string output,
        string? exit,
        bool byUser,
        string reason
    )
    {
        Assert.Equal(reason, SlurmExecutor.Describe(state, output, exit, byUser).Reason);
    }

    [Fact]
    public void The_executor_settings_are_read_from_the_config_and_become_sbatch_options()
    {
        using var folder = new TempFolder();
        var path = folder.Write(
            "config.yaml",
            """
            executor:
              name: slurm
              jobs: 4
              partition: gpu
              time: "2:00:00"
              gres: gpu:1
              cpus: 8
              mem: 16G
              sbatch_args: [--account=ml, --qos=short]
              requeue: true
              tool: /shared/tools/dotnet-exp

            """
        );

        var config = ExpConfig.Load(path);

        Assert.Equal("slurm", config.Executor);
        Assert.Equal(4, config.Slurm.Jobs);
        Assert.True(config.Slurm.Requeue);
        Assert.Equal("/shared/tools/dotnet-exp", config.Slurm.Tool);
        Assert.Equal(
            [
                "--partition=gpu",
                "--time=2:00:00",
                "--gres=gpu:1",
                "--cpus-per-task=8",
                "--mem=16G",
                "--account=ml",
                "--qos=short",
            ],
            config.Slurm.SbatchOptions()
        );
    }

    [Theory]
    [InlineData("executor: pbs\n", ".exp/config.yaml:1:11: 'executor' is 'pbs': expected local or slurm")]
    [InlineData("executor:\n  jobs: 0\n", ".exp/config.yaml:2:9: 'executor.jobs' must be a whole number of at least 1, not '0'")]
    [InlineData(
        "executor:\n  queue: x\n",
        ".exp/config.yaml:2:3: unknown key 'executor.queue' (expected name, jobs, partition, time, gres, cpus, mem, sbatch_args, requeue or tool)"
    )]
    public void A_wrong_executor_setting_names_the_line_and_key(string text, string message)
    {
        using var folder = new TempFolder();
        var path = folder.Write("config.yaml", text);

        var error = Assert.Throws<ExpException>(() => ExpConfig.Load(path));

        Assert.Equal(ExitCode.InvalidProject, error.Code);
        Assert.Equal(message, error.Message);
    }
}
