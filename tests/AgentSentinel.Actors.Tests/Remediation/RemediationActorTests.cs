using System.Text.Json;
using AgentSentinel.Actors.Agents;
using AgentSentinel.Actors.Hosting;
using AgentSentinel.Actors.Remediation;
using AgentSentinel.Actors.Tests.TestSupport;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Remediation.Admin;
using AgentSentinel.Remediation.Lifecycle;
using AgentSentinel.Remediation.Policies;
using Akka.Actor;
using Microsoft.Extensions.Logging.Abstractions;
using static AgentSentinel.Actors.Tests.TestSupport.TestSpans;

namespace AgentSentinel.Actors.Tests.Remediation;

/// <summary>
/// The remediation actor around the lifecycle engine (<see cref="TestPolicies.Short"/>: flags live 1 min, first probe
/// after 10 s, probes last 30 s): writes and their retries, restart, dry run, renewal, barriers, manual operations, and
/// what it tells the agent router.
/// </summary>
public sealed class RemediationActorTests : SentinelTestKit
{
    private const string TraceHex = "0123456789abcdef0123456789abcdef";
    private static readonly DateTimeOffset WallStart = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly long WallMs = WallStart.ToUnixTimeMilliseconds();
    private static readonly PolicySet Policies = TestPolicies.Parse(TestPolicies.Short);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(10);
    private readonly InMemoryFlagStore _store = new();
    private readonly RecordingObserver _observer = new();
    private readonly ManualTimeProvider _time = new(WallStart);
    private readonly RemediationOptions _options = new()
    {
        RetryInitialDelay = TimeSpan.FromMilliseconds(10),
        RetryMaxDelay = TimeSpan.FromMilliseconds(40),
        RenewInterval = TimeSpan.FromMinutes(5), // renewal is only tested where asked for
    };

    private IActorRef Start(IFlagStore? store, PolicySet? policies = null, bool ordered = false) =>
        Sys.ActorOf(RemediationActor.Props(_options, policies ?? Policies, store, new ObserverFanout([_observer], NullLogger.Instance), _time, NullLogger.Instance, ordered));

    private static RemediationProtocol.AnomalyDetected Detected(string agent, long atMs, string kind = AnomalyKinds.TokenSpike) =>
        new(new Anomaly(agent, kind, At(atMs), 42, new AnomalyExplanation("tokens_per_trace", 9000, 1000, 50, 160), [TraceHex]));

    /// <summary>Sends an empty barrier and waits for it: every message sent before has been handled, and no write is in flight.</summary>
    private void Settle(IActorRef remediation)
    {
        var probe = CreateTestProbe();
        remediation.Tell(new RemediationProtocol.ExpectBarrier(Random.Shared.NextInt64(), [], probe.Ref, long.MinValue));
        probe.ExpectMsg<RemediationProtocol.BarrierPassed>();
    }

    private RemediationProtocol.Flags FlagsOf(IActorRef remediation)
    {
        remediation.Tell(RemediationProtocol.GetFlags.Instance, TestActor);
        return ExpectMsg<RemediationProtocol.Flags>();
    }

    private RemediationOverview OverviewOf(IActorRef remediation)
    {
        remediation.Tell(RemediationProtocol.GetOverview.Instance, TestActor);
        return ExpectMsg<RemediationOverview>();
    }

    private void Stop(IActorRef actor)
    {
        Watch(actor);
        Sys.Stop(actor);
        ExpectTerminated(actor);
    }

    /// <summary>An incident for <paramref name="agent"/> opened at 0 whose probe has started at 10 s; returns the probe.</summary>
    private ProbeSpec OpenAndProbe(IActorRef remediation, Akka.TestKit.TestProbe router, string agent = "a")
    {
        remediation.Tell(Detected(agent, 0));
        router.ExpectMsg<AgentProtocol.SetRemediationMode>(m => m.AgentId == agent && m.Fallback == "safe-model");
        remediation.Tell(new RemediationProtocol.WatermarkAdvanced(At(10_000)));
        return router.ExpectMsg<AgentProtocol.StartProbe>(m => m.AgentId == agent).Probe;
    }

    // ---- decisions and writes ---------------------------------------------------------------------------------------

