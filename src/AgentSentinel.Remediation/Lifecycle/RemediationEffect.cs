using AgentSentinel.Core.Remediation;
using AgentSentinel.Remediation.Policies;

namespace AgentSentinel.Remediation.Lifecycle;

/// <summary>
/// Something the <see cref="RemediationEngine"/> decided must happen outside it. The engine only decides; its host (the
/// remediation actor) carries effects out: writes with retries, messages to agents, observers and alerts.
/// </summary>
public abstract record RemediationEffect;

/// <summary>Write this decision to the flag store (retried until it applies; a newer decision for the agent supersedes it).</summary>
public sealed record WriteFlag(FlagDecision Decision) : RemediationEffect;

/// <summary>Audit a decision agents are not told about (dry run, or held by a safety limit).</summary>
public sealed record AuditOnly(FlagDecision Decision, FlagAuditOutcome Outcome) : RemediationEffect;

/// <summary>Tell the agent's actor to judge its probe traffic with the recovery test.</summary>
public sealed record StartProbe(string Agent, ProbeSpec Probe) : RemediationEffect;

/// <summary>Tell the agent's actor that remediation has an incident in force (<paramref name="Fallback"/>) or none (null):
/// it keeps its healthy reference sample frozen and leaves fallback-served traces out of detection while one is in force.
/// <paramref name="Reference"/>: after a restart, the reference sample saved with the incident
/// (<see cref="Recovery.ReferenceSample.ToSnapshot"/>), for an actor that lost its own.</summary>
public sealed record SetAgentMode(string Agent, string? Fallback, string? Reference = null) : RemediationEffect;

/// <summary>Tell observers (reports, alerting) about an incident step.</summary>
public sealed record NotifyIncident(IncidentUpdate Update) : RemediationEffect;

/// <summary>Store the kill switch (and audit it).</summary>
public sealed record WriteKillSwitch(KillSwitchState State) : RemediationEffect;

/// <summary>One probe of an incident, judged by the agent's actor.</summary>
/// <param name="Sequence">Identifies the probe within the agent (a verdict for an older probe is ignored).</param>
/// <param name="Incident">The incident id.</param>
/// <param name="Kind">The anomaly kind the recovery test checks.</param>
/// <param name="Fallback">The fallback in force (traces it served are not probe traffic).</param>
/// <param name="StartUnixNano">Probe traffic is traces that start at or after this event time…</param>
/// <param name="DeadlineUnixNano">…and before this one; at the deadline the test concludes.</param>
/// <param name="MinTraces">Probe traces needed before the test may pass.</param>
/// <param name="Recovery">The test's error rates and fault hypothesis.</param>
public sealed record ProbeSpec(
    int Sequence,
    string Incident,
    string Kind,
    string Fallback,
    long StartUnixNano,
    long DeadlineUnixNano,
    int MinTraces,
    RecoverySettings Recovery);
