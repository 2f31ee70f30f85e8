using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>The queue driven in the foreground: queueing, sweeps, isolated workspaces, failures, removal, bad input.</summary>
public sealed class QueueTests
{
    /// <summary>A user mistake: non-zero exit, one line on stderr naming what is wrong, no stack trace.</summary>
    internal static string AssertOneLineError(ToolResult result, params string[] mentions)
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

    [Fact]
    public async Task Run_all_on_an_empty_queue_succeeds_and_says_there_is_nothing_to_run()
    {
        await using var project = await QueueProject.CreateTrainingAsync();

        var result = await project.ExpOkAsync("run", "--run-all");

        Assert.Contains("Nothing to run: the queue is empty", result.StdOut);
        Assert.Empty(await project.Repo.ExperimentRefsAsync());
    }

    [Fact]
    public async Task The_message_given_with_queue_or_temp_is_the_experiments_commit_message()
    {
        await using var project = await QueueProject.CreateTrainingAsync();
        var head = await project.Repo.HeadAsync();

        await project.ExpOkAsync("run", "--queue", "-n", "queued", "-S", "lr=0.2", "-m", "lr 0.2: \"queued\"\nsecond line");
        await project.ExpOkAsync("run", "--run-all");
        await project.ExpOkAsync("run", "--temp", "--wait", "-n", "temp", "-S", "lr=0.3", "-m", "lr 0.3 in the background");

        Assert.Equal(
            "lr 0.2: \"queued\"\nsecond line",
            await project.Repo.GitAsync("log", "-1", "--format=%B", TempGitRepo.ExperimentRef(head, "queued"))
        );
        Assert.Equal(
            "lr 0.3 in the background",
            await project.Repo.GitAsync("log", "-1", "--format=%B", TempGitRepo.ExperimentRef(head, "temp"))
        );
    }

    [Fact]
    public async Task Apply_takes_a_queued_or_a_failed_entry_and_puts_its_snapshot_in_the_workspace()
    {
        await using var project = await QueueProject.CreateTrainingAsync();
        var head = await project.Repo.HeadAsync();
        await project.ExpOkAsync("run", "--queue", "-n", "doomed", "-S", "fail=3");
        await project.ExpAsync("run", "--run-all");
        var waiting = (await project.ExpOkAsync("run", "--queue", "-n", "waiting", "-S", "lr=0.7")).StdOut.Split("with id ")[1][
            ..10
        ];

        await project.ExpOkAsync("apply", waiting);
        Assert.Contains("lr: 0.7", project.Repo.ReadFile("params.yaml"));

        await project.ExpOkAsync("apply", "doomed", "-f");
        Assert.Contains("fail: 3", project.Repo.ReadFile("params.yaml"));
        Assert.Contains("lr: 0.1", project.Repo.ReadFile("params.yaml"));

        Assert.Equal(head, await project.Repo.HeadAsync());
        Assert.Equal("queued", (await project.StatusAsync()).Entries.Single(e => e.Id == waiting).Status);
    }