    [Fact]
    public void The_first_anomaly_opens_an_incident_and_writes_one_fallback_flag_with_its_policy_transition_and_state()
    {
        var remediation = Start(_store);
        remediation.Tell(Detected("a", 0));
        remediation.Tell(Detected("a", 1000));
        remediation.Tell(Detected("a", 2000, AnomalyKinds.LatencySpike));
        Settle(remediation);

        var decision = Assert.Single(_store.Attempts);
        Assert.Equal(("a", FlagRoute.Fallback, "safe-model", AnomalyKinds.TokenSpike), (decision.Agent, decision.Route, decision.Fallback, decision.Reason));
        Assert.Equal("tokens_per_trace 9000 vs baseline 1000 (spread 50): 160.0 spreads above", decision.Detail);
        Assert.Equal([TraceHex], decision.TraceIds);
        Assert.Equal(IncidentIds.For("a", AnomalyKinds.TokenSpike, At(0)), decision.Incident);
        Assert.Equal(("opened", "agentsentinel"), (decision.Transition, decision.Actor));
        Assert.Equal("everything-else@" + Policies.Fingerprint, decision.Policy);
        Assert.Equal((WallMs, WallMs, WallMs + 60_000), (decision.Version, decision.UpdatedAtUnixMs, decision.ExpiresAtUnixMs));
        Assert.Null(decision.ProbeRatio);

        // The state saved with the flag is what a restarted AgentSentinel resumes from.
        using (var state = JsonDocument.Parse(decision.State!))
        {
            Assert.Equal("a", state.RootElement.GetProperty("agent").GetString());
            var incident = state.RootElement.GetProperty("incident");
            Assert.Equal(decision.Incident, incident.GetProperty("id").GetString());
            Assert.Equal("fallback", incident.GetProperty("phase").GetString());
            Assert.Equal("everything-else", incident.GetProperty("policy").GetString());
            Assert.Equal(At(0), incident.GetProperty("opened_at").GetInt64());
            Assert.Equal(At(10_000), incident.GetProperty("next_at").GetInt64()); // the first probe is due 10 s later
        }

        Assert.Equal(new RemediationAction("a", FlagRoute.Fallback, "safe-model", At(0), decision.Incident, AnomalyKinds.TokenSpike), Assert.Single(_observer.Actions));
        var opened = Assert.Single(_observer.Incidents);
        Assert.Equal((IncidentChange.Opened, "fallback", "opened", decision.Incident), (opened.Change, opened.Phase, opened.Cause, opened.Incident));
        Assert.Equal(("everything-else", "critical", false), (opened.Policy, opened.Severity, opened.DryRun));
    }

    [Fact]
    public void Each_agent_gets_its_own_incident_and_the_policy_picks_the_fallback()
    {
        var remediation = Start(_store);
        remediation.Tell(Detected("a", 0));
        remediation.Tell(Detected("b", 0, AnomalyKinds.LatencySpike));
        remediation.Tell(Detected("c", 0, AnomalyKinds.Silence)); // alert only: an incident, no flag
        Settle(remediation);

        Assert.Equal(
            ["a safe-model everything-else", "b fast-model latency-to-fast"],
            _store.Applied.Select(d => $"{d.Agent} {d.Fallback} {d.Policy.Split('@')[0]}").Order(StringComparer.Ordinal));
        Assert.True(_store.Applied[1].Version > _store.Applied[0].Version);
        Assert.Equal(["a", "b"], _observer.Actions.Select(a => a.Agent).Order(StringComparer.Ordinal));
        var silence = Assert.Single(_observer.Incidents, i => i.Agent == "c");
        Assert.Equal(("alert_only", IncidentChange.Opened), (silence.Phase, silence.Change));
    }

    [Fact]
    public void Failed_writes_are_retried_with_growing_backoff_until_applied_exactly_once()
    {
        _options.RetryInitialDelay = TimeSpan.FromMilliseconds(200);
        _options.RetryMaxDelay = TimeSpan.FromMilliseconds(400);
        _store.FailNext(2);
        var remediation = Start(_store);
        remediation.Tell(Detected("a", 0));

        AwaitAssert(() => Assert.Single(_store.Applied), TimeSpan.FromSeconds(10), Poll);
        Settle(remediation);

        var attempts = _store.Attempts;
        Assert.Equal(3, attempts.Count);
        Assert.Single(attempts.Select(d => d.Version).Distinct()); // the same decision each time
        var times = _store.AttemptTimes;
        // Lower bounds only (a slow machine retries later, never sooner): 200 ms, then 400 ms (Akka's timer may round by a tick).
        Assert.True(times[1] - times[0] >= TimeSpan.FromMilliseconds(180), $"first retry after {times[1] - times[0]}");
        Assert.True(times[2] - times[1] >= TimeSpan.FromMilliseconds(380), $"second retry after {times[2] - times[1]}");

        var status = Assert.Single(FlagsOf(remediation).Decisions);
        Assert.Equal((true, 0), (status.Applied, status.FailedAttempts));
        Assert.Single(_observer.Actions); // decided and reported once, whatever the store did
        Assert.True(Assert.Single(OverviewOf(remediation).Agents).FlagApplied);
    }

    [Fact]
    public void A_failing_write_is_shown_as_not_applied_with_its_failed_attempts()
    {
        _options.RetryInitialDelay = TimeSpan.FromSeconds(30); // no retry within the test
        _options.RetryMaxDelay = TimeSpan.FromSeconds(30);
        _store.FailNext(1);
        var remediation = Start(_store);
        remediation.Tell(Detected("a", 0));

        AwaitAssert(() => Assert.Equal(1, Assert.Single(FlagsOf(remediation).Decisions).FailedAttempts), TimeSpan.FromSeconds(5), Poll);
        Assert.False(Assert.Single(FlagsOf(remediation).Decisions).Applied);
        Assert.False(Assert.Single(OverviewOf(remediation).Agents).FlagApplied);
        Assert.Empty(_store.Applied);

        // The store comes back: the decision lands at once, without waiting for the backoff.
        remediation.Tell(RemediationProtocol.StoreReconnected.Instance);
        Settle(remediation);
        Assert.Equal(_store.Attempts[0], Assert.Single(_store.Applied));
    }

