using AgentSentinel.Core.Remediation;
using AgentSentinel.Remediation.Policies;
using AgentSentinel.Telemetry;

namespace AgentSentinel.Remediation.Lifecycle;

/// <summary>Resuming after a restart from the states saved with the flags.</summary>
public sealed partial class RemediationEngine
{
    // ---- restart ------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Resumes from what an earlier run saved: the kill switch, and every agent's incident and pin, whose flags are
    /// re-asserted (a new version, a fresh <c>expires_at</c>). A probe in progress starts again at the next watermark.
    /// Returns how many saved states could not be read (they are left alone and counted).
    /// </summary>
    public int Restore(StoredRemediation stored, List<RemediationEffect> effects)
    {
        ArgumentNullException.ThrowIfNull(stored);
        _killSwitch = stored.KillSwitch?.Engaged ?? false;
        _lastVersion = Math.Max(_lastVersion, stored.MaxVersion);
        SentinelMetrics.KillSwitchEngaged.Set(_killSwitch ? 1 : 0);
        var unreadable = 0;
        foreach (var (agent, json) in stored.States.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            if (RemediationRecord.TryParse(json) is not { } record || !string.Equals(record.Agent, agent, StringComparison.Ordinal))
            {
                unreadable++;
                continue;
            }

            var entry = GetOrAdd(agent);
            foreach (var flip in record.Flips)
            {
                entry.Flips.Add(flip);
            }

            if (record.Pin is { } p && FlagRouteNames.TryParse(p.Route, out var pinRoute))
            {
                entry.Pin = new PinHold(pinRoute, p.Fallback, p.ProbeRatio, p.Operator);
            }

            if (record.Incident is { } saved)
            {
                entry.Incident = RestoreIncident(entry, saved);
                entry.Reference = entry.Incident is null ? null : record.Reference;
            }

            if (entry.Pin is { } pin)
            {
                WritePin(entry, pin, "reasserted", Engine, effects);
                effects.Add(new SetAgentMode(agent, pin.Route == FlagRoute.Primary ? null : pin.Fallback));
            }
            else if (entry.Incident is { } incident)
            {
                var route = incident.Phase == Phases.Probe ? FlagRoute.Probe : FlagRoute.Fallback;
                Write(entry, incident, route, incident.Fallback, route == FlagRoute.Probe ? incident.Policy.Probe.Ratio : null, incident.Detail, "reasserted", Engine, effects);
                effects.Add(new SetAgentMode(agent, incident.Fallback, entry.Reference));
                if (incident.Phase == Phases.Probe)
                {
                    entry.RestartProbe = true;
                    _restoredProbesPending = true;
                }
                else
                {
                    Schedule(entry);
                }
            }

            if (entry.Incident is { } restored)
            {
                Notify(entry, restored, IncidentChange.Changed, "restored", restored.PhaseSince, effects);
            }
        }

        return unreadable;
    }

    private Incident? RestoreIncident(AgentEntry entry, IncidentRecord saved)
    {
        if (saved.Phase is not (Phases.Fallback or Phases.Probe))
        {
            return null;
        }

        var policy = _policies.Policies.FirstOrDefault(p => string.Equals(p.Name, saved.Policy, StringComparison.Ordinal))
            ?? _policies.Resolve(entry.Agent, entry.Resource, saved.Kind)
            ?? PolicySet.Default.Resolve(entry.Agent, entry.Resource, saved.Kind);
        if (policy is null)
        {
            return null;
        }

        return new Incident
        {
            Id = saved.Id,
            Kind = saved.Kind,
            Policy = policy,
            PolicyFingerprint = _policies.Fingerprint,
            Phase = saved.Phase,
            Fallback = saved.Fallback,
            Severity = saved.Severity,
            Detail = saved.Detail,
            TraceIds = [.. saved.TraceIds.Take(5)],
            OpenedAt = saved.OpenedAt,
            PhaseSince = saved.PhaseSince,
            NextAt = saved.NextAt,
            FailedProbes = saved.FailedProbes,
            Trips = saved.Trips,
            ProbeSequence = saved.ProbeSequence,
            Acknowledged = saved.Acknowledged,
        };
    }
}