    [Fact]
    public async Task Sweep_queues_one_entry_per_combination_and_runs_them_without_touching_the_workspace()
    {
        await using var project = await QueueProject.CreateTrainingAsync();
        project.Repo.WriteFile("notes.md", "an untracked note\n");
        project.Repo.WriteFile("scratch.tmp", "an ignored file\n");
        project.Repo.WriteFile("params.yaml", "lr: 0.5\nbatch: 8\nfail: 0\nsleep: 0\n");
        var before = await project.WorkspaceFingerprintAsync();

        var queued = await project.ExpOkAsync("run", "-S", "lr=0.1,0.01", "-S", "batch=16,32", "--queue", "-n", "base");

        Assert.Equal(before, await project.WorkspaceFingerprintAsync());
        var status = await project.StatusAsync();
        Assert.Equal(["base-1", "base-2", "base-3", "base-4"], status.Entries.Select(e => e.Name));
        Assert.All(status.Entries, e => Assert.Equal("queued", e.Status));
        Assert.All(status.Entries, e => Assert.Contains($"'{e.Name}' with id {e.Id}", queued.StdOut));
        Assert.Equal(
            status.Entries.Select(e => "refs/exps/queue/" + e.Id).Order(StringComparer.Ordinal),
            await project.Repo.ExperimentRefsAsync()
        );
        var pending = await project.ShowAsync();
        Assert.Equal(["base-1", "base-2", "base-3", "base-4"], pending.Select(r => r.Name));
        Assert.All(pending, r => Assert.Equal("Queued", r.State));

        await project.ExpOkAsync("run", "--run-all", "-j", "2");

        Assert.Equal(before, await project.WorkspaceFingerprintAsync());
        var head = await project.Repo.HeadAsync();
        Assert.Equal(
            new[] { "base-1", "base-2", "base-3", "base-4" }.Select(n => TempGitRepo.ExperimentRef(head, n)),
            await project.Repo.ExperimentRefsAsync()
        );
        var rows = (await project.ShowAsync()).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
        Assert.Equal(["base-1", "base-2", "base-3", "base-4"], rows.Select(r => r.Name));
        Assert.All(rows, r => Assert.Equal("Success", r.State));
        // The first -S varies slowest, as in the sweep's cartesian product in argument order.
        Assert.Equal(["0.1", "0.1", "0.01", "0.01"], rows.Select(r => r.Param("lr")));
        Assert.Equal(["16", "32", "16", "32"], rows.Select(r => r.Param("batch")));
        Assert.Equal(["1.6000", "3.2000", "0.1600", "0.3200"], rows.Select(r => r.Metric("score")));
        Assert.Equal(4, project.SideLines("runs.log").Count(l => l.StartsWith("done ", StringComparison.Ordinal)));
        Assert.All((await project.StatusAsync()).Entries, e => Assert.Equal("success", e.Status));
    }

    [Fact]
    public async Task A_queued_entry_shows_the_params_it_will_run_with_and_no_metrics_until_it_has_run()
    {
        await using var project = await QueueProject.CreateTrainingAsync();
        project.Repo.WriteFile("params.yaml", "lr: 0.5\nbatch: 8\nfail: 0\nsleep: 0\n");
        await project.ExpOkAsync("run", "-n", "ran");
        await project.ExpOkAsync("run", "--queue", "-n", "waiting", "-S", "lr=0.2");

        var rows = await project.ShowAsync();

        var ran = rows.Single(r => r.Name == "ran");
        var waiting = rows.Single(r => r.Name == "waiting");
        Assert.NotNull(ran.Metric("score"));
        Assert.Equal("Queued", waiting.State);
        Assert.Equal("0.2", waiting.Param("lr"));
        Assert.Null(waiting.Metric("score")); // the workspace's metrics.json from 'ran' is in its snapshot, not a result

        await project.ExpOkAsync("run", "--run-all");

        Assert.Equal("1.6000", (await project.ShowAsync()).Single(r => r.Name == "waiting").Metric("score"));
    }

    [Fact]
    public async Task Sweep_without_queue_is_a_one_line_error_that_asks_for_queue()
    {
        await using var project = await QueueProject.CreateTrainingAsync();
        var workspace = await project.WorkspaceFingerprintAsync();
        var queue = await project.QueueFingerprintAsync();

        var result = await project.ExpAsync("run", "-S", "lr=0.1,0.01", "-n", "nope");

        AssertOneLineError(result, "--queue", "lr");
        Assert.Equal(queue, await project.QueueFingerprintAsync());
        Assert.Equal(workspace, await project.WorkspaceFingerprintAsync());
        Assert.Empty(project.SideLines("runs.log"));
    }