    [Fact]
    public void A_reconnected_store_gets_back_every_flag_still_in_force_and_only_those()
    {
        var remediation = Start(_store);
        remediation.Tell(Detected("a", 0));
        Settle(remediation);
        _time.Advance(TimeSpan.FromSeconds(40));
        remediation.Tell(Detected("b", 40_000));
        Settle(remediation);
        Assert.Equal(2, _store.Applied.Count);

        _store.LoseData();
        _time.Advance(TimeSpan.FromSeconds(30)); // a's flag (1 min) has lapsed, b's has not
        remediation.Tell(RemediationProtocol.StoreReconnected.Instance);
        Settle(remediation);

        var reasserted = Assert.Single(_store.Applied.Skip(2));
        Assert.Equal(_store.Applied[1], reasserted); // the same decision, the same version
        Assert.Null(_store.Current("a"));
    }

    [Fact]
    public void A_reasserted_flag_the_store_still_holds_is_a_stale_no_op()
    {
        var remediation = Start(_store);
        remediation.Tell(Detected("a", 0));
        Settle(remediation);

        remediation.Tell(RemediationProtocol.StoreReconnected.Instance);
        Settle(remediation);

        Assert.Equal(2, _store.Attempts.Count);
        Assert.Single(_store.Applied);
        Assert.Equal(1, _store.StaleWrites);
    }

    [Fact]
    public void Versions_keep_growing_when_the_wall_clock_steps_back()
    {
        var remediation = Start(_store);
        remediation.Tell(Detected("a", 0));
        Settle(remediation);
        _time.Advance(TimeSpan.FromHours(-1));
        remediation.Tell(Detected("b", 0));
        Settle(remediation);

        Assert.Equal(_store.Applied[0].Version + 1, _store.Applied[1].Version);
    }

    [Fact]
    public void Flags_in_force_are_renewed_on_the_timer_once_less_than_half_their_ttl_is_left()
    {
        _options.RenewInterval = TimeSpan.FromMilliseconds(20);
        var remediation = Start(_store);
        remediation.Tell(Detected("a", 0));
        Settle(remediation);
        var opened = Assert.Single(_store.Applied);

        Thread.Sleep(150); // several ticks while the wall clock stands still: nothing is near expiry
        Settle(remediation);
        Assert.Single(_store.Attempts);

        _time.Advance(TimeSpan.FromSeconds(35)); // 25 s of the 60 s TTL left
        AwaitAssert(() => Assert.Equal(2, _store.Applied.Count), TimeSpan.FromSeconds(5), Poll);
        var renewed = _store.Applied[1];
        Assert.Equal((FlagRoute.Fallback, "renewed", opened.Incident), (renewed.Route, renewed.Transition, renewed.Incident));
        Assert.Equal((WallMs + 35_000, WallMs + 95_000), (renewed.Version, renewed.ExpiresAtUnixMs));

        Thread.Sleep(150); // renewed once, not on every tick
        Settle(remediation);
        Assert.Equal(2, _store.Attempts.Count);
    }

    // ---- modes ------------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Dry_run_from_the_options_or_the_policy_file_audits_every_decision_and_writes_nothing(bool optionsDryRun, bool policyDryRun)
    {
        _options.DryRun = optionsDryRun;
        var policies = policyDryRun
            ? TestPolicies.Parse(TestPolicies.Short.Replace("max_flips_per_agent_per_hour: 100 }", "max_flips_per_agent_per_hour: 100, dry_run: true }", StringComparison.Ordinal))
            : Policies;
        var router = CreateTestProbe();
        var remediation = Start(_store, policies);
        remediation.Tell(new RemediationProtocol.AgentsAttached(router.Ref));
        remediation.Tell(Detected("a", 0));
        remediation.Tell(new RemediationProtocol.WatermarkAdvanced(At(10_000)));
        Settle(remediation);

        Assert.Empty(_store.Attempts);
        Assert.Equal(
            [(FlagRoute.Fallback, "opened", FlagAuditOutcome.DryRun), (FlagRoute.Probe, "probe_started", FlagAuditOutcome.DryRun)],
            _store.Audits.Select(a => (a.Decision.Route, a.Decision.Transition, a.Outcome)));
        Assert.Equal([FlagRoute.Fallback, FlagRoute.Probe], _observer.Actions.Select(a => a.Route));
        Assert.All(_observer.Incidents, i => Assert.True(i.DryRun));
        Assert.Empty(FlagsOf(remediation).Decisions);
        Assert.True(OverviewOf(remediation).DryRun);

        // The recovery test still runs on the primary traffic the agent keeps sending.
        router.ExpectMsg<AgentProtocol.SetRemediationMode>();
        router.ExpectMsg<AgentProtocol.StartProbe>();
    }

