using AgentSentinel.Tests.Shared.Redis;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Redis.Flags;
using static AgentSentinel.Tests.Shared.Redis.TestRedis;

namespace AgentSentinel.Client.Tests.Client;

public sealed class AgentFlagsTests(RedisServerFixture fixture) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task Each_agent_gets_one_started_poller_shared_by_all_callers()
    {
        var options = fixture.NewOptions();
        using var store = new RedisFlagStore(fixture.Redis, options);
        await store.WriteAsync(Decision("billing", 1, fallback: "safe-model"), CancellationToken.None);
        await using var flags = new AgentFlags(fixture.Redis, new FlagPollerOptions { KeyPrefix = options.KeyPrefix });

        var selectors = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => flags.GetSelectorAsync("billing", CancellationToken.None)));
        var other = await flags.GetSelectorAsync("search", CancellationToken.None);

        Assert.All(selectors, s => Assert.Same(selectors[0], s));
        Assert.NotSame(selectors[0], other);
        Assert.Equal(new RouteDecision(FlagRoute.Fallback, "safe-model"), await flags.DecideAsync("billing", CancellationToken.None));
        Assert.Equal(RouteDecision.Primary, await flags.DecideAsync("search", CancellationToken.None));
    }

    [Fact]
    public async Task A_change_reaches_the_agent_through_the_notice()
    {
        var options = fixture.NewOptions();
        using var store = new RedisFlagStore(fixture.Redis, options);
        await using var flags = new AgentFlags(fixture.Redis, new FlagPollerOptions { KeyPrefix = options.KeyPrefix, PollInterval = TimeSpan.FromMinutes(5) });
        var selector = await flags.GetSelectorAsync("billing", CancellationToken.None);
        Assert.True(selector.Decide().IsPrimary);

        await store.WriteAsync(Decision("billing", 1), CancellationToken.None);

        Assert.True(await EventuallyAsync(() => selector.Decide().IsFallback, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Bad_agent_names_and_use_after_dispose_are_refused()
    {
        var flags = new AgentFlags(fixture.Redis);
        await Assert.ThrowsAsync<ArgumentException>(() => flags.GetSelectorAsync("", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => flags.GetSelectorAsync("two\nlines", CancellationToken.None));
        await flags.DisposeAsync();
        await flags.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => flags.GetSelectorAsync("a", CancellationToken.None));
        Assert.Throws<ArgumentException>(() => new AgentFlags(fixture.Redis, new FlagPollerOptions { KeyPrefix = "x" }));
    }
}
