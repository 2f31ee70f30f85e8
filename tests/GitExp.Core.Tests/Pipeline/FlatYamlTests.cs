using System.Text.Json.Nodes;
using GitExp.Core.Pipeline;

namespace GitExp.Core.Tests.Pipeline;

public class FlatYamlTests
{
    [Theory]
    [InlineData("lr: 0.001\nepochs: 10\noptimizer: adam\nshuffle: true\n")]
    [InlineData("# comment\n\na.b: -1\nc_d: +2\ne-f: 1e5\ng: .5\nh: 0x1F\ni: 0o17\nj: null\nk: .inf\nl: 007\n")]
    [InlineData("key: -x\nTrue: False\n1: 2\nx: 1.0\ny: 12345678901234567890123\nno_newline: yes")]
    public void Flat_files_read_exactly_as_the_full_parser_reads_them(string text)
    {
        var flat = Yaml.TryParseFlatMap(text);
        Assert.NotNull(flat);
        var full = Yaml.ToJson(Yaml.LoadRoot(text, "params.yaml")!, "params.yaml");
        Assert.True(JsonNode.DeepEquals(full, flat), $"{full?.ToJsonString()} != {flat.ToJsonString()}");
        Assert.Equal(full!.ToJsonString(), flat.ToJsonString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("a:\n  b: 1\n")]
    [InlineData("a: 'quoted'\n")]
    [InlineData("a: [1, 2]\n")]
    [InlineData("a: 1 # trailing comment\n")]
    [InlineData("a: 1\r\nb: 2\r\n")]
    [InlineData("a: 1\na: 2\n")]
    [InlineData("a: -\n")]
    [InlineData("a:\n")]
    [InlineData("a: x y\n")]
    [InlineData("---\na: 1\n")]
    [InlineData("\uFEFFa: 1\n")]
    [InlineData("a: ~\n")]
    [InlineData("a: 1\n  b\n")]
    public void Anything_beyond_flat_key_value_lines_falls_back_to_the_full_parser(string text) =>
        Assert.Null(Yaml.TryParseFlatMap(text));

    [Theory]
    [InlineData("1e400", "1e400")]
    [InlineData("-1E400", "-1E400")]
    [InlineData("+.5e400", "0.5e400")]
    [InlineData("007.e+999", "7.0e+999")]
    [InlineData("-0.0001e-400", "-0.0001e-400")]
    public void Numbers_beyond_double_range_keep_their_text_as_a_json_number(string yaml, string json)
    {
        var value = Yaml.TypePlain(yaml);

        Assert.Equal(System.Text.Json.JsonValueKind.Number, value!.GetValueKind());
        Assert.Equal(json, value.ToJsonString());
        Assert.Equal(json, Yaml.TryParseFlatMap("a: " + yaml + "\n")!["a"]!.ToJsonString());
    }
}
