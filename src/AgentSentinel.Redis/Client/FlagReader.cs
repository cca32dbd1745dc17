using AgentSentinel.Core.Remediation;

namespace AgentSentinel.Redis.Client;

/// <summary>Where one request goes: the primary path, or the named fallback. Never <see cref="FlagRoute.Probe"/>.</summary>
/// <param name="Route"><see cref="FlagRoute.Primary"/> or <see cref="FlagRoute.Fallback"/>.</param>
/// <param name="Fallback">The fallback to use when <paramref name="Route"/> is <see cref="FlagRoute.Fallback"/>, else null.</param>
public readonly record struct RouteTarget(FlagRoute Route, string? Fallback)
{
    /// <summary>The primary path.</summary>
    public static RouteTarget Primary { get; } = new(FlagRoute.Primary, null);

    public bool IsPrimary => Route == FlagRoute.Primary;
}

/// <summary>
/// The reader rules of flag contract v1, as pure functions (the reference every client library ports):
/// no flag, <c>route=primary</c>, or <c>expires_at</c> not in the future → primary; <c>route=fallback</c> → the fallback;
/// <c>route=probe</c> → <c>probe_ratio</c> of requests to primary, the rest to the fallback. A fallback or probe flag with
/// an empty fallback name cannot be followed and reads as primary; a probe flag without a valid ratio sends nothing to primary.
/// Fail static, then open, is the caller's part: keep the last flag read while Redis is unreachable and keep applying these rules.
/// </summary>
public static class FlagReader
{
    /// <summary>The route in force at <paramref name="nowUnixMs"/>.</summary>
    public static FlagRoute EffectiveRoute(FlagState? state, long nowUnixMs)
    {
        if (state is null || string.IsNullOrEmpty(state.Fallback))
        {
            return FlagRoute.Primary;
        }

        return state.EffectiveRoute(nowUnixMs);
    }

    /// <summary>
    /// Routes one request. <paramref name="sample"/> is uniform in [0, 1): under <c>route=probe</c> the request goes to
    /// primary when <c>sample &lt; probe_ratio</c>.
    /// </summary>
    public static RouteTarget Choose(FlagState? state, long nowUnixMs, double sample)
    {
        switch (EffectiveRoute(state, nowUnixMs))
        {
            case FlagRoute.Fallback:
                return new RouteTarget(FlagRoute.Fallback, state!.Fallback);
            case FlagRoute.Probe:
                var ratio = state!.ProbeRatio is { } r && double.IsFinite(r) ? Math.Clamp(r, 0.0, 1.0) : 0.0;
                return sample < ratio ? RouteTarget.Primary : new RouteTarget(FlagRoute.Fallback, state.Fallback);
            default:
                return RouteTarget.Primary;
        }
    }
}
