using AgentSentinel.Tests.Shared.Redis;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Redis.Flags;
using StackExchange.Redis;
using AgentSentinel.Redis;
using static AgentSentinel.Tests.Shared.Redis.TestRedis;

namespace AgentSentinel.Client.Tests.Client;

public sealed class FlagPollerTests(RedisServerFixture fixture) : IClassFixture<RedisServerFixture>
{
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    private readonly ConnectionMultiplexer _redis = fixture.Redis;

    private (RedisFlagStore Store, FlagPollerOptions Options) NewStore(TimeSpan? pollInterval = null, bool subscribe = false)
    {
        var options = fixture.NewOptions();
        return (new RedisFlagStore(_redis, options), new FlagPollerOptions
        {
            KeyPrefix = options.KeyPrefix,
            PollInterval = pollInterval ?? TimeSpan.FromMinutes(5),
            SubscribeToNotices = subscribe,
        });
    }

    [Fact]
    public async Task No_key_reads_primary()
    {
        var (store, options) = NewStore();
        using var _ = store;
        await using var poller = new FlagPoller(_redis, "a", options);

        Assert.True(await poller.PollOnceAsync(CancellationToken.None));

        Assert.Null(poller.LastKnown);
        Assert.True(poller.IsReachable);
        Assert.Equal(FlagRoute.Primary, poller.CurrentRoute());
        Assert.Equal(FlagReadStatus.Absent, poller.LastReadStatus);
        Assert.Equal(RouteDecision.Primary, poller.Decide(0.0));
    }

    [Fact]
    public async Task Fallback_flag_reads_the_fallback_until_it_expires_then_primary()
    {
        var (store, options) = NewStore();
        using var _ = store;
        var time = new ManualTimeProvider(Start);
        await using var poller = new FlagPoller(_redis, "a", options, time);
        await store.WriteAsync(Decision("a", 1, fallback: "gpt-4o-mini", expiresAtUnixMs: time.NowUnixMs + 30_000), CancellationToken.None);

        await poller.PollOnceAsync(CancellationToken.None);
        var before = poller.Decide(0.5);
        time.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(new RouteDecision(FlagRoute.Fallback, "gpt-4o-mini"), before);
        Assert.Equal(FlagRoute.Primary, poller.CurrentRoute());
        Assert.Equal(RouteDecision.Primary, poller.Decide(0.5));
    }

    [Fact]
    public async Task Probe_flag_sends_about_probe_ratio_of_requests_to_primary()
    {
        var (store, options) = NewStore();
        using var _ = store;
        await using var poller = new FlagPoller(_redis, "a", options);
        await store.WriteAsync(Decision("a", 1, FlagRoute.Probe, probeRatio: 0.3), CancellationToken.None);
        await poller.PollOnceAsync(CancellationToken.None);
        var selector = new RouteSelector(poller, new Random(42));

        var primary = Enumerable.Range(0, 10_000).Count(_ => selector.Decide().IsPrimary);

        Assert.Equal(FlagRoute.Probe, poller.CurrentRoute());
        Assert.InRange(primary, 2_800, 3_200);
    }

