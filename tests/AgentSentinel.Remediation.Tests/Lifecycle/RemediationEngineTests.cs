using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Core.Spans;
using AgentSentinel.Remediation.Admin;
using AgentSentinel.Remediation.Lifecycle;
using AgentSentinel.Remediation.Policies;

namespace AgentSentinel.Remediation.Tests.Lifecycle;

public sealed class RemediationEngineTests
{
    private const long Second = 1_000_000_000L;
    private const long T0 = 1_700_000_000L * Second;

    private const string Policies = """
        version: 1
        defaults:
          fallback: safe-model
          trigger: { anomalous_traces: 1, window: 1m }
          flag_ttl: 1m
          probe: { after: 10s, ratio: 0.25, min_traces: 5, max_duration: 30s, backoff: { multiplier: 2, max: 35s } }
        safety: { max_fallback_share: 0.5, min_agents_always_allowed: 1, max_flips_per_agent_per_hour: 20 }
        policies:
          - name: quiet-signals
            match: { kinds: [silence] }
            action: alert_only
          - name: ignore-model-change
            match: { kinds: [model_change] }
            action: ignore
          - name: prod-tokens
            match: { resource: { deployment.environment: "prod*" }, kinds: [token_spike] }
            fallback: small-model
            min_severity: critical
            trigger: { anomalous_traces: 3, window: 1m }
          - name: loops-to-human
            match: { agents: ["support-*"], kinds: [tool_loop] }
            fallback: human
          - name: everything-else
            match: {}
        """;

    private readonly ManualTime _time = new();
    private readonly List<RemediationEffect> _effects = [];

    private RemediationEngine Engine(string? yaml = null, bool dryRun = false, int fleet = 10) =>
        NewEngine(PolicyLoader.Parse(yaml ?? Policies, PolicyFormat.Yaml, "test"), dryRun, fleet);

    private RemediationEngine NewEngine(PolicySet set, bool dryRun, int fleet)
    {
        var engine = new RemediationEngine(set, dryRun, _time);
        engine.SetFleetSize(fleet);
        return engine;
    }

    private static Anomaly Anomaly(string agent, string kind, long at, double distance = 7, params string[] traces) =>
        new(agent, kind, at, distance, new AnomalyExplanation("total_tokens", 9000, 1000, 200, distance), traces.Length == 0 ? [$"{at:x32}"[^32..]] : traces);

    private List<RemediationEffect> Take()
    {
        var taken = _effects.ToList();
        _effects.Clear();
        return taken;
    }

    private static FlagDecision OnlyWrite(List<RemediationEffect> effects) => Assert.Single(effects.OfType<WriteFlag>()).Decision;

    [Fact]
    public void An_anomaly_opens_an_incident_that_routes_the_agent_to_its_fallback()
    {
        var engine = Engine();
        engine.OnAnomaly(Anomaly("billing", AnomalyKinds.TokenSpike, T0), null, _effects);
        var effects = Take();

        var flag = OnlyWrite(effects);
        Assert.Equal(FlagRoute.Fallback, flag.Route);
        Assert.Equal("safe-model", flag.Fallback);
        Assert.Equal(AnomalyKinds.TokenSpike, flag.Reason);
        Assert.Equal("opened", flag.Transition);
        Assert.StartsWith("everything-else@", flag.Policy, StringComparison.Ordinal);
        Assert.NotNull(flag.State);
        Assert.Equal(_time.NowMs + 60_000, flag.ExpiresAtUnixMs);
        Assert.Contains(effects, e => e is SetAgentMode { Agent: "billing", Fallback: "safe-model" });
        var update = Assert.Single(effects.OfType<NotifyIncident>()).Update;
        Assert.Equal(IncidentChange.Opened, update.Change);
        Assert.Equal("fallback", update.Phase);
        Assert.Equal(1, engine.AgentsAway);
    }

    [Fact]
    public void The_probe_starts_after_the_policy_delay_in_event_time_with_the_probe_ratio()
    {
        var engine = Engine();
        engine.OnAnomaly(Anomaly("billing", AnomalyKinds.TokenSpike, T0), null, _effects);
        Take();

        engine.Advance(T0 + (9 * Second), _effects);
        Assert.Empty(Take());

        engine.Advance(T0 + (10 * Second), _effects);
        var effects = Take();
        var flag = OnlyWrite(effects);
        Assert.Equal(FlagRoute.Probe, flag.Route);
        Assert.Equal(0.25, flag.ProbeRatio);
        Assert.Equal("probe_started", flag.Transition);
        var probe = Assert.Single(effects.OfType<StartProbe>()).Probe;
        Assert.Equal(T0 + (10 * Second), probe.StartUnixNano);
        Assert.Equal(T0 + (40 * Second), probe.DeadlineUnixNano);
        Assert.Equal(AnomalyKinds.TokenSpike, probe.Kind);
        Assert.Equal(5, probe.MinTraces);
    }

