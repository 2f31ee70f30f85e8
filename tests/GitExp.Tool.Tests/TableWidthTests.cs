using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GitExp.Core.Tracking;
using GitExp.Tool.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace GitExp.Tool.Tests;

/// <summary>
/// Tables fit the width they are given (<c>--width</c>, $COLUMNS, the terminal) by leaving out whole columns with one
/// note line: no line is wider, no value is split, the name column stays; redirected output keeps whole rows.
/// </summary>
public sealed partial class TableWidthTests
{
    private static readonly int?[] Widths = [80, 120, 200, null];

    /// <summary>A project shaped like the template's: five params, four metrics, experiments with long names.</summary>
    private static async Task<TempGitRepo> TemplateLikeAsync()
    {
        var repo = await TempGitRepo.InitAsync();
        repo.WriteFile(
            "params.yaml",
            """
            data:
              points: 400
              noise: 1.0
              seed: 42
            train:
              lr: 0.1
              epochs: 20

            """
        );
        repo.WriteFile(
            "train.sh",
            """
            #!/bin/sh
            set -e
            lr=$(awk '/^[[:space:]]+lr:/ { print $2 }' params.yaml)
            awk -v lr="$lr" 'BEGIN { printf "{\"loss\": %.6f, \"train_loss\": %.6f, \"test_accuracy\": %.6f, \"train_accuracy\": %.6f}\n", lr * 1.3713, lr * 1.2137, 1 - lr * 0.62519, 1 - lr * 0.51373 }' > metrics.json

            """
        );
        repo.WriteFile(
            "exp.yaml",
            """
            stages:
              train:
                cmd: sh train.sh
                deps:
                  - train.sh
                params:
                  - data.points
                  - data.noise
                  - data.seed
                  - train.lr
                  - train.epochs
                metrics:
                  - metrics.json:
                      cache: false

            """
        );
        await repo.CommitAllAsync("Template-like project");
        await repo.ExpOkAsync("run", "-n", "baseline-with-template-params");
        await repo.ExpOkAsync("run", "-n", "faster-learning-rate-of-half", "-S", "train.lr=0.5");
        await repo.ExpOkAsync("run", "-n", "slow-lr", "-S", "train.lr=0.02", "-S", "train.epochs=30");
        return repo;
    }

    [Fact]
    public async Task Show_fits_80_120_and_200_columns_and_keeps_whole_rows_without_a_terminal()
    {
        using var repo = await TemplateLikeAsync();

        var snapshot = await FitEveryWidthAsync(repo, "show");

        Snapshot.Verify(snapshot);
    }

    [Fact]
    public async Task Diff_fits_80_120_and_200_columns_and_keeps_whole_rows_without_a_terminal()
    {
        using var repo = await TemplateLikeAsync();

        var snapshot = await FitEveryWidthAsync(
            repo,
            "diff",
            "baseline-with-template-params",
            "faster-learning-rate-of-half",
            "--all"
        );

        Snapshot.Verify(snapshot);
    }

    [Fact]
    public async Task Runs_list_fits_80_120_and_200_columns_and_keeps_whole_rows_without_a_terminal()
    {
        using var repo = await WideStoreAsync();

        var snapshot = await FitEveryWidthAsync(repo, "runs", "list");

        Snapshot.Verify(snapshot);
    }

    [Fact]
    public async Task Show_transposed_has_a_row_per_column_and_hides_experiments_that_do_not_fit()
    {
        using var repo = await TemplateLikeAsync();

        var wide = await repo.ExpOkAsync("show", "--transpose");
        var narrow = await repo.ExpOkAsync("show", "--transpose", "--width", "80");

        Snapshot.Verify(
            $"$ dotnet exp show --transpose\n{wide.StdOut}\n$ dotnet exp show --transpose --width 80\n{narrow.StdOut}"
        );
        Assert.All(Lines(narrow.StdOut), line => Assert.True(line.Length <= 80, line));
        Assert.Contains("train.lr", wide.StdOut);
        Assert.Contains("3 experiments hidden", narrow.StdOut);
    }

    [Fact]
    public async Task Show_fits_COLUMNS_when_output_is_redirected_as_it_fits_width()
    {
        using var repo = await TemplateLikeAsync();

        var columns = await ExpTool.RunAsync(repo.Root, new Dictionary<string, string> { ["COLUMNS"] = "80" }, "show");
        var width = await repo.ExpOkAsync("show", "--width", "80");

        Assert.True(columns.ExitCode == 0, columns.ToString());
        Assert.Equal(width.StdOut, columns.StdOut);
        Assert.Contains("hidden", columns.StdOut);
    }

    [Theory]
    [InlineData("19")]
    [InlineData("5")]
    public async Task A_width_too_small_for_a_table_is_refused_in_one_line(string width)
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();

