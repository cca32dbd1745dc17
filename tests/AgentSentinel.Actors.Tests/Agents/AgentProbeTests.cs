using AgentSentinel.Actors.Agents;
using AgentSentinel.Actors.Hosting;
using AgentSentinel.Actors.Remediation;
using AgentSentinel.Actors.Tests.TestSupport;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection;
using AgentSentinel.Detection.Detectors;
using AgentSentinel.Remediation.Lifecycle;
using AgentSentinel.Remediation.Policies;
using Akka.Actor;
using Akka.TestKit;
using Microsoft.Extensions.Logging.Abstractions;
using static AgentSentinel.Actors.Tests.TestSupport.TestSpans;

namespace AgentSentinel.Actors.Tests.Agents;

/// <summary>
/// A real agent actor (default detectors) judging probe traffic: one trace per second of event time, each an agent span
/// with one model call to <c>gpt-4o</c>; healthy traces use 1000–1190 tokens, bad ones eight times as many. The incident's
/// fallback is <c>safe-model</c>.
/// </summary>
public sealed class AgentProbeTests : SentinelTestKit
{
    private const string Fallback = "safe-model";
    private const int WarmUpTraces = 60;
    private static readonly RecoverySettings Recovery = new(Alpha: 0.05, Beta: 0.1, FaultRateMultiplier: 4, MinRateIncrease: 0.1);
    private readonly RecordingObserver _observer = new();
    private readonly TestProbe _remediation;
    private readonly List<RemediationProtocol.ReferenceCaptured> _captured = [];
    private long _barriers;

    public AgentProbeTests()
    {
        _remediation = CreateTestProbe();
    }

    private IActorRef StartAgent(string agent)
    {
        var settings = new AgentActorSettings(
            new DetectionOptions(), DetectorSet.CreateDefault, _remediation.Ref, new ObserverFanout([_observer], NullLogger.Instance), PassivateAfter: null);
        return Sys.ActorOf(AgentActor.Props(agent, settings));
    }

    private static long HealthyTokens(int n) => 1000 + ((n % 20) * 10);

    /// <summary>Trace <paramref name="n"/> of <paramref name="agent"/>: starts at n s, one model call, ends 300 ms later.</summary>
    private static AgentProtocol.ObserveTrace TraceOf(string agent, int n, long? tokens = null, string model = "gpt-4o", SpanRouteHint hint = SpanRouteHint.None)
    {
        var start = n * 1000L;
        AgentSpan[] spans =
        [
            Span(n, 2, 1, start + 10, start + 210, tokens: tokens ?? HealthyTokens(n)) with { RequestModel = model, ResponseModel = model, RouteHint = hint },
            Span(n, 1, 0, start, start + 300, agent: agent, operation: SpanOperation.InvokeAgent),
        ];
        return new AgentProtocol.ObserveTrace(new AgentTrace(agent, Trace(n), spans, true, At(start + 300)));
    }

    private static AgentProtocol.StartProbe Probe(string agent, long startMs, long deadlineMs, int minTraces, int sequence = 1) =>
        new(agent, new ProbeSpec(sequence, "inc-0123456789ab", AnomalyKinds.TokenSpike, Fallback, At(startMs), At(deadlineMs), minTraces, Recovery));

    private void Send(IActorRef agent, string name, int from, int count, Func<int, AgentProtocol.ObserveTrace>? trace = null)
    {
        for (var n = from; n < from + count; n++)
        {
            agent.Tell(trace?.Invoke(n) ?? TraceOf(name, n));
        }
    }

    /// <summary>Healthy traces 0…59, then the incident: the reference is those 60 traces.</summary>
    private IActorRef WarmedUpInIncident(string name)
    {
        var agent = StartAgent(name);
        Send(agent, name, 0, WarmUpTraces);
        agent.Tell(new AgentProtocol.SetRemediationMode(name, Fallback));
        return agent;
    }

    /// <summary>What the agent told remediation up to a barrier passed now (everything it did before is in).</summary>
    private List<object> ToldUntilNow(IActorRef agent)
    {
        var id = Interlocked.Increment(ref _barriers);
        agent.Tell(new AgentProtocol.AgentBarrier(id));
        var told = new List<object>();
        while (true)
        {
            var message = _remediation.ReceiveOne(TimeSpan.FromSeconds(10)) ?? throw new TimeoutException("the agent did not pass the barrier");
            if (message is RemediationProtocol.AgentBarrierPassed passed && passed.Id == id)
            {
                return told;
            }

            if (message is RemediationProtocol.ReferenceCaptured captured)
            {
                _captured.Add(captured);
                continue;
            }

            told.Add(message);
        }
    }

