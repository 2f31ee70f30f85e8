using GitExp.Core.Experiments;
using GitExp.Core.Project;
using GitExp.Core.Tests.Infrastructure;

namespace GitExp.Core.Tests.Experiments;

public sealed class ValueSourcesTests : IDisposable
{
    private readonly TempGitRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task Values_read_back_from_the_cache_are_the_values_read_from_git_text_and_kind_alike()
    {
        _repo.Write(
            "exp.yaml",
            "stages:\n  train:\n    cmd: echo\n    params:\n      - params.yaml:\n    metrics:\n      - metrics.json\n      - broken.json\n"
        );
        _repo.Write(
            "params.yaml",
            "train:\n  lr: 0.001\n  epochs: 10\n  optimizer: adam\n  layers: [64, 32]\n  shuffle: true\nseed: ~\nbig: 12345678901234567890\n"
        );
        // Number texts a double would print differently must come back exactly as written.
        _repo.Write(
            "metrics.json",
            "{\"acc\": 0.50, \"loss\": 1e-05, \"steps\": 3, \"per_class\": {\"cat\": 0.25}, \"tags\": [\"a\", 1]}\n"
        );
        _repo.Write("broken.json", "{ not json\n");
        _repo.Git("add", "-A");
        _repo.Git("commit", "-q", "-m", "values");
        var first = _repo.Git("rev-parse", "HEAD");
        _repo.Write("params.yaml", "train:\n  lr: 0.01\n");
        _repo.Git("rm", "-q", "metrics.json");
        _repo.Git("commit", "-q", "-am", "fewer values");
        var second = _repo.Git("rev-parse", "HEAD");
        var project = await ExpProject.OpenAsync(_repo.Path);
        var sources = await ValueSources.FromWorkspaceAsync(project);

        var fromGit = sources.ReadCommits(project.Git, [first, second, first], project.ValuesCache);
        Assert.StartsWith(
            System.IO.Path.Combine(_repo.Path, ".git", "gitexp"),
            project.ValuesCache.Path,
            StringComparison.Ordinal
        );
        Assert.Equal("", _repo.Git("status", "--porcelain", "--ignored"));
        // Poison git's answers: reads that still went to git would now see other files.
        _repo.Git("replace", first, second);
        var fromCache = sources.ReadCommits(project.Git, [first, second], new FactsFile(project.ValuesCache.Path));

        AssertSame(fromGit[0], fromCache[0]);
        AssertSame(fromGit[1], fromCache[1]);
        AssertSame(fromGit[0], fromGit[2]);
        Assert.Equal(
            [
                "params.yaml:train.lr=0.001 (Number)",
                "params.yaml:train.epochs=10 (Number)",
                "params.yaml:train.optimizer=\"adam\" (String)",
                "params.yaml:train.layers=[64,32] (Array)",
                "params.yaml:train.shuffle=true (True)",
                "params.yaml:seed=null (null)",
                "params.yaml:big=1.2345678901234567E+19 (Number)",
            ],
            Describe(fromCache[0]).Params
        );
        Assert.Equal(
            [
                "metrics.json:acc=0.50 (Number)",
                "metrics.json:loss=1e-05 (Number)",
                "metrics.json:steps=3 (Number)",
                "metrics.json:per_class.cat=0.25 (Number)",
                "metrics.json:tags=[\"a\",1] (Array)",
            ],
            Describe(fromCache[0]).Metrics
        );
        Assert.Equal(["params.yaml:train.lr=0.01 (Number)"], Describe(fromCache[1]).Params);
        Assert.Empty(Describe(fromCache[1]).Metrics);
    }

    private static void AssertSame(RevisionValues expected, RevisionValues actual)
    {
        Assert.Equal(Describe(expected).Params, Describe(actual).Params);
        Assert.Equal(Describe(expected).Metrics, Describe(actual).Metrics);
    }

    private static (List<string> Params, List<string> Metrics) Describe(RevisionValues values) =>
        (
            values
                .Params.Select(p =>
                    $"{p.Key}={p.Value?.ToJsonString() ?? "null"} ({p.Value?.GetValueKind().ToString() ?? "null"})"
                )
                .ToList(),
            values
                .Metrics.Select(p =>
                    $"{p.Key}={p.Value?.ToJsonString() ?? "null"} ({p.Value?.GetValueKind().ToString() ?? "null"})"
                )
                .ToList()
        );
}