    [Fact]
    public void A_passing_probe_returns_the_agent_to_primary_and_forgets_its_saved_state()
    {
        var engine = Engine();
        engine.OnAnomaly(Anomaly("billing", AnomalyKinds.TokenSpike, T0), null, _effects);
        engine.Advance(T0 + (10 * Second), _effects);
        var probe = Take().OfType<StartProbe>().Single().Probe;

        engine.OnProbeVerdict("billing", probe.Sequence, recovered: true, "8/40 bad", T0 + (25 * Second), _effects);
        var effects = Take();

        var flag = OnlyWrite(effects);
        Assert.Equal(FlagRoute.Primary, flag.Route);
        Assert.Equal("recovered", flag.Transition);
        Assert.Null(flag.State);
        var update = Assert.Single(effects.OfType<NotifyIncident>()).Update;
        Assert.Equal(IncidentChange.Recovered, update.Change);
        Assert.Equal(25, update.SecondsOpen, 6);
        Assert.Contains(effects, e => e is SetAgentMode { Fallback: null });
        Assert.Equal(0, engine.AgentsAway);
    }

    [Fact]
    public void A_failing_probe_goes_back_to_fallback_and_waits_exponentially_longer_up_to_the_cap()
    {
        var engine = Engine();
        engine.OnAnomaly(Anomaly("billing", AnomalyKinds.TokenSpike, T0), null, _effects);
        var at = T0;
        var waits = new List<long>();
        var probeAt = T0 + (10 * Second);
        for (var trip = 0; trip < 3; trip++)
        {
            engine.Advance(probeAt - 1, _effects);
            Assert.DoesNotContain(Take(), e => e is StartProbe);
            engine.Advance(probeAt, _effects);
            var probe = Take().OfType<StartProbe>().Single().Probe;
            at = probeAt + (2 * Second);
            engine.OnProbeVerdict("billing", probe.Sequence, recovered: false, "still bad", at, _effects);
            var effects = Take();
            var flag = OnlyWrite(effects);
            Assert.Equal(FlagRoute.Fallback, flag.Route);
            Assert.Equal("probe_failed", flag.Transition);
            var next = engine.Overview().Agents.Single().NextChangeUnixMs!.Value * 1_000_000;
            waits.Add(next - at);
            probeAt = next;
        }

        Assert.Equal([20 * Second, 35 * Second, 35 * Second], waits); // 10 s × 2, × 4 capped at 35 s
        Assert.Equal(4, engine.Overview().Agents.Single().Trips);
    }

    [Fact]
    public void A_verdict_for_an_earlier_probe_is_ignored()
    {
        var engine = Engine();
        engine.OnAnomaly(Anomaly("billing", AnomalyKinds.TokenSpike, T0), null, _effects);
        engine.Advance(T0 + (10 * Second), _effects);
        var first = Take().OfType<StartProbe>().Single().Probe;
        engine.OnProbeVerdict("billing", first.Sequence, false, "bad", T0 + (11 * Second), _effects);
        Take();

        engine.OnProbeVerdict("billing", first.Sequence, true, "late", T0 + (12 * Second), _effects);

        Assert.Empty(Take());
        Assert.Equal("fallback", engine.Overview().Agents.Single().State);
    }

    [Fact]
    public void A_probe_without_a_verdict_past_its_deadline_in_event_and_wall_clock_time_fails()
    {
        var engine = Engine();
        engine.OnAnomaly(Anomaly("billing", AnomalyKinds.TokenSpike, T0), null, _effects);
        engine.Advance(T0 + (10 * Second), _effects);
        Take();

        var overdue = T0 + (40 * Second) + ((long)RemediationEngine.VerdictGrace.TotalSeconds * Second);
        engine.Advance(overdue, _effects);
        engine.Renew(_effects);
        Assert.Empty(Take().OfType<WriteFlag>()); // event time is past the deadline, but the verdict may still be on its way

        _time.Advance(TimeSpan.FromSeconds(61)); // and now the wall clock too
        engine.Renew(_effects);
        var flag = OnlyWrite(Take());
        Assert.Equal(FlagRoute.Fallback, flag.Route);
        Assert.Equal("probe_failed", flag.Transition);
    }