    [Fact]
    public async Task Isolated_workspace_holds_no_ignored_file_unless_copied_with_copy_paths()
    {
        await using var project = await QueueProject.CreateAsync(
            new Dictionary<string, string>
            {
                // The variant param keeps the run cache from restoring one entry's result for the other.
                ["params.yaml"] = "variant: 0\n",
                ["check.sh"] = """
                #!/bin/sh
                seen() { if [ -f "$1" ]; then cat "$1"; else printf 'missing\n'; fi; }
                printf 'secret=%s other=%s\n' "$(seen secret.txt)" "$(seen other.tmp)" > seen.txt
                printf '{"has_secret": %s}\n' "$(if [ -f secret.txt ]; then echo 1; else echo 0; fi)" > metrics.json

                """,
                ["exp.yaml"] = """
                stages:
                  check:
                    cmd: sh check.sh
                    deps:
                      - check.sh
                    params:
                      - variant
                    outs:
                      - seen.txt:
                          cache: false
                    metrics:
                      - metrics.json:
                          cache: false

                """,
            }
        );
        project.Repo.WriteFile("secret.txt", "s3cret");
        project.Repo.WriteFile("other.tmp", "scratch");
        Assert.Equal("secret.txt\nother.tmp", await project.Repo.GitAsync("check-ignore", "secret.txt", "other.tmp"));

        await project.ExpOkAsync("run", "--queue", "-n", "plain", "-S", "variant=1");
        await project.ExpOkAsync("run", "--queue", "-n", "copied", "-S", "variant=2", "-C", "secret.txt");
        await project.ExpOkAsync("run", "--run-all");

        var head = await project.Repo.HeadAsync();
        Assert.Equal(
            "secret=missing other=missing",
            await project.Repo.GitAsync("show", TempGitRepo.ExperimentRef(head, "plain") + ":seen.txt")
        );
        Assert.Equal(
            "secret=s3cret other=missing",
            await project.Repo.GitAsync("show", TempGitRepo.ExperimentRef(head, "copied") + ":seen.txt")
        );
        var rows = await project.ShowAsync();
        Assert.Equal("0", Assert.Single(rows, r => r.Name == "plain").Metric("has_secret"));
        Assert.Equal("1", Assert.Single(rows, r => r.Name == "copied").Metric("has_secret"));
        // Copied into the isolated workspace only: the experiment commit never carries the ignored file.
        Assert.DoesNotContain("secret.txt", (await project.Repo.TreeAsync(TempGitRepo.ExperimentRef(head, "copied"))).Keys);

        var queue = await project.QueueFingerprintAsync();
        var missing = await project.ExpAsync("run", "--queue", "-n", "lost", "--copy-paths", "nowhere.bin");

        AssertOneLineError(missing, "--copy-paths", "nowhere.bin");
        Assert.Equal(queue, await project.QueueFingerprintAsync());

        // Copied when the entry runs: a path deleted meanwhile fails that entry, not the whole run.
        await project.ExpOkAsync("run", "--queue", "-n", "orphan", "-S", "variant=3", "-C", "secret.txt");
        await project.ExpOkAsync("run", "--queue", "-n", "after", "-S", "variant=4");
        File.Delete(project.Repo.FullPath("secret.txt"));

        var run = await project.ExpAsync("run", "--run-all");

        Assert.Equal(1, run.ExitCode);
        Assert.DoesNotContain("   at ", run.StdErr + run.StdOut);
        var status = await project.StatusAsync();
        Assert.Equal("success", status.Named("after").Status);
        Assert.Equal("failed", status.Named("orphan").Status);
        Assert.Contains("secret.txt", status.Named("orphan").Message);
    }

