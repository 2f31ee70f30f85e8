using System.Globalization;
using System.Text;
using System.Text.Json;

namespace GitExp.Client;

/// <summary>
/// Logs metrics step by step, like dvclive: <c>&lt;dir&gt;/metrics.json</c> holds the latest values,
/// <c>&lt;dir&gt;/plots/metrics/&lt;name&gt;.tsv</c> the history of each metric. <c>exp show</c>,
/// <c>exp diff</c> and the plots read them. A resumed run continues at the resumed step.
/// </summary>
/// <example>
/// <code>
/// using var live = new Live();
/// for (var epoch = live.Step; epoch &lt; epochs; epoch++)
/// {
///     var loss = Train(epoch);
///     SaveModel("model.bin");
///     live.Log("loss", loss);
///     live.NextStep(); // writes the metrics and takes a checkpoint
/// }
/// </code>
/// </example>
public sealed class Live : IDisposable
{
    private readonly Dictionary<string, double> _current = new(StringComparer.Ordinal);
    private readonly string _metricsFile;
    private readonly string _historyDirectory;

    /// <param name="directory">Where the metrics go, relative to the current directory (list it in exp.yaml: metrics and plots).</param>
    public Live(string directory = "live")
    {
        Directory = directory;
        _metricsFile = Path.Combine(directory, "metrics.json");
        _historyDirectory = Path.Combine(directory, "plots", "metrics");
        Step = Checkpoint.ResumedStep;
        if (Checkpoint.Resumed)
        {
            TrimHistory(Step);
        }
        else if (System.IO.Directory.Exists(_historyDirectory))
        {
            System.IO.Directory.Delete(_historyDirectory, recursive: true);
        }
    }

    /// <summary>The folder the metrics are written to.</summary>
    public string Directory { get; }

    /// <summary>How many steps are complete: 0 for a fresh run, the resumed step for a resumed one.</summary>
    public int Step { get; private set; }

    /// <summary>True when this run continues from a checkpoint.</summary>
    public bool Resumed => Checkpoint.Resumed;

    /// <summary>Records a metric's value for the step in progress.</summary>
    public void Log(string name, double value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _current[name] = value;
    }

    /// <summary>Completes the step: writes the metrics and their history, then (by default) takes a checkpoint.</summary>
    public void NextStep(bool checkpoint = true)
    {
        Step++;
        System.IO.Directory.CreateDirectory(_historyDirectory);
        foreach (var (name, value) in _current)
        {
            var file = Path.Combine(_historyDirectory, name + ".tsv");
            if (!File.Exists(file))
            {
                // A name with a '/' (train/acc) gets a folder of its own, as in dvclive: plots/metrics/train/acc.tsv.
                System.IO.Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                File.WriteAllText(file, "step\t" + name + "\n");
            }

            File.AppendAllText(
                file,
                Step.ToString(CultureInfo.InvariantCulture) + "\t" + value.ToString("R", CultureInfo.InvariantCulture) + "\n"
            );
        }

        WriteMetrics();
        if (checkpoint)
        {
            Checkpoint.Save(Step);
        }
    }

    /// <summary>Writes the latest values without completing a step (e.g. final evaluation metrics).</summary>
    public void WriteMetrics()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var metrics = new SortedDictionary<string, double>(_current, StringComparer.Ordinal);
        var document = new Dictionary<string, object> { ["step"] = Step };
        foreach (var (name, value) in metrics)
        {
            document[name] = value;
        }

        var temp = _metricsFile + ".tmp";
        File.WriteAllText(
            temp,
            JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }) + "\n",
            new UTF8Encoding(false)
        );
        File.Move(temp, _metricsFile, overwrite: true);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_current.Count > 0)
        {
            WriteMetrics();
        }
    }

    // A resumed run repeats nothing: history rows after the resumed step belong to the run that was cut off.
    private void TrimHistory(int step)
    {
        if (!System.IO.Directory.Exists(_historyDirectory))
        {
            return;
        }

        foreach (var file in System.IO.Directory.GetFiles(_historyDirectory, "*.tsv", SearchOption.AllDirectories))
        {
            var kept = File.ReadAllLines(file)
                .Where(
                    (line, index) =>
                        index == 0
                        || (
                            int.TryParse(line.Split('\t')[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var s)
                            && s <= step
                        )
                )
                .ToList();
            File.WriteAllText(file, string.Join('\n', kept) + "\n");
        }
    }
}
