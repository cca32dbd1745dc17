using AgentSentinel.Core.Remediation;
using AgentSentinel.Remediation.Admin;
using AgentSentinel.Telemetry;

namespace AgentSentinel.Remediation.Lifecycle;

/// <summary>Manual operations: pin, unpin, acknowledge, clear, the kill switch, and the overview.</summary>
public sealed partial class RemediationEngine
{
    // ---- manual operations -------------------------------------------------------------------------------------------

    /// <summary>Holds an agent on a route until unpinned.</summary>
    public AdminResult Pin(PinRequest request, List<RemediationEffect> effects)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (ValidateAgent(request.Agent) is { } invalid)
        {
            return invalid;
        }

        if (request.Route != FlagRoute.Primary && string.IsNullOrWhiteSpace(request.Fallback))
        {
            return new AdminResult(AdminStatus.Invalid, "a pin to fallback or probe names its fallback");
        }

        if (request.Route == FlagRoute.Probe && request.ProbeRatio is not (> 0 and <= 1))
        {
            return new AdminResult(AdminStatus.Invalid, "a pin to probe needs a probe ratio in (0, 1]");
        }

        var entry = GetOrAdd(request.Agent);
        var pin = new PinHold(request.Route, request.Route == FlagRoute.Primary ? null : request.Fallback, request.Route == FlagRoute.Probe ? request.ProbeRatio : null, request.Note.Operator);
        entry.Pin = pin;
        entry.Generation++;
        WritePin(entry, pin, "pinned", "operator:" + request.Note.Operator, effects, request.Note.Note);
        effects.Add(new SetAgentMode(entry.Agent, pin.Route == FlagRoute.Primary ? null : pin.Fallback));
        if (entry.Incident is { } incident)
        {
            Notify(entry, incident, IncidentChange.Changed, "pinned", CurrentTime(incident), effects);
        }