    [Fact]
    public void An_alert_only_policy_opens_an_incident_without_a_flag_and_resolves_it_once_quiet()
    {
        var engine = Engine();
        engine.OnAnomaly(Anomaly("billing", AnomalyKinds.Silence, T0), null, _effects);
        var opened = Take();
        Assert.Empty(opened.OfType<WriteFlag>());
        Assert.Equal("alert_only", Assert.Single(opened.OfType<NotifyIncident>()).Update.Phase);
        var audited = Assert.Single(opened.OfType<AuditOnly>());
        Assert.Equal((FlagAuditOutcome.AlertOnly, "alert_only:opened", FlagRoute.Primary), (audited.Outcome, audited.Decision.Transition, audited.Decision.Route));

        engine.OnAnomaly(Anomaly("billing", AnomalyKinds.Silence, T0 + (30 * Second)), null, _effects);
        Assert.Empty(Take()); // still the same incident; quiet period renewed
        engine.Advance(T0 + (61 * Second), _effects);
        Assert.Empty(Take());

        engine.Advance(T0 + (90 * Second), _effects);
        var quiet = Take();
        Assert.Equal("alert_only:quiet", Assert.Single(quiet.OfType<AuditOnly>()).Decision.Transition);
        var resolved = Assert.Single(quiet.OfType<NotifyIncident>()).Update;
        Assert.Equal(IncidentChange.Resolved, resolved.Change);
        Assert.Equal("quiet", resolved.Cause);
    }

    [Fact]
    public void An_ignored_kind_does_nothing()
    {
        var engine = Engine();
        engine.OnAnomaly(Anomaly("billing", AnomalyKinds.ModelChange, T0), null, _effects);
        Assert.Empty(Take());
    }

    [Fact]
    public void A_policy_needing_several_critical_traces_in_a_window_waits_for_them()
    {
        var engine = Engine();
        var prod = ResourceAttributes.Create([new("deployment.environment", "production")]);

        engine.OnAnomaly(Anomaly("billing", AnomalyKinds.TokenSpike, T0, distance: 6, "a1"), prod, _effects); // warning: below min_severity
        engine.OnAnomaly(Anomaly("billing", AnomalyKinds.TokenSpike, T0 + Second, distance: 30, "a2"), prod, _effects);
        engine.OnAnomaly(Anomaly("billing", AnomalyKinds.TokenSpike, T0 + (70 * Second), distance: 30, "a3", "a4"), prod, _effects); // a2 left the window
        Assert.Empty(Take());

        engine.OnAnomaly(Anomaly("billing", AnomalyKinds.TokenSpike, T0 + (71 * Second), distance: 30, "a5"), prod, _effects);

        var flag = OnlyWrite(Take());
        Assert.Equal("small-model", flag.Fallback);
        Assert.StartsWith("prod-tokens@", flag.Policy, StringComparison.Ordinal);
    }

    [Fact]
    public void Agent_globs_pick_the_policy_and_its_fallback()
    {
        var engine = Engine();
        engine.OnAnomaly(Anomaly("support-eu", AnomalyKinds.ToolLoop, T0), null, _effects);
        Assert.Equal("human", OnlyWrite(Take()).Fallback);
    }

    [Fact]
    public void The_blast_radius_holds_a_new_fallback_and_a_later_anomaly_promotes_it_once_there_is_room()
    {
        var engine = Engine(fleet: 2); // max share 0.5 of 2 agents: one away at a time
        engine.OnAnomaly(Anomaly("a", AnomalyKinds.TokenSpike, T0), null, _effects);
        engine.Advance(T0 + (10 * Second), _effects);
        var probe = Take().OfType<StartProbe>().Single().Probe;

        engine.OnAnomaly(Anomaly("b", AnomalyKinds.LatencySpike, T0 + (11 * Second)), null, _effects);
        var held = Take();
        Assert.Empty(held.OfType<WriteFlag>());
        var audit = Assert.Single(held.OfType<AuditOnly>());
        Assert.Equal(FlagAuditOutcome.Suppressed, audit.Outcome);
        Assert.Equal("suppressed:blast_radius", audit.Decision.Transition);
        var update = Assert.Single(held.OfType<NotifyIncident>()).Update;
        Assert.Equal(("suppressed", "blast_radius"), (update.Phase, update.Limit));

        engine.OnProbeVerdict("a", probe.Sequence, true, "ok", T0 + (12 * Second), _effects);
        Take();
        engine.OnAnomaly(Anomaly("b", AnomalyKinds.LatencySpike, T0 + (13 * Second)), null, _effects);

        var promoted = OnlyWrite(Take());
        Assert.Equal(("b", FlagRoute.Fallback, "promoted"), (promoted.Agent, promoted.Route, promoted.Transition));
    }