    [Fact]
    public void Audit_entries_the_store_cannot_take_wait_and_land_once_in_their_order()
    {
        _options.DryRun = true;
        _store.FailNextAudits(3);
        var router = CreateTestProbe();
        var remediation = Start(_store);
        remediation.Tell(new RemediationProtocol.AgentsAttached(router.Ref));
        remediation.Tell(Detected("a", 0));
        remediation.Tell(new RemediationProtocol.WatermarkAdvanced(At(10_000)));

        AwaitAssert(() => Assert.Equal(2, _store.Audits.Count), TimeSpan.FromSeconds(10), Poll);
        Settle(remediation);

        Assert.Equal(5, _store.AuditAttempts); // the first entry failed three times, then both landed once
        Assert.Equal(["opened", "probe_started"], _store.Audits.Select(a => a.Decision.Transition));
        Assert.Empty(_store.Attempts);
    }

    [Fact]
    public void A_reconnected_store_gets_the_waiting_audit_entries_at_once()
    {
        _options.DryRun = true;
        _options.RetryInitialDelay = _options.RetryMaxDelay = TimeSpan.FromMinutes(5); // only the reconnect can bring them
        _store.FailNextAudits(1);
        var remediation = Start(_store);
        remediation.Tell(Detected("a", 0));
        Settle(remediation);
        Assert.Empty(_store.Audits);

        remediation.Tell(RemediationProtocol.StoreReconnected.Instance);

        AwaitAssert(() => Assert.Single(_store.Audits), TimeSpan.FromSeconds(10), Poll);
    }

    [Fact]
    public void Audit_entries_beyond_the_backlog_are_dropped_and_the_oldest_kept()
    {
        _options.DryRun = true;
        _options.AuditBacklog = 1;
        _options.RetryInitialDelay = _options.RetryMaxDelay = TimeSpan.FromMinutes(5);
        _store.FailNextAudits(1);
        var remediation = Start(_store);
        remediation.Tell(Detected("a", 0));
        remediation.Tell(Detected("b", 0));
        Settle(remediation);

        remediation.Tell(RemediationProtocol.StoreReconnected.Instance);
        AwaitAssert(() => Assert.Single(_store.Audits), TimeSpan.FromSeconds(10), Poll);
        Settle(remediation);

        Assert.Equal("a", Assert.Single(_store.Audits).Decision.Agent);
    }

    [Fact]
    public void Without_a_store_decisions_are_still_made_and_reported()
    {
        var remediation = Start(store: null);
        remediation.Tell(Detected("a", 0));
        Settle(remediation);

        Assert.Equal(FlagRoute.Fallback, Assert.Single(_observer.Actions).Route);
        Assert.Equal(IncidentChange.Opened, Assert.Single(_observer.Incidents).Change);
        var view = Assert.Single(OverviewOf(remediation).Agents);
        Assert.Equal(("a", "fallback", false), (view.Agent, view.State, view.FlagApplied));
        Assert.Empty(FlagsOf(remediation).Decisions);
    }

    [Fact]
    public void When_disabled_anomalies_decide_nothing()
    {
        _options.Enabled = false;
        var remediation = Start(_store);
        remediation.Tell(Detected("a", 0));
        remediation.Tell(new RemediationProtocol.WatermarkAdvanced(At(60_000)));
        Settle(remediation);

        Assert.Empty(_observer.Actions);
        Assert.Empty(_observer.Incidents);
        Assert.Empty(_store.Attempts);
        Assert.Empty(_store.Audits);
        Assert.Empty(OverviewOf(remediation).Agents);
    }

    // ---- restart ------------------------------------------------------------------------------------------------------

    [Fact]
    public void A_new_actor_on_the_same_store_restores_the_incident_before_handling_new_messages_and_reasserts_it_with_a_newer_version()
    {
        var first = Start(_store);
        first.Tell(Detected("a", 0));
        Settle(first);
        var opened = Assert.Single(_store.Applied);
        Stop(first);

        _time.Advance(TimeSpan.FromSeconds(5));
        _store.HoldLoads();
        var loads = _store.Loads;
        var second = Start(_store);
        second.Tell(Detected("a", 3_000)); // handled before the restore, it would open a second incident
        AwaitCondition(() => _store.Loads == loads + 1, TimeSpan.FromSeconds(5), Poll);
        Assert.Single(_store.Attempts);

        _store.ReleaseLoads();
        Settle(second);

        var reasserted = Assert.Single(_store.Applied.Skip(1));
        Assert.Equal((FlagRoute.Fallback, "reasserted", opened.Incident, "safe-model"), (reasserted.Route, reasserted.Transition, reasserted.Incident, reasserted.Fallback));
        Assert.Equal((WallMs + 5_000, WallMs + 65_000), (reasserted.Version, reasserted.ExpiresAtUnixMs));
        Assert.True(reasserted.Version > opened.Version);
        Assert.Equal("restored", _observer.Incidents[^1].Cause);
        var view = Assert.Single(OverviewOf(second).Agents);
        Assert.Equal((opened.Incident, "fallback", true), (view.Incident, view.State, view.FlagApplied));

        // The incident goes on where it was: its probe is due 10 s after it opened, in event time.
        second.Tell(new RemediationProtocol.WatermarkAdvanced(At(10_000)));
        Settle(second);
        var probe = _store.Applied[^1];
        Assert.Equal((FlagRoute.Probe, "probe_started", opened.Incident), (probe.Route, probe.Transition, probe.Incident));
    }

