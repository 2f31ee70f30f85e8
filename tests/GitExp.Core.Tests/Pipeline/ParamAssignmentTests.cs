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
    [InlineData("+new.key=1", null, "+new.key", "1")]
    [InlineData("f='range(1,4)'", null, "f", "'range(1,4)'")]
    [InlineData("f=\"${x}\"", null, "f", "\"${x}\"")]
    [InlineData("f=a(b", null, "f", "a(b")]
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
    [InlineData(
        "++goo.bag=4.5",
        "-S '++goo.bag=4.5': '++' is not supported in a key; write key=value to change a key, +key=value to add one"
    )]
    [InlineData("~goo=1", "-S '~goo=1': '~' is not supported in a key; write key=value to change a key, +key=value to add one")]
    [InlineData("a.+b=1", "-S 'a.+b=1': '+' is not supported in a key; write key=value to change a key, +key=value to add one")]
    [InlineData("+=1", "-S '+=1': '+' is not supported in a key; write key=value to change a key, +key=value to add one")]
    [InlineData(
        "foo=range(1,4)",
        "-S 'foo=range(1,4)': 'range(1,4)' looks like a sweep function (range(), choice(), ...), which is not supported; list the values (key=1,2,3), or quote the value to set it as text"
    )]
    [InlineData("foo=choice(a)", "-S 'foo=choice(a)': 'choice(a)' looks like a sweep function")]
    [InlineData("foo=(1,2)", "-S 'foo=(1,2)': '(1,2)' looks like a sweep function")]
    [InlineData(
        "foo=${bar}",
        "-S 'foo=${bar}': interpolation (${...}) is not supported; write the value itself, or quote it to set it as text"
    )]
    public void Malformed_arguments_are_usage_errors(string text, string message)
    {
        var e = Assert.Throws<ExpException>(() => ParamAssignment.Parse(text));
        Assert.Equal(ExitCode.Usage, e.Code);
        Assert.StartsWith(message, e.Message);
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
