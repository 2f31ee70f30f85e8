using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Web.Tests.Infrastructure;

/// <summary>
/// A pipeline with two versions: <see cref="V1"/> has one stage (train writes "v1"), <see cref="V2"/> adds prepare
/// before it (train then writes "v2"); run <c>old</c> was made from V1, run <c>new</c> from V2.
/// </summary>
public sealed class PipelineVersionsProject : UiProject
{
    public string V1 { get; private set; } = "";

    public string V2 { get; private set; } = "";

    protected override async Task PrepareAsync(TempGitRepo repo)
    {
        repo.WriteFile(
            "exp.yaml",
            """
            stages:
              train:
                cmd: echo v1 > model.txt
                outs: [model.txt]

            """
        );
        V1 = await repo.CommitAllAsync("Version 1: one stage");
        await repo.ExpOkAsync("run", "-n", "old");
        repo.WriteFile(
            "exp.yaml",
            """
            stages:
              prepare:
                cmd: echo data > data.txt
                outs: [data.txt]
              train:
                cmd: cat data.txt > model.txt && echo v2 >> model.txt
                deps: [data.txt]
                outs: [model.txt]

            """
        );
        V2 = await repo.CommitAllAsync("Version 2: a prepare stage first");
        await repo.ExpOkAsync("run", "-n", "new");
    }
}
