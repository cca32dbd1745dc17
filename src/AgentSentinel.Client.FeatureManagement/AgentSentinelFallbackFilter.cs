using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.FeatureManagement;

namespace AgentSentinel.Client.FeatureManagement;

/// <summary>
/// The feature filter <c>AgentSentinel.Fallback</c>: enabled when the flag of the agent named by its <c>Agent</c> parameter
/// sends this request to the fallback path (<c>route=fallback</c>, or the fallback share of a probe, drawn per evaluation
/// with <c>probe_ratio</c>). Disabled on the primary path: no flag, <c>route=primary</c>, an expired flag, or Redis
/// unreachable past the last flag's <c>expires_at</c>. By default it also tags <see cref="Activity.Current"/> with
/// <see cref="AgentSentinelRoute.AttributeName"/>.
/// </summary>
/// <example>
/// <code>
/// "FeatureManagement": {
///   "UseFallbackModel": { "EnabledFor": [ { "Name": "AgentSentinel.Fallback", "Parameters": { "Agent": "billing-agent" } } ] }
/// }
/// </code>
/// </example>
[FilterAlias(Alias)]
public sealed class AgentSentinelFallbackFilter : IFeatureFilter, IFilterParametersBinder
{
    /// <summary>The name to use in configuration.</summary>
    public const string Alias = "AgentSentinel.Fallback";

    /// <summary>The parameter naming the agent whose flag is read.</summary>
    public const string AgentParameter = "Agent";

    private readonly AgentFlags _flags;
    private readonly AgentSentinelFeatureOptions _options;

    /// <summary>Created by the feature manager (see <see cref="AgentSentinelFeatureManagementExtensions.AddAgentSentinelFlags(IFeatureManagementBuilder, StackExchange.Redis.IConnectionMultiplexer, Action{AgentSentinelFeatureOptions}?)"/>).</summary>
    public AgentSentinelFallbackFilter(AgentFlags flags, AgentSentinelFeatureOptions options)
    {
        ArgumentNullException.ThrowIfNull(flags);
        ArgumentNullException.ThrowIfNull(options);
        _flags = flags;
        _options = options;
    }

    /// <summary>Binds the filter's parameters once per feature definition (the feature manager caches the result).</summary>
    public object BindParameters(IConfiguration parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new AgentSentinelFallbackFilterSettings(parameters[AgentParameter]);
    }

    /// <summary>Whether this request takes the fallback path.</summary>
    /// <exception cref="InvalidOperationException">The filter's <c>Agent</c> parameter is missing or not a valid agent name.</exception>
    public async Task<bool> EvaluateAsync(FeatureFilterEvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings as AgentSentinelFallbackFilterSettings
            ?? (AgentSentinelFallbackFilterSettings)BindParameters(context.Parameters);
        var agent = settings.Agent;
        if (agent is null || !FlagContract.IsValidAgent(agent))
        {
            throw new InvalidOperationException(
                $"FeatureManagement:{context.FeatureName}: the '{Alias}' filter needs Parameters:{AgentParameter}, a non-empty agent name without control characters.");
        }

        var selector = await _flags.GetSelectorAsync(agent, context.CancellationToken).ConfigureAwait(false);
        var decision = selector.Decide();
        if (_options.TagCurrentActivity)
        {
            decision.Tag(Activity.Current);
        }

        return decision.IsFallback;
    }
}

/// <summary>The bound parameters of <see cref="AgentSentinelFallbackFilter"/>.</summary>
/// <param name="Agent">The agent whose flag is read (<c>Parameters:Agent</c>).</param>
public sealed record AgentSentinelFallbackFilterSettings(string? Agent);
