using AgentSentinel.Core.Remediation;

namespace AgentSentinel.Remediation.Admin;

/// <summary>
/// Manual operations on remediation, for the CLI and the admin HTTP API. Every operation is audited with the operator's
/// name and note. Implemented by the running pipeline (the remediation actor is the single writer of flags).
/// </summary>
public interface IRemediationAdmin
{
    /// <summary>Every agent remediation knows about: in an incident, pinned, or recently recovered; ordered by agent.</summary>
    Task<RemediationOverview> ListAsync(CancellationToken cancellationToken);

    /// <summary>Holds an agent on a route (and fallback) until unpinned: automation no longer changes its flag.</summary>
    Task<AdminResult> PinAsync(PinRequest request, CancellationToken cancellationToken);

    /// <summary>Returns a pinned agent to automation (its flag goes back to what the lifecycle decides).</summary>
    Task<AdminResult> UnpinAsync(string agent, OperatorNote note, CancellationToken cancellationToken);

    /// <summary>Marks the agent's open incident as acknowledged (shown in alerts; the lifecycle goes on).</summary>
    Task<AdminResult> AcknowledgeAsync(string agent, OperatorNote note, CancellationToken cancellationToken);

    /// <summary>Ends the agent's incident now: route primary, backoff reset, alert resolved.</summary>
    Task<AdminResult> ClearAsync(string agent, OperatorNote note, CancellationToken cancellationToken);

    /// <summary>Engages or releases the global kill switch (engaged: every automated flag returns to primary and no new one is written).</summary>
    Task<AdminResult> SetKillSwitchAsync(bool engaged, OperatorNote note, CancellationToken cancellationToken);
}

/// <summary>Who did it and why (goes to the audit stream; never span content).</summary>
/// <param name="Operator">The authenticated operator's name.</param>
/// <param name="Note">Free text from the operator, at most 200 characters.</param>
public sealed record OperatorNote(string Operator, string? Note = null);

/// <summary>Pin <paramref name="Agent"/> to <paramref name="Route"/>; <paramref name="Fallback"/> is required unless the route is primary.</summary>
public sealed record PinRequest(string Agent, FlagRoute Route, string? Fallback, double? ProbeRatio, OperatorNote Note);

/// <summary>The outcome of a manual operation.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Message">One line for the operator.</param>
public sealed record AdminResult(AdminStatus Status, string Message);

public enum AdminStatus
{
    /// <summary>Done: decided, and its flags written to the store (audited only in dry run).</summary>
    Done,
    /// <summary>
    /// Decided and in force in AgentSentinel, but the store has not confirmed the flag write yet (it failed or is slow):
    /// the write is retried until it applies, as for automated decisions.
    /// </summary>
    Pending,
    /// <summary>Nothing to do (e.g. clearing an agent that has no incident).</summary>
    Unchanged,
    /// <summary>The agent is unknown to remediation.</summary>
    NotFound,
    /// <summary>The request is invalid (bad agent name, missing fallback…).</summary>
    Invalid,
}

/// <summary>The answer to <see cref="IRemediationAdmin.ListAsync"/>.</summary>
public sealed record RemediationOverview(bool KillSwitch, bool DryRun, int AgentsKnown, int AgentsInFallback, IReadOnlyList<AgentRemediationView> Agents);

/// <summary>One agent as remediation sees it.</summary>
/// <param name="Agent">The agent.</param>
/// <param name="State">Lifecycle state: <c>primary</c>, <c>fallback</c>, <c>probe</c>.</param>
/// <param name="Route">The route in the flag now (differs from the state while pinned).</param>
/// <param name="Fallback">The fallback in force, if any.</param>
/// <param name="Incident">The open incident id, if any.</param>
/// <param name="Kind">The anomaly kind that opened it.</param>
/// <param name="Policy">The policy that decided.</param>
/// <param name="Pinned">Held by an operator.</param>
/// <param name="Acknowledged">Acknowledged by an operator.</param>
/// <param name="Trips">How many times the incident went (back) to fallback.</param>
/// <param name="NextChangeUnixMs">Event time (ms) of the next scheduled transition (probe or return), if any.</param>
/// <param name="FlagApplied">Whether the store holds the latest decision.</param>
/// <param name="Detail">What moved and by how much.</param>
public sealed record AgentRemediationView(
    string Agent,
    string State,
    string Route,
    string? Fallback,
    string? Incident,
    string? Kind,
    string? Policy,
    bool Pinned,
    bool Acknowledged,
    int Trips,
    long? NextChangeUnixMs,
    bool FlagApplied,
    string? Detail);
