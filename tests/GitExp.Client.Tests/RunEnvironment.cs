namespace GitExp.Client.Tests;

/// <summary>
/// Sets the variables <c>dotnet exp</c> gives a stage, in a temp folder that is also the current
/// directory, and restores everything on Dispose. Environment variables are process-wide, so the
/// tests that use this run one at a time (see <see cref="RunEnvironmentCollection"/>).
/// </summary>
public sealed class RunEnvironment : IDisposable
{
    private static readonly string[] Names = ["EXP_CHECKPOINT_FILE", "EXP_RESUME", "EXP_CHECKPOINT_STEP"];
    private readonly Dictionary<string, string?> _saved = Names.ToDictionary(n => n, Environment.GetEnvironmentVariable);
    private readonly string _previousDirectory = Environment.CurrentDirectory;

    public RunEnvironment(bool inRun, int? resumedStep = null)
    {
        Directory.CreateDirectory(Folder);
        Environment.CurrentDirectory = Folder;
        SignalFile = Path.Combine(Folder, "checkpoint.signal");
        Environment.SetEnvironmentVariable("EXP_CHECKPOINT_FILE", inRun ? SignalFile : null);
        Environment.SetEnvironmentVariable("EXP_RESUME", resumedStep is null ? null : "1");
        Environment.SetEnvironmentVariable(
            "EXP_CHECKPOINT_STEP",
            resumedStep?.ToString(System.Globalization.CultureInfo.InvariantCulture)
        );
    }

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "gitexp-client-" + Guid.NewGuid().ToString("N"));

    public string SignalFile { get; }

    /// <summary>Plays the runner: acknowledges every checkpoint, remembering what each signal file said.</summary>
    public Task<List<string>> AcknowledgeAsync(int count) =>
        Task.Run(async () =>
        {
            var seen = new List<string>();
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (seen.Count < count && DateTime.UtcNow < deadline)
            {
                if (File.Exists(SignalFile))
                {
                    seen.Add(await File.ReadAllTextAsync(SignalFile));
                    File.Delete(SignalFile);
                }

                await Task.Delay(5);
            }

            return seen;
        });

    public void Dispose()
    {
        Environment.CurrentDirectory = _previousDirectory;
        foreach (var (name, value) in _saved)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        Directory.Delete(Folder, recursive: true);
    }
}

[CollectionDefinition(nameof(RunEnvironmentCollection), DisableParallelization = true)]
public sealed class RunEnvironmentCollection;
