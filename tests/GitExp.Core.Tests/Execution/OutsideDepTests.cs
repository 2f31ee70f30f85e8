using GitExp.Core.Execution;
using GitExp.Core.Project;
using GitExp.Core.Tests.Infrastructure;

namespace GitExp.Core.Tests.Execution;

/// <summary>A dep outside the repository (decision 37) is hashed where it is: a change to it makes the stage run again.</summary>
public sealed class OutsideDepTests : IDisposable
{
    private readonly TempGitRepo _repo = new();
    private readonly TempFolder _beside = new();

    public void Dispose()
    {
        _repo.Dispose();
        _beside.Dispose();
    }

    [Fact]
    public async Task A_changed_dep_outside_the_repository_is_modified_to_status_and_reruns_the_stage()
    {
        var absolute = _beside.Write("data.txt", "1\n");
        var relative = Path.GetRelativePath(_repo.Path, _beside.Write("labels.txt", "a\n")).Replace('\\', '/');
        Assert.StartsWith("../", relative, StringComparison.Ordinal);
        _repo.Write(
            "dvc.yaml",
            $"stages:\n  train:\n    cmd: cat {relative} {absolute} > out.txt\n    deps:\n    - {relative}\n    - {absolute}\n    outs:\n    - out.txt\n"
        );
        _repo.Git("add", "-A");
        _repo.Git("commit", "-q", "-m", "pipeline");
        var runner = new PipelineRunner(await ExpProject.OpenAsync(_repo.Path), SilentRunEvents.Instance);
        var options = new PipelineRunOptions { CurrentDirectory = _repo.Path };

        Assert.Equal(StageAction.Ran, Assert.Single(await runner.RunAsync("run-1", options)).Action);
        Assert.Empty(Assert.Single(await runner.StatusAsync(options)).Reasons);

        _beside.Write("labels.txt", "b\n");
        _beside.Write("data.txt", "2\n");

        Assert.Equal(
            [$"dep '{relative}' modified", $"dep '{absolute.Replace('\\', '/')}' modified"],
            Assert.Single(await runner.StatusAsync(options)).Reasons
        );
        Assert.Equal(StageAction.Ran, Assert.Single(await runner.RunAsync("run-2", options)).Action);
        Assert.Equal("b\n2\n", _repo.Read("out.txt"));
        Assert.Empty(Assert.Single(await runner.StatusAsync(options)).Reasons);
    }
}