    [Fact]
    public void A_store_that_cannot_be_read_at_start_is_retried_before_anything_is_handled()
    {
        var first = Start(_store);
        first.Tell(Detected("a", 0));
        Settle(first);
        Stop(first);

        _time.Advance(TimeSpan.FromSeconds(1));
        _store.FailLoads(2);
        var loads = _store.Loads;
        var second = Start(_store);
        second.Tell(Detected("a", 3_000));
        Settle(second);

        Assert.Equal(loads + 3, _store.Loads);
        Assert.Equal(["opened", "reasserted"], _store.Applied.Select(d => d.Transition));
    }

    [Fact]
    public void When_the_store_stays_unreadable_remediation_starts_without_the_saved_state()
    {
        _options.RestoreAttempts = 2;
        _store.FailLoads(10);
        var remediation = Start(_store);
        remediation.Tell(Detected("a", 0));
        Settle(remediation);

        Assert.Equal(2, _store.Loads);
        Assert.Equal("opened", Assert.Single(_store.Applied).Transition);
    }

    [Fact]
    public async Task A_restored_kill_switch_still_holds_new_fallbacks()
    {
        var first = Start(_store);
        var admin = new ActorRemediationAdmin(first, TimeSpan.FromSeconds(5));
        Assert.Equal(AdminStatus.Done, (await admin.SetKillSwitchAsync(true, new OperatorNote("alice"), CancellationToken.None)).Status);
        Stop(first);

        var second = Start(_store);
        second.Tell(Detected("a", 0));
        Settle(second);

        Assert.Empty(_store.Attempts);
        Assert.Equal("suppressed:kill_switch", Assert.Single(_store.Audits).Decision.Transition);
        Assert.True(OverviewOf(second).KillSwitch);
    }

    // ---- barriers -----------------------------------------------------------------------------------------------------

    [Fact]
    public void A_barrier_waits_for_writes_in_flight()
    {
        _store.Hold();
        var remediation = Start(_store);
        remediation.Tell(Detected("a", 0));
        var barrier = CreateTestProbe();
        remediation.Tell(new RemediationProtocol.ExpectBarrier(1, [], barrier.Ref, long.MinValue));
        Assert.False(Assert.Single(FlagsOf(remediation).Decisions).Applied);
        Assert.False(barrier.HasMessages); // handled before GetFlags, but held by the write

        _store.Release();
        barrier.ExpectMsg<RemediationProtocol.BarrierPassed>(b => b.Id == 1);
        Assert.Single(_store.Applied);
    }

    [Fact]
    public void A_barrier_passes_once_every_agent_passed_it_or_stopped()
    {
        var remediation = Start(_store);
        var agent1 = CreateTestProbe();
        var agent2 = CreateTestProbe();
        var replyTo = CreateTestProbe();
        remediation.Tell(new RemediationProtocol.AgentBarrierPassed(7), agent1.Ref); // may overtake the router's message
        remediation.Tell(new RemediationProtocol.ExpectBarrier(7, [agent1.Ref, agent2.Ref], replyTo.Ref, long.MinValue));
        FlagsOf(remediation);
        Assert.False(replyTo.HasMessages);

        remediation.Tell(new RemediationProtocol.AgentStopped(agent2.Ref));
        replyTo.ExpectMsg<RemediationProtocol.BarrierPassed>(b => b.Id == 7);
    }

    // ---- agents and probes ------------------------------------------------------------------------------------------

    [Fact]
    public void The_incident_mode_and_the_probe_are_told_to_the_agent_router()
    {
        var router = CreateTestProbe();
        var remediation = Start(_store);
        remediation.Tell(new RemediationProtocol.AgentsAttached(router.Ref));
        remediation.Tell(Detected("a", 0));
        var mode = router.ExpectMsg<AgentProtocol.SetRemediationMode>();
        Assert.Equal(("a", "safe-model"), (mode.AgentId, mode.Fallback));

        remediation.Tell(new RemediationProtocol.WatermarkAdvanced(At(9_999)));
        Settle(remediation);
        Assert.False(router.HasMessages);

        remediation.Tell(new RemediationProtocol.WatermarkAdvanced(At(10_000)));
        var start = router.ExpectMsg<AgentProtocol.StartProbe>();
        var incident = IncidentIds.For("a", AnomalyKinds.TokenSpike, At(0));
        var recovery = Policies.Find("everything-else")!.Recovery;
        Assert.Equal("a", start.AgentId);
        Assert.Equal(new ProbeSpec(1, incident, AnomalyKinds.TokenSpike, "safe-model", At(10_000), At(40_000), 5, recovery), start.Probe);

        Settle(remediation);
        var probe = _store.Applied[^1];
        Assert.Equal((FlagRoute.Probe, 0.25, "probe_started", "safe-model"), (probe.Route, probe.ProbeRatio, probe.Transition, probe.Fallback));
        Assert.Equal([FlagRoute.Fallback, FlagRoute.Probe], _observer.Actions.Select(a => a.Route));
    }

