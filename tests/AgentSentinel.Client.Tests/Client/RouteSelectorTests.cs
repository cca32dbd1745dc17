using AgentSentinel.Tests.Shared.Redis;
using System.Diagnostics;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Redis.Flags;
using static AgentSentinel.Tests.Shared.Redis.TestRedis;

namespace AgentSentinel.Client.Tests.Client;

public sealed class RouteSelectorTests(RedisServerFixture fixture) : IClassFixture<RedisServerFixture>
{
    private async Task<(RedisFlagStore Store, FlagPoller Poller)> PollerAsync(FlagDecision? decision)
    {
        var options = fixture.NewOptions();
        var store = new RedisFlagStore(fixture.Redis, options);
        if (decision is not null)
        {
            await store.WriteAsync(decision, CancellationToken.None);
        }

        var poller = new FlagPoller(fixture.Redis, "a", new FlagPollerOptions { KeyPrefix = options.KeyPrefix, SubscribeToNotices = false });
        Assert.True(await poller.PollOnceAsync(CancellationToken.None));
        return (store, poller);
    }

    [Fact]
    public async Task Without_a_flag_every_request_goes_to_primary_and_is_tagged_primary()
    {
        var (store, poller) = await PollerAsync(null);
        using var _ = store;
        await using var __ = poller;

        var decision = new RouteSelector(poller).Decide();

        Assert.Equal(RouteDecision.Primary, decision);
        Assert.Equal("primary", decision.AttributeValue);
    }

    [Fact]
    public async Task A_fallback_flag_routes_every_request_to_the_named_fallback()
    {
        var (store, poller) = await PollerAsync(Decision("a", 1, fallback: "gpt-4o-mini"));
        using var _ = store;
        await using var __ = poller;
        var selector = new RouteSelector(poller, new Random(1));

        var decisions = Enumerable.Range(0, 200).Select(_ => selector.Decide()).Distinct().ToList();

        var only = Assert.Single(decisions);
        Assert.Equal(new RouteDecision(FlagRoute.Fallback, "gpt-4o-mini", Probing: false), only);
        Assert.Equal("fallback", only.AttributeValue);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public async Task A_probe_sends_probe_ratio_of_requests_to_primary_and_tags_them_primary(double ratio)
    {
        var (store, poller) = await PollerAsync(Decision("a", 1, FlagRoute.Probe, probeRatio: ratio));
        using var _ = store;
        await using var __ = poller;
        var selector = new RouteSelector(poller, new Random(7));

        var decisions = Enumerable.Range(0, 20_000).Select(_ => selector.Decide()).ToList();

        Assert.All(decisions, d => Assert.True(d.Probing));
        Assert.All(decisions, d => Assert.Equal(d.IsPrimary ? "primary" : "fallback", d.AttributeValue));
        Assert.All(decisions.Where(d => !d.IsPrimary), d => Assert.Equal("cached", d.Fallback));
        var share = decisions.Count(d => d.IsPrimary) / (double)decisions.Count;
        Assert.InRange(share, ratio - 0.02, ratio + 0.02);
    }

    [Fact]
    public async Task A_shared_seeded_random_is_safe_across_threads()
    {
        var (store, poller) = await PollerAsync(Decision("a", 1, FlagRoute.Probe, probeRatio: 0.5));
        using var _ = store;
        await using var __ = poller;
        var selector = new RouteSelector(poller, new Random(3));
        var primary = 0;

        Parallel.For(0, 40_000, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            if (selector.Decide().IsPrimary)
            {
                Interlocked.Increment(ref primary);
            }
        });

        // An unsynchronised System.Random corrupted by concurrent use returns 0 forever, i.e. all primary.
        Assert.InRange(primary, 19_000, 21_000);
    }

    [Fact]
    public void Tag_sets_the_route_attribute_on_the_activity()
    {
        using var activity = new Activity("request").Start();

        new RouteDecision(FlagRoute.Fallback, "cached").Tag(activity);
        Assert.Equal("fallback", activity.GetTagItem(AgentSentinelRoute.AttributeName));
        RouteDecision.Primary.Tag(activity);
        Assert.Equal("primary", activity.GetTagItem("agentsentinel.route"));
        RouteDecision.Primary.Tag(null); // no current span: nothing to tag
    }
}
