using System.CommandLine;
using GitExp.Core;
using GitExp.Core.Project;
using GitExp.Core.Queue;

namespace GitExp.Tool.Cli;

/// <summary>
/// <c>--executor</c> and the Slurm flags, shared by <c>queue start</c>, <c>run --run-all</c> and <c>run --temp</c>;
/// what a flag leaves out comes from <c>executor:</c> in <c>.exp/config.yaml</c>.
/// </summary>
internal sealed class ExecutorOptions
{
    private readonly Option<string?> _executor = new("--executor")
    {
        Description = "Where queued experiments run: local (worker processes here, the default) or slurm (a job array).",
    };

    private readonly Option<string?> _partition = new("--partition") { Description = "With --executor slurm: the partition." };

    private readonly Option<string?> _time = new("--time")
    {
        Description = "With --executor slurm: each experiment's time limit (Slurm's format, e.g. 2:00:00).",
    };

    private readonly Option<string?> _gres = new("--gres")
    {
        Description = "With --executor slurm: generic resources of each experiment (gpu:1); Slurm sets CUDA_VISIBLE_DEVICES.",
    };

    private readonly Option<int?> _cpus = new("--cpus") { Description = "With --executor slurm: CPUs of each experiment." };

    private readonly Option<string?> _mem = new("--mem")
    {
        Description = "With --executor slurm: memory of each experiment (16G).",
    };

    private readonly Option<string[]> _sbatchArgs = new("--sbatch-arg")
    {
        Description = "With --executor slurm: another sbatch option, passed as it is (repeatable: --sbatch-arg=--account=ml).",
    };

    private readonly Option<bool> _requeue = new("--requeue")
    {
        Description = "With --executor slurm: submit an experiment Slurm killed (time limit, preemption, node failure) again.",
    };

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { _executor, _partition, _time, _gres, _cpus, _mem, _sbatchArgs, _requeue })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The first executor flag given on the command line (as the user wrote it), or null.</summary>
    public string? Given(ParseResult result)
    {
        var option = new Option[] { _executor, _partition, _time, _gres, _cpus, _mem, _sbatchArgs, _requeue }.FirstOrDefault(o =>
            result.GetResult(o) is { Implicit: false }
        );
        return option is null ? null
            : option == _executor ? $"--executor {result.GetValue(_executor)}"
            : option.Name;
    }

    /// <summary>The Slurm settings to submit with, or null for the local executor; a Slurm flag without Slurm is an error.</summary>
    public SlurmOptions? Resolve(ParseResult result, ExpProject project, Option<int> jobs)
    {
        var name = result.GetValue(_executor) ?? project.Config.Executor;
        if (!ExpConfig.Executors.Contains(name))
        {
            throw new ExpException(ExitCode.Usage, $"--executor '{name}': expected local or slurm");
        }

        var given = new Option[] { _partition, _time, _gres, _cpus, _mem, _sbatchArgs, _requeue }
            .Where(o => result.GetResult(o) is { Implicit: false })
            .ToList();
        if (name != "slurm")
        {
            return given.Count == 0
                ? null
                : throw new ExpException(ExitCode.Usage, $"{given[0].Name} applies to Slurm: add --executor slurm");
        }

        var slurm = project.Config.Slurm;
        return slurm with
        {
            Jobs = result.GetResult(jobs) is { Implicit: false } ? result.GetValue(jobs) : slurm.Jobs,
            Partition = result.GetValue(_partition) ?? slurm.Partition,
            Time = result.GetValue(_time) ?? slurm.Time,
            Gres = result.GetValue(_gres) ?? slurm.Gres,
            Cpus = result.GetValue(_cpus) ?? slurm.Cpus,
            Mem = result.GetValue(_mem) ?? slurm.Mem,
            SbatchArgs = result.GetValue(_sbatchArgs) is { Length: > 0 } args ? args : slurm.SbatchArgs,
            Requeue = result.GetValue(_requeue) || slurm.Requeue,
            Tool = slurm.Tool ?? string.Join(' ', SelfLauncher.OwnCommand().Select(ShellQuote)),
        };
    }

    private static string ShellQuote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
