using GitExp.Core.Cache;

namespace GitExp.Core.Tests.Cache;

public sealed class LinkTypesTests
{
    [Fact]
    public void Config_list_parses_in_order_ignoring_case_and_spaces()
    {
        Assert.Equal([LinkType.Reflink, LinkType.Hardlink, LinkType.Copy], LinkTypes.Parse("reflink, Hardlink,copy"));
        Assert.Equal([LinkType.Symlink], LinkTypes.Parse("symlink"));
    }

    [Fact]
    public void Unknown_link_type_is_an_invalid_project_naming_the_value()
    {
        var e = Assert.Throws<ExpException>(() => LinkTypes.Parse("reflink,softlink"));
        Assert.Equal(ExitCode.InvalidProject, e.Code);
        Assert.Contains("'softlink'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_link_type_list_is_an_invalid_project()
    {
        Assert.Equal(ExitCode.InvalidProject, Assert.Throws<ExpException>(() => LinkTypes.Parse(" , ")).Code);
    }
}
