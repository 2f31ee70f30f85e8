using GitExp.Core.Experiments;
using GitExp.Core.Tests.Infrastructure;

namespace GitExp.Core.Tests.Experiments;

public sealed class ExperimentNamesTests
{
    [Fact]
    public void Generated_names_are_adjective_noun_and_avoid_taken_ones()
    {
        var taken = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 500; i++)
        {
            var name = ExperimentNames.Generate(taken);
            Assert.Matches("^[a-z]+-[a-z]+(-[0-9]+)?$", name);
            Assert.True(taken.Add(name), $"'{name}' was generated twice");
        }
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("bad..name")]
    [InlineData("with space")]
    [InlineData("ends.lock")]
    [InlineData("tilde~1")]
    [InlineData("colon:x")]
    [InlineData("")]
    [InlineData("HEAD")]
    [InlineData("CHERRY_PICK_HEAD")]
    [InlineData("@")]
    [InlineData("@{1}")]
    [InlineData("workspace")]
    [InlineData("-x")]
    [InlineData("caret^")]
    public async Task Names_that_git_refuses_or_that_hold_a_slash_are_refused(string name)
    {
        using var repo = new TempGitRepo();
        var git = await repo.OpenAsync();

        var error = await Assert.ThrowsAsync<ExpException>(() => ExperimentNames.ValidateAsync(git, name, "--name"));

        Assert.Equal(ExitCode.Usage, error.Code);
        Assert.StartsWith($"--name '{name}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Length_is_counted_in_utf8_bytes()
    {
        using var repo = new TempGitRepo();
        var git = await repo.OpenAsync();

        await ExperimentNames.ValidateAsync(git, new string('é', 125), "--name");
        var error = await Assert.ThrowsAsync<ExpException>(() =>
            ExperimentNames.ValidateAsync(git, new string('é', 126), "--name")
        );

        Assert.Contains("252 bytes", error.Message);
    }

    [Fact]
    public async Task Ordinary_names_are_accepted()
    {
        using var repo = new TempGitRepo();
        var git = await repo.OpenAsync();

        await ExperimentNames.ValidateAsync(git, "lr-0.01_run2", "--name");
    }

    [Fact]
    public void Experiment_refs_round_trip_through_their_name()
    {
        var baseline = "14a0fc0e98c3dc3dde8b23b9abed8af23df150f0";

        var refName = Experiment.RefFor(baseline, "first");

        Assert.Equal("refs/exps/14/a0fc0e98c3dc3dde8b23b9abed8af23df150f0/first", refName);
        Assert.Equal((baseline, "first"), Experiment.ParseRef(refName));
        Assert.Null(Experiment.ParseRef("refs/exps/queue/123"));
    }
}