    [Fact]
    public void A_recovered_probe_returns_the_agent_to_primary()
    {
        var router = CreateTestProbe();
        var remediation = Start(_store);
        remediation.Tell(new RemediationProtocol.AgentsAttached(router.Ref));
        var probe = OpenAndProbe(remediation, router);

        remediation.Tell(new RemediationProtocol.ProbeVerdict("a", probe.Sequence + 1, true, "another probe", At(20_000))); // not this probe: ignored
        remediation.Tell(new RemediationProtocol.ProbeVerdict("a", probe.Sequence, true, "0/27 probe traces with total_tokens > 1308", At(25_000)));

        var mode = router.ExpectMsg<AgentProtocol.SetRemediationMode>();
        Assert.Equal(("a", null), (mode.AgentId, mode.Fallback));
        Settle(remediation);
        var back = _store.Applied[^1];
        Assert.Equal((FlagRoute.Primary, "recovered", probe.Incident), (back.Route, back.Transition, back.Incident));
        Assert.Null(back.State); // nothing left to resume
        Assert.Equal(new RemediationAction("a", FlagRoute.Primary, string.Empty, At(25_000), probe.Incident, "recovered"), _observer.Actions[^1]);
        Assert.Equal([FlagRoute.Fallback, FlagRoute.Probe, FlagRoute.Primary], _observer.Actions.Select(a => a.Route));
        var recovered = _observer.Incidents[^1];
        Assert.Equal((IncidentChange.Recovered, "0/27 probe traces with total_tokens > 1308"), (recovered.Change, recovered.Detail));
        Assert.Equal(3, _store.Applied.Count);
    }

    [Fact]
    public void A_failed_probe_goes_back_to_fallback_and_the_next_probe_waits_twice_as_long()
    {
        var router = CreateTestProbe();
        var remediation = Start(_store);
        remediation.Tell(new RemediationProtocol.AgentsAttached(router.Ref));
        var probe = OpenAndProbe(remediation, router);

        remediation.Tell(new RemediationProtocol.ProbeVerdict("a", probe.Sequence, false, "3/4 probe traces with total_tokens > 1308", At(12_000)));

        router.ExpectMsg<AgentProtocol.SetRemediationMode>(m => m.Fallback == "safe-model");
        Settle(remediation);
        var back = _store.Applied[^1];
        Assert.Equal((FlagRoute.Fallback, "probe_failed", "3/4 probe traces with total_tokens > 1308"), (back.Route, back.Transition, back.Detail));
        Assert.Equal(new RemediationAction("a", FlagRoute.Fallback, "safe-model", At(12_000), probe.Incident, AnomalyKinds.TokenSpike), _observer.Actions[^1]);

        remediation.Tell(new RemediationProtocol.WatermarkAdvanced(At(31_999))); // 10 s × 2 after the failure
        Settle(remediation);
        Assert.False(router.HasMessages);
        remediation.Tell(new RemediationProtocol.WatermarkAdvanced(At(32_000)));
        var next = router.ExpectMsg<AgentProtocol.StartProbe>().Probe;
        Assert.Equal((2, At(32_000), At(62_000)), (next.Sequence, next.StartUnixNano, next.DeadlineUnixNano));
    }

    [Fact]
    public void A_probe_without_a_verdict_fails_once_its_deadline_and_grace_have_passed_in_event_and_wall_clock_time()
    {
        _options.RenewInterval = TimeSpan.FromMilliseconds(20);
        var router = CreateTestProbe();
        var remediation = Start(_store);
        remediation.Tell(new RemediationProtocol.AgentsAttached(router.Ref));
        var probe = OpenAndProbe(remediation, router);

        var overdue = probe.DeadlineUnixNano + ((long)RemediationEngine.VerdictGrace.TotalMilliseconds * Ms);
        remediation.Tell(new RemediationProtocol.WatermarkAdvanced(overdue - 1));
        Settle(remediation);
        Assert.Equal(FlagRoute.Probe, _store.Applied[^1].Route);

        // Overdue in event time, but a fast replay's verdicts may still be on their way: only the wall clock as well fails it.
        remediation.Tell(new RemediationProtocol.WatermarkAdvanced(overdue));
        router.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(FlagRoute.Probe, _store.Applied[^1].Route);
        _time.Advance(TimeSpan.FromSeconds(61));
        router.ExpectMsg<AgentProtocol.SetRemediationMode>(m => m.Fallback == "safe-model");
        Settle(remediation);
        Assert.Equal((FlagRoute.Fallback, "probe_failed"), (_store.Applied[^1].Route, _store.Applied[^1].Transition));
    }

    // ---- policies and safety limits -----------------------------------------------------------------------------------

