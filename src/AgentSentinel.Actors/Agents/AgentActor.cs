using AgentSentinel.Actors.Hosting;
using AgentSentinel.Actors.Remediation;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Detection;
using AgentSentinel.Detection.Detectors;
using AgentSentinel.Detection.Detectors.Silence;
using AgentSentinel.Telemetry;
using Akka.Actor;

namespace AgentSentinel.Actors.Agents;

/// <summary>
/// One agent (<c>/user/agents/agent-…</c>): owns the agent's baselines and detectors. For each completed trace it runs
/// detection, tells the observers, counts anomalies and tells remediation about them; for each watermark advance it lets
/// the time-driven detectors (silence) judge the passage of event time, and handles what they find the same way.
/// </summary>
/// <remarks>
/// <para>
/// State lives only in this actor: a restart (after an unexpected failure) or a passivation (idle for
/// <see cref="PipelineOptions.AgentPassivation"/>) starts the agent's baselines again from warm-up.
/// </para>
/// <para>
/// Passivation and silence: watermark advances do not count as activity (they do not reset the idle timer). When the
/// idle timer fires while a <see cref="SilenceDetector"/> is still watching the current gap (warm, no silence reported
/// yet), the agent stays, so that the silence gets its chance to be reported, until it has been idle for
/// <see cref="AgentActorSettings.SilenceWatch"/> in all; once the silence has been reported (or the detector is not warm,
/// or there is none), the next idle timeout passivates it.
/// </para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Design", "CA1001:Types that own disposable fields should be disposable", Justification = "An actor releases what it owns in PostStop.")]
internal sealed class AgentActor : ReceiveActor
{
    private readonly AgentDetection _detection;
    private readonly IActorRef _remediation;
    private readonly ObserverFanout _observers;
    private readonly TimeSpan? _passivateAfter;
    private readonly TimeSpan _silenceWatch;
    private readonly SilenceDetector[] _silence;
    private readonly List<Anomaly> _anomalies = [];
    private readonly List<BaselineReady> _ready = [];
    private int _idlePeriods;

    public AgentActor(string agent, AgentActorSettings settings)
    {
        _detection = new AgentDetection(agent, settings.Detection, settings.DetectorFactory(settings.Detection));
        _remediation = settings.Remediation;
        _observers = settings.Observers;
        _passivateAfter = settings.PassivateAfter;
        _silenceWatch = settings.SilenceWatch ?? TimeSpan.Zero;
        _silence = [.. _detection.Detectors.OfType<SilenceDetector>()];
        Receive<AgentProtocol.ObserveTrace>(Observe);
        Receive<AgentProtocol.AdvanceWatermark>(Advance);
        Receive<AgentProtocol.AgentBarrier>(b => _remediation.Tell(new RemediationProtocol.AgentBarrierPassed(b.Id)));
        Receive<ReceiveTimeout>(_ => OnIdle());
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
        _idlePeriods = 0;
        _observers.OnTraceCompleted(trace);
        _anomalies.Clear();
        _ready.Clear();
        _detection.Observe(trace, _anomalies, _ready);
        foreach (var ready in _ready)
        {
            _observers.OnBaselineReady(ready);
        }

        Report();
    }

    private void Advance(AgentProtocol.AdvanceWatermark message)
    {
        _anomalies.Clear();
        _detection.AdvanceTo(message.WatermarkUnixNano, _anomalies);
        Report();
    }

    private void Report()
    {
        foreach (var anomaly in _anomalies)
        {
            SentinelMetrics.AnomaliesDetected.WithLabels(anomaly.Kind).Inc();
            _observers.OnAnomaly(anomaly);
            _remediation.Tell(new RemediationProtocol.AnomalyDetected(anomaly));
        }
    }

    private void OnIdle()
    {
        // The receive timeout fires again after each further idle period, so idle time is counted in periods.
        _idlePeriods++;
        var idle = _passivateAfter.GetValueOrDefault() * _idlePeriods;
        if (idle < _silenceWatch && Array.Exists(_silence, s => s.IsWatching))
        {
            return;
        }

        Context.Parent.Tell(AgentProtocol.Passivate.Instance);
    }
}

/// <summary>What every agent actor is built from.</summary>
/// <param name="PassivateAfter">Idle time (processing time) after which an agent is stopped; null or zero: never.</param>
internal sealed record AgentActorSettings(
    DetectionOptions Detection,
    Func<DetectionOptions, IReadOnlyList<IAgentDetector>> DetectorFactory,
    IActorRef Remediation,
    ObserverFanout Observers,
    TimeSpan? PassivateAfter)
{
    /// <summary>
    /// How long in all an idle agent whose silence detector is still watching is kept before it is passivated anyway
    /// (<see cref="PipelineOptions.AgentSilenceWatch"/>); null or zero: passivation does not wait for silence.
    /// </summary>
    public TimeSpan? SilenceWatch { get; init; } = PipelineOptions.DefaultAgentSilenceWatch;
}
