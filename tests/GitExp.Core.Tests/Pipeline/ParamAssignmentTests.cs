using GitExp.Core.Pipeline;

namespace GitExp.Core.Tests.Pipeline;

/// <summary>
/// <c>-S</c> in Hydra's override grammar, as DVC 3 reads it. Cases marked "DVC" come from DVC's
/// tests/func/utils/test_hydra.py; cases marked "Hydra" from Hydra's tests/test_overrides_parser.py.
/// </summary>
public class ParamAssignmentTests
{
    [Theory]
    [InlineData("lr=0.1", null, "lr", "0.1")]
    [InlineData("train.layers[0]=8", null, "train.layers[0]", "8")]
    [InlineData("foo.0=bar", null, "foo.0", "bar")] // DVC test_apply_overrides: a list item by index
    [InlineData("conf/model.yaml:a.b='x=y'", "conf/model.yaml", "a.b", "'x=y'")]
    [InlineData("name=", null, "name", "\"\"")] // DVC #6129: "key=" is the empty string
    [InlineData("f='range(1,4)'", null, "f", "'range(1,4)'")]
    [InlineData("f=\"${x}\"", null, "f", "\"${x}\"")]
    public void Parses_file_key_and_value(string text, string? file, string key, string value) =>
        Assert.Equal(new ParamAssignment(file, key, value), ParamAssignment.Parse(text));

