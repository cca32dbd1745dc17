using AgentSentinel.Actors.Agents;
using AgentSentinel.Actors.Hosting;
using AgentSentinel.Actors.Remediation;
using AgentSentinel.Actors.Tests.TestSupport;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection;
using AgentSentinel.Detection.Detectors;
using AgentSentinel.Detection.Detectors.Silence;
using Akka.Actor;
using Microsoft.Extensions.Logging.Abstractions;
using static AgentSentinel.Actors.Tests.TestSupport.TestSpans;

namespace AgentSentinel.Actors.Tests.Agents;

/// <summary>Watermark advances reach the agents, silences go where anomalies go, and passivation waits for a silence.</summary>
public sealed class AgentSilenceTests : SentinelTestKit
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    /// <summary>A quick silence detector: warm after 5 traces, a silence is 2 s of event time at −log10 P ≥ 6.</summary>
    private static readonly SilenceOptions Quick = new()
    {
        WarmupTraces = 5,
        WarmupDuration = TimeSpan.Zero,
        MinGap = TimeSpan.FromSeconds(2),
        MaxWatermarkStep = TimeSpan.FromSeconds(1),
    };

    private readonly RecordingObserver _observer = new();

    private IActorRef StartRouter(IActorRef remediation, TimeSpan? passivateAfter = null, TimeSpan? silenceWatch = null, bool silence = true)
    {
        var settings = new AgentActorSettings(
            new DetectionOptions(),
            _ => silence ? [new SilenceDetector(Quick)] : [],
            remediation,
            new ObserverFanout([_observer], NullLogger.Instance),
            passivateAfter)
        {
            SilenceWatch = silenceWatch ?? PipelineOptions.DefaultAgentSilenceWatch,
        };
        return Sys.ActorOf(AgentRouter.Props(settings, NullLogger.Instance));
    }

    /// <summary>A one-span trace of <paramref name="agent"/> completing at <paramref name="ms"/>.</summary>
    private static AgentTrace TraceAt(string agent, int n, long ms) => new(agent, Trace(n), [Span(n, 1, 0, ms - 100, ms, agent: agent)], true, At(ms));

    /// <summary>Ten traces 100 ms apart (event time), from <paramref name="fromMs"/>: a rate of 10 a second.</summary>
    private static void Warm(IActorRef router, string agent, long fromMs = 0, int first = 1)
    {
        for (var i = 0; i < 10; i++)
        {
            router.Tell(new AgentProtocol.ObserveTrace(TraceAt(agent, first + i, fromMs + (i * 100))));
        }
    }

    private IReadOnlyList<string> AgentsOf(IActorRef router)
    {
        router.Tell(AgentProtocol.GetAgents.Instance, TestActor);
        return ExpectMsg<AgentProtocol.Agents>().AgentIds;
    }

    private async Task<IReadOnlyList<string>> AgentsOfAsync(IActorRef router)
    {
        router.Tell(AgentProtocol.GetAgents.Instance, TestActor);
        return (await ExpectMsgAsync<AgentProtocol.Agents>()).AgentIds;
    }

    [Fact]
    public void A_watermark_advance_reaches_every_live_agent_and_a_silence_goes_to_observers_and_remediation()
    {
        var remediation = CreateTestProbe();
        remediation.IgnoreMessages<RemediationProtocol.FleetSize>();
        var router = StartRouter(remediation.Ref);
        Warm(router, "quiet");
        Warm(router, "busy", first: 100);
        router.Tell(new AgentProtocol.ObserveTrace(TraceAt("busy", 200, 2500)));

        // Event time 0.9 s → 3.0 s in 100 ms steps: quiet's last trace was at 0.9 s, busy's at 2.5 s.
        for (var ms = 1000L; ms <= 3000; ms += 100)
        {
            router.Tell(new AgentProtocol.AdvanceWatermark(At(ms)));
        }

        var anomaly = remediation.ExpectMsg<RemediationProtocol.AnomalyDetected>().Anomaly;
        Assert.Equal(("quiet", AnomalyKinds.Silence, At(2900)), (anomaly.Agent, anomaly.Kind, anomaly.DetectedAtUnixNano));
        Assert.Equal(2.0, anomaly.Explanation.Observed, 6);
        Assert.Equal([Trace(10).ToString()], anomaly.TraceIds);
        remediation.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(anomaly, Assert.Single(_observer.Anomalies));
    }

    [Fact]
    public void An_idle_agent_whose_silence_is_pending_is_kept_until_the_silence_is_reported_then_passivated()
    {
        var router = StartRouter(CreateTestProbe().Ref, passivateAfter: TimeSpan.FromMilliseconds(150));
        Warm(router, "quiet");

        // Several idle periods pass: the detector is warm and watching, so the agent stays.
        Thread.Sleep(700);
        Assert.Equal(["quiet"], AgentsOf(router));

        // Event time moves on (watermarks are not activity); the silence is reported, and the agent may go.
        for (var ms = 1000L; ms <= 3000; ms += 100)
        {
            router.Tell(new AgentProtocol.AdvanceWatermark(At(ms)));
        }

        AwaitAssert(() => Assert.Single(_observer.Anomalies), TimeSpan.FromSeconds(5), Poll);
        AwaitAssert(() => Assert.Empty(AgentsOf(router)), TimeSpan.FromSeconds(5), Poll);
    }

    [Fact]
    public void An_agent_whose_silence_never_comes_is_passivated_once_the_silence_watch_has_passed()
    {
        var router = StartRouter(CreateTestProbe().Ref, passivateAfter: TimeSpan.FromMilliseconds(100), silenceWatch: TimeSpan.FromMilliseconds(400));
        Warm(router, "quiet");

        AwaitAssert(() => Assert.Empty(AgentsOf(router)), TimeSpan.FromSeconds(5), Poll);
        Assert.Empty(_observer.Anomalies);
    }

    [Fact]
    public async Task Watermark_advances_do_not_keep_an_idle_agent_alive()
    {
        var router = StartRouter(CreateTestProbe().Ref, passivateAfter: TimeSpan.FromMilliseconds(150), silence: false);
        Warm(router, "a");

        // Await rather than block: a blocked test thread under a loaded CI machine starves the actors it waits for.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var ms = 1000L;
        while ((await AgentsOfAsync(router)).Count > 0 && DateTime.UtcNow < deadline)
        {
            router.Tell(new AgentProtocol.AdvanceWatermark(At(ms += 100)));
            await Task.Delay(20);
        }

        Assert.Empty(await AgentsOfAsync(router));
    }

    [Fact]
    public void Agents_without_time_driven_detectors_take_watermarks_quietly()
    {
        var remediation = CreateTestProbe();
        remediation.IgnoreMessages<RemediationProtocol.FleetSize>();
        var settings = new AgentActorSettings(new DetectionOptions(), DetectorSet.CreateDefault, remediation.Ref, new ObserverFanout([_observer], NullLogger.Instance), null);
        var router = Sys.ActorOf(AgentRouter.Props(settings, NullLogger.Instance));
        Warm(router, "a");

        router.Tell(new AgentProtocol.AdvanceWatermark(At(10_000_000)));
        router.Tell(new AgentProtocol.AdvanceWatermark(long.MinValue));

        remediation.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(["a"], AgentsOf(router));
    }
}
