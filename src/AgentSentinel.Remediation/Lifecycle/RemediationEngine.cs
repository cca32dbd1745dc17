using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Core.Spans;
using AgentSentinel.Remediation.Admin;
using AgentSentinel.Remediation.Policies;
using AgentSentinel.Telemetry;

namespace AgentSentinel.Remediation.Lifecycle;

/// <summary>
/// The incident lifecycle, without actors or I/O: <c>primary → fallback → probe → primary</c>, or back to
/// <c>fallback</c> with exponential backoff when a probe fails; alert-only incidents; safety limits; manual operations.
/// Every input is a method call, every decision an effect appended to the caller's list (see <see cref="RemediationEffect"/>).
/// Not thread-safe: one owner (the remediation actor) calls it.
/// </summary>
/// <remarks>
/// <para><b>Event time decides.</b> Incidents open at their anomaly's event time; probes start at
/// <c>fallback entered + policy.probe.after × multiplier^failed probes</c> when the watermark gets there; a probe ends with
/// the agent's recovery-test verdict, stamped in event time. A replay of the same records makes the same transitions.</para>
/// <para><b>Wall-clock time stamps flags.</b> <c>version</c> = max(last + 1, now ms), <c>expires_at</c> = now + the policy's
/// <c>flag_ttl</c>, renewed by <see cref="Renew"/> while the incident lasts: if AgentSentinel stops, agents fall back to primary.</para>
/// <para><b>Safety limits.</b> Opening an incident's fallback and starting a probe are held by the kill switch, the blast
/// radius (share of agents away from primary) and the flips-per-hour cap; a held opening becomes a <c>suppressed</c>
/// incident (alerted, audited, counted) that is promoted when a later anomaly finds room. A failing probe always returns to
/// fallback and a passing probe always recovers: limits never keep an agent on a path found faulty.</para>
/// </remarks>
public sealed partial class RemediationEngine
{
    /// <summary>
    /// How long past a probe's deadline, in event time and in wall-clock time, remediation waits for the agent's verdict
    /// before failing the probe itself. The agent's actor concludes every probe at its deadline, so this only catches an
    /// actor that lost its probe (a crash); requiring both clocks keeps a fast replay, whose event time runs far ahead of
    /// the agents, from failing probes whose verdicts are merely still on their way.
    /// </summary>
    public static readonly TimeSpan VerdictGrace = TimeSpan.FromSeconds(30);

    /// <summary>The time to live of an operator's pinned flag (renewed while pinned).</summary>
    public static readonly TimeSpan PinTtl = TimeSpan.FromMinutes(5);

    private const string Engine = "agentsentinel";
    private readonly TimeProvider _time;
    private readonly bool _configDryRun;
    private readonly Dictionary<string, AgentEntry> _agents = new(StringComparer.Ordinal);
    private readonly PriorityQueue<(AgentEntry Entry, int Generation), long> _schedule = new();
    private PolicySet _policies;
    private long _watermark = long.MinValue;
    private long _lastVersion;
    private int _fleet;
    private bool _killSwitch;
    private bool _restoredProbesPending;

    /// <param name="policies">The policies in force (replace with <see cref="UpdatePolicies"/>).</param>
    /// <param name="dryRun">Dry run from configuration (the policy file's <c>safety.dry_run</c> also turns it on).</param>
    /// <param name="time">Wall-clock time for flag versions and expiry.</param>
    public RemediationEngine(PolicySet policies, bool dryRun, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(time);
        _policies = policies;
        _configDryRun = dryRun;
        _time = time;
    }

    /// <summary>Decisions are audited, never written.</summary>
    public bool DryRun => _configDryRun || _policies.Safety.DryRun;

    public bool KillSwitch => _killSwitch;

    public PolicySet Policies => _policies;

    /// <summary>Agents with a flag away from primary (fallback or probe, automated or pinned).</summary>
    public int AgentsAway => _agents.Values.Count(e => e.IsAway);

    /// <summary>Agents in a probe.</summary>
    public int AgentsProbing => _agents.Values.Count(e => e.Incident?.Phase == Phases.Probe && e.Pin is null);

    /// <summary>New policies (a reload). Open incidents keep the settings of the policy that opened them.</summary>
    public void UpdatePolicies(PolicySet policies)
    {
        ArgumentNullException.ThrowIfNull(policies);
        _policies = policies;
    }