    [Fact]
    public async Task A_failing_entry_does_not_stop_the_others_and_keeps_its_log_and_workspace_until_removed()
    {
        await using var project = await QueueProject.CreateTrainingAsync();
        await project.ExpOkAsync("run", "--queue", "-n", "good-1");
        await project.ExpOkAsync("run", "--queue", "-n", "bad", "-S", "fail=3");
        await project.ExpOkAsync("run", "--queue", "-n", "good-2");

        var run = await project.ExpAsync("run", "--run-all");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("2 of 3", run.StdOut);
        // Each entry's last line says where the whole run stands.
        Assert.Contains(": failed (", run.StdOut);
        Assert.Contains("; 2 of 3 done, 0 running, 1 failed", run.StdOut);
        Assert.Contains("; 3 of 3 done, 0 running, 1 failed", run.StdOut);
        var status = await project.StatusAsync();
        Assert.Equal("success", status.Named("good-1").Status);
        Assert.Equal("success", status.Named("good-2").Status);
        var bad = status.Named("bad");
        Assert.Equal("failed", bad.Status);
        Assert.Equal(3, bad.ExitCode);
        var rows = await project.ShowAsync();
        Assert.Equal("Failed", Assert.Single(rows, r => r.Name == "bad").State);
        Assert.Equal("Success", Assert.Single(rows, r => r.Name == "good-2").State);
        var head = await project.Repo.HeadAsync();
        Assert.Equal(
            new[]
            {
                "refs/exps/failed/" + bad.Id,
                TempGitRepo.ExperimentRef(head, "good-1"),
                TempGitRepo.ExperimentRef(head, "good-2"),
            }.Order(StringComparer.Ordinal),
            await project.Repo.ExperimentRefsAsync()
        );

        var logs = await project.ExpOkAsync("queue", "logs", bad.Id);

        Assert.Contains("training bad with lr=0.1 batch=16", logs.StdOut);
        Assert.Contains("boom: bad gives up", logs.StdOut);
        // --stderr: what the command wrote to stderr alone, none of its stdout or GitExp's own lines.
        var stderrLog = project.Repo.FullPath($".exp/tmp/queue/{bad.Id}.stderr.log");
        Assert.True(File.Exists(stderrLog));
        var stderr = await project.ExpOkAsync("queue", "logs", "--stderr", bad.Id);
        Assert.Equal("boom: bad gives up\n", stderr.StdOut);
        Assert.Equal("", (await project.ExpOkAsync("queue", "logs", "--stderr", status.Named("good-1").Id)).StdOut);
        var workspace = project.Repo.FullPath(".exptmp/" + bad.Id);
        Assert.True(File.Exists(Path.Combine(workspace, "train.sh")), "the failed entry's workspace is kept");

        await project.ExpOkAsync("queue", "remove", bad.Id);

        Assert.False(Directory.Exists(workspace));
        Assert.False(File.Exists(stderrLog));
        Assert.DoesNotContain("refs/exps/failed/" + bad.Id, await project.Repo.ExperimentRefsAsync());
        Assert.DoesNotContain((await project.StatusAsync()).Entries, e => e.Name == "bad");
        Assert.DoesNotContain(await project.ShowAsync(), r => r.Name == "bad");
    }

