using System.Collections.Concurrent;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Remediation.Admin;

namespace AgentSentinel.Cli.Tests.Admin;

/// <summary>
/// A small in-memory <see cref="IRemediationAdmin"/> that records every call and keeps just enough state to answer each
/// status honestly: unknown agents are not found, repeating an operation is unchanged, a name with '!' is invalid.
/// (The real actor-backed implementation has its own end-to-end tests.)
/// </summary>
internal sealed class RecordingRemediationAdmin : IRemediationAdmin
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, AgentRemediationView> _agents = new(StringComparer.Ordinal);

    public ConcurrentQueue<(string Operation, string? Agent, object Request)> Calls { get; } = new();

    public bool KillSwitch { get; private set; }

    /// <summary>When set, every call throws it (remediation not answering).</summary>
    public Exception? Failure { get; set; }

    public void Add(string agent, string state = "fallback", string? incident = "inc-000000000001") =>
        _agents[agent] = new AgentRemediationView(
            agent, state, state, state == "primary" ? null : "safe-model", incident, incident is null ? null : "token_spike", "default",
            Pinned: false, Acknowledged: false, Trips: 1, NextChangeUnixMs: 1_767_225_600_000, FlagApplied: true,
            Detail: incident is null ? null : "tokens_per_llm_call 23183 vs baseline 2732");

    public AgentRemediationView Agent(string agent)
    {
        lock (_gate)
        {
            return _agents[agent];
        }
    }

    public Task<RemediationOverview> ListAsync(CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        lock (_gate)
        {
            var views = _agents.Values.ToList();
            return Task.FromResult(new RemediationOverview(KillSwitch, DryRun: false, views.Count, views.Count(v => v.Route != "primary"), views));
        }
    }

    public Task<AdminResult> PinAsync(PinRequest request, CancellationToken cancellationToken) =>
        Change("pin", request.Agent, request, view =>
            view.Pinned && view.Route == request.Route.ToWireName()
                ? null
                : view with { Pinned = true, Route = request.Route.ToWireName(), Fallback = request.Fallback ?? view.Fallback });

    public Task<AdminResult> UnpinAsync(string agent, OperatorNote note, CancellationToken cancellationToken) =>
        Change("unpin", agent, note, view => view.Pinned ? view with { Pinned = false, Route = view.State } : null);

    public Task<AdminResult> AcknowledgeAsync(string agent, OperatorNote note, CancellationToken cancellationToken) =>
        Change("acknowledge", agent, note, view => view.Incident is null || view.Acknowledged ? null : view with { Acknowledged = true });

    public Task<AdminResult> ClearAsync(string agent, OperatorNote note, CancellationToken cancellationToken) =>
        Change("clear", agent, note, view => view.Incident is null
            ? null
            : view with { State = "primary", Route = "primary", Fallback = null, Incident = null, Kind = null, Acknowledged = false, Detail = null });

    public Task<AdminResult> SetKillSwitchAsync(bool engaged, OperatorNote note, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        Calls.Enqueue(("kill_switch", null, (engaged, note)));
        lock (_gate)
        {
            if (KillSwitch == engaged)
            {
                return Task.FromResult(new AdminResult(AdminStatus.Unchanged, $"kill switch already {(engaged ? "engaged" : "released")}"));
            }

            KillSwitch = engaged;
            return Task.FromResult(new AdminResult(AdminStatus.Done, $"kill switch {(engaged ? "engaged" : "released")}"));
        }
    }

    private Task<AdminResult> Change(string operation, string agent, object request, Func<AgentRemediationView, AgentRemediationView?> change)
    {
        ThrowIfFailing();
        Calls.Enqueue((operation, agent, request));
        if (agent.Contains('!', StringComparison.Ordinal))
        {
            return Task.FromResult(new AdminResult(AdminStatus.Invalid, "agent names may not contain '!' here"));
        }

        lock (_gate)
        {
            if (!_agents.TryGetValue(agent, out var view))
            {
                return Task.FromResult(new AdminResult(AdminStatus.NotFound, $"no agent '{agent}' in remediation"));
            }

            if (change(view) is not { } changed)
            {
                return Task.FromResult(new AdminResult(AdminStatus.Unchanged, $"{operation}: nothing to do for '{agent}'"));
            }

            _agents[agent] = changed;
            return Task.FromResult(new AdminResult(AdminStatus.Done, $"{operation}: '{agent}' done"));
        }
    }

    private void ThrowIfFailing()
    {
        if (Failure is { } failure)
        {
            throw failure;
        }
    }
}