    [Fact]
    public void Reloaded_policies_decide_the_next_incident_and_the_open_one_keeps_its_own()
    {
        var reloaded = TestPolicies.Parse(TestPolicies.Short.Replace("fallback: safe-model", "fallback: other-model", StringComparison.Ordinal));
        Assert.NotEqual(Policies.Fingerprint, reloaded.Fingerprint);
        var remediation = Start(_store);
        remediation.Tell(Detected("a", 0));
        remediation.Tell(new RemediationProtocol.PoliciesChanged(reloaded));
        remediation.Tell(Detected("a", 1000)); // part of the open incident
        remediation.Tell(Detected("b", 1000));
        remediation.Tell(new RemediationProtocol.WatermarkAdvanced(At(10_000)));
        Settle(remediation);

        Assert.Equal(
            [
                ("a", FlagRoute.Fallback, "safe-model", "everything-else@" + Policies.Fingerprint),
                ("b", FlagRoute.Fallback, "other-model", "everything-else@" + reloaded.Fingerprint),
            ],
            _store.Applied.Where(d => d.Route == FlagRoute.Fallback).Select(d => (d.Agent, d.Route, d.Fallback, d.Policy)));
        var probe = _store.Applied[^1];
        Assert.Equal(("a", FlagRoute.Probe, "safe-model"), (probe.Agent, probe.Route, probe.Fallback)); // the open incident's own policy
    }

    [Fact]
    public void The_fleet_size_from_the_router_sets_the_blast_radius()
    {
        var policies = TestPolicies.Parse(TestPolicies.Short.Replace("max_fallback_share: 1,", "max_fallback_share: 0.5,", StringComparison.Ordinal));
        var remediation = Start(_store, policies);
        remediation.Tell(new RemediationProtocol.FleetSize(4));
        remediation.Tell(Detected("a", 0));
        remediation.Tell(Detected("b", 0));
        remediation.Tell(Detected("c", 0)); // a third of four agents away: held
        Settle(remediation);

        Assert.Equal(["a", "b"], _store.Applied.Select(d => d.Agent));
        var held = Assert.Single(_store.Audits);
        Assert.Equal(("c", FlagAuditOutcome.Suppressed, "suppressed:blast_radius"), (held.Decision.Agent, held.Outcome, held.Decision.Transition));
        Assert.Equal(("suppressed", "blast_radius"), (_observer.Incidents[^1].Phase, _observer.Incidents[^1].Limit));

        remediation.Tell(new RemediationProtocol.FleetSize(6));
        remediation.Tell(Detected("c", 1000)); // room now: promoted
        Settle(remediation);
        Assert.Equal(("c", "promoted"), (_store.Applied[^1].Agent, _store.Applied[^1].Transition));
    }

    [Fact]
    public void In_canonical_order_reports_wait_for_the_barrier_and_the_blast_radius_goes_by_event_time_then_agent()
    {
        var policies = TestPolicies.Parse(TestPolicies.Short.Replace("max_fallback_share: 1,", "max_fallback_share: 0.5,", StringComparison.Ordinal));
        var remediation = Start(_store, policies, ordered: true);
        var agent = CreateTestProbe();
        remediation.Tell(new RemediationProtocol.FleetSize(4));

        // Arrival order is thread timing; the decision must not be.
        remediation.Tell(Detected("c", 0));
        remediation.Tell(Detected("b", 500));
        remediation.Tell(Detected("a", 500));
        Assert.Empty(FlagsOf(remediation).Decisions); // held until the barrier

        var replyTo = CreateTestProbe();
        remediation.Tell(new RemediationProtocol.ExpectBarrier(1, [agent.Ref], replyTo.Ref, At(1000)));
        Assert.Empty(FlagsOf(remediation).Decisions); // the agent has not passed it yet
        remediation.Tell(new RemediationProtocol.AgentBarrierPassed(1), agent.Ref);
        replyTo.ExpectMsg<RemediationProtocol.BarrierPassed>();

        Assert.Equal(["c", "a"], _store.Applied.Select(d => d.Agent));
        Assert.Equal("b", Assert.Single(_store.Audits).Decision.Agent);
    }

    // ---- manual operations -----------------------------------------------------------------------------------------

