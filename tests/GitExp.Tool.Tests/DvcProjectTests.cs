using System.Text.Json.Nodes;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>A DVC project (dvc.yaml, dvc.lock, no exp.yaml) used as it is.</summary>
public sealed class DvcProjectTests
{
    /// <summary>The sample project with its pipeline in <c>dvc.yaml</c> instead of <c>exp.yaml</c>, committed.</summary>
    private static async Task<TempGitRepo> DvcSampleAsync(string directory = "")
    {
        var repo = await TempGitRepo.InitAsync();
        repo.WriteSampleProject(directory);
        File.Move(repo.FullPath(Path.Combine(directory, "exp.yaml")), repo.FullPath(Path.Combine(directory, "dvc.yaml")));
        await repo.CommitAllAsync("Add DVC project");
        return repo;
    }

    private static JsonObject Row(ToolResult show, string type) =>
        JsonNode.Parse(show.StdOut)!.AsArray().Select(r => r!.AsObject()).First(r => (string)r["type"]! == type);

    [Fact]
    public async Task Dvc_yaml_without_exp_yaml_is_the_default_pipeline_of_run_status_and_show()
    {
        using var repo = await DvcSampleAsync();

        await repo.ExpOkAsync("run", "-n", "first");

        Assert.Equal(1, repo.TrainRuns());
        Assert.True(repo.Exists("dvc.lock"));
        Assert.False(repo.Exists("exp.lock"));
        Assert.Equal("Everything is up to date.", (await repo.ExpOkAsync("status")).StdOut.Trim());
        Assert.Equal("Everything is up to date.", (await repo.ExpOkAsync("status", "dvc.yaml:train")).StdOut.Trim());
        var row = Row(await repo.ExpOkAsync("show", "--json"), "experiment");
        Assert.Equal("0.1", row["params"]!["params.yaml"]!["train.lr"]!.ToJsonString());
        Assert.Equal("0.9000", row["metrics"]!["metrics.json"]!["acc"]!.ToJsonString());
    }

    [Fact]
    public async Task Run_queue_dvc_yaml_queues_and_runs_the_dvc_pipeline()
    {
        using var repo = await DvcSampleAsync();

        await repo.ExpOkAsync("run", "--queue", "dvc.yaml", "-S", "train.lr=0.5", "-n", "queued");
        await repo.ExpOkAsync("run", "--run-all");

        var row = Row(await repo.ExpOkAsync("show", "--json"), "experiment");
        Assert.Equal("queued", (string)row["name"]!);
        Assert.Equal("0.5", row["params"]!["params.yaml"]!["train.lr"]!.ToJsonString());
        Assert.Equal("0.5000", row["metrics"]!["metrics.json"]!["acc"]!.ToJsonString());
    }

    [Fact]
    public async Task A_folder_with_exp_yaml_keeps_it_and_a_sub_dvc_yaml_is_a_target()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteSampleProject();
        repo.WriteSampleProject("sub");
        File.Move(repo.FullPath("sub/exp.yaml"), repo.FullPath("sub/dvc.yaml"));
        // A dvc.yaml beside an exp.yaml is not a pipeline of its own (exp.yaml wins).
        repo.WriteFile("dvc.yaml", "stages:\n  other:\n    cmd: exit 3\n");
        await repo.CommitAllAsync("Two pipelines");

        await repo.ExpOkAsync("run", "--all-pipelines", "-n", "all");