    [Fact]
    public void The_flip_cap_holds_a_probe_until_the_oldest_flip_leaves_the_hour_but_never_keeps_a_failing_probe_on_primary()
    {
        var yaml = Policies.Replace("max_flips_per_agent_per_hour: 20", "max_flips_per_agent_per_hour: 3", StringComparison.Ordinal);
        var engine = Engine(yaml);
        engine.OnAnomaly(Anomaly("a", AnomalyKinds.TokenSpike, T0), null, _effects); // flip 1
        engine.Advance(T0 + (10 * Second), _effects); // flip 2: probe
        var probe = Take().OfType<StartProbe>().Single().Probe;
        engine.OnProbeVerdict("a", probe.Sequence, false, "bad", T0 + (11 * Second), _effects); // flip 3: always allowed
        Assert.Equal(FlagRoute.Fallback, OnlyWrite(Take()).Route);

        engine.Advance(T0 + (31 * Second), _effects); // the next probe is due, but 3 flips in the hour
        var held = Take();
        Assert.Empty(held.OfType<WriteFlag>());
        Assert.Equal("suppressed:flip_rate", Assert.Single(held.OfType<AuditOnly>()).Decision.Transition);

        engine.Advance(T0 + (3600 * Second) + Second, _effects); // the first flip has left the hour
        Assert.Equal(FlagRoute.Probe, OnlyWrite(Take()).Route);
    }

    [Fact]
    public void The_kill_switch_returns_automated_flags_to_primary_and_holds_new_ones_until_released()
    {
        var engine = Engine();
        engine.OnAnomaly(Anomaly("a", AnomalyKinds.TokenSpike, T0), null, _effects);
        Take();

        var result = engine.SetKillSwitch(true, new OperatorNote("alice", "incident review"), _effects);
        var effects = Take();
        Assert.Equal(AdminStatus.Done, result.Status);
        var kill = Assert.Single(effects.OfType<WriteKillSwitch>()).State;
        Assert.Equal((true, "operator:alice"), (kill.Engaged, kill.Actor));
        var flag = OnlyWrite(effects);
        Assert.Equal((FlagRoute.Primary, "kill_switch", "operator:alice"), (flag.Route, flag.Transition, flag.Actor));

        engine.OnAnomaly(Anomaly("b", AnomalyKinds.TokenSpike, T0 + (5 * Second)), null, _effects);
        var held = Take();
        Assert.Empty(held.OfType<WriteFlag>());
        Assert.Equal("kill_switch", held.OfType<NotifyIncident>().Single().Update.Limit);

        engine.SetKillSwitch(false, new OperatorNote("alice"), _effects);
        Take();
        engine.OnAnomaly(Anomaly("c", AnomalyKinds.TokenSpike, T0 + (6 * Second)), null, _effects);
        Assert.Equal(FlagRoute.Fallback, OnlyWrite(Take()).Route);
    }

    [Fact]
    public void Dry_run_decides_the_same_lifecycle_and_only_audits()
    {
        var engine = Engine(dryRun: true);
        engine.OnAnomaly(Anomaly("a", AnomalyKinds.TokenSpike, T0), null, _effects);
        engine.Advance(T0 + (10 * Second), _effects);
        var effects = Take();

        Assert.Empty(effects.OfType<WriteFlag>());
        var audits = effects.OfType<AuditOnly>().ToList();
        Assert.Equal([FlagRoute.Fallback, FlagRoute.Probe], audits.Select(a => a.Decision.Route));
        Assert.All(audits, a => Assert.Equal(FlagAuditOutcome.DryRun, a.Outcome));
        Assert.All(effects.OfType<NotifyIncident>(), n => Assert.True(n.Update.DryRun));
        Assert.Single(effects.OfType<StartProbe>()); // the recovery test still runs on the (primary) traffic
    }

