using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary><c>-S</c> in Hydra's override grammar end to end: sweeps queued per combination, <c>++</c> and <c>~</c> in place.</summary>
public sealed class HydraOverrideTests
{
    [Fact]
    public async Task Queue_a_two_by_three_sweep_as_six_entries_each_with_its_params_and_run_them_all()
    {
        await using var project = await QueueProject.CreateTrainingAsync();
        var before = await project.WorkspaceFingerprintAsync();

        var queued = await project.ExpOkAsync("run", "--queue", "-n", "grid", "-S", "lr=0.1,0.2", "-S", "batch=range(1,4)");

        Assert.Equal(before, await project.WorkspaceFingerprintAsync());
        var status = await project.StatusAsync();
        string[] names = ["grid-1", "grid-2", "grid-3", "grid-4", "grid-5", "grid-6"];
        Assert.Equal(names, status.Entries.Select(e => e.Name));
        Assert.All(status.Entries, e => Assert.Equal("queued", e.Status));
        Assert.Equal(6, queued.StdOut.Split('\n').Count(l => l.StartsWith("Queued experiment", StringComparison.Ordinal)));
        // Each entry's snapshot holds its own values; the first -S varies slowest, as in DVC's product.
        var files = new List<string>();
        foreach (var entry in status.Entries)
        {
            files.Add(await project.Repo.GitAsync("show", $"refs/exps/queue/{entry.Id}:params.yaml"));
        }

        Assert.Equal(
            [
                "lr: 0.1\nbatch: 1\nfail: 0\nsleep: 0",
                "lr: 0.1\nbatch: 2\nfail: 0\nsleep: 0",
                "lr: 0.1\nbatch: 3\nfail: 0\nsleep: 0",
                "lr: 0.2\nbatch: 1\nfail: 0\nsleep: 0",
                "lr: 0.2\nbatch: 2\nfail: 0\nsleep: 0",
                "lr: 0.2\nbatch: 3\nfail: 0\nsleep: 0",
            ],
            files
        );

        await project.ExpOkAsync("run", "--run-all", "-j", "2");

        var rows = (await project.ShowAsync())
            .Where(r => r.Type != "baseline")
            .OrderBy(r => r.Name, StringComparer.Ordinal)
            .ToList();
        Assert.Equal(names, rows.Select(r => r.Name));
        Assert.All(rows, r => Assert.Equal("Success", r.State));
        Assert.Equal(["0.1", "0.1", "0.1", "0.2", "0.2", "0.2"], rows.Select(r => r.Param("lr")));
        Assert.Equal(["1", "2", "3", "1", "2", "3"], rows.Select(r => r.Param("batch")));
        Assert.DoesNotContain((await project.StatusAsync()).Entries, e => e.Status == "queued");
    }

    [Fact]
    public async Task A_named_sweep_queues_name_1_and_name_2()
    {
        // DVC tests/func/experiments/test_set_params.py test_hydra_sweep_prefix_name.
        await using var project = await QueueProject.CreateTrainingAsync();

        await project.ExpOkAsync("run", "--queue", "-n", "foo", "-S", "+db=mysql,postgresql");

        var entries = (await project.StatusAsync()).Entries;
        Assert.Equal(["foo-1", "foo-2"], entries.Select(e => e.Name));
        Assert.Equal(
            ["lr: 0.1\nbatch: 16\nfail: 0\nsleep: 0\ndb: mysql", "lr: 0.1\nbatch: 16\nfail: 0\nsleep: 0\ndb: postgresql"],
            await Task.WhenAll(entries.Select(e => project.Repo.GitAsync("show", $"refs/exps/queue/{e.Id}:params.yaml")))
        );
    }

