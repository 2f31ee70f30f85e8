using System.Security.Cryptography;
using System.Text;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>
/// The bad-input corpus: each case is a user mistake on the sample project. Every one must end with its exit
/// code, exactly one line on stderr naming the flag, file or key, no stack trace, and the repository exactly
/// as it was (files, index, refs).
/// </summary>
public sealed class BadInputTests
{
    private sealed record BadInput(string[] Args, int ExitCode, string[] Mentions, Action<TempGitRepo>? Setup = null);

    private static readonly Dictionary<string, BadInput> Corpus = new(StringComparer.Ordinal)
    {
        // Flags
        ["set-param without '='"] = new(["run", "-S", "train.lr"], 2, ["-S 'train.lr'", "key=value"]),
        ["set-param adding a key that exists"] = new(
            ["run", "-S", "+train.lr=1"],
            2,
            ["-S '+train.lr=1'", "already has 'train.lr'"]
        ),
        ["set-param deleting a missing key"] = new(
            ["run", "-S", "~train.lrr"],
            2,
            ["-S '~train.lrr'", "no key 'train.lrr' to delete"]
        ),
        ["set-param deleting a key of another value"] = new(["run", "-S", "~seed=99"], 2, ["-S '~seed=99'", "not 99"]),
        ["set-param with an empty range"] = new(
            ["run", "--queue", "-S", "train.lr=range(3,1)"],
            2,
            ["-S 'train.lr=range(3,1)'", "range is empty"]
        ),
        ["set-param with an unsupported function"] = new(
            ["run", "--queue", "-S", "seed=shuffle(1,2)"],
            2,
            ["-S 'seed=shuffle(1,2)'", "'shuffle()' is not supported"]
        ),
        ["set-param with '=' in a value"] = new(["run", "-S", "train.lr=0.1,seed=2,3"], 2, ["-S 'train.lr=0.1,seed=2,3'", "'='"]),
        ["set-param with an empty file"] = new(["run", "-S", ":train.lr=1"], 2, ["-S ':train.lr=1'", "file"]),
        ["set-param of an unknown key"] = new(["run", "-S", "train.lrr=0.2"], 2, ["-S 'train.lrr=0.2'", "+train.lrr"]),
        ["set-param with '+++'"] = new(["run", "-S", "+++goo.bag=4.5"], 2, ["-S '+++goo.bag=4.5'", "'+++'"]),
        ["set-param adding a key that exists queued"] = new(
            ["run", "--queue", "-S", "+seed=1,2"],
            2,
            ["-S '+seed=1'", "already has 'seed'"]
        ),
        ["set-param with choice() without --queue"] = new(
            ["run", "-S", "seed=choice(1,2)"],
            2,
            ["-S 'seed=choice(1,2)'", "--queue"]
        ),
        ["set-param with interpolation"] = new(["run", "-S", "train.lr=${seed}"], 2, ["-S 'train.lr=${seed}'", "interpolation"]),
        ["a sweep without --queue"] = new(["run", "-S", "train.lr=0.1,0.2"], 2, ["-S 'train.lr=0.1,0.2'", "--queue"]),
        ["a sweep beyond the limit"] = new(
            ["run", "--queue", "--sweep-limit", "2", "-S", "train.lr=0.1,0.2,0.3"],
            2,
            ["--sweep-limit"]
        ),
        ["set-param of a missing params file"] = new(["run", "-S", "other.yaml:a=1"], 5, ["other.yaml"]),
        ["jobs that are not a number"] = new(["run", "--run-all", "--jobs", "x"], 2, ["--jobs 'x'"]),
        ["an unknown executor"] = new(["queue", "start", "--executor", "pbs"], 2, ["--executor 'pbs'", "local or slurm"]),
        ["a Slurm flag without the Slurm executor"] = new(
            ["queue", "start", "--partition", "gpu"],
            2,
            ["--partition", "--executor slurm"]
        ),
        ["the Slurm executor for a run in the workspace"] = new(
            ["run", "--executor", "slurm"],
            2,
            ["--executor slurm", "--run-all and --temp"]
        ),
        ["an unknown executor in the config"] = new(
            ["queue", "start"],
            3,
            [".exp/config.yaml:1:11", "'executor' is 'pbs'"],
            repo => repo.WriteFile(".exp/config.yaml", "executor: pbs\n")
        ),
        ["a name with a slash"] = new(["run", "-n", "a/b"], 2, ["--name"]),
        // Pipeline files
        ["an empty exp.yaml"] = new(["run"], 3, ["exp.yaml", "no stages"], r => r.WriteFile("exp.yaml", "")),
        ["an exp.yaml without stages"] = new(["run"], 3, ["exp.yaml", "no stages"], r => r.WriteFile("exp.yaml", "stages:\n")),
        ["an exp.yaml without stages queued"] = new(
            ["run", "--queue"],
            3,
            ["exp.yaml", "no stages"],
            r => r.WriteFile("exp.yaml", "# nothing yet\n")
        ),
        ["an unknown stage key"] = new(
            ["run"],
            3,
            ["exp.yaml:4:5", "unknown key 'command'"],
            r => r.WriteFile("exp.yaml", "stages:\n  train:\n    cmd: sh train.sh\n    command: x\n")
        ),
        ["an undefined name in cmd"] = new(
            ["run"],
            3,
            ["exp.yaml:3:10", "undefined name 'lr' in '${lr}'"],
            r => r.WriteFile("exp.yaml", "stages:\n  train:\n    cmd: echo ${lr} > out.txt\n")
        ),
        ["an undefined name in deps"] = new(
            ["run"],
            3,
            ["exp.yaml:5:9", "undefined name 'split' in '${split}'"],
            r => r.WriteFile("exp.yaml", "stages:\n  train:\n    cmd: sh train.sh\n    deps:\n      - data/${split}\n")
        ),
        ["vars naming a missing file"] = new(
            ["run"],
            3,
            ["exp.yaml:2:5", "'vars': 'missing.yaml' does not exist"],
            r => r.WriteFile("exp.yaml", "vars:\n  - missing.yaml\nstages: {}\n")
        ),
        ["malformed YAML"] = new(["run"], 3, ["exp.yaml:4:1"], r => r.WriteFile("exp.yaml", "stages:\n  train:\n    cmd: [x\n")),
        // Params files
        ["set-param on a params file that is not UTF-8"] = new(
            ["run", "-S", "train.lr=0.2"],
            3,
            ["params.yaml", "byte offset 38", "UTF-8"],
            r => r.WriteBytes("params.yaml", Latin1Params)
        ),
        ["set-param on a params file that is not UTF-8 queued"] = new(
            ["run", "--queue", "-S", "train.lr=0.2"],
            3,
            ["params.yaml", "byte offset 38"],
            r => r.WriteBytes("params.yaml", Latin1Params)
        ),
        ["set-param on malformed params YAML"] = new(
            ["run", "-S", "train.lr=0.2"],
            3,
            ["params.yaml:"],
            r => r.WriteFile("params.yaml", "train: [0.1\n")
        ),
        ["set-param through a scalar"] = new(["run", "-S", "seed.x=1"], 2, ["seed"]),
    };