        return new AdminResult(AdminStatus.Done, $"pinned to {pin.Route.ToWireName()}{(pin.Fallback is null ? string.Empty : " → " + pin.Fallback)}");
    }

    /// <summary>Returns a pinned agent to automation.</summary>
    public AdminResult Unpin(string agent, OperatorNote note, List<RemediationEffect> effects)
    {
        ArgumentNullException.ThrowIfNull(note);
        if (!_agents.TryGetValue(agent, out var entry) || entry.Pin is null)
        {
            return new AdminResult(entry is null ? AdminStatus.NotFound : AdminStatus.Unchanged, "not pinned");
        }

        entry.Pin = null;
        var actor = "operator:" + note.Operator;
        if (entry.Incident is { Phase: Phases.Fallback or Phases.Probe } incident)
        {
            // Back under automation in fallback: the next probe starts when it was scheduled, or now if that has passed
            // (or if the pin interrupted a probe).
            incident.Phase = Phases.Fallback;
            incident.NextAt = Math.Max(incident.NextAt ?? long.MinValue, _watermark);
            Schedule(entry);
            Write(entry, incident, FlagRoute.Fallback, incident.Fallback, null, incident.Detail, "unpinned", actor, effects);
            effects.Add(new SetAgentMode(entry.Agent, incident.Fallback));
            Notify(entry, incident, IncidentChange.Changed, "unpinned", CurrentTime(incident), effects);
            RunDue(effects);
        }
        else
        {
            WritePrimary(entry, "unpinned", actor, note.Note ?? "unpinned", effects);
            effects.Add(new SetAgentMode(entry.Agent, null));
        }

        return new AdminResult(AdminStatus.Done, "unpinned");
    }

    /// <summary>Marks the agent's open incident acknowledged.</summary>
    public AdminResult Acknowledge(string agent, OperatorNote note, List<RemediationEffect> effects)
    {
        ArgumentNullException.ThrowIfNull(note);
        if (!_agents.TryGetValue(agent, out var entry) || entry.Incident is not { } incident)
        {
            return new AdminResult(AdminStatus.NotFound, "no open incident");
        }

        if (incident.Acknowledged)
        {
            return new AdminResult(AdminStatus.Unchanged, $"{incident.Id} is already acknowledged");
        }

        incident.Acknowledged = true;
        if (incident.Phase is Phases.Fallback or Phases.Probe && entry.Pin is null)
        {
            // Rewritten so the acknowledgement is saved with the state and audited with the operator's name.
            Write(entry, incident, entry.Route, incident.Fallback, entry.Route == FlagRoute.Probe ? incident.Policy.Probe.Ratio : null, incident.Detail, "acknowledged", "operator:" + note.Operator, effects);
        }

        Notify(entry, incident, IncidentChange.Changed, "acknowledged", CurrentTime(incident), effects);
        return new AdminResult(AdminStatus.Done, $"{incident.Id} acknowledged");
    }

    /// <summary>Ends the agent's incident (and pin) now: route primary.</summary>
    public AdminResult Clear(string agent, OperatorNote note, List<RemediationEffect> effects)
    {
        ArgumentNullException.ThrowIfNull(note);
        if (!_agents.TryGetValue(agent, out var entry) || (entry.Incident is null && entry.Pin is null))
        {
            return new AdminResult(entry is null ? AdminStatus.NotFound : AdminStatus.Unchanged, "no incident or pin to clear");
        }

        var actor = "operator:" + note.Operator;
        var hadPin = entry.Pin is not null;
        entry.Pin = null;
        if (entry.Incident is { } incident)
        {
            var wasAway = incident.Phase is Phases.Fallback or Phases.Probe;
            if (hadPin && !wasAway)
            {
                WritePrimary(entry, "cleared", actor, note.Note ?? "cleared", effects);
                effects.Add(new SetAgentMode(entry.Agent, null));
            }

            Resolve(entry, incident, CurrentTime(incident), "cleared", actor, effects);
        }
        else
        {
            WritePrimary(entry, "cleared", actor, note.Note ?? "cleared", effects);
            effects.Add(new SetAgentMode(entry.Agent, null));
        }

        return new AdminResult(AdminStatus.Done, "cleared: route primary");
    }

    /// <summary>Engages (every automated flag back to primary, none written until released) or releases the kill switch.</summary>
    public AdminResult SetKillSwitch(bool engaged, OperatorNote note, List<RemediationEffect> effects)
    {
        ArgumentNullException.ThrowIfNull(note);
        if (engaged == _killSwitch)
        {
            return new AdminResult(AdminStatus.Unchanged, engaged ? "the kill switch is already engaged" : "the kill switch is already released");
        }

        _killSwitch = engaged;
        SentinelMetrics.KillSwitchEngaged.Set(engaged ? 1 : 0);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        effects.Add(new WriteKillSwitch(new KillSwitchState(engaged, "operator:" + note.Operator, note.Note ?? string.Empty, now)));
        if (engaged)
        {
            foreach (var entry in _agents.Values.ToList())
            {
                if (entry.Pin is null && entry.Incident is { Phase: Phases.Fallback or Phases.Probe } incident)
                {
                    Resolve(entry, incident, CurrentTime(incident), "kill_switch", "operator:" + note.Operator, effects);
                }
            }
        }

        return new AdminResult(AdminStatus.Done, engaged ? "kill switch engaged: automated flags returned to primary" : "kill switch released");
    }

    /// <summary>Every agent remediation knows about.</summary>
    public RemediationOverview Overview() => new(
        _killSwitch,
        DryRun,
        Math.Max(_fleet, _agents.Count),
        AgentsAway,
        [.. _agents.Values
            .Where(e => e.Incident is not null || e.Pin is not null || e.Route != FlagRoute.Primary)
            .OrderBy(e => e.Agent, StringComparer.Ordinal)
            .Select(View)]);

    private static AgentRemediationView View(AgentEntry e)
    {
        var i = e.Incident;
        return new AgentRemediationView(
            e.Agent,
            i?.Phase ?? Phases.Primary,
            e.Route.ToWireName(),
            e.Pin?.Fallback ?? (e.Route == FlagRoute.Primary ? null : i?.Fallback),
            i?.Id,
            i?.Kind,
            i?.Policy.Name,
            e.Pin is not null,
            i?.Acknowledged ?? false,
            i?.Trips ?? 0,
            i?.NextAt is { } next ? next / 1_000_000 : null,
            e.FlagApplied,
            i?.Detail);
    }

    /// <summary>
    /// The agent's actor captured its healthy reference sample as the incident began: it is saved with the incident's state
    /// (from the next write on) so that a restarted AgentSentinel judges probes against it, not against an empty sample.
    /// </summary>
    public void OnReferenceCaptured(string agent, string snapshot)
    {
        if (_agents.TryGetValue(agent, out var entry) && entry.Incident is { Phase: Phases.Fallback or Phases.Probe })
        {
            entry.Reference = snapshot;
        }
    }

    /// <summary>Records whether the store holds the agent's latest decision (for <see cref="Overview"/>).</summary>
    public void MarkApplied(string agent, bool applied)
    {
        if (_agents.TryGetValue(agent, out var entry))
        {
            entry.FlagApplied = applied;
        }
    }
}
