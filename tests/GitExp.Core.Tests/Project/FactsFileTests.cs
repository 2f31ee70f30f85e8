using GitExp.Core.Project;
using GitExp.Core.Tests.Infrastructure;

namespace GitExp.Core.Tests.Project;

public sealed class FactsFileTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Facts_added_and_flushed_are_read_back_by_a_new_reader()
    {
        var path = _folder.Combine("facts");
        var writer = new FactsFile(path);
        writer.Add("a", "{\"x\":1}");
        writer.Add("b", "null");
        writer.Flush();

        var reader = new FactsFile(path);

        Assert.True(reader.TryGet("a", out var a));
        Assert.Equal("{\"x\":1}", a);
        Assert.True(reader.TryGet("b", out var b));
        Assert.Equal("null", b);
        Assert.False(reader.TryGet("c", out _));
    }

    [Fact]
    public void Flushing_twice_appends_and_a_later_line_for_a_key_wins()
    {
        var path = _folder.Combine("facts");
        var first = new FactsFile(path);
        first.Add("a", "1");
        first.Flush();
        var second = new FactsFile(path);
        second.Add("a", "2");
        second.Add("b", "3");
        second.Flush();
        second.Flush(); // nothing pending: writes nothing

        Assert.Equal(["a\t1", "a\t2", "b\t3"], File.ReadAllLines(path));
        Assert.True(new FactsFile(path).TryGet("a", out var a));
        Assert.Equal("2", a);
    }

    [Fact]
    public void Facts_longer_than_the_read_buffer_and_across_its_edges_read_back_whole()
    {
        var path = _folder.Combine("facts");
        var writer = new FactsFile(path);
        var expected = new Dictionary<string, string>();
        for (var i = 0; i < 3000; i++)
        {
            // Lines of varied lengths cross the reader's 32 Ki-char buffer at every offset; one is three times its size.
            var json = "\"" + new string((char)('a' + (i % 26)), i == 1500 ? 100_000 : i % 97) + "\"";
            expected[$"k{i}"] = json;
            writer.Add($"k{i}", json);
        }

        writer.Flush();

        var reader = new FactsFile(path);

        Assert.All(expected, pair => Assert.True(reader.TryGet(pair.Key, out var json) && json == pair.Value, pair.Key));
    }

    [Fact]
    public void Torn_and_foreign_lines_are_skipped_without_losing_the_good_ones()
    {
        var path = _folder.Write("facts", "good\t{\"ok\":true}\nno tab here\n\tempty key\nkey-without-value\t\ntorn\t{\"x\":");

        var facts = new FactsFile(path);

        Assert.True(facts.TryGet("good", out var good));
        Assert.Equal("{\"ok\":true}", good);
        Assert.False(facts.TryGet("key-without-value", out _));
        Assert.True(facts.TryGet("torn", out var torn)); // stored as found; its reader rejects the JSON
        Assert.Equal("{\"x\":", torn);
    }

    [Fact]
    public void A_missing_file_is_an_empty_cache_and_the_first_flush_creates_it_and_its_folder()
    {
        var facts = new FactsFile(_folder.Combine("no", "such", "folder", "facts"));

        Assert.False(facts.TryGet("a", out _));
        facts.Add("a", "1");
        facts.Flush();
        Assert.Equal(["a\t1"], File.ReadAllLines(_folder.Combine("no", "such", "folder", "facts")));
    }

    [Fact]
    public void A_cache_that_cannot_be_written_is_no_error()
    {
        _folder.Write("blocked", "a file where the folder should be\n");
        var facts = new FactsFile(_folder.Combine("blocked", "facts"));

        facts.Add("a", "1");
        facts.Flush();

        Assert.True(facts.TryGet("a", out _));
    }

    [Fact]
    public void A_key_or_value_that_would_break_the_line_format_is_refused()
    {
        var facts = new FactsFile(_folder.Combine("facts"));

        Assert.Throws<ArgumentException>(() => facts.Add("a\tb", "1"));
        Assert.Throws<ArgumentException>(() => facts.Add("a", "1\n2"));
    }
}
