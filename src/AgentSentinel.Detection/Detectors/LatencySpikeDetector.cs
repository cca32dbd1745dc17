using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Baselines;
using AgentSentinel.Detection.Features;

namespace AgentSentinel.Detection.Detectors;

/// <summary>
/// Latency spikes against the agent's own history, on two features: the trace's duration
/// (<see cref="FeatureNames.TraceDurationMs"/>, threshold <see cref="DetectionOptions.TraceThreshold"/>) and the slowest
/// model call (<see cref="FeatureNames.LlmCallLatencyMs"/>, whose baseline learns every call, threshold
/// <see cref="DetectionOptions.CallThreshold"/>). A trace without model calls is judged on its duration only.
/// </summary>
/// <remarks>
/// The explanation names the feature furthest beyond its threshold in the trace that triggered the anomaly;
/// <see cref="AnomalyExplanation.Observed"/> is that trace's value (for the per-call feature: its slowest call).
/// </remarks>
public sealed class LatencySpikeDetector : IAgentDetector
{
    private readonly DetectionOptions _options;
    private readonly RobustBaseline _duration;
    private readonly RobustBaseline _callLatency;
    private readonly SpikeEpisode _episode;

    public LatencySpikeDetector(DetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _duration = options.CreateBaseline(options.LatencySpreadFloorMs);
        _callLatency = options.CreateBaseline(options.LatencySpreadFloorMs);
        _episode = new SpikeEpisode(AnomalyKinds.LatencySpike, options);
        Baselines = [new FeatureBaseline(FeatureNames.TraceDurationMs, _duration), new FeatureBaseline(FeatureNames.LlmCallLatencyMs, _callLatency)];
    }

    /// <inheritdoc />
    public string Kind => AnomalyKinds.LatencySpike;

    /// <inheritdoc />
    public IReadOnlyList<FeatureBaseline> Baselines { get; }

    /// <summary>The episode state (for diagnostics and tests).</summary>
    public SpikeEpisode Episode => _episode;

    /// <inheritdoc />
    public Anomaly? Observe(AgentTrace trace, in TraceFeatures features)
    {
        if (features.SpanCount == 0)
        {
            return null;
        }

        var judgement = default(SpikeJudgement);
        judgement.Consider(FeatureNames.TraceDurationMs, features.DurationMs, _duration, _options.TraceThreshold, _options.MinRelativeChange, _options.ExtremeFactor);
        if (features.LlmCalls > 0)
        {
            judgement.Consider(FeatureNames.LlmCallLatencyMs, features.MaxLlmLatencyMs, _callLatency, _options.CallThreshold, _options.MinRelativeChange, _options.ExtremeFactor);
        }

        var anomaly = _episode.Step(trace, judgement);

        _duration.Add(features.DurationMs);
        _callLatency.AddRange(features.CallLatenciesMs.Span);

        return anomaly;
    }
}
