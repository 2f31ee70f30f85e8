using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

public sealed class ErrorTests
{
    /// <summary>A user mistake: non-zero exit, one line on stderr naming what is wrong, no stack trace.</summary>
    private static string AssertOneLineError(ToolResult result, params string[] mentions)
    {
        Assert.True(result.ExitCode != 0, $"expected a failure:\n{result}");
        Assert.DoesNotContain("   at ", result.StdErr);
        var line = Assert.Single(result.ErrorLines);
        foreach (var mention in mentions)
        {
            Assert.Contains(mention, line);
        }

        return line;
    }

    private static async Task<TempGitRepo> WithPipelineAsync(string expYaml)
    {
        var repo = await TempGitRepo.InitAsync();
        repo.WriteFile("exp.yaml", expYaml);
        repo.WriteFile("a.txt", "a\n");
        await repo.CommitAllAsync("init");
        return repo;
    }

    [Fact]
    public async Task Run_outside_a_git_repository_fails_with_one_line()
    {
        using var folder = TempGitRepo.CreateEmptyFolder();
        folder.WriteSampleProject();

        var result = await folder.ExpAsync("run");

        AssertOneLineError(result, "Git");
        Assert.Equal(4, result.ExitCode);
    }

    [Fact]
    public async Task Run_in_a_repository_without_commits_fails_with_one_line()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteSampleProject();

        var result = await repo.ExpAsync("run");