        var result = await repo.ExpAsync("show", "--width", width);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal([$"error: --width {width}: expected 0 (no limit) or a number of columns of at least 20"], result.ErrorLines);
    }

    /// <summary>
    /// The command at every width and without one, each checked against the whole table: the snapshot holds them all.
    /// </summary>
    private static async Task<string> FitEveryWidthAsync(TempGitRepo repo, params string[] command)
    {
        var full = (await repo.ExpOkAsync([.. command, "--width", "0"])).StdOut;
        var snapshot = new List<string>();
        foreach (var width in Widths)
        {
            string[] args = width is { } w
                ? [.. command, "--width", w.ToString(System.Globalization.CultureInfo.InvariantCulture)]
                : command;
            var fitted = (await repo.ExpOkAsync(args)).StdOut;
            AssertFits(fitted, full, width, command[0] == "diff" ? 1 : 0);
            snapshot.Add($"$ dotnet exp {string.Join(' ', args)}{(width is null ? "   (redirected)" : "")}\n{fitted}");
        }

        return string.Join("\n", snapshot);
    }

    /// <summary>
    /// Every line within the width; each row the whole table's row less some columns (so no value split or cut, and
    /// no row wrapped onto another line), with the same name (diff: the key); at most one note line after the table.
    /// </summary>
    private static void AssertFits(string fitted, string full, int? width, int nameColumn)
    {
        var fullLines = Lines(full);
        var fittedLines = Lines(fitted);
        if (width is null)
        {
            Assert.Equal(full, fitted);
            return;
        }

        Assert.All(fittedLines, line => Assert.True(line.Length <= width, $"wider than {width}: '{line}'\n{fitted}"));
        var hasNote = fittedLines.Count == fullLines.Count + 1;
        Assert.True(hasNote || fittedLines.Count == fullLines.Count, $"rows were split over lines:\n{fitted}");
        if (hasNote)
        {
            Assert.Matches(@"^\d+ columns? hidden( \(.+\))?: use --width", fittedLines[^1]);
        }

        for (var i = 0; i < fullLines.Count; i++)
        {
            var cells = Cells(fittedLines[i]);
            var whole = Cells(fullLines[i]);
            if (whole.Count == 0 || whole[0].StartsWith('─'))
            {
                // The border and the rule under the header.
                continue;
            }

            Assert.Contains(whole[nameColumn], cells);
            if (i == 1)
            {
                // A header may be abbreviated when the columns that always stay are wider than the width.
                Assert.All(
                    cells,
                    cell =>
                        Assert.Contains(
                            whole,
                            w => w == cell || (cell.EndsWith('…') && w.StartsWith(cell[..^1], StringComparison.Ordinal))
                        )
                );
            }
            else
            {
                Assert.All(cells, cell => Assert.Contains(cell, whole));
            }
        }
    }

    private static List<string> Lines(string text) =>
        [.. text.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n').Select(l => l.TrimEnd())];

    /// <summary>A table line's cells: columns are at least three spaces apart, a value holds at most one in a row.</summary>
    private static List<string> Cells(string line) => [.. CellGap().Split(line.Trim()).Where(c => c.Length > 0)];

    [GeneratedRegex(" {2,}")]
    private static partial Regex CellGap();

    private static readonly DateTimeOffset Day = new(2025, 3, 4, 8, 0, 0, TimeSpan.Zero);

    /// <summary>Runs written straight to the store (fixed ids, times, durations) with six metrics each.</summary>
    private static async Task<TempGitRepo> WideStoreAsync()
    {
        var repo = await TempGitRepo.InitAsync();
        using (var store = RunStore.Open(Path.Combine(repo.Root, ".exp", "runs.db")))
        {
            string[] names = ["baseline-with-template-params", "faster-learning-rate-of-half", "slow-lr"];
            for (var i = 0; i < names.Length; i++)
            {
                var acc = 0.61234 + (i * 0.0731);
                store.Save(
                    new RunRecord
                    {
                        Id = $"{i + 1}a{i + 1}b{i + 1}c{i + 1}d{i + 1}e{i + 1}f",
                        ExperimentName = names[i],
                        Baseline = "b1b2b3b4b5b6b7b8b9b0b1b2b3b4b5b6b7b8b9b0",
                        Status = i == 2 ? RunStatus.Failed : RunStatus.Succeeded,
                        Created = Day.AddMinutes(i),
                        Started = Day.AddMinutes(i),
                        Finished = Day.AddMinutes(i).AddSeconds(12.5 * (i + 1)),
                        Title = i == 0 ? "The template's own params" : null,
                        Bookmarked = i == 1,
                        Host = "build-host",
                        Params = new Dictionary<string, JsonNode?> { ["params.yaml:train.lr"] = 0.1 },
                        Metrics = new Dictionary<string, MetricSummary>
                        {
                            ["metrics.json:test_accuracy"] = new(JsonValue.Create(acc), acc / 2, acc),
                            ["metrics.json:train_accuracy"] = new(JsonValue.Create(acc + 0.01), acc / 2, acc),
                            ["metrics.json:loss"] = new(JsonValue.Create(1 - acc), 0.1, 1),
                            ["metrics.json:train_loss"] = new(JsonValue.Create(0.9 - acc), 0.1, 1),
                            ["metrics.json:step"] = new(JsonValue.Create(20 + i), 0, 20 + i),
                            ["metrics.json:learning_rate"] = new(JsonValue.Create(0.00125), 0.00125, 0.00125),
                        },
                    }
                );
            }
        }

        SqliteConnection.ClearAllPools();
        return repo;
    }
}
