using AgentSentinel.Redis.Flags;
using StackExchange.Redis;

namespace AgentSentinel.Redis.Tests.Flags;

public sealed class RedisFlagStoreOptionsTests
{
    [Fact]
    public void Defaults_with_a_connection_string_are_valid()
    {
        var options = new RedisFlagStoreOptions { ConnectionString = "localhost:6379" };

        Assert.Empty(options.Validate());
        Assert.Equal("Redis", RedisFlagStoreOptions.SectionName);
        Assert.Equal("agentsentinel:", options.KeyPrefix);
        Assert.Equal(100_000, options.AuditMaxLength);
        Assert.True(options.AuditStaleWrites);
    }

    [Fact]
    public void Missing_connection_string_names_the_key()
    {
        var errors = new RedisFlagStoreOptions().Validate();

        Assert.Contains(errors, e => e.StartsWith("Redis:ConnectionString is required", StringComparison.Ordinal));
    }

    [Fact]
    public void Unparseable_connection_string_names_the_key_without_echoing_it()
    {
        var errors = new RedisFlagStoreOptions { ConnectionString = "localhost,password=s3cret,nonsense=1" }.Validate();

        var error = Assert.Single(errors);
        Assert.StartsWith("Redis:ConnectionString", error, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("agentsentinel", "Redis:KeyPrefix must end with ':'")]
    [InlineData("", "Redis:KeyPrefix is required")]
    [InlineData("agent*sentinel:", "Redis:KeyPrefix must not contain")]
    [InlineData("agent sentinel:", "Redis:KeyPrefix must not contain")]
    public void Invalid_key_prefix_names_the_key(string prefix, string expected)
    {
        var errors = new RedisFlagStoreOptions { ConnectionString = "localhost", KeyPrefix = prefix }.Validate();

        Assert.Contains(errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(RedisFlagStoreOptions.MaxAuditMaxLength + 1)]
    public void Audit_max_length_out_of_range_names_the_key(int length)
    {
        var errors = new RedisFlagStoreOptions { ConnectionString = "localhost", AuditMaxLength = length }.Validate();

        Assert.Contains(errors, e => e.StartsWith("Redis:AuditMaxLength must be between 1 and", StringComparison.Ordinal));
    }

    [Fact]
    public void Configuration_connects_in_the_background_and_fails_fast()
    {
        var configuration = new RedisFlagStoreOptions { ConnectionString = "localhost:6379,abortConnect=true" }.ToConfigurationOptions();

        Assert.False(configuration.AbortOnConnectFail);
        Assert.False(configuration.BacklogPolicy.QueueWhileDisconnected);
        Assert.Equal("agentsentinel", configuration.ClientName);
    }

    [Fact]
    public void Store_refuses_invalid_options_naming_every_key()
    {
        var options = new RedisFlagStoreOptions { ConnectionString = "", KeyPrefix = "x" };

        var error = Assert.Throws<ArgumentException>(() => options.ToConfigurationOptions());

        Assert.Contains("Redis:ConnectionString", error.Message, StringComparison.Ordinal);
        Assert.Contains("Redis:KeyPrefix must end with ':'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Keys_follow_the_contract()
    {
        var keys = new FlagKeys("agentsentinel:");

        Assert.Equal("agentsentinel:flag:billing-bot", (string?)keys.Flag("billing-bot"));
        Assert.Equal("agentsentinel:flags", keys.Channel);
        Assert.Equal("agentsentinel:audit", keys.Audit);
    }
}