    /// <summary>How many agents the fleet has now (the blast radius is a share of it).</summary>
    public void SetFleetSize(int agents) => _fleet = Math.Max(0, agents);

    // ---- anomalies ------------------------------------------------------------------------------------------------

    /// <summary>An anomaly of an agent whose resource is <paramref name="resource"/>.</summary>
    public void OnAnomaly(Anomaly anomaly, ResourceAttributes? resource, List<RemediationEffect> effects)
    {
        ArgumentNullException.ThrowIfNull(anomaly);
        var entry = GetOrAdd(anomaly.Agent);
        if (resource is { Count: > 0 })
        {
            entry.Resource = resource;
        }

        var at = anomaly.DetectedAtUnixNano;
        if (at < entry.ClosedAt)
        {
            return; // belongs to an incident that has already ended
        }

        var policy = _policies.Resolve(entry.Agent, entry.Resource, anomaly.Kind);
        if (policy is null || policy.Action == PolicyAction.Ignore)
        {
            return;
        }

        var severity = AnomalySeverities.Of(anomaly);
        if (severity < policy.MinSeverity)
        {
            return;
        }

        if (entry.Incident is { } incident)
        {
            if (incident.Phase is Phases.Fallback or Phases.Probe)
            {
                return; // part of the incident in force
            }

            if (incident.NextAt is { } quietEnd && at >= quietEnd)
            {
                Resolve(entry, incident, quietEnd, "quiet", Engine, effects); // it had gone quiet before this anomaly
            }
            else if (incident.Phase == Phases.Suppressed && policy.Action == PolicyAction.Fallback)
            {
                incident.NextAt = Math.Max(incident.NextAt ?? at, Add(at, incident.Policy.FlagTtl));
                Schedule(entry);
                TryPromote(entry, incident, at, effects);
                return;
            }
            else if (incident.Phase == Phases.AlertOnly && policy.Action == PolicyAction.Fallback)
            {
                Resolve(entry, incident, at, "escalated", Engine, effects);
            }
            else
            {
                incident.NextAt = Math.Max(incident.NextAt ?? at, Add(at, incident.Policy.FlagTtl));
                Schedule(entry);
                return;
            }
        }

        var window = entry.Triggers.TryGetValue(policy.Name, out var w) ? w : entry.Triggers[policy.Name] = new TriggerWindow();
        if (!window.Add(anomaly.TraceIds, at, policy.Trigger.Window, policy.Trigger.AnomalousTraces))
        {
            return;
        }

        Open(entry, policy, anomaly, severity, effects);
        RunDue(effects);
    }

    private void Open(AgentEntry entry, RemediationPolicy policy, Anomaly anomaly, AnomalySeverity severity, List<RemediationEffect> effects)
    {
        var at = anomaly.DetectedAtUnixNano;
        var incident = new Incident
        {
            Id = IncidentIds.For(entry.Agent, anomaly.Kind, at),
            Kind = anomaly.Kind,
            Policy = policy,
            PolicyFingerprint = _policies.Fingerprint,
            Fallback = policy.Fallback,
            Severity = severity.ToWireName(),
            Detail = anomaly.Explanation.Summary,
            TraceIds = [.. anomaly.TraceIds.Take(5)],
            OpenedAt = at,
            PhaseSince = at,
        };
        entry.Incident = incident;

        if (policy.Action == PolicyAction.AlertOnly || entry.Pin is not null)
        {
            incident.Phase = entry.Pin is null ? Phases.AlertOnly : Phases.Pinned;
            incident.NextAt = Add(at, policy.FlagTtl);
            Schedule(entry);
            AuditAlertOnly(entry, incident, "alert_only:opened", effects);
            Notify(entry, incident, IncidentChange.Opened, "opened", at, effects);
            return;
        }

        if (OpenLimit(entry, at) is { } limit)
        {
            Suppress(entry, incident, limit, at, effects);
            Notify(entry, incident, IncidentChange.Opened, "opened", at, effects);
            return;
        }

        EnterFallback(entry, incident, at, "opened", incident.Detail, IncidentChange.Opened, effects);
    }

