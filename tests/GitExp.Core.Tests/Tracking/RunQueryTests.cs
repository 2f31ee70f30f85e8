using System.Globalization;
using System.Text.Json.Nodes;
using GitExp.Core.Tests.Infrastructure;
using GitExp.Core.Tracking;
using Microsoft.Data.Sqlite;

namespace GitExp.Core.Tests.Tracking;

/// <summary>
/// <see cref="RunStore.Find"/> and <see cref="RunStore.Page"/> on real SQLite files: the filter's value types
/// in SQL, sorting on every column, paging, and generated stores and filters checked against
/// <see cref="RunQueryOracle"/>, so the SQL cannot drift from the filter's semantics.
/// </summary>
public sealed class RunQueryTests : IDisposable
{
    private static readonly DateTimeOffset Day = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempFolder _tmp = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _tmp.Dispose();
    }

    private RunStore Open() => RunStore.Open(_tmp.Combine(".exp", "runs.db"));

    private static RunRecord Run(string id, int minute, Dictionary<string, JsonNode?>? parameters = null) =>
        new()
        {
            Id = id,
            Baseline = "b0",
            Status = RunStatus.Succeeded,
            Created = Day.AddMinutes(minute),
            Params = parameters ?? [],
        };

    /// <summary>Runs whose params cover the JSON value types, newest first: v1 .. v8.</summary>
    private RunStore ValueStore()
    {
        var store = Open();
        var values = new (string Id, JsonNode? Value)[]
        {
            ("v1", JsonValue.Create(10)),
            ("v2", JsonValue.Create(9.5)),
            ("v3", JsonValue.Create("10")),
            ("v4", JsonValue.Create("École")),
            ("v5", JsonValue.Create(true)),
            ("v6", new JsonArray(1, 2)),
            ("v7", null),
            ("v8", JsonValue.Create("a+b <c>")),
        };
        for (var i = 0; i < values.Length; i++)
        {
            store.Save(Run(values[i].Id, -i, new() { ["params.yaml:x"] = values[i].Value }));
        }

        return store;
    }

    private static string[] Ids(RunStore store, string filter) =>
        store.Find(new RunQuery { Filter = RunFilter.Parse(filter) }, RunParts.Fields).Select(r => r.Id).ToArray();

    [Theory]
    // JSON numbers compare as numbers when the value is one (9.5 < 10 although "9.5" > "10" as text)...
    [InlineData("params.x < 10", new[] { "v2" })]
    [InlineData("params.x <= 10", new[] { "v1", "v2", "v3" })]
    [InlineData("params.x = 1e1", new[] { "v1" })]
    // ... a JSON string that looks like a number compares as text, case-insensitively, as does every other value.
    [InlineData("params.x = '10'", new[] { "v1", "v3" })]
    [InlineData("params.x > 'A'", new[] { "v4", "v5", "v6", "v8" })]
    [InlineData("params.x = true", new[] { "v5" })]
    [InlineData("params.x = '[1,2]'", new[] { "v6" })]
    // ~ is contains on the JSON text of numbers and on the text of strings; ordinal case-insensitivity is .NET's,
    // beyond ASCII (SQLite's NOCASE folds ASCII only).
    [InlineData("params.x ~ '.5'", new[] { "v2" })]
    [InlineData("params.x ~ école", new[] { "v4" })]
    [InlineData("params.x = ÉCOLE", new[] { "v4" })]
    [InlineData("params.x ~ '+b <'", new[] { "v8" })]
    // A JSON null is no value: it matches nothing, not even !=.
    [InlineData("params.x != 10", new[] { "v2", "v4", "v5", "v6", "v8" })]
    [InlineData("not params.x != 10", new[] { "v1", "v3", "v7" })]
    // NaN equals nothing and differs from every number; text compares as text.
    [InlineData("params.x = nan", new string[0])]
    [InlineData("params.x != NaN", new[] { "v1", "v2", "v3", "v4", "v5", "v6", "v8" })]
    [InlineData("params.x < Infinity", new[] { "v1", "v2", "v3", "v8" })]
    public void Param_values_compare_by_their_json_type(string filter, string[] expected)
    {
        using var store = ValueStore();

        Assert.Equal(expected, Ids(store, filter));
    }

    [Fact]
    public void A_bare_key_several_files_hold_is_the_exact_key_or_else_the_first_in_key_order()
    {
        using var store = Open();
        store.Save(Run("both", 0, new() { ["b.yaml:lr"] = 2, ["a.yaml:lr"] = 1 }));
        store.Save(Run("only-b", -1, new() { ["b.yaml:lr"] = 2 }));
        store.Save(Run("exact", -2, new() { ["lr"] = 3, ["a.yaml:lr"] = 1 }));

        Assert.Equal(["both"], Ids(store, "params.lr = 1"));
        Assert.Equal(["only-b"], Ids(store, "params.lr = 2"));
        Assert.Equal(["both", "only-b"], Ids(store, "params.b.yaml:lr = 2"));
        Assert.Equal(["exact"], Ids(store, "params.lr = 3"));
    }

    [Fact]
    public void A_filter_naming_keys_no_run_has_or_a_status_no_run_can_have_is_an_error_naming_them()
    {
        using var store = Open();
        store.Save(
            Run("r", 0, new() { ["a.yaml:lr"] = 1 }) with
            {
                Metrics = new Dictionary<string, MetricSummary> { ["m.json:acc"] = new(0.5, null, null) },
            }
        );

        var keys = Assert.Throws<ExpException>(() =>
            Ids(store, "params.missing = 1 or params.yaml:lr = 1 or metrics.nonexistent > 1")
        );
        Assert.Equal(ExitCode.Usage, keys.Code);
        Assert.Equal(
            "--filter 'params.missing = 1 or params.yaml:lr = 1 or metrics.nonexistent > 1': no run has a param 'missing' or a param 'yaml:lr' or a metric 'nonexistent'",
            keys.Message
        );
        var status = Assert.Throws<ExpException>(() => RunFilter.Parse("status = succeded"));
        Assert.Equal(
            "--filter 'status = succeded': no run has this status (expected queued, running, succeeded, failed or interrupted) at position 10 ('succeded')",
            status.Message
        );
        // Other comparisons of a status, and keys some run has, are fine.
        Assert.Equal(["r"], Ids(store, "status ~ succ and params.lr = 1 and metrics.acc < 1"));
        Assert.Empty(Ids(store, "status != SUCCEEDED"));
        // An empty store has no metrics yet: a filter on one selects nothing, without an error.
        using var empty = Open();
        Assert.Empty(Ids(empty, "metrics.acc > 1"));
    }

    [Fact]
    public void Run_fields_compare_as_numbers_when_both_sides_are_numbers_and_as_text_otherwise()
    {
        using var store = Open();
        store.Save(Run("t1", 0) with { Title = "42", Tags = ["keep", "42"], Bookmarked = true });
        store.Save(Run("t2", -1) with { Title = "big model", Tags = ["DROP"] });
        store.Save(Run("t3", -2) with { Title = null, Status = RunStatus.Failed });

        // As numbers 42 < 100; as text "42" > "100".
        Assert.Equal(["t1"], Ids(store, "title < 100"));
        Assert.Equal(["t1", "t2"], Ids(store, "title > '1'"));
        Assert.Equal(["t1"], Ids(store, "tag = 42.0"));
        Assert.Equal(["t2"], Ids(store, "tag = drop"));
        // Every tag differs: a run without tags matches, as it always did.
        Assert.Equal(["t2", "t3"], Ids(store, "tag != keep"));
        Assert.Equal(["t1"], Ids(store, "bookmarked = TRUE"));
        Assert.Equal(["t2", "t3"], Ids(store, "bookmarked = false and archived = false"));
        Assert.Equal(["t3"], Ids(store, "status = FAILED"));
        Assert.Equal(["t3"], Ids(store, "not title ~ ''"));
        Assert.Equal(["t1", "t2"], Ids(store, "id < t3 and id >= T1"));
    }

    [Theory]
    // LIKE's wildcards and escape character are plain text in ~.
    [InlineData("title ~ '_'", new[] { "w2" })]
    [InlineData("title ~ '%'", new[] { "w3" })]
    [InlineData("title ~ '\\'", new[] { "w4" })]
    [InlineData("title ~ 'A_b'", new[] { "w2" })]
    [InlineData("title ~ ''", new[] { "w1", "w2", "w3", "w4", "w5" })]
    // The Kelvin sign is no K; É and é are one letter in two cases.
    [InlineData("title ~ 'k'", new string[0])]
    [InlineData("title ~ '\u212A'", new[] { "w1" })]
    [InlineData("title = '\u212AELVIN'", new[] { "w1" })]
    [InlineData("title = 'ÉTÉ'", new[] { "w5" })]
    [InlineData("params.x ~ 'a_'", new[] { "w2" })]
    [InlineData("params.x = 'A_B'", new[] { "w2" })]
    public void Contains_and_equals_take_the_value_as_plain_text(string filter, string[] expected)
    {
        using var store = Open();
        var titles = new[] { "\u212Aelvin", "a_b", "50%", "c:\\dir", "été" };
        for (var i = 0; i < titles.Length; i++)
        {
            store.Save(Run($"w{i + 1}", -i, new() { ["p.yaml:x"] = titles[i] }) with { Title = titles[i] });
        }

        Assert.Equal(expected, Ids(store, filter));
    }

    [Fact]
    public void Every_sort_key_orders_in_sql_with_missing_values_last_and_bookmarked_runs_first()
    {
        using var store = Open();
        store.Save(
            Run("a", 0, new() { ["p.yaml:x"] = 2 }) with
            {
                Title = "beta",
                ExperimentName = "n2",
                Started = Day,
                Finished = Day.AddSeconds(5),
            }
        );
        store.Save(Run("b", -1, new() { ["p.yaml:x"] = "text" }) with { Title = "Alpha", ExperimentName = "n1" });
        store.Save(
            Run("c", -2, new() { ["p.yaml:x"] = 10 }) with
            {
                Title = "alpha",
                Started = Day,
                Finished = Day.AddSeconds(1),
            }
        );
        store.Save(Run("d", -3) with { Bookmarked = true, Title = "zeta" });

        string[] Sorted(string key, bool descending) =>
            store.Find(new RunQuery { Sort = RunSort.Parse(key, descending) }, RunParts.Fields).Select(r => r.Id).ToArray();

        Assert.Equal(["d", "b", "c", "a"], Sorted("title", descending: false));
        Assert.Equal(["d", "a", "c", "b"], Sorted("title", descending: true));
        Assert.Equal(["d", "a", "b", "c"], Sorted("id", descending: false));
        Assert.Equal(["d", "c", "b", "a"], Sorted("ID", descending: true));
        Assert.Equal(["d", "b", "a", "c"], Sorted("name", descending: false));
        Assert.Equal(["d", "c", "a", "b"], Sorted("duration", descending: false));
        // Numbers (as numbers) before text ascending, text before numbers descending; missing last both ways.
        Assert.Equal(["d", "a", "c", "b"], Sorted("params.x", descending: false));
        Assert.Equal(["d", "b", "c", "a"], Sorted("params.p.yaml:x", descending: true));
        Assert.Equal(["d", "c", "b", "a"], Sorted("created", descending: false));

        var error = Assert.Throws<ExpException>(() => RunSort.Parse("colour", true, "sort"));
        Assert.Equal(ExitCode.Usage, error.Code);
        Assert.StartsWith("sort 'colour': expected created, name, title, id", error.Message);
    }

    [Fact]
    public void A_filtered_searched_or_sorted_page_has_the_total_the_slice_and_the_keys_of_every_match()
    {
        using var store = Open();
        for (var i = 0; i < 30; i++)
        {
            store.Save(
                Run($"r{i:D2}", i, new() { ["params.yaml:p"] = i, [$"params.yaml:only{i % 3}"] = true }) with
                {
                    Title = i % 2 == 0 ? "Even run" : "odd run",
                    Metrics = new Dictionary<string, MetricSummary> { [$"m.json:m{i % 2}"] = new(i, null, null) },
                }
            );
        }

        var filtered = store.Page(
            new RunQuery
            {
                Filter = RunFilter.Parse("params.p >= 10 and params.p < 20"),
                Sort = RunSort.Parse("params.p", false),
            },
            offset: 4,
            limit: 3
        );
        Assert.Equal(10, filtered.Total);
        Assert.Equal(["r14", "r15", "r16"], filtered.Runs.Select(r => r.Id));
        Assert.Equal(16, (int)filtered.Runs[2].Params["params.yaml:p"]!);
        Assert.Equal(["m.json:m0", "m.json:m1"], filtered.MetricKeys);
        Assert.Equal(["params.yaml:only0", "params.yaml:only1", "params.yaml:only2", "params.yaml:p"], filtered.ParamKeys);

        var searched = store.Page(new RunQuery { Search = "EVEN" }, offset: 13, limit: 5);
        Assert.Equal(15, searched.Total);
        Assert.Equal(["r02", "r00"], searched.Runs.Select(r => r.Id));
        Assert.Equal(["m.json:m0"], searched.MetricKeys);

        var narrow = store.Page(new RunQuery { Search = "r2", Filter = RunFilter.Parse("params.only1 = true") }, 0, 10);
        Assert.Equal(["r28", "r25", "r22"], narrow.Runs.Select(r => r.Id));
        Assert.Equal(["params.yaml:only1", "params.yaml:p"], narrow.ParamKeys);

        var sorted = store.Page(new RunQuery { Sort = RunSort.Parse("title", false) }, offset: 0, limit: 2);
        Assert.Equal(30, sorted.Total);
        Assert.Equal(["r28", "r26"], sorted.Runs.Select(r => r.Id));

        var none = store.Page(new RunQuery { Filter = RunFilter.Parse("params.p > 100") }, 0, 10);
        Assert.Equal((0, 0, 0), (none.Total, none.Runs.Count, none.ParamKeys.Count));
    }

    [Fact]
    public void Generated_filters_select_in_sql_exactly_what_the_reference_matcher_selects()
    {
        var random = new Random(20250101);
        using var store = Open();
        var all = Generate(store, random, 150);
        var compared = 0;
        var matched = 0;
        for (var i = 0; i < 1500; i++)
        {
            var text = Filter(random, depth: 0);
            var query = new RunQuery { Filter = RunFilter.Parse(text), Archived = random.Next(5) == 0 };
            var expected = RunQueryOracle.Select(all, query).Select(r => r.Id).ToList();
            var actual = store.Find(query, RunParts.Fields).Select(r => r.Id).ToList();
            Assert.True(
                expected.SequenceEqual(actual),
                $"filter {text}: expected [{string.Join(", ", expected)}], SQL gave [{string.Join(", ", actual)}]"
            );
            compared++;
            matched += expected.Count > 0 ? 1 : 0;
        }

        // The generator is useful only if filters both match and miss.
        Assert.InRange(matched, compared / 5, compared - (compared / 10));
    }

    [Fact]
    public void Every_sort_key_orders_generated_runs_as_the_reference_sort_does()
    {
        var random = new Random(7);
        using var store = Open();
        var all = Generate(store, random, 120);
        var keys = new[]
        {
            "created",
            "name",
            "title",
            "id",
            "status",
            "duration",
            "group",
            "tags",
            "commit",
            "metrics.acc",
            "metrics.eval/m.json:acc",
            "metrics.label",
            "params.lr",
            "params.name",
            "params.layers",
            "params.missing",
        };
        foreach (var key in keys)
        {
            foreach (var descending in new[] { false, true })
            {
                var query = new RunQuery { Sort = RunSort.Parse(key, descending), Search = random.Next(3) == 0 ? "e" : null };
                var expected = RunQueryOracle.Select(all, query).Select(r => r.Id).ToList();
                Assert.Equal(expected, store.Find(query, RunParts.Fields).Select(r => r.Id).ToList());
                var page = store.Page(query, offset: 5, limit: 7);
                Assert.Equal(expected.Count, page.Total);
                Assert.Equal(expected.Skip(5).Take(7), page.Runs.Select(r => r.Id));
            }
        }
    }

    [Fact]
    public void Loaded_runs_are_whole_and_in_key_order_whatever_order_they_were_saved_in()
    {
        using var store = Open();
        var run = Run(
            "w1",
            0,
            new()
            {
                ["p.yaml:z"] = 1,
                ["p.yaml:a"] = "x",
                ["other.yaml:m"] = new JsonObject { ["k"] = 1 },
            }
        ) with
        {
            Tags = ["zz", "aa"],
            Metrics = new Dictionary<string, MetricSummary>
            {
                ["m.json:z"] = new(1, 0.5, 2),
                ["m.json:a"] = new(null, null, null),
            },
            Artifacts = [new ArtifactRecord("z.bin", "s1", 1, "out"), new ArtifactRecord("a.bin", "s2", 2, "out")],
            Checkpoints = [("c2", 2), ("c1", 1)],
        };
        store.Save(run);

        var listed = store.Find(new RunQuery()).Single();
        Assert.Equal(["other.yaml:m", "p.yaml:a", "p.yaml:z"], listed.Params.Keys);
        Assert.Equal("{\"k\":1}", listed.Params["other.yaml:m"]!.ToJsonString());
        Assert.Equal(["m.json:a", "m.json:z"], listed.Metrics.Keys);
        Assert.Equal(new MetricSummary(null, null, null), listed.Metrics["m.json:a"]);
        Assert.Equal((0.5, 2.0), (listed.Metrics["m.json:z"].Min, listed.Metrics["m.json:z"].Max));
        Assert.Equal(["aa", "zz"], listed.Tags);
        Assert.Equal(["a.bin", "z.bin"], listed.Artifacts.Select(a => a.Path));
        Assert.Equal([("c1", 1), ("c2", 2)], listed.Checkpoints);
        Assert.Empty(store.Find(new RunQuery(), RunParts.Metrics).Single().Params);
    }

    [Fact]
    public void No_character_but_an_ascii_one_folds_to_ascii_under_ordinal_ignore_case()
    {
        // Why ASCII values may compare with SQLite's NOCASE and LIKE (which fold ASCII only) and still match
        // exactly what OrdinalIgnoreCase matches: a non-ASCII character never equals an ASCII one.
        for (var c = 0x80; c <= 0xFFFF; c++)
        {
            if (char.IsSurrogate((char)c))
            {
                continue;
            }

            for (var a = 0; a < 0x80; a++)
            {
                Assert.False(
                    string.Equals(((char)c).ToString(), ((char)a).ToString(), StringComparison.OrdinalIgnoreCase),
                    $"U+{c:X4} equals U+{a:X4}"
                );
            }
        }
    }

    /// <summary>Runs with every field and value type in play, saved to the store and loaded back whole.</summary>
    private static List<RunRecord> Generate(RunStore store, Random random, int count)
    {
        string? Pick(params string?[] values) => values[random.Next(values.Length)];
        JsonNode? Value() =>
            random.Next(9) switch
            {
                0 => JsonValue.Create(random.Next(-3, 20)),
                1 => JsonValue.Create(Math.Round(random.NextDouble() * 20 - 2, random.Next(0, 4))),
                2 => JsonNode.Parse(Pick("1e-7", "1E3", "0.1000", "-0", "12345678901234567890.5", "1e308")!),
                3 => JsonValue.Create(Pick(Texts)),
                4 => JsonValue.Create(random.Next(2) == 0),
                5 => new JsonArray(1, "a"),
                6 => new JsonObject { ["k"] = random.Next(3) },
                7 => null,
                _ => JsonValue.Create(Pick("0.5", "10", "nan", "Infinity", "1e3")),
            };
        for (var i = 0; i < count; i++)
        {
            var parameters = new Dictionary<string, JsonNode?>();
            foreach (
                var key in new[]
                {
                    "params.yaml:lr",
                    "other.yaml:lr",
                    "params.yaml:opt",
                    "params.yaml:name",
                    "params.yaml:layers",
                    "lr",
                }
            )
            {
                if (random.Next(3) > 0)
                {
                    parameters[key] = Value();
                }
            }

            var metrics = new Dictionary<string, MetricSummary>();
            foreach (var key in new[] { "m.json:acc", "eval/m.json:acc", "m.json:loss", "m.json:label" })
            {
                if (random.Next(3) > 0)
                {
                    var last = Value();
                    metrics[key] = new MetricSummary(last, random.Next(2) == 0 ? null : random.NextDouble(), random.NextDouble());
                }
            }

            var created = Day.AddSeconds(random.Next(0, 50) * 60 + random.Next(0, 2) * 0.0004);
            var started = random.Next(4) == 0 ? (DateTimeOffset?)null : created.AddSeconds(1);
            store.Save(
                new RunRecord
                {
                    Id = string.Create(CultureInfo.InvariantCulture, $"{random.Next(0, 40):x2}{i:D4}"),
                    Baseline = Pick("b0", "c0ffee42", "B0")!,
                    ExperimentName = Pick(null, "bold-lark", "Calm-Owl", "42", "1e3", "école", "ÉCOLE", "x"),
                    Title = Pick(Texts),
                    Notes = Pick(null, "slow start", "NaN", "İstanbul"),
                    Status = (RunStatus)random.Next(5),
                    Created = created,
                    Started = started,
                    Finished = started?.AddSeconds(random.Next(0, 5) + random.Next(0, 3) * 0.00001),
                    Branch = Pick(null, "main", "Main", "feature/x"),
                    Kind = Pick("workspace", "queue", "git")!,
                    GitUser = Pick(null, "Ada", "ada"),
                    Commit = Pick(null, "c0ffee42", "00001e50", "abcdef"),
                    Group = Pick(null, "sweep", "Sweep", "10"),
                    Tags = new[] { "keep", "KEEP", "drop", "42", "é" }.Where(_ => random.Next(4) == 0).ToList(),
                    Bookmarked = random.Next(6) == 0,
                    Archived = random.Next(6) == 0,
                    Deleted = random.Next(12) == 0,
                    Params = parameters,
                    Metrics = metrics,
                }
            );
        }

        // The oracle sees what the store holds (values as stored and parsed back).
        return store.Find(new RunQuery()).Concat(store.Find(new RunQuery { Archived = true })).ToList();
    }

    private static readonly string?[] Texts =
    [
        null,
        "",
        "adam",
        "ADAM",
        "sgd",
        "École",
        "école",
        "straße",
        "STRASSE",
        "ı",
        "I",
        "i",
        "a b",
        "a+b",
        "<tag>",
        "42",
        "0.5",
        "nan",
        "true",
        "Small Model",
        "big model run",
    ];

    private static readonly string[] Fields =
    [
        "metrics.acc",
        "metrics.m.json:acc",
        "metrics.eval/m.json:acc",
        "metrics.loss",
        "metrics.label",
        "params.lr",
        "params.params.yaml:lr",
        "params.other.yaml:lr",
        "params.opt",
        "params.name",
        "params.layers",
        "status",
        "name",
        "title",
        "notes",
        "tag",
        "group",
        "branch",
        "kind",
        "user",
        "commit",
        "baseline",
        "id",
        "bookmarked",
        "archived",
    ];

    private static readonly string[] Values =
    [
        "0",
        "0.5",
        "10",
        "-1",
        "1e3",
        "1E-7",
        "nan",
        "Infinity",
        "-0",
        "2.5",
        "adam",
        "ADAM",
        "école",
        "É",
        "keep",
        "true",
        "FALSE",
        "succeeded",
        "Failed",
        "",
        "a b",
        "42",
        "ı",
        "i",
        "[1,\"a\"]",
        "{\"k\":1}",
        "main",
        "c0ffee42",
        "1e50",
        "00001e50",
        "Calm",
        "sweep",
        "workspace",
    ];

    private static string Filter(Random random, int depth)
    {
        var roll = depth > 2 ? 0 : random.Next(6);
        return roll switch
        {
            1 => $"{Filter(random, depth + 1)} and {Filter(random, depth + 1)}",
            2 => $"{Filter(random, depth + 1)} or {Filter(random, depth + 1)}",
            3 => $"not {Filter(random, depth + 1)}",
            4 => $"({Filter(random, depth + 1)} or {Filter(random, depth + 1)})",
            _ => Comparison(
                Fields[random.Next(Fields.Length)],
                new[] { "=", "!=", "<", "<=", ">", ">=", "~" }[random.Next(7)],
                Values[random.Next(Values.Length)],
                random
            ),
        };
    }

    // A status is compared for equality only with a status (anything else is an error, tested on its own).
    private static string Comparison(string field, string op, string value, Random random) =>
        field == "status" && op is "=" or "!="
            ? $"{field} {op} '{new[] { "succeeded", "Failed", "RUNNING", "queued", "interrupted" }[random.Next(5)]}'"
            : $"{field} {op} '{value}'";
}
