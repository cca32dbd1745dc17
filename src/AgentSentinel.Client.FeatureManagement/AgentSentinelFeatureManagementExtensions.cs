using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.FeatureManagement;
using StackExchange.Redis;

namespace AgentSentinel.Client.FeatureManagement;

/// <summary>How the <see cref="AgentSentinelFallbackFilter"/> reads flags.</summary>
public sealed class AgentSentinelFeatureOptions
{
    /// <summary>Key prefix, poll interval and notices of the per-agent pollers.</summary>
    public FlagPollerOptions Poller { get; set; } = new();

    /// <summary>Tag <see cref="System.Diagnostics.Activity.Current"/> with <c>agentsentinel.route</c> on every evaluation.</summary>
    public bool TagCurrentActivity { get; set; } = true;

    /// <summary>The probe draw; null uses <see cref="Random.Shared"/> (inject a seeded one in tests).</summary>
    public Random? Random { get; set; }
}

/// <summary>Registration of the AgentSentinel feature filter.</summary>
public static class AgentSentinelFeatureManagementExtensions
{
    /// <summary>
    /// Registers <see cref="AgentSentinelFallbackFilter"/> (<c>AgentSentinel.Fallback</c>) and a singleton
    /// <see cref="AgentFlags"/> reading flags over <paramref name="redis"/> (shared, not owned), which the application can
    /// also inject to learn the fallback's name (<c>(await flags.GetSelectorAsync(agent, ct)).Poller.LastKnown?.Fallback</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The poller options are invalid (thrown when the filter is first resolved).</exception>
    public static IFeatureManagementBuilder AddAgentSentinelFlags(
        this IFeatureManagementBuilder builder,
        IConnectionMultiplexer redis,
        Action<AgentSentinelFeatureOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        return builder.AddAgentSentinelFlags(_ => redis, configure);
    }

    /// <summary>As <see cref="AddAgentSentinelFlags(IFeatureManagementBuilder, IConnectionMultiplexer, Action{AgentSentinelFeatureOptions}?)"/>,
    /// with the multiplexer taken from the container.</summary>
    public static IFeatureManagementBuilder AddAgentSentinelFlags(
        this IFeatureManagementBuilder builder,
        Func<IServiceProvider, IConnectionMultiplexer> redis,
        Action<AgentSentinelFeatureOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(redis);
        var options = new AgentSentinelFeatureOptions();
        configure?.Invoke(options);
        var errors = options.Poller.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(configure));
        }

        builder.Services.TryAddSingleton(options);
        builder.Services.TryAddSingleton(sp => new AgentFlags(
            redis(sp),
            options.Poller,
            sp.GetService<TimeProvider>(),
            sp.GetService<ILoggerFactory>(),
            options.Random));
        return builder.AddFeatureFilter<AgentSentinelFallbackFilter>();
    }
}