    /// <summary>The safety limit that holds a new fallback at <paramref name="at"/>, or null.</summary>
    private string? OpenLimit(AgentEntry entry, long at)
    {
        if (_killSwitch)
        {
            return Limits.KillSwitch;
        }

        var safety = _policies.Safety;
        var allowed = Math.Max(safety.MinAgentsAlwaysAllowed, (int)Math.Floor(safety.MaxFallbackShare * Math.Max(_fleet, _agents.Count)));
        if (AgentsAway >= allowed)
        {
            return Limits.BlastRadius;
        }

        return entry.Flips.Allows(at, safety.MaxFlipsPerAgentPerHour) ? null : Limits.FlipRate;
    }

    /// <summary>An incident step that writes no flag still goes to the audit stream (route as in force, outcome alert_only).</summary>
    private void AuditAlertOnly(AgentEntry entry, Incident incident, string transition, List<RemediationEffect> effects, string actor = Engine)
    {
        var decision = Decision(entry, incident, entry.Route, entry.Route == FlagRoute.Primary ? string.Empty : entry.Pin?.Fallback ?? incident.Fallback,
            entry.Pin?.ProbeRatio, incident.Detail, transition, actor, incident.Policy.FlagTtl, withState: false);
        effects.Add(new AuditOnly(decision, FlagAuditOutcome.AlertOnly));
    }

    private void Suppress(AgentEntry entry, Incident incident, string limit, long at, List<RemediationEffect> effects)
    {
        incident.Phase = Phases.Suppressed;
        incident.Limit = limit;
        incident.NextAt = Add(at, incident.Policy.FlagTtl);
        Schedule(entry);
        SentinelMetrics.RemediationsSuppressed.WithLabels(limit).Inc();
        var decision = Decision(entry, incident, FlagRoute.Fallback, incident.Fallback, null, incident.Detail, "suppressed:" + limit, Engine, incident.Policy.FlagTtl, withState: false);
        effects.Add(new AuditOnly(decision, FlagAuditOutcome.Suppressed));
    }

    private void TryPromote(AgentEntry entry, Incident incident, long at, List<RemediationEffect> effects)
    {
        if (OpenLimit(entry, at) is { } limit)
        {
            if (!string.Equals(limit, incident.Limit, StringComparison.Ordinal))
            {
                incident.Limit = limit;
                Notify(entry, incident, IncidentChange.Changed, "suppressed", at, effects);
            }

            return;
        }

        incident.Limit = null;
        EnterFallback(entry, incident, at, "promoted", incident.Detail, IncidentChange.Changed, effects);
    }

    // ---- lifecycle ----------------------------------------------------------------------------------------------------

    private void EnterFallback(AgentEntry entry, Incident incident, long at, string cause, string detail, IncidentChange change, List<RemediationEffect> effects)
    {
        incident.Phase = Phases.Fallback;
        incident.PhaseSince = at;
        incident.Trips++;
        entry.Flips.Add(at);
        var probe = incident.Policy.Probe;
        incident.NextAt = probe.MaxTrips > 0 && incident.FailedProbes >= probe.MaxTrips
            ? null // stays in fallback until an operator clears it
            : Add(at, probe.FallbackDuration(incident.FailedProbes));
        Schedule(entry);
        SentinelMetrics.RemediationTransitions.WithLabels(Phases.Fallback, cause).Inc();
        Write(entry, incident, FlagRoute.Fallback, incident.Fallback, null, detail, cause, Engine, effects);
        effects.Add(new SetAgentMode(entry.Agent, incident.Fallback));
        Notify(entry, incident, change, cause, at, effects, detail);
    }

    private void EnterProbe(AgentEntry entry, Incident incident, long at, List<RemediationEffect> effects)
    {
        var probe = incident.Policy.Probe;
        incident.Phase = Phases.Probe;
        incident.PhaseSince = at;
        incident.ProbeSequence++;
        entry.Flips.Add(at);
        var deadline = Add(at, probe.MaxDuration);
        incident.NextAt = null; // the agent's verdict ends the probe (Renew fails an overdue one)
        incident.ProbeDeadline = deadline;
        incident.ProbeStartedWallMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        Schedule(entry);
        SentinelMetrics.RemediationTransitions.WithLabels(Phases.Probe, "probe_started").Inc();
        Write(entry, incident, FlagRoute.Probe, incident.Fallback, probe.Ratio, incident.Detail, "probe_started", Engine, effects);
        effects.Add(new StartProbe(entry.Agent, new ProbeSpec(
            incident.ProbeSequence, incident.Id, incident.Kind, incident.Fallback, at, deadline, probe.MinTraces, incident.Policy.Recovery)));
        Notify(entry, incident, IncidentChange.Changed, "probe_started", at, effects);
    }

