using System.Text.Json.Nodes;
using GitExp.Core.Pipeline;

namespace GitExp.Core.Tests.Pipeline;

public class ParamAssignmentTests
{
    [Theory]
    [InlineData("lr=0.1", null, "lr", "0.1")]
    [InlineData("train.layers[0]=8", null, "train.layers[0]", "8")]
    [InlineData("conf/model.yaml:a.b=x=y", "conf/model.yaml", "a.b", "x=y")]
    [InlineData("name=", null, "name", "")]
    public void Parses_file_key_and_raw_value(string text, string? file, string key, string value) =>
        Assert.Equal(new ParamAssignment(file, key, value), ParamAssignment.Parse(text));

    [Theory]
    [InlineData("abc", "-S 'abc': expected [file:]key=value")]
    [InlineData("=1", "-S '=1': key '' is empty; expected [file:]key=value")]
    [InlineData("f.yaml:=1", "-S 'f.yaml:=1': key '' is empty; expected [file:]key=value")]
    [InlineData(":a=1", "-S ':a=1': the file before ':' is empty; expected [file:]key=value")]
    [InlineData(
        "a..b=1",
        "-S 'a..b=1': key 'a..b' has an empty part (expected names separated by single dots); expected [file:]key=value"
    )]
    public void Malformed_arguments_are_usage_errors(string text, string message)
    {
        var e = Assert.Throws<ExpException>(() => ParamAssignment.Parse(text));
        Assert.Equal(ExitCode.Usage, e.Code);
        Assert.Equal(message, e.Message);
    }

    [Theory]
    [InlineData("0.1,0.01", new[] { "0.1", "0.01" })]
    [InlineData("adam, sgd", new[] { "adam", "sgd" })]
    [InlineData("0.1", new[] { "0.1" })]
    [InlineData("[1,2]", new[] { "[1,2]" })]
    [InlineData("{a: 1, b: 2}", new[] { "{a: 1, b: 2}" })]
    [InlineData("'a,b'", new[] { "'a,b'" })]
    [InlineData("\"a,b\"", new[] { "\"a,b\"" })]
    public void Sweep_values_split_on_commas_except_lists_maps_and_quotes(string value, string[] expected) =>
        Assert.Equal(expected, new ParamAssignment(null, "k", value).SweepValues());

    [Fact]
    public void Sweep_with_an_empty_item_is_a_usage_error() =>
        Assert.Equal(
            ExitCode.Usage,
            Assert.Throws<ExpException>(() => new ParamAssignment(null, "k", "1,,2").SweepValues()).Code
        );

    [Theory]
    [InlineData("0.1", "0.1")]
    [InlineData("10", "10")]
    [InlineData("true", "true")]
    [InlineData("null", "null")]
    [InlineData("'10'", "\"10\"")]
    [InlineData("[1, a]", "[1,\"a\"]")]
    [InlineData("x: y", "\"x: y\"")]
    [InlineData("", "\"\"")]
    public void Values_are_typed_as_yaml_reads_them(string raw, string json) =>
        Assert.Equal(json, new ParamAssignment(null, "k", raw).ParseValue()?.ToJsonString() ?? "null");
}
