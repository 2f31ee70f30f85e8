namespace GitExp.Testing;

/// <summary>Which check of a real DVC project a known failure is about.</summary>
public enum DvcCorpusCheck
{
    /// <summary>Parse and expand the dvc.yaml files and compare them with their dvc.lock (the Core tests).</summary>
    Expansion,

    /// <summary><c>dotnet exp status</c> in a fresh repository of the project's committed files (the tool tests).</summary>
    Status,
}

/// <summary>A known failure of one corpus folder in one check: a substring of its message, and whether DVC fails it too.</summary>
/// <param name="DvcFailsToo">
/// DVC itself does not run the project as committed either (a stale lock, a pipeline DVC's graph refuses):
/// such folders are left out of the pass fraction, whose goal is parity with DVC.
/// </param>
public sealed record DvcKnownFailure(string Folder, DvcCorpusCheck Check, string Reason, bool DvcFailsToo);

/// <summary>
/// The corpus of real DVC projects (<c>tests/GitExp.Core.Tests/Pipeline/Corpus/dvc</c>): one folder per project
/// root holding its pipeline files as committed, its <c>SOURCES.md</c> and <c>KNOWN-FAILURES.md</c>.
/// </summary>
public sealed class DvcCorpusFiles(string root)
{
    public string Root { get; } = root;

    /// <summary>Every project folder's name, sorted.</summary>
    public IReadOnlyList<string> Folders() =>
        Directory.EnumerateDirectories(Root).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();

    /// <summary>The known failure of <paramref name="folder"/> in <paramref name="check"/>, if KNOWN-FAILURES.md lists one.</summary>
    public DvcKnownFailure? KnownFailure(string folder, DvcCorpusCheck check) =>
        KnownFailures().FirstOrDefault(f => f.Folder == folder && f.Check == check);

    /// <summary>
    /// The rows of KNOWN-FAILURES.md's table: <c>| `folder` | check | DVC too | `reason substring` | why |</c>, where
    /// check is <c>expansion</c>, <c>status</c> or <c>both</c> and DVC too is <c>yes</c> or <c>no</c>.
    /// </summary>
    public IReadOnlyList<DvcKnownFailure> KnownFailures()
    {
        var result = new List<DvcKnownFailure>();
        foreach (var line in File.ReadLines(Path.Combine(Root, "KNOWN-FAILURES.md")))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length < 6 || !cells[1].StartsWith('`') || !cells[4].StartsWith('`'))
            {
                continue;
            }

            var folder = cells[1].Trim('`');
            IReadOnlyList<DvcCorpusCheck> checks = cells[2] switch
            {
                "expansion" => [DvcCorpusCheck.Expansion],
                "status" => [DvcCorpusCheck.Status],
                "both" => [DvcCorpusCheck.Expansion, DvcCorpusCheck.Status],
                _ => throw new InvalidDataException($"KNOWN-FAILURES.md: '{folder}': unknown check '{cells[2]}'"),
            };
            var dvcToo = cells[3] switch
            {
                "yes" => true,
                "no" => false,
                _ => throw new InvalidDataException($"KNOWN-FAILURES.md: '{folder}': 'DVC too' must be yes or no"),
            };
            if (!Directory.Exists(Path.Combine(Root, folder)))
            {
                throw new InvalidDataException($"KNOWN-FAILURES.md: no corpus folder '{folder}'");
            }

            result.AddRange(checks.Select(c => new DvcKnownFailure(folder, c, cells[4].Trim('`'), dvcToo)));
        }

        return result;
    }
}