    private RemediationProtocol.ProbeVerdict Verdict(IActorRef agent) => Assert.Single(ToldUntilNow(agent).OfType<RemediationProtocol.ProbeVerdict>());

    [Fact]
    public void Probe_traffic_that_still_shows_the_fault_fails_the_probe_within_a_few_traces()
    {
        var agent = WarmedUpInIncident("a");
        agent.Tell(Probe("a", 60_000, 120_000, minTraces: 40));
        Send(agent, "a", 60, 10, n => TraceOf("a", n, tokens: HealthyTokens(n) * 8));

        var verdict = Verdict(agent);

        Assert.Equal(("a", 1, false), (verdict.Agent, verdict.Sequence, verdict.Recovered));
        Assert.True(verdict.AtUnixNano <= At(62_300), $"decided at {(verdict.AtUnixNano - T0) / Ms} ms"); // at most three bad traces
        Assert.Matches(@"^(\d+)/\1 probe traces with total_tokens > ", verdict.Summary); // every one of them bad
    }

    [Fact]
    public void Entering_an_incident_hands_remediation_a_snapshot_of_the_healthy_reference_and_a_saved_one_is_taken_back()
    {
        var agent = WarmedUpInIncident("a");
        Assert.Empty(ToldUntilNow(agent));
        var captured = Assert.Single(_captured);
        var sample = new AgentSentinel.Remediation.Recovery.ReferenceSample();
        Assert.True(sample.TryImport(captured.Snapshot));
        Assert.Equal(WarmUpTraces, sample.Count);

        // A restarted actor (nothing seen yet) gets the saved reference with its mode, and judges probes against it:
        // 8× tokens fail, which an empty reference (failures only) would have let pass.
        var fresh = StartAgent("b");
        fresh.Tell(new AgentProtocol.SetRemediationMode("b", Fallback, captured.Snapshot));
        fresh.Tell(Probe("b", 60_000, 200_000, minTraces: 5));
        Send(fresh, "b", 60, 5, n => TraceOf("b", n, tokens: 8 * HealthyTokens(n)));
        Assert.False(Verdict(fresh).Recovered);
        Assert.Single(_captured); // nothing captured for a resumed incident
    }