    /// <summary>The agent's recovery test decided probe <paramref name="sequence"/> at event time <paramref name="atUnixNano"/>.</summary>
    /// <param name="agent">The agent.</param>
    /// <param name="sequence">The probe (<see cref="ProbeSpec.Sequence"/>); a verdict for another probe is ignored.</param>
    /// <param name="recovered">True: recovered; false: still faulty (or not enough evidence by the deadline).</param>
    /// <param name="summary">The test's one-line summary (numbers only).</param>
    /// <param name="atUnixNano">Event time of the verdict.</param>
    /// <param name="effects">Where the decisions go.</param>
    public void OnProbeVerdict(string agent, int sequence, bool recovered, string summary, long atUnixNano, List<RemediationEffect> effects)
    {
        if (!_agents.TryGetValue(agent, out var entry) || entry.Incident is not { Phase: Phases.Probe } incident
            || incident.ProbeSequence != sequence || entry.Pin is not null)
        {
            return;
        }

        var at = Math.Max(atUnixNano, incident.PhaseSince);
        if (recovered)
        {
            entry.Flips.Add(at);
            SentinelMetrics.RemediationTransitions.WithLabels("primary", "recovered").Inc();
            Close(entry, incident, at, IncidentChange.Recovered, "recovered", summary, Engine, effects);
        }
        else
        {
            incident.FailedProbes++;
            EnterFallback(entry, incident, at, "probe_failed", summary, IncidentChange.Changed, effects);
        }

        RunDue(effects);
    }

    /// <summary>Event time has reached <paramref name="watermarkUnixNano"/>: due probes start, overdue ones fail, quiet alert-only incidents resolve.</summary>
    public void Advance(long watermarkUnixNano, List<RemediationEffect> effects)
    {
        if (watermarkUnixNano <= _watermark)
        {
            return;
        }

        _watermark = watermarkUnixNano;
        RunDue(effects);
        Forget(watermarkUnixNano);
    }

    /// <summary>
    /// Carries out every scheduled step due by the watermark: also called after a verdict or an anomaly, whose step may
    /// already be due (a fast replay runs event time ahead of the agents' verdicts).
    /// </summary>
    private void RunDue(List<RemediationEffect> effects)
    {
        var watermarkUnixNano = _watermark;
        if (_restoredProbesPending)
        {
            _restoredProbesPending = false;
            foreach (var entry in _agents.Values.Where(e => e.RestartProbe).ToList())
            {
                entry.RestartProbe = false;
                if (entry.Incident is { Phase: Phases.Probe } incident && entry.Pin is null)
                {
                    EnterProbe(entry, incident, watermarkUnixNano, effects);
                }
            }
        }

        while (_schedule.TryPeek(out var item, out var at) && at <= watermarkUnixNano)
        {
            _schedule.Dequeue();
            var (entry, generation) = item;
            if (generation != entry.Generation || entry.Incident is not { } incident || incident.NextAt != at)
            {
                continue; // superseded
            }

            switch (incident.Phase)
            {
                case Phases.Fallback when entry.Pin is null && !_killSwitch:
                    var max = _policies.Safety.MaxFlipsPerAgentPerHour;
                    if (!entry.Flips.Allows(at, max))
                    {
                        incident.NextAt = entry.Flips.NextAllowed(at, max);
                        Schedule(entry);
                        SentinelMetrics.RemediationsSuppressed.WithLabels(Limits.FlipRate).Inc();
                        var held = Decision(entry, incident, FlagRoute.Probe, incident.Fallback, incident.Policy.Probe.Ratio, incident.Detail, "suppressed:" + Limits.FlipRate, Engine, incident.Policy.FlagTtl, withState: false);
                        effects.Add(new AuditOnly(held, FlagAuditOutcome.Suppressed));
                        break;
                    }

                    EnterProbe(entry, incident, at, effects);
                    break;
                case Phases.AlertOnly or Phases.Suppressed or Phases.Pinned:
                    Resolve(entry, incident, at, "quiet", Engine, effects);
                    break;
            }
        }
    }

