namespace GitExp.Testing;

/// <summary>Which check of a real DVC project a known failure is about.</summary>
public enum DvcCorpusCheck
{
    /// <summary>Parse and expand the dvc.yaml files and compare them with their dvc.lock (the Core tests).</summary>
    Expansion,

    /// <summary><c>dotnet exp status</c> in a fresh repository of the project's committed files (the tool tests).</summary>
    Status,
}

/// <summary>A known failure of one corpus folder: the check that fails, a substring of its message, and why.</summary>
/// <param name="AwaitsTemplating">
/// The folder uses DVC's templating, which a parallel branch implements; until it lands these folders are left out
/// of the pass fraction, and each must still fail with <paramref name="Reason"/>.
/// </param>
public sealed record DvcKnownFailure(string Folder, IReadOnlyList<DvcCorpusCheck> Checks, string Reason, bool AwaitsTemplating);

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

    /// <summary>
    /// The rows of KNOWN-FAILURES.md's table: <c>| `folder` | check | `reason substring` | why |</c>, where check is
    /// <c>expansion</c>, <c>status</c>, <c>both</c> or <c>templating</c> (both, awaiting the templating branch).
    /// </summary>
    public IReadOnlyDictionary<string, DvcKnownFailure> KnownFailures()
    {
        var result = new Dictionary<string, DvcKnownFailure>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Path.Combine(Root, "KNOWN-FAILURES.md")))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length < 5 || !cells[1].StartsWith('`') || !cells[3].StartsWith('`'))
            {
                continue;
            }

            var folder = cells[1].Trim('`');
            IReadOnlyList<DvcCorpusCheck> checks = cells[2] switch
            {
                "expansion" => [DvcCorpusCheck.Expansion],
                "status" => [DvcCorpusCheck.Status],
                "both" or "templating" => [DvcCorpusCheck.Expansion, DvcCorpusCheck.Status],
                _ => throw new InvalidDataException($"KNOWN-FAILURES.md: '{folder}': unknown check '{cells[2]}'"),
            };
            if (!Directory.Exists(Path.Combine(Root, folder)))
            {
                throw new InvalidDataException($"KNOWN-FAILURES.md: no corpus folder '{folder}'");
            }

            result.Add(folder, new DvcKnownFailure(folder, checks, cells[3].Trim('`'), cells[2] == "templating"));
        }

        return result;
    }
}
