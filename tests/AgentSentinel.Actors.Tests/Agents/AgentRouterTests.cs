using AgentSentinel.Actors.Agents;
using AgentSentinel.Actors.Hosting;
using AgentSentinel.Actors.Remediation;
using AgentSentinel.Actors.Tests.TestSupport;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection;
using AgentSentinel.Detection.Detectors;
using AgentSentinel.Detection.Features;
using AgentSentinel.Remediation.Policies;
using Akka.Actor;
using Microsoft.Extensions.Logging.Abstractions;
using static AgentSentinel.Actors.Tests.TestSupport.TestSpans;

namespace AgentSentinel.Actors.Tests.Agents;

public sealed class AgentRouterTests : SentinelTestKit
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(10);
    private readonly RecordingObserver _observer = new();
    private int _factoryCalls;

    private IActorRef StartRouter(IActorRef remediation, Func<DetectionOptions, IReadOnlyList<IAgentDetector>>? detectors = null, TimeSpan? passivateAfter = null)
    {
        var settings = new AgentActorSettings(
            new DetectionOptions(),
            o =>
            {
                Interlocked.Increment(ref _factoryCalls);
                return (detectors ?? DetectorSet.CreateDefault)(o);
            },
            remediation,
            new ObserverFanout([_observer], NullLogger.Instance),
            passivateAfter);
        return Sys.ActorOf(AgentRouter.Props(settings, NullLogger.Instance));
    }

    private static AgentTrace TraceOf(string agent, int n, long tokens = 1000) =>
        new(agent, Trace(n), [Span(n, 2, 1, n * 1000L, (n * 1000L) + 200, tokens: tokens), Span(n, 1, 0, n * 1000L, (n * 1000L) + 900, agent: agent)], true, At((n * 1000L) + 900));

    private IReadOnlyList<string> AgentsOf(IActorRef router)
    {
        router.Tell(AgentProtocol.GetAgents.Instance, TestActor);
        return ExpectMsg<AgentProtocol.Agents>().AgentIds;
    }

    [Fact]
    public void Creates_one_actor_per_agent_on_demand_whatever_the_id_looks_like()
    {
        var router = StartRouter(CreateTestProbe().Ref);
        foreach (var agent in new[] { "a", "b", "a", "Support Bot/EU #2 🤖", "a" })
        {
            router.Tell(new AgentProtocol.ObserveTrace(TraceOf(agent, 1)));
        }

        Assert.Equal(["Support Bot/EU #2 🤖", "a", "b"], AgentsOf(router));
        AwaitAssert(() => Assert.Equal(5, _observer.Traces.Count), interval: Poll);
        Assert.Equal(3, _factoryCalls);
    }

    [Fact]
    public void Anomalies_go_to_remediation()
    {
        var remediation = CreateTestProbe();
        remediation.IgnoreMessages<RemediationProtocol.FleetSize>();
        var router = StartRouter(remediation.Ref);
        for (var i = 0; i < 40; i++)
        {
            router.Tell(new AgentProtocol.ObserveTrace(TraceOf("a", i, 1000 + (i % 3))));
        }

        router.Tell(new AgentProtocol.ObserveTrace(TraceOf("a", 40, 50_000)));

        var anomaly = remediation.ExpectMsg<RemediationProtocol.AnomalyDetected>().Anomaly;
        Assert.Equal(("a", AnomalyKinds.TokenSpike, At(40_900)), (anomaly.Agent, anomaly.Kind, anomaly.DetectedAtUnixNano));
        Assert.Equal(anomaly, Assert.Single(_observer.Anomalies));
    }

    [Fact]
    public void Bad_data_resumes_the_agent_with_its_state_and_a_bug_restarts_it_and_both_keep_working()
    {
        var router = StartRouter(CreateTestProbe().Ref, _ => [new FragileDetector()]);
        router.Tell(new AgentProtocol.ObserveTrace(TraceOf("a", 1)));
        router.Tell(new AgentProtocol.ObserveTrace(TraceOf("a", 2, tokens: FragileDetector.BadData)));
        router.Tell(new AgentProtocol.ObserveTrace(TraceOf("a", 3)));
        AwaitAssert(() => Assert.Equal(3, _observer.Traces.Count), interval: Poll);
        Assert.Equal(1, _factoryCalls); // resumed: same instance, same baselines

        router.Tell(new AgentProtocol.ObserveTrace(TraceOf("a", 4, tokens: FragileDetector.Bug)));
        router.Tell(new AgentProtocol.ObserveTrace(TraceOf("a", 5)));
        AwaitAssert(() => Assert.Equal(5, _observer.Traces.Count), interval: Poll);
        Assert.Equal(2, _factoryCalls); // restarted: a fresh instance
        Assert.Equal(["a"], AgentsOf(router));
    }

    [Fact]
    public void An_idle_agent_is_passivated_and_comes_back_on_its_next_trace()
    {
        var router = StartRouter(CreateTestProbe().Ref, passivateAfter: TimeSpan.FromMilliseconds(200));
        router.Tell(new AgentProtocol.ObserveTrace(TraceOf("a", 1)));
        Assert.Equal(["a"], AgentsOf(router));

        AwaitAssert(() => Assert.Empty(AgentsOf(router)), TimeSpan.FromSeconds(10), Poll);

        router.Tell(new AgentProtocol.ObserveTrace(TraceOf("a", 2)));
        Assert.Equal(["a"], AgentsOf(router));
        AwaitAssert(() => Assert.Equal(2, _observer.Traces.Count), interval: Poll);
        Assert.Equal(2, _factoryCalls);
    }

    [Fact]
    public void Remediation_is_told_the_fleet_size_as_agents_come_and_go()
    {
        var remediation = CreateTestProbe();
        var router = StartRouter(remediation.Ref, passivateAfter: TimeSpan.FromMilliseconds(200));
        router.Tell(new AgentProtocol.ObserveTrace(TraceOf("a", 1)));
        router.Tell(new AgentProtocol.ObserveTrace(TraceOf("b", 1)));
        router.Tell(new AgentProtocol.ObserveTrace(TraceOf("a", 2)));

        Assert.Equal(1, remediation.ExpectMsg<RemediationProtocol.FleetSize>().Agents);
        Assert.Equal(2, remediation.ExpectMsg<RemediationProtocol.FleetSize>().Agents);

        // Both go idle and are passivated: each stop is reported, then the new size.
        remediation.ExpectMsg<RemediationProtocol.AgentStopped>(TimeSpan.FromSeconds(10));
        Assert.Equal(1, remediation.ExpectMsg<RemediationProtocol.FleetSize>().Agents);
        remediation.ExpectMsg<RemediationProtocol.AgentStopped>(TimeSpan.FromSeconds(10));
        Assert.Equal(0, remediation.ExpectMsg<RemediationProtocol.FleetSize>().Agents);
    }

    [Fact]
    public void A_barrier_passes_through_every_agent_to_remediation()
    {
        var remediation = Sys.ActorOf(RemediationActor.Props(new RemediationOptions(), PolicySet.Default, null, new ObserverFanout([], NullLogger.Instance), TimeProvider.System, NullLogger.Instance));
        var router = StartRouter(remediation);
        router.Tell(new AgentProtocol.ObserveTrace(TraceOf("a", 1)));
        router.Tell(new AgentProtocol.ObserveTrace(TraceOf("b", 1)));

        router.Tell(new AgentProtocol.Barrier(3, TestActor, At(0)));

        ExpectMsg<RemediationProtocol.BarrierPassed>(b => b.Id == 3);
        Assert.Equal(2, _observer.Traces.Count);
    }

    /// <summary>Throws on marked traces: bad data (an argument error) or a bug (an invalid state).</summary>
    private sealed class FragileDetector : IAgentDetector
    {
        public const long BadData = 666;
        public const long Bug = 777;

        public string Kind => "fragile";

        public IReadOnlyList<FeatureBaseline> Baselines => [];

        public Anomaly? Observe(AgentTrace trace, in TraceFeatures features) => features.TotalTokens switch
        {
            BadData => throw new ArgumentException("bad span data"),
            Bug => throw new InvalidOperationException("detector state corrupted"),
            _ => null,
        };
    }
}
