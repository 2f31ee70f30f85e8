using GitExp.Core.Tests.Infrastructure;
using GitExp.Core.Tracking;
using Microsoft.Data.Sqlite;

namespace GitExp.Core.Tests.Tracking;

/// <summary>The user's edits of runs, as the command line and the web UI both make them.</summary>
public sealed class RunEditsTests : IDisposable
{
    private readonly TempFolder _tmp = new();
    private readonly RunStore _store;
    private readonly RunEdits _edits;

    public RunEditsTests()
    {
        _store = RunStore.Open(_tmp.Combine(".exp", "runs.db"));
        _edits = new RunEdits(_store);
        var day = new DateTimeOffset(2025, 1, 2, 0, 0, 0, TimeSpan.Zero);
        foreach (
            var (id, name, hours) in new[]
            {
                ("aaaa00000001", "lark", 0),
                ("bbbb00000002", "wren", 1),
                ("aaab00000003", "lark", 2),
            }
        )
        {
            _store.Save(
                new RunRecord
                {
                    Id = id,
                    ExperimentName = name,
                    Baseline = new string('b', 40),
                    Status = RunStatus.Succeeded,
                    Created = day.AddHours(hours),
                    Title = "first title",
                    Notes = "some notes",
                    Group = "sweep",
                    Tags = ["keep"],
                }
            );
        }
    }

    public void Dispose()
    {
        _store.Dispose();
        SqliteConnection.ClearAllPools();
        _tmp.Dispose();
    }

    [Fact]
    public void A_run_is_found_by_id_unique_prefix_or_experiment_name_and_an_unknown_one_is_one_line_naming_it()
    {
        Assert.Equal("bbbb00000002", _edits.Find("bbbb00000002").Id);
        Assert.Equal("bbbb00000002", _edits.Find("bbbb").Id);
        Assert.Equal("aaab00000003", _edits.Find("lark").Id);

        var missing = Assert.Throws<ExpException>(() => _edits.Find("owl"));
        Assert.Equal(ExitCode.NotFound, missing.Code);
        Assert.Equal(
            "no run 'owl': expected a run id, a unique id prefix or an experiment name (see 'dotnet exp runs list')",
            missing.Message
        );
        Assert.Equal(ExitCode.Usage, Assert.Throws<ExpException>(() => _edits.Find("aaa")).Code);
    }

    [Fact]
    public void Annotate_sets_what_is_given_keeps_what_is_not_and_clears_what_is_empty()
    {
        var run = _edits.Annotate(
            "wren",
            new RunAnnotation
            {
                Title = "",
                Group = "  dropout  ",
                AddTags = [" paper ", "draft"],
                RemoveTags = ["keep"],
            }
        );

        Assert.Null(run.Title);
        Assert.Equal("some notes", run.Notes);
        Assert.Equal("dropout", run.Group);
        Assert.Equal(["draft", "paper"], run.Tags);
        Assert.Equal(run.Tags, _store.Get("bbbb00000002")!.Tags);
        Assert.Null(_store.Get("bbbb00000002")!.Title);

        var replaced = _edits.Annotate("wren", new RunAnnotation { Tags = ["final"], Group = "" });
        Assert.Equal(["final"], replaced.Tags);
        Assert.Null(replaced.Group);
    }

    [Fact]
    public void Annotate_refuses_nothing_to_change_and_an_empty_tag_and_changes_nothing()
    {
        var nothing = Assert.Throws<ExpException>(() => _edits.Annotate("wren", new RunAnnotation()));
        Assert.Equal(ExitCode.Usage, nothing.Code);
        Assert.Equal("annotate: nothing to change; give a title, notes, tags or a group", nothing.Message);

        var empty = Assert.Throws<ExpException>(() =>
            _edits.Annotate("wren", new RunAnnotation { Title = "new", AddTags = ["  "] })
        );
        Assert.Equal(ExitCode.Usage, empty.Code);
        Assert.Equal("first title", _edits.Find("wren").Title);
    }

    [Fact]
    public void Flags_apply_to_every_run_named_and_a_typo_in_the_list_changes_none()
    {
        Assert.Throws<ExpException>(() => _edits.Archive(["wren", "owl"]));
        Assert.False(_edits.Find("wren").Archived);

        Assert.Equal(["bbbb00000002", "aaab00000003"], _edits.Bookmark(["wren", "lark", "aaab"], on: true).Select(r => r.Id));
        Assert.True(_edits.Find("wren").Bookmarked);
        Assert.False(_edits.Bookmark(["wren"], on: false).Single().Bookmarked);

        Assert.True(_edits.Archive(["wren"]).Single().Archived);
        Assert.True(_edits.Delete(["wren"]).Single().Deleted);
        var restored = _edits.Restore(["bbbb00000002"]).Single();
        Assert.False(restored.Archived || restored.Deleted);
        Assert.Equal("first title", restored.Title);

        _edits.Delete(["aaaa00000001"]);
        Assert.Equal(1, _edits.Purge());
        Assert.Null(_store.Get("aaaa00000001"));
    }
}
