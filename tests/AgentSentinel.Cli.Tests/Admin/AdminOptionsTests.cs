using AgentSentinel.Cli.Admin;
using AgentSentinel.Cli.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace AgentSentinel.Cli.Tests.Admin;

public sealed class AdminOptionsTests
{
    [Fact]
    public void No_token_means_the_api_is_off_and_that_is_valid()
    {
        var options = new AdminOptions();

        Assert.False(options.Enabled);
        Assert.Empty(options.Validate());
    }

    [Fact]
    public void Distinct_long_tokens_for_well_named_operators_are_valid()
    {
        var options = new AdminOptions { Tokens = { ["alice"] = AdminServer.AliceToken, ["ops.bot@team-1"] = AdminServer.BobToken } };

        Assert.True(options.Enabled);
        Assert.Empty(options.Validate());
    }

    [Theory]
    [InlineData("alice", "short-token", "Admin:Tokens:alice must be at least 24 characters")]
    [InlineData("alice", "", "Admin:Tokens:alice must be at least 24 characters")]
    [InlineData("alice", "token with spaces in it 0123", "Admin:Tokens:alice must be printable ASCII without spaces")]
    [InlineData("alice bob", AdminServer.AliceToken, "Admin:Tokens:alice bob: the operator name must be")]
    public void Each_invalid_entry_is_named_by_its_key_and_never_shows_the_token(string name, string token, string expected)
    {
        var errors = new AdminOptions { Tokens = { [name] = token } }.Validate().ToList();

        var error = Assert.Single(errors);
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
        if (token.Length > 0)
        {
            Assert.DoesNotContain(token, error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Two_operators_sharing_a_token_is_an_error()
    {
        var errors = new AdminOptions { Tokens = { ["alice"] = AdminServer.AliceToken, ["bob"] = AdminServer.AliceToken } }.Validate().ToList();

        Assert.Equal(["Admin:Tokens:bob is the same token as Admin:Tokens:alice: each operator needs their own"], errors);
    }

    [Fact]
    public async Task Mapping_with_an_invalid_token_fails_naming_the_key_but_not_the_token()
    {
        await using var app = WebApplication.CreateSlimBuilder().Build();
        var options = new AdminOptions { Tokens = { ["alice"] = "hunter2" } };

        var error = Assert.Throws<ConfigurationException>(() => AdminApi.Map(app, new RecordingRemediationAdmin(), options));

        Assert.Contains("Admin:Tokens:alice must be at least 24 characters", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tokens_bind_from_the_configuration_section_per_operator()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new("Admin:Tokens:alice", AdminServer.AliceToken), new("Admin:Tokens:bob", AdminServer.BobToken)])
            .Build();
        var options = new AdminOptions();

        configuration.GetSection(AdminOptions.SectionName).Bind(options);

        Assert.Equal(AdminServer.AliceToken, options.Tokens["alice"]);
        Assert.Equal(AdminServer.BobToken, options.Tokens["bob"]);
        Assert.Empty(options.Validate());
    }
}