    [Fact]
    public void Healthy_probe_traffic_recovers_only_once_the_minimum_number_of_traces_was_judged()
    {
        var agent = WarmedUpInIncident("a");
        agent.Tell(Probe("a", 60_000, 200_000, minTraces: 40));
        Send(agent, "a", 60, 39);
        var told = ToldUntilNow(agent);
        Assert.Empty(told); // no anomaly, no verdict yet

        agent.Tell(TraceOf("a", 99));
        var verdict = Verdict(agent);

        Assert.Equal(("a", 1, true, At(99_300)), (verdict.Agent, verdict.Sequence, verdict.Recovered, verdict.AtUnixNano));
        Assert.StartsWith("0/40 probe traces with total_tokens > ", verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Traces_served_by_the_fallback_are_not_probe_traffic_and_raise_no_anomaly()
    {
        var agent = WarmedUpInIncident("a");
        agent.Tell(Probe("a", 60_000, 300_000, minTraces: 40));
        var anomaliesBefore = _observer.Anomalies.Count;

        // Eight times the tokens, but served by the fallback: tagged so, or calling the fallback model (with a release suffix).
        Send(agent, "a", 60, 20, n => TraceOf("a", n, tokens: HealthyTokens(n) * 8, hint: SpanRouteHint.Fallback));
        Send(agent, "a", 80, 20, n => TraceOf("a", n, tokens: HealthyTokens(n) * 8, model: "openai/safe-model-2025-01-01"));
        Assert.Empty(ToldUntilNow(agent));
        Assert.Equal(anomaliesBefore, _observer.Anomalies.Count);
        Assert.Equal(WarmUpTraces + 40, _observer.Traces.Count); // still observed as traces

        Send(agent, "a", 100, 40);
        var verdict = Verdict(agent);
        Assert.True(verdict.Recovered);
        Assert.StartsWith("0/40 probe traces", verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Traffic_on_the_fallback_model_raises_no_model_change_while_the_incident_is_in_force()
    {
        // Two agents with the same history; only "a" has an incident with safe-model as its fallback.
        var a = StartAgent("a");
        var b = StartAgent("b");
        foreach (var (agent, name) in new[] { (a, "a"), (b, "b") })
        {
            Send(agent, name, 0, 120);
        }

        a.Tell(new AgentProtocol.SetRemediationMode("a", Fallback));
        Send(a, "a", 120, 40, n => TraceOf("a", n, model: Fallback));
        Send(b, "b", 120, 40, n => TraceOf("b", n, model: Fallback));
        ToldUntilNow(a);
        ToldUntilNow(b);

        Assert.DoesNotContain(_observer.Anomalies, x => x.Agent == "a");
        Assert.Contains(_observer.Anomalies, x => x.Agent == "b" && x.Kind == AnomalyKinds.ModelChange); // the detector would have fired
    }

    [Fact]
    public void A_probe_with_too_little_traffic_by_its_deadline_is_not_recovered()
    {
        var agent = WarmedUpInIncident("a");
        agent.Tell(Probe("a", 60_000, 90_000, minTraces: 40));
        Send(agent, "a", 60, 5);
        agent.Tell(new AgentProtocol.AdvanceWatermark(At(89_999)));
        Assert.Empty(ToldUntilNow(agent));

        agent.Tell(new AgentProtocol.AdvanceWatermark(At(90_000)));
        var verdict = Verdict(agent);

        Assert.Equal((false, At(90_000)), (verdict.Recovered, verdict.AtUnixNano));
        Assert.Contains("only 5 of 40 traces", verdict.Summary, StringComparison.Ordinal);

        agent.Tell(new AgentProtocol.AdvanceWatermark(At(100_000)));
        Assert.Empty(ToldUntilNow(agent)); // one verdict per probe
    }

    [Fact]
    public void Traces_that_started_before_the_probe_are_not_probe_traffic()
    {
        var agent = WarmedUpInIncident("a");
        agent.Tell(Probe("a", 70_000, 200_000, minTraces: 40));
        Send(agent, "a", 60, 10, n => TraceOf("a", n, tokens: HealthyTokens(n) * 8)); // the fault, before the probe began
        var told = ToldUntilNow(agent);
        Assert.DoesNotContain(told, m => m is RemediationProtocol.ProbeVerdict);
        Assert.Contains(told, m => m is RemediationProtocol.AnomalyDetected); // still judged by detection

        Send(agent, "a", 70, 40);
        Assert.True(Verdict(agent).Recovered);
    }

    [Fact]
    public void The_reference_stays_frozen_while_an_incident_is_in_force()
    {
        // 200 faulty primary traces during the incident would swamp a 60-trace reference if they were added to it.
        var agent = WarmedUpInIncident("a");
        Send(agent, "a", 60, 200, n => TraceOf("a", n, tokens: HealthyTokens(n) * 8));
        ToldUntilNow(agent);

        agent.Tell(Probe("a", 260_000, 400_000, minTraces: 40));
        Send(agent, "a", 260, 10, n => TraceOf("a", n, tokens: HealthyTokens(n) * 8));

        Assert.False(Verdict(agent).Recovered);
    }

    [Fact]
    public void Ending_the_incident_cancels_its_probe()
    {
        var agent = WarmedUpInIncident("a");
        agent.Tell(Probe("a", 60_000, 90_000, minTraces: 40));
        Send(agent, "a", 60, 5);
        agent.Tell(new AgentProtocol.SetRemediationMode("a", null));
        agent.Tell(new AgentProtocol.AdvanceWatermark(At(95_000)));

        Assert.DoesNotContain(ToldUntilNow(agent), m => m is RemediationProtocol.ProbeVerdict);
    }

    [Fact]
    public void The_router_passes_probes_and_incident_modes_to_the_agent()
    {
        var settings = new AgentActorSettings(
            new DetectionOptions(), DetectorSet.CreateDefault, _remediation.Ref, new ObserverFanout([_observer], NullLogger.Instance), PassivateAfter: null);
        var router = Sys.ActorOf(AgentRouter.Props(settings, NullLogger.Instance));
        Send(router, "a", 0, WarmUpTraces);
        router.Tell(new AgentProtocol.SetRemediationMode("a", Fallback));
        router.Tell(Probe("a", 60_000, 120_000, minTraces: 40));
        Send(router, "a", 60, 10, n => TraceOf("a", n, tokens: HealthyTokens(n) * 8));

        var verdict = _remediation.FishForMessage(m => m is RemediationProtocol.ProbeVerdict, TimeSpan.FromSeconds(10));

        Assert.False(((RemediationProtocol.ProbeVerdict)verdict).Recovered);
    }
}