        Assert.Equal(1, repo.TrainRuns());
        Assert.Equal(1, repo.TrainRuns("sub"));
        Assert.True(repo.Exists("exp.lock"));
        Assert.True(repo.Exists("sub/dvc.lock"));
        Assert.False(repo.Exists("dvc.lock"));
        Assert.Equal("Everything is up to date.", (await repo.ExpOkAsync("status", "sub/dvc.yaml")).StdOut.Trim());
    }

    [Fact]
    public async Task A_dvc_project_writes_dvc_lock_in_dvcs_format_with_md5s_and_caches_outs_where_dvc_finds_them()
    {
        using var repo = await DvcSampleAsync();
        repo.WriteFile(".dvc/config", "");
        await repo.CommitAllAsync("dvc init");

        await repo.ExpOkAsync("run", "-n", "first");

        var lockText = repo.ReadFile("dvc.lock");
        var model = File.ReadAllBytes(repo.FullPath("model/model.bin"));
        var md5 = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(model));
        var trainSh = Convert.ToHexStringLower(
            System.Security.Cryptography.MD5.HashData(File.ReadAllBytes(repo.FullPath("train.sh")))
        );
        Assert.StartsWith("schema: '2.0'\nstages:\n  train:\n    cmd: sh train.sh\n", lockText, StringComparison.Ordinal);
        Assert.Contains($"    - path: train.sh\n      hash: md5\n      md5: {trainSh}\n", lockText, StringComparison.Ordinal);
        Assert.Contains(
            $"    - path: model/model.bin\n      hash: md5\n      md5: {md5}\n      size: {model.Length}\n",
            lockText,
            StringComparison.Ordinal
        );
        Assert.DoesNotContain("sha256", lockText, StringComparison.Ordinal);
        // DVC 3's cache layout, in DVC's own cache: 'dvc checkout' finds the out there.
        Assert.True(repo.Exists($".dvc/cache/files/md5/{md5[..2]}/{md5[2..]}"));
        // The cache is never recorded in the experiment, even where .dvc/ has no .gitignore of DVC's.
        var experiment = Assert.Single(await repo.ExperimentRefsAsync());
        Assert.DoesNotContain((await repo.TreeAsync(experiment)).Keys, p => p.StartsWith(".dvc/cache", StringComparison.Ordinal));

        // Gone from the workspace, it comes back from that cache.
        File.Delete(repo.FullPath("model/model.bin"));
        await repo.ExpOkAsync("run", "-n", "again");
        Assert.Equal(1, repo.TrainRuns());
        Assert.Equal(model, File.ReadAllBytes(repo.FullPath("model/model.bin")));
    }

    // insper-classroom/Ames-Mlflow-and-DVC-Pipeline lists 'src/lambda_function.py' twice in a stage's deps; DVC
    // loads it and locks it twice. Status crashed on the lock's duplicate path.
    [Fact]
    public async Task A_dep_written_twice_runs_and_is_up_to_date_like_any_other()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteFile("train.sh", "cat train.sh > out.txt\n");
        repo.WriteFile(
            "dvc.yaml",
            "stages:\n  train:\n    cmd: sh train.sh\n    deps:\n    - train.sh\n    - train.sh\n    outs:\n    - out.txt\n"
        );
        await repo.CommitAllAsync("A dep twice");

        await repo.ExpOkAsync("run");

        Assert.Equal("Everything is up to date.", (await repo.ExpOkAsync("status")).StdOut.Trim());
        repo.WriteFile("train.sh", "cat train.sh > out.txt # changed\n");
        Assert.Contains("dep 'train.sh' modified", (await repo.ExpOkAsync("status")).StdOut, StringComparison.Ordinal);
    }

    // nesterione/dvc-pipelines commits the dvc.lock DVC 1 wrote: its stages at the top level, no schema. DVC 2 read
    // it and wrote it as 2.0 on the next 'dvc repro'.
    [Fact]
    public async Task A_dvc_1_lock_is_what_status_compares_with_and_the_next_run_writes_it_as_2_0()
    {
        using var repo = await TempGitRepo.InitAsync();
        var one = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData("1\n"u8.ToArray()));
        repo.WriteFile("data.txt", "1\n");
        repo.WriteFile("prepared.txt", "1\n");
        repo.WriteFile(
            "dvc.yaml",
            "stages:\n  prepare:\n    cmd: cp data.txt prepared.txt\n    deps:\n    - data.txt\n    outs:\n    - prepared.txt:\n        cache: false\n"
        );
        repo.WriteFile(
            "dvc.lock",
            $"prepare:\n  cmd: cp data.txt prepared.txt\n  deps:\n  - path: data.txt\n    md5: {one}\n  outs:\n  - path: prepared.txt\n    md5: {one}\n"
        );
        await repo.CommitAllAsync("A DVC 1 project");

        Assert.Equal("Everything is up to date.", (await repo.ExpOkAsync("status")).StdOut.Trim());
        repo.WriteFile("data.txt", "2\n");
        Assert.Contains("dep 'data.txt' modified", (await repo.ExpOkAsync("status")).StdOut, StringComparison.Ordinal);

        await repo.ExpOkAsync("run", "-n", "upgraded");

        var two = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData("2\n"u8.ToArray()));
        Assert.Equal(
            $"schema: '2.0'\nstages:\n  prepare:\n    cmd: cp data.txt prepared.txt\n    deps:\n    - path: data.txt\n      hash: md5\n      md5: {two}\n      size: 2\n    outs:\n    - path: prepared.txt\n      hash: md5\n      md5: {two}\n      size: 2\n",
            repo.ReadFile("dvc.lock")
        );
        Assert.Equal("Everything is up to date.", (await repo.ExpOkAsync("status")).StdOut.Trim());
    }

    // 'dvc cache dir' writes cache.dir to .dvc/config (shared caches; '.dvc/config.local' for one machine),
    // relative to the .dvc folder.
    [Fact]
    public async Task A_dvc_project_caches_outs_in_the_cache_dir_its_dvc_config_names()
    {
        using var repo = await DvcSampleAsync();
        using var shared = TempGitRepo.CreateEmptyFolder();
        var relative = Path.GetRelativePath(repo.FullPath(".dvc"), shared.Root);
        repo.WriteFile(
            ".dvc/config",
            $"[core]\n    remote = storage\n[cache]\n    dir = {relative}\n['remote \"storage\"']\n    url = s3://bucket/dvc\n"
        );
        await repo.CommitAllAsync("dvc cache dir");

        await repo.ExpOkAsync("run", "-n", "first");

        var md5 = Convert.ToHexStringLower(
            System.Security.Cryptography.MD5.HashData(File.ReadAllBytes(repo.FullPath("model/model.bin")))
        );
        Assert.True(File.Exists(Path.Combine(shared.Root, "files", "md5", md5[..2], md5[2..])));
        Assert.False(repo.Exists(".dvc/cache"));

        // A machine's own .dvc/config.local wins, as in DVC.
        using var local = TempGitRepo.CreateEmptyFolder();
        repo.WriteFile(".dvc/config.local", $"[cache]\ndir = {local.Root}\n");
        File.Delete(repo.FullPath("model/model.bin"));
        await repo.ExpOkAsync("run", "-n", "again");
        Assert.True(File.Exists(Path.Combine(local.Root, "files", "md5", md5[..2], md5[2..])));
    }

    [Fact]
    public async Task A_stage_dvc_recorded_is_up_to_date_here()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteFile("data/a.txt", "a\n");
        repo.WriteFile("data/a-b.txt", "x");
        repo.WriteFile("data/sub/b.txt", "b\n");
        repo.WriteFile("data/sub/c d.txt", "");
        repo.WriteFile("data/\u00e9t\u00e9.txt", "summer\n");
        repo.WriteFile("out.txt", "a\n");
        repo.WriteFile(
            "dvc.yaml",
            "stages:\n  copy:\n    cmd: cp data/a.txt out.txt\n    deps:\n    - data\n    outs:\n    - out.txt\n"
        );
        // As DVC 3 writes it for these files (MD5s computed by dvc-data's rules; see DvcHashTests).
        repo.WriteFile(
            "dvc.lock",
            """
            schema: '2.0'
            stages:
              copy:
                cmd: cp data/a.txt out.txt
                deps:
                - path: data
                  hash: md5
                  md5: fda3e57c10d2e54f0f788ec6366f0851.dir
                  size: 12
                  nfiles: 5
                outs:
                - path: out.txt
                  hash: md5
                  md5: 60b725f10c9c85c70d97880dfe8191b3
                  size: 2

            """
        );
        await repo.CommitAllAsync("DVC ran copy");

        Assert.Equal("Everything is up to date.", (await repo.ExpOkAsync("status")).StdOut.Trim());
    }

    [Fact]
    public async Task Example_get_started_status_names_only_the_missing_data()
    {
        using var repo = await TempGitRepo.InitAsync();
        var corpus = Path.Combine(AppContext.BaseDirectory, "Corpus", "example-get-started");
        foreach (var file in Directory.EnumerateFiles(corpus, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(corpus, file);
            if (relative != "SOURCES.md")
            {
                repo.WriteBytes(relative, File.ReadAllBytes(file));
            }
        }

        await repo.CommitAllAsync("example-get-started's git-tracked files");

        var status = await repo.ExpOkAsync("status");

        var reasons = status
            .StdOut.ReplaceLineEndings("\n")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith('\t'))
            .Select(l => l.Trim())
            .ToList();
        Assert.Equal(
            [
                "dep 'data/data.xml' missing",
                "out 'data/prepared' missing",
                "dep 'data/prepared' missing",
                "out 'data/features' missing",
                "dep 'data/features' missing",
                "out 'model.pkl' missing",
                "dep 'data/features' missing",
                "dep 'model.pkl' missing",
                "out 'eval' missing",
            ],
            reasons
        );
        Assert.DoesNotContain("src/", status.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("param", status.StdOut, StringComparison.Ordinal);
    }
}