    [Fact]
    public void A_new_engine_resumes_a_saved_incident_and_reasserts_its_flag_with_a_newer_version()
    {
        var first = Engine();
        first.OnAnomaly(Anomaly("a", AnomalyKinds.TokenSpike, T0), null, _effects);
        var written = OnlyWrite(Take());

        _time.Advance(TimeSpan.FromSeconds(3));
        var second = Engine();
        var unreadable = second.Restore(new StoredRemediation(new Dictionary<string, string> { ["a"] = written.State!, ["b"] = "{not json" }, null), _effects);
        var effects = Take();

        Assert.Equal(1, unreadable);
        var reasserted = OnlyWrite(effects);
        Assert.Equal((FlagRoute.Fallback, "reasserted", written.Incident), (reasserted.Route, reasserted.Transition, reasserted.Incident));
        Assert.True(reasserted.Version > written.Version);
        Assert.Equal("restored", effects.OfType<NotifyIncident>().Single().Update.Cause);

        second.Advance(T0 + (10 * Second), _effects); // the schedule survived: the probe is due at the same event time
        Assert.Single(Take().OfType<StartProbe>());
    }

    [Fact]
    public void The_reference_captured_when_the_incident_opened_is_saved_with_it_and_handed_back_after_a_restart()
    {
        var first = Engine();
        first.OnAnomaly(Anomaly("a", AnomalyKinds.TokenSpike, T0), null, _effects);
        Take();
        first.OnReferenceCaptured("a", "v1:reference");
        first.OnReferenceCaptured("nobody", "v1:ignored");
        _time.Advance(TimeSpan.FromSeconds(40));
        first.Renew(_effects);
        var renewed = OnlyWrite(Take());

        var second = Engine();
        second.Restore(new StoredRemediation(new Dictionary<string, string> { ["a"] = renewed.State! }, null, renewed.Version), _effects);
        var effects = Take();

        Assert.Contains(effects, e => e is SetAgentMode { Agent: "a", Fallback: "safe-model", Reference: "v1:reference" });
        Assert.True(OnlyWrite(effects).Version > renewed.Version);
    }

    [Fact]
    public void After_a_restart_versions_start_above_the_highest_version_the_store_has_seen_whatever_the_clock_says()
    {
        var engine = Engine();
        var stored = new StoredRemediation(new Dictionary<string, string>(), null, MaxVersion: _time.NowMs + 3_600_000);

        engine.Restore(stored, _effects);
        engine.OnAnomaly(Anomaly("a", AnomalyKinds.TokenSpike, T0), null, _effects);

        Assert.Equal(stored.MaxVersion + 1, OnlyWrite(Take()).Version);
    }

    [Fact]
    public void A_probe_interrupted_by_a_restart_starts_again_at_the_next_watermark()
    {
        var first = Engine();
        first.OnAnomaly(Anomaly("a", AnomalyKinds.TokenSpike, T0), null, _effects);
        first.Advance(T0 + (10 * Second), _effects);
        var probeFlag = Take().OfType<WriteFlag>().Last().Decision;

        var second = Engine();
        second.Restore(new StoredRemediation(new Dictionary<string, string> { ["a"] = probeFlag.State! }, null), _effects);
        Assert.Equal(FlagRoute.Probe, OnlyWrite(Take()).Route);

        second.Advance(T0 + (15 * Second), _effects);
        var probe = Take().OfType<StartProbe>().Single().Probe;
        Assert.Equal(T0 + (15 * Second), probe.StartUnixNano);
        Assert.Equal(2, probe.Sequence);
    }

    [Fact]
    public void A_pin_holds_the_route_against_automation_until_unpinned()
    {
        var engine = Engine();
        var pinned = engine.Pin(new PinRequest("a", FlagRoute.Fallback, "human", null, new OperatorNote("bob", "investigating")), _effects);
        var flag = OnlyWrite(Take());
        Assert.Equal(AdminStatus.Done, pinned.Status);
        Assert.Equal((FlagRoute.Fallback, "human", "pinned", "operator:bob"), (flag.Route, flag.Fallback, flag.Transition, flag.Actor));

        engine.OnAnomaly(Anomaly("a", AnomalyKinds.TokenSpike, T0), null, _effects);
        engine.Advance(T0 + (30 * Second), _effects);
        Assert.Empty(Take().OfType<WriteFlag>());

        engine.Unpin("a", new OperatorNote("bob"), _effects);
        Assert.Equal(FlagRoute.Primary, OnlyWrite(Take()).Route);
    }

