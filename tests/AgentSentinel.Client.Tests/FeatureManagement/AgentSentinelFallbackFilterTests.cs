using AgentSentinel.Tests.Shared.Redis;
using System.Diagnostics;
using AgentSentinel.Client.FeatureManagement;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Redis.Flags;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.FeatureManagement;
using static AgentSentinel.Tests.Shared.Redis.TestRedis;

namespace AgentSentinel.Client.Tests.FeatureManagement;

/// <summary>The filter through a real <see cref="FeatureManager"/> built from configuration, on flags in a real redis-server.</summary>
public sealed class AgentSentinelFallbackFilterTests(RedisServerFixture fixture) : IClassFixture<RedisServerFixture>
{
    private const string Feature = "UseFallbackModel";

    private (ServiceProvider Services, RedisFlagStore Store) Build(string? agent, Random? random = null, TimeProvider? time = null)
    {
        var settings = new Dictionary<string, string?>
        {
            [$"FeatureManagement:{Feature}:EnabledFor:0:Name"] = AgentSentinelFallbackFilter.Alias,
            ["FeatureManagement:AlwaysOn"] = "true",
        };
        if (agent is not null)
        {
            settings[$"FeatureManagement:{Feature}:EnabledFor:0:Parameters:Agent"] = agent;
        }

        var options = fixture.NewOptions();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddFeatureManagement().AddAgentSentinelFlags(fixture.Redis, o =>
        {
            o.Poller = new FlagPollerOptions { KeyPrefix = options.KeyPrefix, PollInterval = TimeSpan.FromMinutes(5) };
            o.Random = random;
        });
        return (services.BuildServiceProvider(), new RedisFlagStore(fixture.Redis, options));
    }

    [Fact]
    public async Task The_feature_is_off_without_a_flag_and_on_under_a_fallback_flag()
    {
        var (services, store) = Build("billing-agent");
        await using var _ = services;
        using var __ = store;
        var features = services.GetRequiredService<IFeatureManager>();

        Assert.False(await features.IsEnabledAsync(Feature));
        Assert.True(await features.IsEnabledAsync("AlwaysOn"));

        await store.WriteAsync(Decision("billing-agent", 1, fallback: "safe-model"), CancellationToken.None);
        Assert.True(await EventuallyAsync(() => features.IsEnabledAsync(Feature).GetAwaiter().GetResult(), TimeSpan.FromSeconds(5)));

        var flags = services.GetRequiredService<AgentFlags>();
        Assert.Equal("safe-model", (await flags.GetSelectorAsync("billing-agent", CancellationToken.None)).Poller.LastKnown?.Fallback);
    }

    [Fact]
    public async Task Another_agents_flag_does_not_turn_the_feature_on()
    {
        var (services, store) = Build("billing-agent");
        await using var _ = services;
        using var __ = store;
        await store.WriteAsync(Decision("search-agent", 1), CancellationToken.None);

        Assert.False(await services.GetRequiredService<IFeatureManager>().IsEnabledAsync(Feature));
    }

    [Fact]
    public async Task An_expired_flag_turns_the_feature_off()
    {
        var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        var (services, store) = Build("billing-agent", time: time);
        await using var _ = services;
        using var __ = store;
        await store.WriteAsync(Decision("billing-agent", 1, expiresAtUnixMs: time.NowUnixMs + 30_000), CancellationToken.None);
        var features = services.GetRequiredService<IFeatureManager>();

        Assert.True(await features.IsEnabledAsync(Feature));
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.False(await features.IsEnabledAsync(Feature));
    }

    [Fact]
    public async Task Under_a_probe_the_feature_is_on_for_the_fallback_share_only()
    {
        var (services, store) = Build("billing-agent", new Random(11));
        await using var _ = services;
        using var __ = store;
        await store.WriteAsync(Decision("billing-agent", 1, FlagRoute.Probe, probeRatio: 0.25), CancellationToken.None);
        var features = services.GetRequiredService<IFeatureManager>();

        var on = 0;
        for (var i = 0; i < 4_000; i++)
        {
            on += await features.IsEnabledAsync(Feature) ? 1 : 0;
        }

        Assert.InRange(on, 2_800, 3_200); // 75% of requests stay on the fallback
    }

    [Fact]
    public async Task Evaluation_tags_the_current_activity_with_the_route()
    {
        var (services, store) = Build("billing-agent");
        await using var _ = services;
        using var __ = store;
        var features = services.GetRequiredService<IFeatureManager>();

        using (var primary = new Activity("request").Start())
        {
            Assert.False(await features.IsEnabledAsync(Feature));
            Assert.Equal("primary", primary.GetTagItem(AgentSentinelRoute.AttributeName));
        }

        await store.WriteAsync(Decision("billing-agent", 1), CancellationToken.None);
        var flags = services.GetRequiredService<AgentFlags>();
        Assert.True(await (await flags.GetSelectorAsync("billing-agent", CancellationToken.None)).Poller.PollOnceAsync(CancellationToken.None));
        using var fallback = new Activity("request").Start();
        Assert.True(await features.IsEnabledAsync(Feature));
        Assert.Equal("fallback", fallback.GetTagItem(AgentSentinelRoute.AttributeName));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public async Task A_filter_without_an_agent_fails_naming_the_key(string? agent)
    {
        var (services, store) = Build(agent);
        await using var _ = services;
        using var __ = store;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => services.GetRequiredService<IFeatureManager>().IsEnabledAsync(Feature));

        Assert.Contains($"FeatureManagement:{Feature}", error.Message, StringComparison.Ordinal);
        Assert.Contains("Parameters:Agent", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_poller_options_are_refused_at_registration() =>
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddFeatureManagement()
            .AddAgentSentinelFlags(fixture.Redis, o => o.Poller = new FlagPollerOptions { PollInterval = TimeSpan.Zero }));
}
