namespace AgentSentinel.Core.Remediation;

/// <summary>What happened to an incident.</summary>
public enum IncidentChange
{
    /// <summary>The incident opened.</summary>
    Opened,
    /// <summary>Its phase, remediation or acknowledgement changed.</summary>
    Changed,
    /// <summary>A probe passed the recovery test: the agent is back on primary.</summary>
    Recovered,
    /// <summary>It ended otherwise: cleared by an operator, released by the kill switch, or quiet (alert-only incidents).</summary>
    Resolved,
}

/// <summary>
/// One step in an incident's life, stamped in event time: what observers, reports and alerting see. Numbers and names
/// only: never span content.
/// </summary>
/// <param name="Incident">The incident id.</param>
/// <param name="Agent">The agent.</param>
/// <param name="Kind">The anomaly kind that opened it.</param>
/// <param name="Severity"><c>warning</c> or <c>critical</c>.</param>
/// <param name="Phase"><c>fallback</c>, <c>probe</c>, <c>primary</c> (recovered or resolved), <c>alert_only</c>, <c>suppressed</c>, <c>pinned</c>.</param>
/// <param name="Change">What happened.</param>
/// <param name="Cause">Why: <c>opened</c>, <c>probe_started</c>, <c>probe_failed</c>, <c>recovered</c>, <c>cleared</c>, <c>kill_switch</c>, <c>quiet</c>, <c>acknowledged</c>, <c>pinned</c>, <c>unpinned</c>, <c>restored</c>.</param>
/// <param name="Fallback">The fallback in force (null when none).</param>
/// <param name="Policy">The policy that decided.</param>
/// <param name="Detail">What moved and by how much (the anomaly's explanation), or the recovery test's summary.</param>
/// <param name="TraceIds">Exemplar trace ids.</param>
/// <param name="OpenedAtUnixNano">Event time the incident opened.</param>
/// <param name="AtUnixNano">Event time of this step.</param>
/// <param name="Acknowledged">Acknowledged by an operator.</param>
/// <param name="Trips">Times the agent was sent (back) to fallback in this incident.</param>
/// <param name="Limit">The safety limit that held the remediation (<c>blast_radius</c>, <c>flip_rate</c>, <c>kill_switch</c>), if any.</param>
/// <param name="DryRun">Decided in dry run: no flag was written.</param>
public sealed record IncidentUpdate(
    string Incident,
    string Agent,
    string Kind,
    string Severity,
    string Phase,
    IncidentChange Change,
    string Cause,
    string? Fallback,
    string? Policy,
    string Detail,
    IReadOnlyList<string> TraceIds,
    long OpenedAtUnixNano,
    long AtUnixNano,
    bool Acknowledged,
    int Trips,
    string? Limit,
    bool DryRun)
{
    /// <summary>Event-time seconds from opening to this step.</summary>
    public double SecondsOpen => (AtUnixNano - OpenedAtUnixNano) / 1e9;
}