    [Fact]
    public void Unpinning_an_agent_whose_probe_was_due_during_the_pin_probes_at_once()
    {
        var engine = Engine();
        engine.OnAnomaly(Anomaly("a", AnomalyKinds.TokenSpike, T0), null, _effects);
        engine.Pin(new PinRequest("a", FlagRoute.Fallback, "human", null, new OperatorNote("bob")), _effects);
        engine.Advance(T0 + (30 * Second), _effects); // the probe was due at 10 s: held by the pin
        Assert.DoesNotContain(Take(), e => e is StartProbe);

        engine.Unpin("a", new OperatorNote("bob"), _effects);

        var effects = Take();
        Assert.Equal([FlagRoute.Fallback, FlagRoute.Probe], effects.OfType<WriteFlag>().Select(w => w.Decision.Route));
        Assert.Equal(T0 + (30 * Second), Assert.Single(effects.OfType<StartProbe>()).Probe.StartUnixNano);
    }

    [Fact]
    public void Clearing_ends_the_incident_now_and_acknowledging_is_audited_with_the_operator()
    {
        var engine = Engine();
        engine.OnAnomaly(Anomaly("a", AnomalyKinds.TokenSpike, T0), null, _effects);
        Take();

        Assert.Equal(AdminStatus.Done, engine.Acknowledge("a", new OperatorNote("carol"), _effects).Status);
        var ack = Take();
        Assert.Equal(("acknowledged", "operator:carol"), (OnlyWrite(ack).Transition, OnlyWrite(ack).Actor));
        Assert.True(ack.OfType<NotifyIncident>().Single().Update.Acknowledged);
        Assert.Equal(AdminStatus.Unchanged, engine.Acknowledge("a", new OperatorNote("carol"), _effects).Status);

        Assert.Equal(AdminStatus.Done, engine.Clear("a", new OperatorNote("carol", "fixed upstream"), _effects).Status);
        var cleared = Take();
        Assert.Equal((FlagRoute.Primary, "cleared"), (OnlyWrite(cleared).Route, OnlyWrite(cleared).Transition));
        Assert.Equal(IncidentChange.Resolved, cleared.OfType<NotifyIncident>().Single().Update.Change);
        Assert.Equal(AdminStatus.Unchanged, engine.Clear("a", new OperatorNote("carol"), _effects).Status);
        Assert.Equal(AdminStatus.NotFound, engine.Clear("nobody", new OperatorNote("carol"), _effects).Status);
    }

    [Fact]
    public void Flags_in_force_are_renewed_before_they_expire()
    {
        var engine = Engine();
        engine.OnAnomaly(Anomaly("a", AnomalyKinds.TokenSpike, T0), null, _effects);
        var opened = OnlyWrite(Take());

        _time.Advance(TimeSpan.FromSeconds(20));
        engine.Renew(_effects);
        Assert.Empty(Take());

        _time.Advance(TimeSpan.FromSeconds(15)); // less than half the 60 s TTL left
        engine.Renew(_effects);
        var renewed = OnlyWrite(Take());
        Assert.Equal(("renewed", FlagRoute.Fallback), (renewed.Transition, renewed.Route));
        Assert.True(renewed.ExpiresAtUnixMs > opened.ExpiresAtUnixMs);
        Assert.True(renewed.Version > opened.Version);
    }

    [Fact]
    public void A_replay_of_the_same_inputs_makes_the_same_transitions()
    {
        static IEnumerable<string> Run(RemediationEngineTests t)
        {
            var engine = t.Engine();
            var effects = new List<RemediationEffect>();
            engine.OnAnomaly(Anomaly("a", AnomalyKinds.TokenSpike, T0), null, effects);
            engine.OnAnomaly(Anomaly("b", AnomalyKinds.Silence, T0 + Second), null, effects);
            engine.Advance(T0 + (10 * Second), effects);
            var probe = effects.OfType<StartProbe>().Single().Probe;
            engine.OnProbeVerdict("a", probe.Sequence, false, "bad", T0 + (12 * Second), effects);
            engine.Advance(T0 + (120 * Second), effects);
            return effects.OfType<NotifyIncident>().Select(n => $"{n.Update.Agent} {n.Update.Incident} {n.Update.Cause} {n.Update.Phase} {n.Update.AtUnixNano}");
        }

        Assert.Equal(Run(this), Run(new RemediationEngineTests()));
    }

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);

        public long NowMs => _now.ToUnixTimeMilliseconds();

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
