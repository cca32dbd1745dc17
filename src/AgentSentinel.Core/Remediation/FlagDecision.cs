namespace AgentSentinel.Core.Remediation;

/// <summary>The route an agent takes, as published in <c>agentsentinel:flag:{agent}</c> (flag contract v1).</summary>
public enum FlagRoute
{
    Primary,
    Fallback,
    Probe,
}

public static class FlagRouteNames
{
    public static string ToWireName(this FlagRoute route) => route switch
    {
        FlagRoute.Fallback => "fallback",
        FlagRoute.Probe => "probe",
        _ => "primary",
    };

    public static bool TryParse(string? value, out FlagRoute route)
    {
        route = value switch
        {
            "primary" => FlagRoute.Primary,
            "fallback" => FlagRoute.Fallback,
            "probe" => FlagRoute.Probe,
            _ => (FlagRoute)(-1),
        };
        return (int)route >= 0;
    }
}

/// <summary>
/// One decision about an agent's route: exactly the fields of the flag contract v1.
/// <see cref="Version"/> only grows; a store applies a decision only if it is newer than what it holds.
/// </summary>
public sealed record FlagDecision
{
    public required string Agent { get; init; }
    public required FlagRoute Route { get; init; }
    public required string Fallback { get; init; }
    public double? ProbeRatio { get; init; }
    /// <summary>The anomaly kind that caused the decision.</summary>
    public required string Reason { get; init; }
    /// <summary>One short line: what moved and by how much. Never span content.</summary>
    public required string Detail { get; init; }
    /// <summary>Up to five exemplar trace ids, lower-case hex.</summary>
    public IReadOnlyList<string> TraceIds { get; init; } = [];
    public required string Incident { get; init; }
    public required long Version { get; init; }
    public required long UpdatedAtUnixMs { get; init; }
    public required long ExpiresAtUnixMs { get; init; }
    /// <summary>Who decided (for the audit stream): <c>agentsentinel</c>, or <c>operator:{name}</c>.</summary>
    public string Actor { get; init; } = "agentsentinel";

    /// <summary>For the audit stream only: the lifecycle step this write makes (<c>opened</c>, <c>probe_started</c>,
    /// <c>probe_failed</c>, <c>recovered</c>, <c>renewed</c>, <c>reasserted</c>, <c>pinned</c>, <c>cleared</c>, <c>kill_switch</c>…).</summary>
    public string Transition { get; init; } = "decided";

    /// <summary>For the audit stream only: the policy that decided, and the fingerprint of the policy file.</summary>
    public string Policy { get; init; } = string.Empty;

    /// <summary>
    /// AgentSentinel's own remediation state for the agent (opaque JSON), stored with the flag in the same atomic write so
    /// that a restart resumes the incident where it was; null removes it (the agent is back to primary and forgotten).
    /// Never shown to agents.
    /// </summary>
    public string? State { get; init; }
}

/// <summary>The global kill switch as stored: while engaged, no automated flag is written.</summary>
public sealed record KillSwitchState(bool Engaged, string Actor, string Note, long UpdatedAtUnixMs);

/// <summary>What the store holds for remediation to resume after a restart.</summary>
/// <param name="States">Per agent, the last <see cref="FlagDecision.State"/> written with an applied flag.</param>
/// <param name="KillSwitch">The kill switch, if it was ever set.</param>
/// <param name="MaxVersion">The highest flag version ever applied under the prefix: a restarted writer's versions must exceed it,
/// whatever its clock says, or its writes would be stale no-ops.</param>
public sealed record StoredRemediation(IReadOnlyDictionary<string, string> States, KillSwitchState? KillSwitch, long MaxVersion = 0);

/// <summary>A flag as read back from the store.</summary>
public sealed record FlagState(
    string Agent,
    FlagRoute Route,
    string Fallback,
    double? ProbeRatio,
    string Reason,
    string Detail,
    IReadOnlyList<string> TraceIds,
    string Incident,
    long Version,
    long UpdatedAtUnixMs,
    long ExpiresAtUnixMs,
    int Schema)
{
    /// <summary>The route a reader must take at <paramref name="nowUnixMs"/>: an expired flag means primary.</summary>
    public FlagRoute EffectiveRoute(long nowUnixMs) => nowUnixMs >= ExpiresAtUnixMs ? FlagRoute.Primary : Route;
}

public enum FlagWriteOutcome
{
    /// <summary>The decision was stored, published and audited.</summary>
    Applied,
    /// <summary>The store already held this or a newer version: nothing changed.</summary>
    Stale,
}

/// <summary>The flag store agents poll (Redis in production). Implementations are thread-safe.</summary>
public interface IFlagStore
{
    /// <summary>Writes atomically: version check, hash, pub/sub notice and audit entry, or nothing.</summary>
    Task<FlagWriteOutcome> WriteAsync(FlagDecision decision, CancellationToken cancellationToken);

    Task<FlagState?> ReadAsync(string agent, CancellationToken cancellationToken);

    /// <summary>Appends an audit entry for a decision agents are not told about (dry run, suppressed by a safety limit).</summary>
    Task AppendAuditAsync(FlagDecision decision, FlagAuditOutcome outcome, CancellationToken cancellationToken);

    /// <summary>The remediation states and kill switch saved by earlier runs (for resuming after a restart).</summary>
    Task<StoredRemediation> LoadRemediationAsync(CancellationToken cancellationToken);

    /// <summary>Stores the kill switch and audits the change.</summary>
    Task WriteKillSwitchAsync(KillSwitchState state, CancellationToken cancellationToken);
}
