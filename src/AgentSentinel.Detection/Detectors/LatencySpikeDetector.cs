using AgentSentinel.Core.Anomalies;
using AgentSentinel.Detection.Features;

namespace AgentSentinel.Detection.Detectors;

/// <summary>
/// Latency spikes against the agent's own history, on two features: the trace's duration
/// (<see cref="FeatureNames.TraceDurationMs"/>) and the slowest model call (<see cref="FeatureNames.LlmCallLatencyMs"/>).
/// A trace without model calls is judged on its duration only.
/// </summary>
/// <remarks>
/// The explanation names the feature furthest beyond its threshold in the trace that triggered the anomaly;
/// <see cref="AnomalyExplanation.Observed"/> is that trace's value (for the per-call feature: its slowest call).
/// </remarks>
public sealed class LatencySpikeDetector(DetectionOptions options)
    : TraceAndCallSpikeDetector(AnomalyKinds.LatencySpike, FeatureNames.TraceDurationMs, FeatureNames.LlmCallLatencyMs, options!)
{
    protected override bool Applies(in TraceFeatures features) => features.SpanCount > 0;

    protected override double TraceValue(in TraceFeatures features) => features.DurationMs;

    protected override double LargestCall(in TraceFeatures features) => features.MaxLlmLatencyMs;

    protected override ReadOnlySpan<double> CallValues(in TraceFeatures features) => features.CallLatenciesMs.Span;
}