        AssertOneLineError(result, "commit");
        Assert.Equal(0, repo.TrainRuns());
    }

    [Fact]
    public async Task Run_with_malformed_exp_yaml_names_file_line_and_column()
    {
        using var repo = await WithPipelineAsync("stages:\n  train:\n    cmd: [unclosed\n    deps: a.txt\n");

        var result = await repo.ExpAsync("run");

        var line = AssertOneLineError(result);
        Assert.Matches(@"exp\.yaml:\d+:\d+", line);
    }

    [Fact]
    public async Task A_malformed_exp_yaml_is_refused_before_set_param_rewrites_params_yaml_now_or_in_the_queue()
    {
        using var repo = await WithPipelineAsync("stages:\n  train:\n    cmd: [unclosed\n    params: [lr]\n");
        repo.WriteFile("params.yaml", "lr: 0.1 # the default\n");
        await repo.CommitAllAsync("params");

        AssertOneLineError(await repo.ExpAsync("run", "-S", "lr=0.2"), "exp.yaml:");
        AssertOneLineError(await repo.ExpAsync("run", "--queue", "-S", "lr=0.3"), "exp.yaml:");
        AssertOneLineError(await repo.ExpAsync("run", "--temp", "-S", "lr=0.4"), "exp.yaml:");

        Assert.Equal("lr: 0.1 # the default\n", repo.ReadFile("params.yaml"));
        Assert.Equal("", await repo.GitAsync("for-each-ref", "refs/exps"));
    }

    [Fact]
    public async Task Ui_on_a_port_in_use_or_an_address_not_of_this_machine_is_a_one_line_error()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var inUse = await repo.ExpAsync("ui", "--port", port);

        Assert.Equal(6, inUse.ExitCode);
        AssertOneLineError(inUse, $"--port {port}", "in use", "--port 0");

        // 192.0.2.0/24 is reserved for documentation: never an address of this machine.
        var foreign = await repo.ExpAsync("ui", "--port", "0", "--host", "192.0.2.7");

        Assert.Equal(2, foreign.ExitCode);
        Assert.DoesNotContain("   at ", foreign.StdErr);
        Assert.Contains("error: --host 192.0.2.7: cannot listen on", foreign.ErrorLines[^1]);
    }

    [Theory]
    [InlineData("publish origin", "unknown command or argument 'publish'", "'dotnet exp --help'")]
    [InlineData("runs lst", "unknown command or argument 'lst'", "'dotnet exp runs --help'")]
    [InlineData("show --bogus", "unknown option or argument '--bogus'", "'dotnet exp show --help'")]
    [InlineData("queue", "'dotnet exp queue' needs a command: start, stop, status", "'dotnet exp queue --help'")]
    [InlineData("run --run-all --jobs x", "--jobs 'x': expected a whole number", "'dotnet exp run --help'")]
    [InlineData("show -n 1.5", "--num '1.5': expected a whole number", "'dotnet exp show --help'")]
    public async Task A_command_line_the_parser_rejects_is_one_line_naming_the_word_and_the_help_to_read(
        string commandLine,
        string problem,
        string help
    )
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();

        var result = await repo.ExpAsync(commandLine.Split(' '));

        Assert.Equal(2, result.ExitCode);
        var line = AssertOneLineError(result, problem, help);
        Assert.StartsWith("error: ", line);
    }

    [Fact]
    public async Task Run_of_an_unknown_stage_names_it()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();

        AssertOneLineError(await repo.ExpAsync("run", "nope"), "nope");
        AssertOneLineError(await repo.ExpAsync("run", "exp.yaml:nope"), "nope");
        Assert.Equal(0, repo.TrainRuns());
    }

    [Fact]
    public async Task Run_of_a_cycle_names_the_stages()
    {
        using var repo = await WithPipelineAsync(
            """
            stages:
              first:
                cmd: cp b.txt c.txt
                deps: [b.txt]
                outs: [c.txt]
              second:
                cmd: cp c.txt b.txt
                deps: [c.txt]
                outs: [b.txt]
            """
        );

        AssertOneLineError(await repo.ExpAsync("run"), "first", "second");
    }

    [Fact]
    public async Task Run_with_two_stages_writing_the_same_out_names_both()
    {
        using var repo = await WithPipelineAsync(
            """
            stages:
              first:
                cmd: echo 1 > out.txt
                outs: [out.txt]
              second:
                cmd: echo 2 > out.txt
                outs: [out.txt]
            """
        );

        AssertOneLineError(await repo.ExpAsync("run"), "out.txt", "first", "second");
    }

    [Fact]
    public async Task Run_with_a_missing_dep_names_it()
    {
        using var repo = await WithPipelineAsync(
            """
            stages:
              train:
                cmd: cat missing.txt > out.txt
                deps: [missing.txt]
                outs: [out.txt]
            """
        );

        AssertOneLineError(await repo.ExpAsync("run"), "missing.txt");
        Assert.Empty(await repo.ExperimentRefsAsync());
    }

    [Fact]
    public async Task Run_set_param_without_equals_names_the_flag()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();

        AssertOneLineError(await repo.ExpAsync("run", "-S", "train.lr"), "train.lr");
        Assert.Equal(0, repo.TrainRuns());
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("bad..name")]
    public async Task Run_with_an_invalid_name_names_the_flag(string name)
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();

        AssertOneLineError(await repo.ExpAsync("run", "--name=" + name), "--name");
        Assert.Equal(0, repo.TrainRuns());
        Assert.Empty(await repo.ExperimentRefsAsync());
    }

    [Theory]
    [InlineData("")]
    [InlineData("--queue")]
    [InlineData("--temp")]
    public async Task Run_with_rev_of_another_commits_experiment_is_refused_and_queues_nothing(string mode)
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        await repo.ExpOkAsync("run", "-n", "old");
        repo.WriteFile("notes.txt", "later\n");
        await repo.CommitAllAsync("Move HEAD on");
        var before = await repo.ExperimentRefsAsync();
        string[] args = mode.Length > 0 ? ["run", mode, "--rev", "old"] : ["run", "--rev", "old"];

        var result = await repo.ExpAsync(args);

        AssertOneLineError(result, "--rev 'old'", "not HEAD");
        Assert.Equal(before, await repo.ExperimentRefsAsync());
        Assert.Equal(1, repo.TrainRuns());
    }

    [Fact]
    public async Task Run_with_a_failing_stage_returns_its_exit_code_and_records_nothing()
    {
        using var repo = await WithPipelineAsync(
            """
            stages:
              prepare:
                cmd: cp a.txt prepared.txt
                deps: [a.txt]
                outs:
                  - prepared.txt:
                      cache: false
              train:
                cmd: echo training > partial.txt && exit 3
                deps: [prepared.txt]
                outs:
                  - partial.txt:
                      cache: false
            """
        );
        var head = await repo.HeadAsync();

        var result = await repo.ExpAsync("run", "-n", "broken");

        Assert.Equal(3, result.ExitCode);
        AssertOneLineError(result, "train");
        Assert.Empty(await repo.ExperimentRefsAsync());
        Assert.Equal(head, await repo.HeadAsync());
        var lockText = repo.Exists("exp.lock") ? repo.ReadFile("exp.lock") : "";
        Assert.DoesNotContain("train:", lockText);
        Assert.Contains("prepare:", lockText);
    }
}
