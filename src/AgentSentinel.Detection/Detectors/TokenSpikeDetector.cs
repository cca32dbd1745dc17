using AgentSentinel.Core.Anomalies;
using AgentSentinel.Detection.Features;

namespace AgentSentinel.Detection.Detectors;

/// <summary>
/// Token spikes against the agent's own history, on two features: the trace's total tokens
/// (<see cref="FeatureNames.TokensPerTrace"/>) and the largest single model call (<see cref="FeatureNames.TokensPerLlmCall"/>).
/// Traces without token usage are neither judged nor learnt from.
/// </summary>
/// <remarks>
/// The explanation names the feature furthest beyond its threshold in the trace that triggered the anomaly;
/// <see cref="AnomalyExplanation.Observed"/> is that trace's value (for the per-call feature: its largest call).
/// </remarks>
public sealed class TokenSpikeDetector(DetectionOptions options)
    : TraceAndCallSpikeDetector(AnomalyKinds.TokenSpike, FeatureNames.TokensPerTrace, FeatureNames.TokensPerLlmCall, options!)
{
    protected override bool Applies(in TraceFeatures features) => features.HasTokens;

    protected override double TraceValue(in TraceFeatures features) => features.TotalTokens;

    protected override double LargestCall(in TraceFeatures features) => features.MaxCallTokens;

    protected override ReadOnlySpan<double> CallValues(in TraceFeatures features) => features.CallTokens.Span;
}