    [Fact]
    public async Task Queue_remove_takes_ids_all_queued_failed_success_and_exp_remove_takes_queue()
    {
        await using var project = await QueueProject.CreateTrainingAsync();
        var head = await project.Repo.HeadAsync();
        await project.ExpOkAsync("run", "--queue", "-n", "won");
        await project.ExpOkAsync("run", "--queue", "-n", "lost", "-S", "fail=2");
        await project.ExpAsync("run", "--run-all");
        await project.ExpOkAsync("run", "--queue", "-n", "waiting", "-S", "lr=0.2,0.3");
        Assert.Equal(["lost:failed", "waiting-1:queued", "waiting-2:queued", "won:success"], await EntriesAsync(project));

        // An unknown id is an error and removes nothing, not even the entries named beside it.
        var queue = await project.QueueFingerprintAsync();
        AssertOneLineError(await project.ExpAsync("queue", "remove", "waiting-1", "nosuchid"), "nosuchid");
        Assert.Equal(queue, await project.QueueFingerprintAsync());

        await project.ExpOkAsync("queue", "remove", "--queued");
        Assert.Equal(["lost:failed", "won:success"], await EntriesAsync(project));
        Assert.DoesNotContain(
            await project.Repo.ExperimentRefsAsync(),
            r => r.StartsWith("refs/exps/queue/", StringComparison.Ordinal)
        );

        var lost = (await project.StatusAsync()).Named("lost");
        await project.ExpOkAsync("queue", "remove", "--failed");
        Assert.Equal(["won:success"], await EntriesAsync(project));
        Assert.DoesNotContain("refs/exps/failed/" + lost.Id, await project.Repo.ExperimentRefsAsync());
        Assert.False(Directory.Exists(project.Repo.FullPath(".exptmp/" + lost.Id)));

        await project.ExpOkAsync("queue", "remove", "--success");
        Assert.Empty(await EntriesAsync(project));
        // Forgetting a finished entry keeps its experiment.
        Assert.Equal([TempGitRepo.ExperimentRef(head, "won")], await project.Repo.ExperimentRefsAsync());

        await project.ExpOkAsync("run", "--queue", "-n", "by-id");
        await project.ExpOkAsync("run", "--queue", "-n", "by-name");
        await project.ExpOkAsync("run", "--queue", "-n", "stays");
        var byId = (await project.StatusAsync()).Named("by-id").Id;
        await project.ExpOkAsync("queue", "remove", byId, "by-name");
        Assert.Equal(["stays:queued"], await EntriesAsync(project));

        await project.ExpOkAsync("run", "--queue", "-n", "also-fails", "-S", "fail=1");
        await project.ExpAsync("run", "--run-all");
        await project.ExpOkAsync("run", "--queue", "-n", "pending");
        Assert.Equal(["also-fails:failed", "pending:queued", "stays:success"], await EntriesAsync(project));
        await project.ExpOkAsync("queue", "remove", "--all");
        Assert.Empty(await EntriesAsync(project));
        Assert.Equal(
            new[] { TempGitRepo.ExperimentRef(head, "stays"), TempGitRepo.ExperimentRef(head, "won") }.Order(
                StringComparer.Ordinal
            ),
            await project.Repo.ExperimentRefsAsync()
        );

        await project.ExpOkAsync("run", "--queue", "-n", "dropped", "-S", "lr=0.4,0.5");
        await project.ExpOkAsync("remove", "--queue");
        Assert.Empty(await EntriesAsync(project));
        Assert.DoesNotContain(
            await project.Repo.ExperimentRefsAsync(),
            r => r.StartsWith("refs/exps/queue/", StringComparison.Ordinal)
        );
        Assert.DoesNotContain(await project.ShowAsync(), r => r.Name.StartsWith("dropped", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bad_queue_input_is_a_one_line_error_and_changes_nothing()
    {
        await using var project = await QueueProject.CreateTrainingAsync();

        await project.ExpOkAsync("run", "--queue", "-n", "kept");
        var queue = await project.QueueFingerprintAsync();
        var workspace = await project.WorkspaceFingerprintAsync();
        var id = (await project.StatusAsync()).Named("kept").Id;

        AssertOneLineError(await project.ExpAsync("run", "--run-all", "--jobs", "0"), "--jobs", "0");
        AssertOneLineError(await project.ExpAsync("queue", "start", "-j", "0"), "--jobs", "0");
        AssertOneLineError(
            await project.ExpAsync("run", "--queue", "-S", "lr=1,2", "-S", "batch=3,4", "--sweep-limit", "3"),
            "--sweep-limit",
            "3"
        );
        AssertOneLineError(await project.ExpAsync("queue", "kill", "nosuchid"), "nosuchid");
        AssertOneLineError(await project.ExpAsync("queue", "kill", id), id, "not running");
        AssertOneLineError(await project.ExpAsync("queue", "logs", "nosuchid"), "nosuchid");
        AssertOneLineError(await project.ExpAsync("queue", "remove", "nosuchid"), "nosuchid");
        AssertOneLineError(await project.ExpAsync("queue", "remove"), "--all");

        Assert.Equal(queue, await project.QueueFingerprintAsync());
        Assert.Equal(workspace, await project.WorkspaceFingerprintAsync());
        Assert.Equal(0, (await project.StatusAsync()).Workers);
        Assert.Empty(project.SideLines("runs.log"));
    }

    private static async Task<IReadOnlyList<string>> EntriesAsync(QueueProject project) =>
        (await project.StatusAsync()).Entries.Select(e => $"{e.Name}:{e.Status}").Order(StringComparer.Ordinal).ToList();
}
