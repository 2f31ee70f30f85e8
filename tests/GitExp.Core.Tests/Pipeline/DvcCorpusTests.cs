using GitExp.Testing;

namespace GitExp.Core.Tests.Pipeline;

/// <summary>Real dvc.yaml files expand as DVC expanded them (their dvc.lock says how).</summary>
public class DvcCorpusTests
{
    public static TheoryData<string> Folders => [.. DvcCorpus.Files.Folders()];

    [Theory]
    [MemberData(nameof(Folders))]
    public void Real_pipeline_expands_as_its_dvc_lock_says(string folder)
    {
        var failure = DvcCorpus.Check(folder);
        if (DvcCorpus.Files.KnownFailures().TryGetValue(folder, out var known) && known.Checks.Contains(DvcCorpusCheck.Expansion))
        {
            // A known failure must still fail for its listed reason, so the list cannot go stale.
            Assert.NotNull(failure);
            Assert.Contains(known.Reason, failure, StringComparison.Ordinal);
        }
        else
        {
            Assert.Null(failure);
        }
    }
}
