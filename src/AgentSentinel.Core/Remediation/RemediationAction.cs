namespace AgentSentinel.Core.Remediation;

/// <summary>A route change decided by remediation, stamped in event time (as it appears in reports).</summary>
/// <param name="Agent">The agent.</param>
/// <param name="Route">The new route.</param>
/// <param name="Fallback">The fallback named by policy.</param>
/// <param name="AtUnixNano">Event time of the decision.</param>
/// <param name="Incident">Incident id; every action of one incident shares it.</param>
/// <param name="Reason">The anomaly kind, or <c>ttl_expired</c> on the way back.</param>
public sealed record RemediationAction(string Agent, FlagRoute Route, string Fallback, long AtUnixNano, string Incident, string Reason);