    /// <summary>
    /// The wall-clock tick: renews every flag away from primary whose <c>expires_at</c> is less than half its TTL away, and
    /// fails every probe with no verdict <see cref="VerdictGrace"/> past its deadline in event time and in wall-clock time.
    /// </summary>
    public void Renew(List<RemediationEffect> effects)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var graceMs = (long)VerdictGrace.TotalMilliseconds;
        foreach (var entry in _agents.Values.Where(e => e.Pin is null && e.Incident is { Phase: Phases.Probe }).ToList())
        {
            var incident = entry.Incident!;
            var overdueAt = Add(incident.ProbeDeadline, VerdictGrace);
            if (_watermark >= overdueAt && now - incident.ProbeStartedWallMs >= (long)incident.Policy.Probe.MaxDuration.TotalMilliseconds + graceMs)
            {
                incident.FailedProbes++;
                EnterFallback(entry, incident, overdueAt, "probe_failed", "no verdict from the probe traffic by its deadline", IncidentChange.Changed, effects);
            }
        }

        foreach (var entry in _agents.Values)
        {
            if (!entry.IsAway || entry.FlagTtlMs <= 0 || entry.FlagExpiresAtMs - now > entry.FlagTtlMs / 2)
            {
                continue;
            }

            if (entry.Pin is { } pin)
            {
                WritePin(entry, pin, "renewed", "operator:" + pin.Operator, effects);
            }
            else if (entry.Incident is { } incident)
            {
                Write(entry, incident, entry.Route, incident.Fallback, entry.Route == FlagRoute.Probe ? incident.Policy.Probe.Ratio : null, incident.Detail, "renewed", Engine, effects);
            }
        }
    }

    private void Close(AgentEntry entry, Incident incident, long at, IncidentChange change, string cause, string detail, string actor, List<RemediationEffect> effects)
    {
        var wasAway = entry.IsAway;
        entry.Incident = null;
        entry.Reference = null;
        entry.ClosedAt = Math.Max(entry.ClosedAt, at);
        entry.Generation++;
        if (entry.Pin is null && (wasAway || incident.Phase is Phases.Fallback or Phases.Probe))
        {
            Write(entry, incident, FlagRoute.Primary, string.Empty, null, detail, cause, actor, effects);
            effects.Add(new SetAgentMode(entry.Agent, null));
        }

        incident.Phase = Phases.Primary;
        Notify(entry, incident, change, cause, at, effects, detail);
    }

    private void Resolve(AgentEntry entry, Incident incident, long at, string cause, string actor, List<RemediationEffect> effects)
    {
        if (incident.Phase is Phases.AlertOnly or Phases.Suppressed or Phases.Pinned)
        {
            AuditAlertOnly(entry, incident, incident.Phase + ":" + cause, effects, actor);
        }

        if (incident.Phase is Phases.Fallback or Phases.Probe)
        {
            SentinelMetrics.RemediationTransitions.WithLabels("primary", cause).Inc();
        }

        Close(entry, incident, at, IncidentChange.Resolved, cause, incident.Detail, actor, effects);
    }

    private void Forget(long watermark)
    {
        List<string>? forget = null;
        foreach (var (agent, entry) in _agents)
        {
            if (entry.Incident is null && entry.Pin is null && entry.Route == FlagRoute.Primary
                && watermark - Math.Max(entry.ClosedAt, entry.LastSeen) > FlipLog.HourNanos)
            {
                (forget ??= []).Add(agent);
            }
        }

        foreach (var agent in forget ?? [])
        {
            _agents.Remove(agent);
        }
    }

    // ---- writes ---------------------------------------------------------------------------------------------------------

    private void Write(AgentEntry entry, Incident incident, FlagRoute route, string fallback, double? ratio, string detail, string transition, string actor, List<RemediationEffect> effects)
    {
        entry.Route = route;
        var decision = Decision(entry, incident, route, fallback, ratio, detail, transition, actor, incident.Policy.FlagTtl, withState: route != FlagRoute.Primary);
        Emit(entry, decision, incident.Policy.FlagTtl, effects);
    }

    private void WritePin(AgentEntry entry, PinHold pin, string transition, string actor, List<RemediationEffect> effects, string? note = null)
    {
        entry.Route = pin.Route;
        var decision = Decision(entry, entry.Incident, pin.Route, pin.Fallback ?? string.Empty, pin.ProbeRatio, note ?? "pinned by " + pin.Operator, transition, actor, PinTtl, withState: true);
        Emit(entry, decision, PinTtl, effects);
    }

    private void WritePrimary(AgentEntry entry, string transition, string actor, string detail, List<RemediationEffect> effects)
    {
        entry.Route = FlagRoute.Primary;
        var decision = Decision(entry, null, FlagRoute.Primary, string.Empty, null, detail, transition, actor, PinTtl, withState: false);
        Emit(entry, decision, PinTtl, effects);
    }

    private void Emit(AgentEntry entry, FlagDecision decision, TimeSpan ttl, List<RemediationEffect> effects)
    {
        entry.FlagExpiresAtMs = decision.ExpiresAtUnixMs;
        entry.FlagTtlMs = (long)ttl.TotalMilliseconds;
        entry.FlagApplied = false;
        if (DryRun)
        {
            SentinelMetrics.RemediationsDryRun.Inc();
            effects.Add(new AuditOnly(decision, FlagAuditOutcome.DryRun));
        }
        else
        {
            effects.Add(new WriteFlag(decision));
        }
    }

    private FlagDecision Decision(AgentEntry entry, Incident? incident, FlagRoute route, string fallback, double? ratio, string detail, string transition, string actor, TimeSpan ttl, bool withState)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var version = Math.Max(_lastVersion + 1, now);
        _lastVersion = version;
        return new FlagDecision
        {
            Agent = entry.Agent,
            Route = route,
            Fallback = route == FlagRoute.Primary ? (fallback.Length > 0 ? fallback : incident?.Fallback ?? string.Empty) : fallback,
            ProbeRatio = route == FlagRoute.Probe ? ratio : null,
            Reason = incident?.Kind ?? (entry.Pin is not null ? "manual" : string.Empty),
            Detail = detail,
            TraceIds = incident?.TraceIds ?? [],
            Incident = incident?.Id ?? string.Empty,
            Version = version,
            UpdatedAtUnixMs = now,
            ExpiresAtUnixMs = now + (long)ttl.TotalMilliseconds,
            Actor = actor,
            Transition = transition,
            Policy = incident is null ? string.Empty : incident.Policy.Name + "@" + incident.PolicyFingerprint,
            State = withState ? Record(entry).ToJson() : null,
        };
    }

    private static RemediationRecord Record(AgentEntry entry) => new()
    {
        Agent = entry.Agent,
        Flips = [.. entry.Flips.Times],
        Reference = entry.Incident is { Phase: Phases.Fallback or Phases.Probe } ? entry.Reference : null,
        Pin = entry.Pin is { } p ? new PinRecord { Route = p.Route.ToWireName(), Fallback = p.Fallback, ProbeRatio = p.ProbeRatio, Operator = p.Operator } : null,
        Incident = entry.Incident is { Phase: Phases.Fallback or Phases.Probe } i ? new IncidentRecord
        {
            Id = i.Id,
            Kind = i.Kind,
            Policy = i.Policy.Name,
            Phase = i.Phase,
            Fallback = i.Fallback,
            Severity = i.Severity,
            Detail = i.Detail,
            TraceIds = [.. i.TraceIds],
            OpenedAt = i.OpenedAt,
            PhaseSince = i.PhaseSince,
            NextAt = i.NextAt,
            FailedProbes = i.FailedProbes,
            Trips = i.Trips,
            ProbeSequence = i.ProbeSequence,
            Acknowledged = i.Acknowledged,
        } : null,
    };

    private void Notify(AgentEntry entry, Incident incident, IncidentChange change, string cause, long at, List<RemediationEffect> effects, string? detail = null)
    {
        var phase = entry.Pin is not null && incident.Phase != Phases.Primary ? Phases.Pinned : incident.Phase;
        var fallback = phase switch
        {
            Phases.Fallback or Phases.Probe => incident.Fallback,
            Phases.Pinned => entry.Pin?.Fallback,
            _ => null,
        };
        effects.Add(new NotifyIncident(new IncidentUpdate(
            incident.Id, entry.Agent, incident.Kind, incident.Severity, phase, change, cause, fallback, incident.Policy.Name,
            detail ?? incident.Detail, incident.TraceIds, incident.OpenedAt, at, incident.Acknowledged, incident.Trips, incident.Limit, DryRun)));
    }

    // ---- helpers ------------------------------------------------------------------------------------------------------

    private AgentEntry GetOrAdd(string agent)
    {
        if (!_agents.TryGetValue(agent, out var entry))
        {
            _agents[agent] = entry = new AgentEntry(agent);
        }

        entry.LastSeen = Math.Max(entry.LastSeen, _watermark);
        return entry;
    }

    private void Schedule(AgentEntry entry)
    {
        entry.Generation++;
        if (entry.Incident?.NextAt is { } at)
        {
            _schedule.Enqueue((entry, entry.Generation), at);
        }
    }

    private long CurrentTime(Incident incident) => Math.Max(_watermark, incident.PhaseSince);

    private static long Add(long at, TimeSpan span)
    {
        var nanos = span.Ticks > long.MaxValue / 100 ? long.MaxValue : span.Ticks * 100;
        var sum = at + nanos;
        return ((at ^ sum) & (nanos ^ sum)) < 0 ? long.MaxValue : sum;
    }

    private static AdminResult? ValidateAgent(string? agent)
    {
        if (!FlagAgentNames.IsValid(agent))
        {
            return new AdminResult(AdminStatus.Invalid, $"an agent name is 1–{FlagAgentNames.MaxLength} characters of valid UTF-16 without control characters");
        }

        return null;
    }

    /// <summary>Lifecycle phases as they appear in updates and views.</summary>
    public static class Phases
    {
        public const string Primary = "primary";
        public const string Fallback = "fallback";
        public const string Probe = "probe";
        public const string AlertOnly = "alert_only";
        public const string Suppressed = "suppressed";
        public const string Pinned = "pinned";
    }

    /// <summary>Safety limits, as metric label values and in updates.</summary>
    public static class Limits
    {
        public const string BlastRadius = "blast_radius";
        public const string FlipRate = "flip_rate";
        public const string KillSwitch = "kill_switch";
    }

    private sealed class AgentEntry(string agent)
    {
        public string Agent { get; } = agent;
        public ResourceAttributes Resource { get; set; } = ResourceAttributes.Empty;
        public Dictionary<string, TriggerWindow> Triggers { get; } = new(StringComparer.Ordinal);
        public Incident? Incident { get; set; }
        public PinHold? Pin { get; set; }
        public FlipLog Flips { get; } = new();
        public int Generation { get; set; }
        public FlagRoute Route { get; set; }
        public long FlagExpiresAtMs { get; set; }
        public long FlagTtlMs { get; set; }
        public bool FlagApplied { get; set; }
        public long ClosedAt { get; set; } = long.MinValue;
        public long LastSeen { get; set; } = long.MinValue;
        public bool RestartProbe { get; set; }
        public string? Reference { get; set; }

        public bool IsAway => Route != FlagRoute.Primary;
    }

    private sealed class Incident
    {
        public required string Id { get; init; }
        public required string Kind { get; init; }
        public required RemediationPolicy Policy { get; init; }
        /// <summary>The fingerprint of the policy file that opened the incident (audit: which version decided).</summary>
        public required string PolicyFingerprint { get; init; }
        public required string Fallback { get; init; }
        public required string Severity { get; init; }
        public required string Detail { get; init; }
        public required string[] TraceIds { get; init; }
        public required long OpenedAt { get; init; }
        public string Phase { get; set; } = Phases.Fallback;
        public long PhaseSince { get; set; }
        public long? NextAt { get; set; }
        public int FailedProbes { get; set; }
        public int Trips { get; set; }
        public int ProbeSequence { get; set; }
        public long ProbeDeadline { get; set; }
        public long ProbeStartedWallMs { get; set; }
        public bool Acknowledged { get; set; }
        public string? Limit { get; set; }
    }

    private sealed record PinHold(FlagRoute Route, string? Fallback, double? ProbeRatio, string Operator);
}
