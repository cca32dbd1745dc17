using AgentSentinel.Actors.Hosting;
using AgentSentinel.Actors.Remediation;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection;
using AgentSentinel.Detection.Detectors;
using AgentSentinel.Detection.Detectors.Silence;
using AgentSentinel.Detection.Features;
using AgentSentinel.Remediation.Lifecycle;
using AgentSentinel.Remediation.Recovery;
using AgentSentinel.Telemetry;
using Akka.Actor;

namespace AgentSentinel.Actors.Agents;

/// <summary>
/// One agent (<c>/user/agents/agent-…</c>): owns the agent's baselines and detectors. For each completed trace it runs
/// detection, tells the observers, counts anomalies and tells remediation about them; for each watermark advance it lets
/// the time-driven detectors (silence) judge the passage of event time, and handles what they find the same way.
/// It also keeps a reference sample of its healthy traces and, while remediation probes, judges the probe traffic with
/// the recovery test (<see cref="RecoveryCheck"/>, <see cref="SequentialRecoveryTest"/>) and reports the verdict.
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
    private ReferenceSample _reference = new();
    private readonly IncidentHistory _history = new();
    private ResourceAttributes? _resource;
    private string? _incidentFallback;
    private Probe? _probe;
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
        Receive<AgentProtocol.SetRemediationMode>(OnRemediationMode);
        Receive<AgentProtocol.StartProbe>(OnStartProbe);
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
        if (trace.Spans.Length > 0 && trace.Spans[0].Resource is { } resource)
        {
            _resource = resource;
        }

        _anomalies.Clear();
        _ready.Clear();
        var path = _incidentFallback is { } fallback ? TracePathClassifier.Classify(trace, fallback) : TracePath.Unknown;
        if (path != TracePath.Fallback)
        {
            var features = _detection.Observe(trace, _anomalies, _ready);
            if (_incidentFallback is null)
            {
                _reference.Add(features);
            }
            else if (path == TracePath.Primary)
            {
                var compact = ReferenceTrace.From(features);
                _history.Trace(trace.StartUnixNano, trace.CompletedAtUnixNano, compact);
                JudgeProbeTrace(trace.StartUnixNano, trace.CompletedAtUnixNano, compact);
            }

            foreach (var ready in _ready)
            {
                _observers.OnBaselineReady(ready);
            }
        }

        CheckProbeDeadline(trace.CompletedAtUnixNano);
        Report();
    }

    private void Advance(AgentProtocol.AdvanceWatermark message)
    {
        _anomalies.Clear();
        _detection.AdvanceTo(message.WatermarkUnixNano, _anomalies);
        CheckProbeDeadline(message.WatermarkUnixNano);
        if (_incidentFallback is not null)
        {
            _history.Time(message.WatermarkUnixNano);
        }

        Report();
    }

    // ---- probes -------------------------------------------------------------------------------------------------------

    private void OnRemediationMode(AgentProtocol.SetRemediationMode message)
    {
        var entering = _incidentFallback is null && message.Fallback is not null;
        _incidentFallback = message.Fallback;
        if (message.Fallback is null)
        {
            _probe = null;
            _history.Clear();
            return;
        }

        if (message.Reference is { } saved)
        {
            // Resumed after a restart: the saved reference beats the few traces this actor may have seen since.
            var restored = new ReferenceSample(_reference.Capacity);
            if (restored.TryImport(saved) && restored.Count > _reference.Count)
            {
                _reference = restored;
            }
        }
        else if (entering && _reference.Count > 0)
        {
            _remediation.Tell(new RemediationProtocol.ReferenceCaptured(_detection.Agent, _reference.ToSnapshot()));
        }
    }

    /// <summary>
    /// Starts judging a probe. The command comes from remediation, which may be behind or ahead of this agent's own
    /// traces (a fast replay): the primary-path traces and event-time steps seen since the incident began are replayed
    /// first, so that the same traces are judged in the same order whenever the command arrives. The verdict is therefore
    /// a function of the records alone.
    /// </summary>
    private void OnStartProbe(AgentProtocol.StartProbe message)
    {
        var spec = message.Probe;
        var check = RecoveryCheck.For(spec.Kind, _reference, spec.Recovery);
        _probe = new Probe(spec, check, check.StartTest(spec.Recovery, spec.MinTraces));
        foreach (var step in _history.Steps)
        {
            if (_probe is null)
            {
                break;
            }

            if (step.IsTrace)
            {
                JudgeProbeTrace(step.StartUnixNano, step.AtUnixNano, step.Trace);
            }

            CheckProbeDeadline(step.AtUnixNano);
        }
    }

    /// <summary>Probe traffic: traces served by the primary path that started within the probe's window.</summary>
    private void JudgeProbeTrace(long startUnixNano, long completedUnixNano, in ReferenceTrace trace)
    {
        if (_probe is not { } probe || startUnixNano < probe.Spec.StartUnixNano || startUnixNano >= probe.Spec.DeadlineUnixNano)
        {
            return;
        }

        var verdict = probe.Test.Add(probe.Check.IsBad(trace));
        if (verdict != RecoveryVerdict.Undecided)
        {
            Decide(probe, verdict, Math.Max(completedUnixNano, probe.Spec.StartUnixNano));
        }
    }

    private void CheckProbeDeadline(long eventTime)
    {
        if (_probe is { } probe && eventTime >= probe.Spec.DeadlineUnixNano)
        {
            Decide(probe, probe.Test.Conclude(), probe.Spec.DeadlineUnixNano);
        }
    }

    private void Decide(Probe probe, RecoveryVerdict verdict, long at)
    {
        _probe = null;
        _remediation.Tell(new RemediationProtocol.ProbeVerdict(
            _detection.Agent, probe.Spec.Sequence, verdict == RecoveryVerdict.Recovered, probe.Test.Summary, at));
    }

    private void Report()
    {
        foreach (var anomaly in _anomalies)
        {
            SentinelMetrics.AnomaliesDetected.WithLabels(anomaly.Kind).Inc();
            _observers.OnAnomaly(anomaly);
            _remediation.Tell(new RemediationProtocol.AnomalyDetected(anomaly, _resource));
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

/// <summary>
/// What an agent in an incident saw, in order, for probes that start after it: its primary-path traces (compact; a trace's
/// completion also moves the agent's event time) and its watermark steps. Bounded: the oldest steps go first.
/// </summary>
internal sealed class IncidentHistory
{
    private const int Capacity = 1024;
    private readonly Queue<Step> _steps = new();

    public IEnumerable<Step> Steps => _steps;

    public void Trace(long startUnixNano, long completedUnixNano, in ReferenceTrace trace) => Add(new Step(true, startUnixNano, completedUnixNano, trace));

    public void Time(long atUnixNano) => Add(new Step(false, 0, atUnixNano, default));

    public void Clear() => _steps.Clear();

    private void Add(Step step)
    {
        if (_steps.Count == Capacity)
        {
            _steps.Dequeue();
        }

        _steps.Enqueue(step);
    }

    internal readonly record struct Step(bool IsTrace, long StartUnixNano, long AtUnixNano, ReferenceTrace Trace);
}

/// <summary>A probe being judged: its window, the check for its anomaly kind, the sequential test.</summary>
internal sealed record Probe(ProbeSpec Spec, RecoveryCheck Check, SequentialRecoveryTest Test);

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
