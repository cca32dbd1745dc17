using System.Globalization;
using AgentSentinel.Core.Remediation;

namespace AgentSentinel.Client;

/// <summary>What a read of an agent's flag hash found.</summary>
public enum FlagReadStatus
{
    /// <summary>No key: the agent uses its primary path.</summary>
    Absent,

    /// <summary>A flag this reader can follow (an unknown <c>route</c> reads as primary and is reported in the problem).</summary>
    Valid,

    /// <summary>A required number (<c>version</c>, <c>updated_at</c>, <c>expires_at</c>, <c>probe_ratio</c>) is missing or
    /// malformed: the flag is ignored and the agent uses its primary path.</summary>
    Malformed,

    /// <summary><c>schema</c> is not <see cref="FlagContract.SchemaVersion"/>: this reader cannot follow it, so primary.</summary>
    UnsupportedSchema,
}

/// <summary>The result of parsing a flag hash.</summary>
/// <param name="Status">What was found.</param>
/// <param name="State">The flag to follow; null unless <paramref name="Status"/> is <see cref="FlagReadStatus.Valid"/>.</param>
/// <param name="Problem">Why the flag was ignored or read as primary (names the field, never its value); null when none.</param>
public readonly record struct FlagRead(FlagReadStatus Status, FlagState? State, string? Problem);

/// <summary>
/// The reader rules of flag contract v1, as pure functions (the reference the Python and TypeScript clients port):
/// no flag, <c>route=primary</c>, or <c>expires_at</c> not in the future → primary; <c>route=fallback</c> → the fallback;
/// <c>route=probe</c> → <c>probe_ratio</c> of requests to primary, the rest to the fallback. A fallback or probe flag with
/// an empty fallback name cannot be followed and reads as primary. Parsing is strict: an unknown route reads as primary,
/// a missing or malformed number makes the whole flag ignored (primary), and a schema other than 1 reads as primary.
/// Fail static, then open, is the poller's part: keep the last flag read while Redis is unreachable and keep applying these rules.
/// </summary>
public static class FlagReader
{
    /// <summary>Parses the fields of <c>HGETALL {prefix}flag:{agent}</c> (an empty map: no key).</summary>
    public static FlagRead Parse(string agent, IReadOnlyDictionary<string, string> fields)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(fields);
        if (fields.Count == 0)
        {
            return new FlagRead(FlagReadStatus.Absent, null, null);
        }

        string Text(string name) => fields.TryGetValue(name, out var value) ? value : string.Empty;

        if (!int.TryParse(Text(FlagContract.Schema), NumberStyles.None, CultureInfo.InvariantCulture, out var schema)
            || schema != FlagContract.SchemaVersion)
        {
            return new FlagRead(FlagReadStatus.UnsupportedSchema, null, $"field '{FlagContract.Schema}' is not {FlagContract.SchemaVersion}");
        }

        if (!TryLong(Text(FlagContract.Version), out var version))
        {
            return Malformed(FlagContract.Version);
        }

        if (!TryLong(Text(FlagContract.UpdatedAt), out var updatedAt))
        {
            return Malformed(FlagContract.UpdatedAt);
        }

        if (!TryLong(Text(FlagContract.ExpiresAt), out var expiresAt))
        {
            return Malformed(FlagContract.ExpiresAt);
        }

        string? problem = null;
        if (!FlagRouteNames.TryParse(Text(FlagContract.Route), out var route))
        {
            route = FlagRoute.Primary;
            problem = $"field '{FlagContract.Route}' is not primary, fallback or probe; read as primary";
        }

        double? ratio = null;
        var ratioText = Text(FlagContract.ProbeRatio);
        if (ratioText.Length > 0)
        {
            if (!double.TryParse(ratioText, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) || r is not (>= 0.0 and <= 1.0))
            {
                return Malformed(FlagContract.ProbeRatio);
            }

            ratio = r;
        }
        else if (route == FlagRoute.Probe)
        {
            return Malformed(FlagContract.ProbeRatio);
        }

        var traceIds = Text(FlagContract.TraceIds).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var state = new FlagState(
            agent,
            route,
            Text(FlagContract.Fallback),
            ratio,
            Text(FlagContract.Reason),
            Text(FlagContract.Detail),
            traceIds,
            Text(FlagContract.Incident),
            version,
            updatedAt,
            expiresAt,
            schema);
        return new FlagRead(FlagReadStatus.Valid, state, problem);

        static FlagRead Malformed(string field) =>
            new(FlagReadStatus.Malformed, null, $"field '{field}' is missing or not a valid number; flag ignored");
    }

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
    /// primary when <c>sample &lt; probe_ratio</c>. A probe flag without a usable ratio sends nothing to primary.
    /// </summary>
    public static RouteDecision Choose(FlagState? state, long nowUnixMs, double sample)
    {
        switch (EffectiveRoute(state, nowUnixMs))
        {
            case FlagRoute.Fallback:
                return new RouteDecision(FlagRoute.Fallback, state!.Fallback);
            case FlagRoute.Probe:
                var ratio = state!.ProbeRatio is { } r && double.IsFinite(r) ? Math.Clamp(r, 0.0, 1.0) : 0.0;
                return sample < ratio
                    ? new RouteDecision(FlagRoute.Primary, null, Probing: true)
                    : new RouteDecision(FlagRoute.Fallback, state.Fallback, Probing: true);
            default:
                return RouteDecision.Primary;
        }
    }

    private static bool TryLong(string text, out long value) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