    [Fact]
    public async Task Background_polling_picks_up_a_change_without_notices()
    {
        var (store, options) = NewStore(pollInterval: TimeSpan.FromMilliseconds(50));
        using var _ = store;
        await using var poller = new FlagPoller(_redis, "a", options);
        await poller.StartAsync(CancellationToken.None);
        Assert.Equal(FlagRoute.Primary, poller.CurrentRoute());

        await store.WriteAsync(Decision("a", 1), CancellationToken.None);

        Assert.True(await EventuallyAsync(() => poller.CurrentRoute() == FlagRoute.Fallback, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_notice_naming_the_agent_triggers_an_immediate_poll()
    {
        var (store, options) = NewStore(pollInterval: TimeSpan.FromMinutes(5), subscribe: true);
        using var _ = store;
        await using var poller = new FlagPoller(_redis, "he said \"hi\" 🚀", options);
        await using var bystander = new FlagPoller(_redis, "bystander", options);
        await poller.StartAsync(CancellationToken.None);
        await bystander.StartAsync(CancellationToken.None);

        await store.WriteAsync(Decision("he said \"hi\" 🚀", 1), CancellationToken.None);

        Assert.True(await EventuallyAsync(() => poller.CurrentRoute() == FlagRoute.Fallback, TimeSpan.FromSeconds(5)));
        Assert.Equal(FlagRoute.Primary, bystander.CurrentRoute());
    }

    [Fact]
    public async Task Malformed_notices_are_ignored()
    {
        var (store, options) = NewStore(subscribe: true);
        using var _ = store;
        await using var poller = new FlagPoller(_redis, "a", options);
        await poller.StartAsync(CancellationToken.None);
        var channel = RedisChannel.Literal(store.Keys.Channel);

        await _redis.GetSubscriber().PublishAsync(channel, "not json");
        await _redis.GetSubscriber().PublishAsync(channel, "[1,2]");
        await _redis.GetSubscriber().PublishAsync(channel, """{"agent":42}""");
        await store.WriteAsync(Decision("a", 1), CancellationToken.None);

        Assert.True(await EventuallyAsync(() => poller.CurrentRoute() == FlagRoute.Fallback, TimeSpan.FromSeconds(5)));
    }

    [Theory]
    [InlineData("version", "12a", FlagReadStatus.Malformed)]
    [InlineData("expires_at", "", FlagReadStatus.Malformed)]
    [InlineData("expires_at", "-5", FlagReadStatus.Malformed)]
    [InlineData("updated_at", "1e3", FlagReadStatus.Malformed)]
    [InlineData("probe_ratio", "half", FlagReadStatus.Malformed)]
    [InlineData("schema", "2", FlagReadStatus.UnsupportedSchema)]
    [InlineData("schema", "", FlagReadStatus.UnsupportedSchema)]
    public async Task A_flag_that_cannot_be_read_strictly_is_not_followed(string field, string value, FlagReadStatus status)
    {
        var (store, options) = NewStore();
        using var _ = store;
        await using var poller = new FlagPoller(_redis, "a", options);
        await store.WriteAsync(Decision("a", 1), CancellationToken.None);
        Assert.True(await poller.PollOnceAsync(CancellationToken.None));
        Assert.Equal(FlagRoute.Fallback, poller.CurrentRoute());

        await _redis.GetDatabase().HashSetAsync(store.Keys.Flag("a"), field, value);
        Assert.True(await poller.PollOnceAsync(CancellationToken.None));

        Assert.Equal(status, poller.LastReadStatus);
        Assert.Null(poller.LastKnown);
        Assert.Equal(FlagRoute.Primary, poller.CurrentRoute());
    }

    [Fact]
    public async Task An_unknown_route_reads_as_primary_but_keeps_the_flag_details()
    {
        var (store, options) = NewStore();
        using var _ = store;
        await using var poller = new FlagPoller(_redis, "a", options);
        await store.WriteAsync(Decision("a", 7), CancellationToken.None);
        await _redis.GetDatabase().HashSetAsync(store.Keys.Flag("a"), "route", "sideways");

        Assert.True(await poller.PollOnceAsync(CancellationToken.None));

        Assert.Equal(FlagReadStatus.Valid, poller.LastReadStatus);
        Assert.Equal(FlagRoute.Primary, poller.LastKnown!.Route);
        Assert.Equal(7, poller.LastKnown.Version);
        Assert.Equal(FlagRoute.Primary, poller.CurrentRoute());
    }

    [Fact]
    public async Task The_flag_read_carries_every_contract_field()
    {
        var (store, options) = NewStore();
        using var _ = store;
        await using var poller = new FlagPoller(_redis, "a", options);
        await store.WriteAsync(Decision("a", 3, FlagRoute.Probe, fallback: "gpt-4o-mini", probeRatio: 0.25, expiresAtUnixMs: 4_000_000_000_000), CancellationToken.None);

        Assert.True(await poller.PollOnceAsync(CancellationToken.None));

        var flag = poller.LastKnown!;
        Assert.Equal(FlagRoute.Probe, flag.Route);
        Assert.Equal("gpt-4o-mini", flag.Fallback);
        Assert.Equal(0.25, flag.ProbeRatio);
        Assert.Equal("token_spike", flag.Reason);
        Assert.Equal("inc-42", flag.Incident);
        Assert.Equal(["4bf92f3577b34da6a3ce929d0e0e4736"], flag.TraceIds);
        Assert.Equal(3, flag.Version);
        Assert.Equal(1_700_000_000_000, flag.UpdatedAtUnixMs);
        Assert.Equal(4_000_000_000_000, flag.ExpiresAtUnixMs);
        Assert.Equal(1, flag.Schema);
    }

    [Fact]
    public async Task Poller_refuses_invalid_options_and_agent_names()
    {
        Assert.Throws<ArgumentException>(() => new FlagPoller(_redis, "a", new FlagPollerOptions { KeyPrefix = "nocolon" }));
        Assert.Throws<ArgumentException>(() => new FlagPoller(_redis, "a", new FlagPollerOptions { PollInterval = TimeSpan.Zero }));
        Assert.Throws<ArgumentException>(() => new FlagPoller(_redis, "bad\nname"));
        await using var poller = new FlagPoller(_redis, "a");
        await poller.StartAsync(CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => poller.StartAsync(CancellationToken.None));
    }
}

/// <summary>Fail static, then open: each test owns its redis-server, so it can stop it.</summary>
public sealed class FlagPollerOutageTests
{
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    [Fact]
    public async Task Unreachable_redis_keeps_the_last_flag_until_expires_at_then_primary()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var redis = await ConnectAsync(server.ConnectionString);
        var options = NewOptions(server.ConnectionString);
        using var store = new RedisFlagStore(redis, options);
        var time = new ManualTimeProvider(Start);
        await using var poller = new FlagPoller(redis, "a", new FlagPollerOptions { KeyPrefix = options.KeyPrefix, SubscribeToNotices = false }, time);
        await store.WriteAsync(Decision("a", 1, expiresAtUnixMs: time.NowUnixMs + 60_000), CancellationToken.None);
        Assert.True(await poller.PollOnceAsync(CancellationToken.None));
        var lastRead = poller.LastSuccessfulRead;

        await server.StopAsync();
        Assert.True(await EventuallyAsync(() => !redis.IsConnected, TimeSpan.FromSeconds(5)));
        time.Advance(TimeSpan.FromSeconds(59));

        Assert.False(await poller.PollOnceAsync(CancellationToken.None));
        Assert.False(poller.IsReachable);
        Assert.Equal(lastRead, poller.LastSuccessfulRead);
        Assert.Equal(FlagRoute.Fallback, poller.CurrentRoute()); // fail static

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await poller.PollOnceAsync(CancellationToken.None));
        Assert.Equal(FlagRoute.Primary, poller.CurrentRoute()); // then open
    }

    [Fact]
    public async Task Started_poller_recovers_after_a_redis_restart()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var redis = await ConnectAsync(server.ConnectionString);
        var options = NewOptions(server.ConnectionString);
        using var store = new RedisFlagStore(redis, options);
        await using var poller = new FlagPoller(redis, "a", new FlagPollerOptions { KeyPrefix = options.KeyPrefix, PollInterval = TimeSpan.FromMilliseconds(50) });
        await store.WriteAsync(Decision("a", 1), CancellationToken.None);
        await poller.StartAsync(CancellationToken.None);
        Assert.Equal(FlagRoute.Fallback, poller.CurrentRoute());

        await server.StopAsync();
        Assert.True(await EventuallyAsync(() => !poller.IsReachable, TimeSpan.FromSeconds(5)));
        Assert.Equal(FlagRoute.Fallback, poller.CurrentRoute());
        await server.RestartAsync();

        // The restarted server is empty (no key → primary) until AgentSentinel re-asserts the flag.
        Assert.True(await EventuallyAsync(() => poller.IsReachable && poller.CurrentRoute() == FlagRoute.Primary, TimeSpan.FromSeconds(10)));
        await store.WriteAsync(Decision("a", 1), CancellationToken.None);
        Assert.True(await EventuallyAsync(() => poller.CurrentRoute() == FlagRoute.Fallback, TimeSpan.FromSeconds(5)));
    }
}
