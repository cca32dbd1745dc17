using AgentSentinel.Client;
using AgentSentinel.Cli.Commands;
using AgentSentinel.Cli.Demo;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Remediation;

namespace AgentSentinel.Cli.Tests.Demo;

public sealed class DemoFleetTests
{
    [Fact]
    public void The_fleet_mixes_archetypes_and_conventions_and_faults_a_few_agents_after_warm_up()
    {
        var fleet = DemoCommand.BuildFleet(20, TimeSpan.FromSeconds(90), seed: 7);

        Assert.Equal(20, fleet.Select(a => a.Name).Distinct().Count());
        Assert.Equal(4, fleet.Select(a => a.Archetype).Distinct().Count());
        Assert.Equal(3, fleet.Select(a => a.Convention).Distinct().Count());
        var faulted = fleet.Where(a => a.Fault != FaultKind.None).ToList();
        Assert.Equal(3, faulted.Count);
        Assert.Contains(faulted, a => a.Fault == FaultKind.TokenBlowUp);
        Assert.Contains(faulted, a => a.Fault == FaultKind.LatencyRegression);
        Assert.All(faulted, a => Assert.InRange(a.FaultStartSeconds, 30, 60));
    }

    [Fact]
    public void The_same_seed_builds_the_same_fleet()
    {
        var first = DemoCommand.BuildFleet(12, TimeSpan.FromSeconds(60), seed: 3);
        var second = DemoCommand.BuildFleet(12, TimeSpan.FromSeconds(60), seed: 3);

        Assert.Equal(
            first.Select(a => (a.Name, a.Fault, a.FaultStartSeconds)),
            second.Select(a => (a.Name, a.Fault, a.FaultStartSeconds)));
    }

    [Fact]
    public void A_faulty_agent_behaves_normally_on_its_fallback_route()
    {
        var agent = new SimulatedAgent("planner-01", AgentArchetype.Planner, SpanConvention.OtelGenAi, seed: 1);
        agent.InjectFault(FaultKind.TokenBlowUp, atSeconds: 0);
        var now = 1_767_225_600_000_000_000;

        var faulty = agent.Due(100, now).ToList();
        agent.Decide = _ => new RouteDecision(FlagRoute.Fallback, "safe-model");
        var onFallback = agent.Due(200, now).ToList();

        Assert.All(faulty, t => Assert.True(t.Faulty));
        Assert.All(onFallback, t => Assert.False(t.Faulty));
        Assert.All(onFallback.SelectMany(t => t.Spans).Where(s => s.Kind == SimulatedSpanKind.LlmCall), s => Assert.Equal("safe-model", s.Model));
        // Each request is tagged with the path that served it, as the client library tells agents to.
        Assert.All(faulty, t => Assert.Equal("primary", t.Spans.Single(s => s.Kind == SimulatedSpanKind.Agent).Route));
        Assert.All(onFallback, t => Assert.Equal("fallback", t.Spans.Single(s => s.Kind == SimulatedSpanKind.Agent).Route));
        static double MeanTokens(IEnumerable<SimulatedTrace> traces) =>
            traces.SelectMany(t => t.Spans).Where(s => s.Kind == SimulatedSpanKind.LlmCall).Average(s => s.InputTokens + s.OutputTokens);
        Assert.True(MeanTokens(faulty) > 4 * MeanTokens(onFallback));
    }

    [Fact]
    public void The_scorer_counts_detections_after_the_fault_and_flags_on_healthy_agents_as_false()
    {
        var agents = DemoCommand.BuildFleet(8, TimeSpan.FromSeconds(100), seed: 5);
        var faulty = agents.First(a => a.Fault == FaultKind.TokenBlowUp);
        var healthy = agents.First(a => a.Fault == FaultKind.None);
        var time = new ManualTime();
        var scorer = new DemoScorer(agents, time, time.GetTimestamp());
        var explanation = new AnomalyExplanation("tokens_per_trace", 9000, 900, 100, 81);

        time.Advance(TimeSpan.FromSeconds(faulty.FaultStartSeconds + 2));
        scorer.OnAnomaly(new Anomaly(faulty.Name, AnomalyKinds.TokenSpike, 0, 81, explanation, []));
        time.Advance(TimeSpan.FromSeconds(1));
        scorer.OnRemediation(new RemediationAction(faulty.Name, FlagRoute.Fallback, "safe-model", 0, "inc-1", AnomalyKinds.TokenSpike));
        scorer.OnRemediation(new RemediationAction(healthy.Name, FlagRoute.Fallback, "safe-model", 0, "inc-2", AnomalyKinds.TokenSpike));

        var summary = scorer.Summarize(records: 10, spans: 100);

        Assert.Equal(1, summary.FaultsDetected);
        Assert.Equal(1, summary.FalseFlags);
        var outcome = summary.Faults.Single(f => f.Agent == faulty.Name);
        Assert.Equal(2.0, outcome.SecondsToAnomaly!.Value, 1);
        Assert.Equal(3.0, outcome.SecondsToFlag!.Value, 1);
    }

    private sealed class ManualTime : TimeProvider
    {
        private long _ticks = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
