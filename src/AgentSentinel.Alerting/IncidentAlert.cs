using AgentSentinel.Core.Anomalies;

namespace AgentSentinel.Alerting;

/// <summary>
/// What the remediation actor knows about one incident, pushed to Alertmanager by <see cref="AlertmanagerNotifier"/>.
/// Only names and numbers: never span content.
/// </summary>
/// <param name="Incident">The incident id (stable for the incident's life; the notifier's key).</param>
/// <param name="Agent">The agent's name. Untrusted: the notifier caps and cleans it before it becomes a label.</param>
/// <param name="Kind">One of <see cref="AnomalyKinds"/>; anything else is sent as <c>other</c>.</param>
/// <param name="Severity">Sent as the <c>severity</c> label (<c>warning</c> or <c>critical</c>).</param>
/// <param name="State">The incident's state: <c>fallback</c>, <c>probe</c>, <c>primary</c>, <c>alert_only</c> or <c>pinned</c>.</param>
/// <param name="Remediation">The remediation in force, e.g. <c>route=fallback fallback=gpt-4o-mini (policy prod-token-burn)</c>.</param>
/// <param name="Summary">What moved and by how much (<see cref="AnomalyExplanation.Summary"/>).</param>
/// <param name="TraceIds">Exemplar trace ids (lower-case hex).</param>
/// <param name="StartsAt">When the incident opened; stays the same on every re-send.</param>
/// <param name="Acknowledged">Whether an operator acknowledged the incident.</param>
/// <param name="Policy">The policy that decided the remediation, if any.</param>
public sealed record IncidentAlert(
    string Incident,
    string Agent,
    string Kind,
    AnomalySeverity Severity,
    string State,
    string Remediation,
    string Summary,
    IReadOnlyList<string> TraceIds,
    DateTimeOffset StartsAt,
    bool Acknowledged,
    string? Policy);
