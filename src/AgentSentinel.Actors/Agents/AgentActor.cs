using AgentSentinel.Actors.Hosting;
using AgentSentinel.Actors.Remediation;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Detection;
using AgentSentinel.Detection.Detectors;
using AgentSentinel.Telemetry;
using Akka.Actor;

namespace AgentSentinel.Actors.Agents;

/// <summary>
/// One agent (<c>/user/agents/agent-…</c>): owns the agent's baselines and detectors. For each completed trace it runs
/// detection, tells the observers, counts anomalies and tells remediation about them.
/// </summary>
/// <remarks>
/// State lives only in this actor: a restart (after an unexpected failure) or a passivation (idle for
/// <see cref="PipelineOptions.AgentPassivation"/>) starts the agent's baselines again from warm-up.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Design", "CA1001:Types that own disposable fields should be disposable", Justification = "An actor releases what it owns in PostStop.")]
internal sealed class AgentActor : ReceiveActor
{
    private readonly AgentDetection _detection;
    private readonly IActorRef _remediation;
    private readonly ObserverFanout _observers;
    private readonly TimeSpan? _passivateAfter;
    private readonly List<Anomaly> _anomalies = [];
    private readonly List<BaselineReady> _ready = [];

    public AgentActor(string agent, AgentActorSettings settings)
    {
        _detection = new AgentDetection(agent, settings.Detection, settings.DetectorFactory(settings.Detection));
        _remediation = settings.Remediation;
        _observers = settings.Observers;
        _passivateAfter = settings.PassivateAfter;
        Receive<AgentProtocol.ObserveTrace>(Observe);
        Receive<AgentProtocol.AgentBarrier>(b => _remediation.Tell(new RemediationProtocol.AgentBarrierPassed(b.Id)));
        Receive<ReceiveTimeout>(_ => Context.Parent.Tell(AgentProtocol.Passivate.Instance));
    }

    public static Props Props(string agent, AgentActorSettings settings) =>
        Akka.Actor.Props.Create(() => new AgentActor(agent, settings));

    protected override void PreStart()
    {
        if (_passivateAfter is { } idle && idle > TimeSpan.Zero)
        {
            Context.SetReceiveTimeout(idle);
        }
    }

    /// <summary>Stopped, restarted or passivated: cancels the detectors' background work (a queued model training).</summary>
    protected override void PostStop() => _detection.Dispose();

    private void Observe(AgentProtocol.ObserveTrace message)
    {
        var trace = message.Trace;
        _observers.OnTraceCompleted(trace);
        _anomalies.Clear();
        _ready.Clear();
        _detection.Observe(trace, _anomalies, _ready);
        foreach (var ready in _ready)
        {
            _observers.OnBaselineReady(ready);
        }

        foreach (var anomaly in _anomalies)
        {
            SentinelMetrics.AnomaliesDetected.WithLabels(anomaly.Kind).Inc();
            _observers.OnAnomaly(anomaly);
            _remediation.Tell(new RemediationProtocol.AnomalyDetected(anomaly));
        }
    }
}

/// <summary>What every agent actor is built from.</summary>
internal sealed record AgentActorSettings(
    DetectionOptions Detection,
    Func<DetectionOptions, IReadOnlyList<IAgentDetector>> DetectorFactory,
    IActorRef Remediation,
    ObserverFanout Observers,
    TimeSpan? PassivateAfter);
