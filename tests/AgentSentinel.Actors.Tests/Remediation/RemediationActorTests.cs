using AgentSentinel.Actors.Hosting;
using AgentSentinel.Actors.Remediation;
using AgentSentinel.Actors.Tests.TestSupport;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Remediation;
using Akka.Actor;
using Microsoft.Extensions.Logging.Abstractions;
using static AgentSentinel.Actors.Tests.TestSupport.TestSpans;

namespace AgentSentinel.Actors.Tests.Remediation;

public sealed class RemediationActorTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly DateTimeOffset WallStart = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private const long Minute = 60_000 * Ms;
    private readonly InMemoryFlagStore _store = new();
    private readonly RecordingObserver _observer = new();
    private readonly ManualTimeProvider _time = new(WallStart);
    private readonly RemediationOptions _options = new() { RetryInitialDelay = TimeSpan.FromMilliseconds(10), RetryMaxDelay = TimeSpan.FromMilliseconds(40) };

    private IActorRef Start(IFlagStore? store) =>
        Sys.ActorOf(RemediationActor.Props(_options, store, new ObserverFanout([_observer], NullLogger.Instance), _time, NullLogger.Instance));

    private static Anomaly Spike(string agent, long atMs, string kind = AnomalyKinds.TokenSpike) =>
        new(agent, kind, At(atMs), 42, new AnomalyExplanation("tokens_per_trace", 9000, 1000, 50, 160), ["0123456789abcdef0123456789abcdef"]);

    /// <summary>Sends an empty barrier and waits for it: every message sent before has been handled, and no write is in flight.</summary>
    private void Settle(IActorRef remediation)
    {
        var probe = CreateTestProbe();
        remediation.Tell(new RemediationProtocol.ExpectBarrier(Random.Shared.NextInt64(), [], probe.Ref, long.MinValue));
        probe.ExpectMsg<RemediationProtocol.BarrierPassed>();
    }

    [Fact]
    public void The_first_anomaly_opens_an_incident_and_writes_one_fallback_flag()
    {
        var remediation = Start(_store);
        remediation.Tell(new RemediationProtocol.AnomalyDetected(Spike("a", 0)));
        remediation.Tell(new RemediationProtocol.AnomalyDetected(Spike("a", 1000)));
        remediation.Tell(new RemediationProtocol.AnomalyDetected(Spike("a", 2000, AnomalyKinds.LatencySpike)));
        Settle(remediation);

        var decision = Assert.Single(_store.Attempts);
        var nowMs = WallStart.ToUnixTimeMilliseconds();
        Assert.Equal("a", decision.Agent);
        Assert.Equal(FlagRoute.Fallback, decision.Route);
        Assert.Equal("safe-model", decision.Fallback);
        Assert.Equal(AnomalyKinds.TokenSpike, decision.Reason);
        Assert.Equal("tokens_per_trace 9000 vs baseline 1000 (spread 50): 160.0 spreads above", decision.Detail);
        Assert.Equal(["0123456789abcdef0123456789abcdef"], decision.TraceIds);
        Assert.Matches("^inc-[0-9a-f]{12}$", decision.Incident);
        Assert.Equal(IncidentIds.For("a", AnomalyKinds.TokenSpike, At(0)), decision.Incident);
        Assert.Equal(nowMs, decision.Version);
        Assert.Equal(nowMs, decision.UpdatedAtUnixMs);
        Assert.Equal(nowMs + 300_000, decision.ExpiresAtUnixMs);

        var action = Assert.Single(_observer.Actions);
        Assert.Equal(new RemediationAction("a", FlagRoute.Fallback, "safe-model", At(0), decision.Incident, AnomalyKinds.TokenSpike), action);
    }

    [Fact]
    public void Each_agent_gets_its_own_incident_and_the_kind_picks_the_fallback()
    {
        _options.FallbackByKind[AnomalyKinds.LatencySpike] = "fast-model";
        var remediation = Start(_store);
        remediation.Tell(new RemediationProtocol.AnomalyDetected(Spike("a", 0)));
        remediation.Tell(new RemediationProtocol.AnomalyDetected(Spike("b", 0, AnomalyKinds.LatencySpike)));
        Settle(remediation);

        Assert.Equal(["a:safe-model", "b:fast-model"], _store.Applied.Select(d => d.Agent + ":" + d.Fallback).Order(StringComparer.Ordinal));
        Assert.True(_store.Applied[1].Version > _store.Applied[0].Version);
    }

    [Fact]
    public void The_incident_ends_with_ttl_expired_when_the_watermark_reaches_its_end()
    {
        var remediation = Start(_store);
        remediation.Tell(new RemediationProtocol.AnomalyDetected(Spike("a", 0)));
        remediation.Tell(new RemediationProtocol.WatermarkAdvanced(At(0) + (5 * Minute) - 1));
        Settle(remediation);
        Assert.Single(_observer.Actions);

        remediation.Tell(new RemediationProtocol.WatermarkAdvanced(At(0) + (5 * Minute)));
        Settle(remediation);

        var incident = _observer.Actions[0].Incident;
        Assert.Equal(new RemediationAction("a", FlagRoute.Primary, "safe-model", At(0) + (5 * Minute), incident, "ttl_expired"), _observer.Actions[1]);
        Assert.Single(_store.Attempts); // the flag lapses by its expires_at: nothing is written on the way back
    }

    [Fact]
    public void An_anomaly_after_the_ttl_ends_the_incident_and_opens_the_next_whatever_the_watermark_says()
    {
        var remediation = Start(_store);
        remediation.Tell(new RemediationProtocol.AnomalyDetected(Spike("a", 0)));
        _time.Advance(TimeSpan.FromMinutes(6));
        remediation.Tell(new RemediationProtocol.AnomalyDetected(Spike("a", 6 * 60_000)));
        Settle(remediation);

        Assert.Equal(
            [(FlagRoute.Fallback, At(0)), (FlagRoute.Primary, At(0) + (5 * Minute)), (FlagRoute.Fallback, At(6 * 60_000))],
            _observer.Actions.Select(a => (a.Route, a.AtUnixNano)));
        Assert.Equal(2, _store.Applied.Count);
        Assert.NotEqual(_store.Applied[0].Incident, _store.Applied[1].Incident);
        Assert.True(_store.Applied[1].Version > _store.Applied[0].Version);
    }

    [Fact]
    public void An_anomaly_stamped_inside_an_incident_that_already_expired_stays_part_of_it()
    {
        var remediation = Start(_store);
        remediation.Tell(new RemediationProtocol.AnomalyDetected(Spike("a", 0)));
        remediation.Tell(new RemediationProtocol.WatermarkAdvanced(At(10 * 60_000)));
        remediation.Tell(new RemediationProtocol.AnomalyDetected(Spike("a", 60_000))); // delivered late, stamped inside
        Settle(remediation);

        Assert.Equal(2, _observer.Actions.Count);
        Assert.Single(_store.Attempts);
    }

    [Fact]
    public void An_ended_incident_is_forgotten_only_once_its_flag_lapsed_and_wall_clock_time_has_passed()
    {
        var remediation = Start(_store);
        remediation.Tell(new RemediationProtocol.AnomalyDetected(Spike("a", 0)));
        remediation.Tell(new RemediationProtocol.WatermarkAdvanced(At(0) + (10 * Minute)));
        remediation.Tell(new RemediationProtocol.AnomalyDetected(Spike("a", 60_000))); // late, still part of the incident
        Settle(remediation);
        Assert.Single(_store.Attempts);

        _time.Advance(RemediationActor.ForgetAfter + TimeSpan.FromMinutes(1));
        remediation.Tell(new RemediationProtocol.WatermarkAdvanced(At(0) + (20 * Minute)));
        remediation.Tell(RemediationProtocol.GetFlags.Instance, TestActor);

        Assert.Empty(ExpectMsg<RemediationProtocol.Flags>().Decisions);
    }

    [Fact]
    public void Failed_writes_are_retried_with_backoff_until_applied()
    {
        _store.FailNext(3);
        var remediation = Start(_store);
        remediation.Tell(new RemediationProtocol.AnomalyDetected(Spike("a", 0)));

        AwaitAssert(() => Assert.Single(_store.Applied), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(10));
        Assert.Equal(4, _store.Attempts.Count);
        Assert.Single(_store.Attempts.Select(d => d.Version).Distinct()); // the same decision each time
        Assert.Single(_observer.Actions);
    }

    [Fact]
    public void A_reconnected_store_gets_back_every_flag_still_in_force()
    {
        var remediation = Start(_store);
        remediation.Tell(new RemediationProtocol.AnomalyDetected(Spike("a", 0)));
        Settle(remediation);
        _time.Advance(TimeSpan.FromMinutes(1));
        remediation.Tell(new RemediationProtocol.AnomalyDetected(Spike("b", 60_000)));
        Settle(remediation);
        Assert.Equal(2, _store.Applied.Count);

        _store.LoseData();
        _time.Advance(TimeSpan.FromMinutes(4.5)); // a's flag (5 min) has lapsed, b's has not
        remediation.Tell(RemediationProtocol.StoreReconnected.Instance);
        Settle(remediation);

        var reasserted = Assert.Single(_store.Applied.Skip(2));
        Assert.Equal(_store.Applied[1], reasserted); // same decision, same version
    }

    [Fact]
    public void A_reasserted_flag_the_store_still_holds_is_a_stale_no_op()
    {
        var remediation = Start(_store);
        remediation.Tell(new RemediationProtocol.AnomalyDetected(Spike("a", 0)));
        Settle(remediation);

        remediation.Tell(RemediationProtocol.StoreReconnected.Instance);
        Settle(remediation);

        Assert.Equal(2, _store.Attempts.Count);
        Assert.Single(_store.Applied);
        Assert.Equal(1, _store.StaleWrites);
    }

    [Fact]
    public void Dry_run_reports_every_decision_and_writes_nothing()
    {
        _options.DryRun = true;
        var remediation = Start(_store);
        remediation.Tell(new RemediationProtocol.AnomalyDetected(Spike("a", 0)));
        remediation.Tell(new RemediationProtocol.WatermarkAdvanced(At(0) + (5 * Minute)));
        Settle(remediation);

        Assert.Empty(_store.Attempts);
        Assert.Equal([FlagRoute.Fallback, FlagRoute.Primary], _observer.Actions.Select(a => a.Route));
    }

    [Fact]
    public void Without_a_store_decisions_are_still_made_and_reported()
    {
        var remediation = Start(store: null);
        remediation.Tell(new RemediationProtocol.AnomalyDetected(Spike("a", 0)));
        Settle(remediation);

        Assert.Single(_observer.Actions);
    }

    [Fact]
    public void When_disabled_anomalies_decide_nothing()
    {
        _options.Enabled = false;
        var remediation = Start(_store);
        remediation.Tell(new RemediationProtocol.AnomalyDetected(Spike("a", 0)));
        Settle(remediation);

        Assert.Empty(_observer.Actions);
        Assert.Empty(_store.Attempts);
    }

    [Fact]
    public void Versions_keep_growing_when_the_wall_clock_steps_back()
    {
        var remediation = Start(_store);
        remediation.Tell(new RemediationProtocol.AnomalyDetected(Spike("a", 0)));
        Settle(remediation);
        _time.Advance(TimeSpan.FromHours(-1));
        remediation.Tell(new RemediationProtocol.AnomalyDetected(Spike("b", 0)));
        Settle(remediation);

        Assert.Equal(_store.Applied[0].Version + 1, _store.Applied[1].Version);
    }

    [Fact]
    public void A_barrier_waits_for_writes_in_flight()
    {
        _store.Hold();
        var remediation = Start(_store);
        remediation.Tell(new RemediationProtocol.AnomalyDetected(Spike("a", 0)));
        var barrier = CreateTestProbe();
        remediation.Tell(new RemediationProtocol.ExpectBarrier(1, [], barrier.Ref, long.MinValue));
        remediation.Tell(RemediationProtocol.GetFlags.Instance, TestActor);
        var flags = ExpectMsg<RemediationProtocol.Flags>();
        Assert.False(Assert.Single(flags.Decisions).Applied);
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
        remediation.Tell(RemediationProtocol.GetFlags.Instance, TestActor);
        ExpectMsg<RemediationProtocol.Flags>();
        Assert.False(replyTo.HasMessages);

        remediation.Tell(new RemediationProtocol.AgentStopped(agent2.Ref));
        replyTo.ExpectMsg<RemediationProtocol.BarrierPassed>(b => b.Id == 7);
    }

    [Fact]
    public void Incident_ids_are_stable_and_depend_on_agent_kind_and_time()
    {
        var id = IncidentIds.For("a", "token_spike", 123);
        Assert.Equal(id, IncidentIds.For("a", "token_spike", 123));
        Assert.NotEqual(id, IncidentIds.For("a", "token_spike", 124));
        Assert.NotEqual(id, IncidentIds.For("b", "token_spike", 123));
        Assert.NotEqual(id, IncidentIds.For("a", "latency_spike", 123));
    }
}
