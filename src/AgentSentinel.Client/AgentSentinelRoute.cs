using System.Diagnostics;
using AgentSentinel.Core.Remediation;

namespace AgentSentinel.Client;

/// <summary>
/// The span attribute by which AgentSentinel tells an agent's fallback traffic from its primary traffic (including the
/// probe requests sent to primary while a probe is in force, which are tagged <see cref="Primary"/>).
/// </summary>
public static class AgentSentinelRoute
{
    /// <summary>The attribute name, set on the agent's request (root or LLM) span.</summary>
    public const string AttributeName = "agentsentinel.route";

    /// <summary>The request took the primary path.</summary>
    public const string Primary = "primary";

    /// <summary>The request took the fallback path.</summary>
    public const string Fallback = "fallback";
}

/// <summary>Where one request goes: the primary path or the named fallback, decided from the flag in force.</summary>
/// <param name="Route"><see cref="FlagRoute.Primary"/> or <see cref="FlagRoute.Fallback"/>; never Probe.</param>
/// <param name="Fallback">The fallback to use when <paramref name="Route"/> is Fallback, else null.</param>
/// <param name="Probing">Whether a probe flag was in force (the request is then one of the probe's primary or fallback share).</param>
public readonly record struct RouteDecision(FlagRoute Route, string? Fallback, bool Probing = false)
{
    /// <summary>The primary path, with no probe in force.</summary>
    public static RouteDecision Primary { get; } = new(FlagRoute.Primary, null);

    /// <summary>Whether the request goes to the primary path.</summary>
    public bool IsPrimary => Route == FlagRoute.Primary;

    /// <summary>Whether the request goes to <see cref="Fallback"/>.</summary>
    public bool IsFallback => Route == FlagRoute.Fallback;

    /// <summary>The value of <see cref="AgentSentinelRoute.AttributeName"/>: <c>primary</c> or <c>fallback</c>.</summary>
    public string AttributeValue => IsPrimary ? AgentSentinelRoute.Primary : AgentSentinelRoute.Fallback;

    /// <summary>Sets <see cref="AgentSentinelRoute.AttributeName"/> on <paramref name="activity"/> (no-op when null).</summary>
    public void Tag(Activity? activity) => activity?.SetTag(AgentSentinelRoute.AttributeName, AttributeValue);
}