    [Theory]
    [InlineData("a=1", ParamEditKind.Set, "a", true)]
    [InlineData("+a=1", ParamEditKind.Add, "a", true)] // DVC test_apply_overrides "Appending"
    [InlineData("++goo={bag: 1, b: 2}", ParamEditKind.AddOrSet, "goo", true)] // DVC test_apply_overrides
    [InlineData("~foo", ParamEditKind.Delete, "foo", false)] // DVC test_apply_overrides "Removing"
    [InlineData("~foo=1", ParamEditKind.Delete, "foo", true)] // Hydra: delete only when it holds 1
    [InlineData("other.yaml:~a.b", ParamEditKind.Delete, "a.b", false)]
    public void Prefixes_give_the_kind_of_edit(string text, ParamEditKind kind, string key, bool hasValue)
    {
        var a = ParamAssignment.Parse(text);
        Assert.Equal((kind, key, hasValue), (a.Kind, a.Key, a.HasValue));
        Assert.Equal(text, a.ToString().Replace("{\"bag\":1,\"b\":2}", "{bag: 1, b: 2}", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("lorem=", "\"\"")] // DVC #6129
    [InlineData("lorem=null", "null")] // DVC #6129
    [InlineData("lorem=1992-11-20", "\"1992-11-20\"")] // DVC #5868
    [InlineData("lorem='1992-11-20'", "\"1992-11-20\"")] // DVC #5868
    [InlineData("goo={bag: 1, b: 2}", "{\"bag\":1,\"b\":2}")] // DVC test_apply_overrides
    [InlineData("goo={a:1,b:[x, y]}", "{\"a\":1,\"b\":[\"x\",\"y\"]}")] // Hydra: dict values
    [InlineData("x='[1,2]'", "\"[1,2]\"")] // a quoted list is text
    [InlineData("x=\"a,b\"", "\"a,b\"")] // a quoted comma is text, not a sweep
    [InlineData("x=[1,2]", "[1,2]")]
    [InlineData("x=[a, 'b c', [1]]", "[\"a\",\"b c\",[1]]")]
    [InlineData("x=[]", "[]")]
    [InlineData("x={}", "{}")]
    [InlineData("x=1_000", "1000")] // Hydra: INT with underscores
    [InlineData("x=-7", "-7")]
    [InlineData("x=.5", "0.5")] // Hydra: FLOAT forms
    [InlineData("x=5.", "5")]
    [InlineData("x=1e-3", "0.001")]
    [InlineData("x=TrUe", "true")] // Hydra: BOOL and NULL ignore case
    [InlineData("x=FALSE", "false")]
    [InlineData("x=NuLL", "null")]
    [InlineData("x=yes", "\"yes\"")] // an ID, not YAML 1.1's boolean
    [InlineData("x=0x1F", "\"0x1F\"")] // INT 0 then ID x1F: text
    [InlineData("x=1.0.0", "\"1.0.0\"")] // several tokens: text
    [InlineData("x=a b", "\"a b\"")] // Hydra: inner whitespace is kept
    [InlineData("x=http://host/p?q", "\"http://host/p?q\"")]
    [InlineData("x=a\\,b", "\"a,b\"")] // Hydra: escaped comma
    [InlineData("x='it\\'s'", "\"it\\u0027s\"")] // Hydra: escaped quote
    [InlineData("x=\"say \\\"hi\\\"\"", "\"say \\u0022hi\\u0022\"")]
    [InlineData("x=x: y", "\"x: y\"")]
    public void Values_are_typed_as_hydra_reads_them(string text, string json) =>
        Assert.Equal(json, ParamAssignment.Parse(text).ParseValue()?.ToJsonString() ?? "null");

    [Theory]
    // Hydra tests/test_overrides_parser.py test_element (interpolation and inf left out: refused here).
    [InlineData("abc", "\"abc\"")]
    [InlineData("abc123", "\"abc123\"")]
    [InlineData("abc-123", "\"abc-123\"")]
    [InlineData("a b c\t-\t1 2 3", "\"a b c\\t-\\t1 2 3\"")]
    [InlineData("abc-123 ", "\"abc-123\"")]
    [InlineData("123abc", "\"123abc\"")]
    [InlineData(@"a\,b", "\"a,b\"")]
    [InlineData(@"a\:b", "\"a:b\"")]
    [InlineData(@"a\=b", "\"a=b\"")]
    [InlineData(@"\ ab", "\" ab\"")]
    [InlineData("ab\\\t", "\"ab\\t\"")]
    [InlineData("ab\\\\", "\"ab\\\\\"")]
    [InlineData(@"\,", "\",\"")]
    [InlineData(@"f\(a\, b\)", "\"f(a, b)\"")]
    [InlineData(@"\[a\, b\]", "\"[a, b]\"")]
    [InlineData(@"\{a\: b\}", "\"{a: b}\"")]
    [InlineData(@"$\{foo.bar\}", "\"${foo.bar}\"")]
    [InlineData("c:\\foo\\a-b.txt", "\"c:\\\\foo\\\\a-b.txt\"")]
    [InlineData("null", "null")]
    [InlineData("1", "1")]
    [InlineData("+1", "1")]
    [InlineData("1___0___", "\"1___0___\"")]
    [InlineData("0.51", "0.51")]
    [InlineData("10e0", "10")]
    [InlineData("true", "true")]
    [InlineData(".", "\".\"")]
    // Hydra test_dict_container
    [InlineData("{a:[true,10]}", "{\"a\":[true,10]}")]
    [InlineData("{a:10,b:{c:[1,2]}}", "{\"a\":10,\"b\":{\"c\":[1,2]}}")]
    [InlineData("{123: 1, 0: 2, -1: 3}", "{\"123\":1,\"0\":2,\"-1\":3}")]
    // Hydra test_list_container
    [InlineData("['[a,b]']", "[\"[a,b]\"]")]
    [InlineData("[1,[a]]", "[1,[\"a\"]]")]
    [InlineData(@"['a\\', 'b\\']", "[\"a\\\\\",\"b\\\\\"]")]
    public void Hydra_elements_parse_as_hydras_tests_expect(string value, string json) =>
        Assert.Equal(json, ParamAssignment.Parse("x=" + value).ParseValue()?.ToJsonString() ?? "null");

    [Theory]
    [InlineData("foo=1,2", new[] { "1", "2" })] // DVC test_hydra_sweeps
    [InlineData("foo=choice(1,2)", new[] { "1", "2" })] // DVC test_hydra_sweeps
    [InlineData("foo=range(1, 3)", new[] { "1", "2" })] // DVC test_hydra_sweeps
    [InlineData("foo=range(3)", new[] { "0", "1", "2" })] // Hydra: range(stop) starts at 0
    [InlineData("foo=range(5,0,-2)", new[] { "5", "3", "1" })]
    [InlineData("foo=range(start=1,stop=3)", new[] { "1", "2" })]
    [InlineData("foo=range(0,1,0.25)", new[] { "0.0", "0.25", "0.5", "0.75" })] // Hydra: floats by decimal steps
    [InlineData("foo=range(1,2,0.3)", new[] { "1.0", "1.3", "1.6", "1.9" })]
    [InlineData("foo=range(1,3.0)", new[] { "1.0", "2.0" })] // one float makes every value a float
    [InlineData("opt=adam, sgd", new[] { "adam", "sgd" })]
    [InlineData("foo=[1,2],[3]", new[] { "[1,2]", "[3]" })] // a sweep of lists
    [InlineData("foo=choice([1,2],b)", new[] { "[1,2]", "b" })]
    [InlineData("foo=choice(1)", new[] { "1" })] // still a sweep: it needs --queue
    [InlineData("foo='a',\"b,c\"", new[] { "'a'", "\"b,c\"" })]
    public void Sweeps_list_their_values(string text, string[] values)
    {
        var a = ParamAssignment.Parse(text);
        Assert.NotNull(a.Sweep);
        Assert.Equal(values, a.SweepValues());
    }

    [Theory]
    [InlineData("foo='a,b'")]
    [InlineData("foo=[1,2]")]
    [InlineData("foo={a: 1, b: 2}")]
    [InlineData("foo=a\\,b")]
    public void Quotes_lists_maps_and_escapes_are_one_value(string text) => Assert.Null(ParamAssignment.Parse(text).Sweep);

    [Theory]
    [InlineData("abc", "-S 'abc': expected [file:]key=value")]
    [InlineData("=1", "-S '=1': key '' is empty; expected [file:]key=value")]
    [InlineData("f.yaml:=1", "-S 'f.yaml:=1': key '' is empty; expected [file:]key=value")]
    [InlineData(":a=1", "-S ':a=1': the file before ':' is empty; expected [file:]key=value")]
    [InlineData(
        "a..b=1",
        "-S 'a..b=1': key 'a..b' has an empty part (expected names separated by single dots); expected [file:]key=value"
    )]
    [InlineData("+++a=1", "-S '+++a=1': '+++' is not a prefix")]
    [InlineData("~+a", "-S '~+a': '~+' is not a prefix")]
    [InlineData("a.+b=1", "-S 'a.+b=1': '+' is only a prefix of the whole key")]
    [InlineData("lr=range(1,1)", "-S 'lr=range(1,1)': the range is empty")]
    [InlineData("lr=range()", "-S 'lr=range()': range needs start and stop")]
    [InlineData("lr=range(1,2,0)", "-S 'lr=range(1,2,0)': range() step must not be 0")]
    [InlineData("lr=range(a,2)", "-S 'lr=range(a,2)': range() start must be a number, not a")]
    [InlineData("lr=range(1,2,3,4)", "-S 'lr=range(1,2,3,4)': range() takes start, stop and step")]
    [InlineData("lr=range(stop=2,1)", "-S 'lr=range(stop=2,1)': range(): a positional argument follows a keyword")]
    [InlineData("lr=choice()", "-S 'lr=choice()': choice() needs at least one value")]
    [InlineData("foo=glob(*)", "-S 'foo=glob(*)': glob() is not supported")] // DVC test_invalid_sweep
    [InlineData("foo=shuffle(1,2)", "-S 'foo=shuffle(1,2)': 'shuffle()' is not supported")]
    [InlineData("foo=[choice(1,2)]", "-S 'foo=[choice(1,2)]': a sweep (choice(), range()) cannot be one item")]
    [InlineData("foo=choice(1,2),3", "-S 'foo=choice(1,2),3': a sweep (choice(), range()) cannot be one item")]
    [InlineData("foo=${bar}", "-S 'foo=${bar}': interpolation (${...}) is not supported")]
    [InlineData("foo=a#b", "-S 'foo=a#b': unexpected '#' in the value")]
    [InlineData("foo=a=b", "-S 'foo=a=b': '=' cannot appear in a value")]
    [InlineData("lr=0.1,units=128,3", "-S 'lr=0.1,units=128,3': '=' cannot appear in a value")]
    [InlineData("foo=[1,2", "-S 'foo=[1,2': the value ends too early; expected ',' or ']'")]
    [InlineData("foo=1,,2", "-S 'foo=1,,2': unexpected ',' in the value; expected a value")]
    [InlineData("foo=inf", "-S 'foo=inf': 'inf' is not a number a params file can hold")]
    [InlineData("foo='a'b", "-S 'foo='a'b': unexpected 'b' in the value")]
    public void Malformed_arguments_are_one_line_usage_errors(string text, string message)
    {
        var e = Assert.Throws<ExpException>(() => ParamAssignment.ParseArgument(text));
        Assert.Equal(ExitCode.Usage, e.Code);
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Dvc2_page_form_with_every_part_key_value_is_several_assignments()
    {
        // dvc.org's exp run page (DVC 2): "-S learning_rate=0.001,units=128"; DVC 3's Hydra refuses '=' in a value.
        Assert.Equal(
            [new ParamAssignment(null, "learning_rate", "0.001"), new ParamAssignment(null, "units", "128")],
            ParamAssignment.ParseArgument("learning_rate=0.001,units=128")
        );
        var parts = ParamAssignment.ParseArgument("f.yaml:a=1,++b.c=x");
        Assert.Equal(["f.yaml:a=1", "f.yaml:++b.c=x"], parts.Select(p => p.ToString()));
        Assert.Single(ParamAssignment.ParseArgument("lr=0.1,0.01"));
        Assert.Equal(["0.1", "0.01"], ParamAssignment.ParseArgument("lr=0.1,0.01")[0].SweepValues());
        Assert.Equal(["a='x,y'", "b=2"], ParamAssignment.ParseArgument("a='x,y',b=2").Select(p => p.ToString()));
        Assert.Equal(["a=1", "++b=2"], ParamAssignment.ParseArgument("a=1, ++b=2").Select(p => p.ToString()));
    }

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