    [Fact]
    public async Task A_queued_delete_and_add_change_only_the_snapshot_and_queue_start_runs_it()
    {
        await using var project = await QueueProject.CreateTrainingAsync();
        project.Repo.WriteFile("params.yaml", "lr: 0.1\nbatch: 16\nfail: 0\nsleep: 0\nold: 1 # unused\n");
        await project.Repo.CommitAllAsync("an unused param");
        var before = await project.WorkspaceFingerprintAsync();

        await project.ExpOkAsync("run", "--queue", "-n", "tidy", "-S", "~old", "-S", "++lr=0.3", "-S", "+note='a, b'");

        Assert.Equal(before, await project.WorkspaceFingerprintAsync());
        var entry = (await project.StatusAsync()).Named("tidy");
        Assert.Equal(
            "lr: 0.3\nbatch: 16\nfail: 0\nsleep: 0\nnote: 'a, b'",
            await project.Repo.GitAsync("show", $"refs/exps/queue/{entry.Id}:params.yaml")
        );

        await project.ExpOkAsync("queue", "start");
        await QueueProject.WaitUntilAsync(
            async () => (await project.ShowAsync()).Any(r => r.Name == "tidy" && r.State == "Success"),
            "the queued experiment ran"
        );
        var row = (await project.ShowAsync()).Single(r => r.Name == "tidy");
        Assert.Equal("0.3", row.Param("lr"));
        Assert.Equal("\"a, b\"", row.Param("note"));
        Assert.Null(row.Param("old"));
    }

    [Fact]
    public async Task Add_or_change_and_delete_edit_a_yaml_and_a_toml_params_file_in_place()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteFile("params.yaml", "# training\ntrain:\n  lr: 0.1 # step size\n  dropout: 0.5\nseed: 1\n");
        repo.WriteFile("model.toml", "# model\nunits = 64 # width\nlayers = 2\n\n[data]\nsplit = 0.2\n");
        repo.WriteFile("train.sh", "#!/bin/sh\ncat params.yaml model.toml > seen.txt\nprintf '{\"ok\": 1}\\n' > metrics.json\n");
        repo.WriteFile(
            "dvc.yaml",
            """
            stages:
              train:
                cmd: sh train.sh
                deps: [train.sh]
                params:
                  - train
                  - model.toml:
                      - units
                      - data
                outs:
                  - seen.txt:
                      cache: false
                metrics:
                  - metrics.json:
                      cache: false

            """
        );
        await repo.CommitAllAsync("YAML and TOML params");

        await repo.ExpOkAsync(
            "run",
            "-n",
            "edit",
            "-S",
            "++train.momentum=0.9",
            "-S",
            "~train.dropout",
            "-S",
            "++train.lr=0.05",
            "-S",
            "model.toml:++data.shuffle=true",
            "-S",
            "model.toml:~layers=2"
        );

        Assert.Equal("# training\ntrain:\n  lr: 0.05 # step size\n  momentum: 0.9\nseed: 1\n", repo.ReadFile("params.yaml"));
        Assert.Equal("# model\nunits = 64 # width\n\n[data]\nsplit = 0.2\nshuffle = true\n", repo.ReadFile("model.toml"));
        Assert.Equal(repo.ReadFile("params.yaml") + repo.ReadFile("model.toml"), repo.ReadFile("seen.txt"));
        var expRef = Assert.Single(await repo.ExperimentRefsAsync());
        Assert.Equal(repo.ReadFile("model.toml").TrimEnd('\n'), await repo.GitAsync("show", expRef + ":model.toml"));
    }

    [Fact]
    public async Task Dvc2_page_form_sets_two_params_and_a_failed_delete_touches_no_file()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        var params0 = repo.ReadFile("params.yaml");

        var refused = await repo.ExpAsync("run", "-S", "train.lr=0.2", "-S", "~seed=7");
        Assert.Equal(2, refused.ExitCode);
        Assert.Equal(["error: -S '~seed=7': 'seed' in 'params.yaml' is 42, not 7; nothing was deleted"], refused.ErrorLines);
        Assert.Equal(params0, repo.ReadFile("params.yaml"));

        await repo.ExpOkAsync("run", "-S", "train.lr=0.2,train.epochs=5");
        Assert.Equal(
            params0
                .Replace("lr: 0.1 ", "lr: 0.2 ", StringComparison.Ordinal)
                .Replace("epochs: 3", "epochs: 5", StringComparison.Ordinal),
            repo.ReadFile("params.yaml")
        );
    }
}