    [Fact]
    public async Task Manual_operations_through_the_admin_pin_list_kill_switch_and_clear()
    {
        var ct = CancellationToken.None;
        var router = CreateTestProbe();
        var remediation = Start(_store);
        remediation.Tell(new RemediationProtocol.AgentsAttached(router.Ref));
        var admin = new ActorRemediationAdmin(remediation, TimeSpan.FromSeconds(5));
        remediation.Tell(Detected("a", 0));
        router.ExpectMsg<AgentProtocol.SetRemediationMode>(m => m.AgentId == "a");

        var pinned = await admin.PinAsync(new PinRequest("b", FlagRoute.Fallback, "human", null, new OperatorNote("bob", "investigating")), ct);
        Assert.Equal(AdminStatus.Done, pinned.Status);
        router.ExpectMsg<AgentProtocol.SetRemediationMode>(m => m.AgentId == "b" && m.Fallback == "human");
        Assert.Equal(AdminStatus.Invalid, (await admin.PinAsync(new PinRequest("c", FlagRoute.Fallback, null, null, new OperatorNote("bob")), ct)).Status);
        Settle(remediation);
        var pin = _store.Current("b")!;
        Assert.Equal((FlagRoute.Fallback, "human", "pinned", "operator:bob", "investigating"), (pin.Route, pin.Fallback, pin.Transition, pin.Actor, pin.Detail));

        var list = await admin.ListAsync(ct);
        Assert.Equal(["a", "b"], list.Agents.Select(v => v.Agent));
        Assert.Equal(("fallback", false, true), (list.Agents[0].State, list.Agents[0].Pinned, list.Agents[0].FlagApplied));
        Assert.Equal(("fallback", "human", true), (list.Agents[1].Route, list.Agents[1].Fallback, list.Agents[1].Pinned));
        Assert.Equal((false, 2), (list.KillSwitch, list.AgentsInFallback));

        Assert.Equal(AdminStatus.Done, (await admin.AcknowledgeAsync("a", new OperatorNote("carol"), ct)).Status);
        Assert.Equal(AdminStatus.Done, (await admin.SetKillSwitchAsync(true, new OperatorNote("alice", "review"), ct)).Status);
        Assert.Equal(AdminStatus.Unchanged, (await admin.SetKillSwitchAsync(true, new OperatorNote("alice"), ct)).Status);
        router.ExpectMsg<AgentProtocol.SetRemediationMode>(m => m.AgentId == "a" && m.Fallback == null);
        Settle(remediation);
        Assert.Equal((true, "operator:alice", "review"), (_store.KillSwitch!.Engaged, _store.KillSwitch.Actor, _store.KillSwitch.Note));
        var released = _store.Current("a")!;
        Assert.Equal((FlagRoute.Primary, "kill_switch", "operator:alice"), (released.Route, released.Transition, released.Actor));
        Assert.Equal(FlagRoute.Fallback, _store.Current("b")!.Route); // an operator's pin is not automation

        remediation.Tell(Detected("c", 5_000));
        Settle(remediation);
        Assert.Null(_store.Current("c"));
        Assert.Equal("kill_switch", _observer.Incidents[^1].Limit);

        Assert.Equal(AdminStatus.Done, (await admin.ClearAsync("b", new OperatorNote("bob", "done"), ct)).Status);
        Assert.Equal(AdminStatus.NotFound, (await admin.ClearAsync("nobody", new OperatorNote("bob"), ct)).Status);
        router.ExpectMsg<AgentProtocol.SetRemediationMode>(m => m.AgentId == "b" && m.Fallback == null);
        Settle(remediation);
        Assert.Equal((FlagRoute.Primary, "cleared"), (_store.Current("b")!.Route, _store.Current("b")!.Transition));

        var after = await admin.ListAsync(ct);
        Assert.True(after.KillSwitch);
        Assert.Equal(0, after.AgentsInFallback);
    }
    [Fact]
    public async Task A_manual_operation_answers_done_only_once_the_store_confirmed_its_flag()
    {
        _options.WriteTimeout = TimeSpan.FromMinutes(1); // the answer waits for the held write, however slow the machine
        var remediation = Start(_store);
        var admin = new ActorRemediationAdmin(remediation, TimeSpan.FromSeconds(30));
        _store.Hold();

        var pin = admin.PinAsync(new PinRequest("b", FlagRoute.Fallback, "human", null, new OperatorNote("bob")), CancellationToken.None);
        Assert.Equal(1, (await admin.ListAsync(CancellationToken.None)).AgentsInFallback); // the actor has decided the pin…
        Assert.False(pin.IsCompleted); // …but has not answered: the write is held
        Assert.Null(_store.Current("b"));

        _store.Release();
        Assert.Equal(AdminStatus.Done, (await pin).Status);
        Assert.Equal(FlagRoute.Fallback, _store.Current("b")!.Route); // answered after the write, not before
    }

    [Fact]
    public async Task A_manual_operation_whose_write_fails_answers_pending_and_the_flag_lands_on_retry()
    {
        var remediation = Start(_store);
        var admin = new ActorRemediationAdmin(remediation, TimeSpan.FromSeconds(30));
        _store.FailNext(1);

        var pinned = await admin.PinAsync(new PinRequest("b", FlagRoute.Fallback, "human", null, new OperatorNote("bob")), CancellationToken.None);
        Assert.Equal(AdminStatus.Pending, pinned.Status);
        Assert.Contains("retried", pinned.Message, StringComparison.Ordinal);

        AwaitCondition(() => _store.Current("b") is { Route: FlagRoute.Fallback }, TimeSpan.FromSeconds(10), Poll);
        Assert.Equal(1, _store.Applied.Count(d => d.Agent == "b"));
        Assert.Equal(AdminStatus.Done, (await admin.ClearAsync("b", new OperatorNote("bob"), CancellationToken.None)).Status);
        Assert.Equal(FlagRoute.Primary, _store.Current("b")!.Route);
    }
}