    // "café" in Latin-1: byte 38 (0xE9) is not UTF-8.
    private static byte[] Latin1Params => [.. "train:\n  lr: 0.1\n  epochs: 3\nname: caf"u8, 0xE9, (byte)'\n'];

    public static TheoryData<string> Cases => new(Corpus.Keys);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_input_is_one_line_with_its_exit_code_and_changes_nothing(string name)
    {
        var input = Corpus[name];
        // A project GitExp has never run in: a mistake must not even leave .exp/ behind.
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        if (input.Setup is not null)
        {
            input.Setup(repo);
            await repo.CommitAllAsync("Set up: " + name);
        }

        var before = await StateAsync(repo);

        var result = await repo.ExpAsync(input.Args);

        Assert.True(input.ExitCode == result.ExitCode, $"expected exit {input.ExitCode}:\n{result}");
        Assert.DoesNotContain("   at ", result.StdErr);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line);
        foreach (var mention in input.Mentions)
        {
            Assert.Contains(mention, line);
        }

        Assert.Equal(before, await StateAsync(repo));
        Assert.Equal(0, repo.TrainRuns());
    }

    /// <summary>Every file outside .git (each with its hash), the index, <c>git status</c> and every ref: what a mistake must not change.</summary>
    private static async Task<string> StateAsync(TempGitRepo repo)
    {
        var state = new StringBuilder();
        foreach (
            var file in Directory
                .EnumerateFiles(repo.Root, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(repo.Root, f))
                .Where(f => !f.StartsWith(".git/", StringComparison.Ordinal))
                .Where(f =>
                    !f.StartsWith(".exp/", StringComparison.Ordinal) && !f.StartsWith(".exptmp/", StringComparison.Ordinal)
                )
                .Order(StringComparer.Ordinal)
        )
        {
            state
                .Append(file)
                .Append(' ')
                .AppendLine(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(repo.FullPath(file)))));
        }

        state.AppendLine("index " + repo.IndexFingerprint());
        state.AppendLine(await repo.GitAsync("status", "--porcelain", "--ignored", "-uall"));
        state.AppendLine(await repo.GitAsync("for-each-ref", "--format=%(refname) %(objectname)"));
        return state.ToString();
    }
}
