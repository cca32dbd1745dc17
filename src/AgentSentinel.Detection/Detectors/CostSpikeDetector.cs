using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Baselines;
using AgentSentinel.Detection.Features;

namespace AgentSentinel.Detection.Detectors;

/// <summary>
/// Cost per trace far above the agent's baseline (reported cost, or priced from the catalogue): the same robust
/// spike rule as <see cref="TokenSpikeDetector"/> on the trace's cost. A trace without a known cost is not judged.
/// </summary>
public sealed class CostSpikeDetector : IAgentDetector
{
    private readonly DetectionOptions _options;
    private readonly RobustBaseline _baseline;

    public CostSpikeDetector(DetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _baseline = options.CreateLogBaseline();
        Episode = new SpikeEpisode(AnomalyKinds.CostSpike, options);
        Baselines = [new FeatureBaseline(FeatureNames.CostPerTrace, _baseline, LogScale: true)];
    }

    /// <inheritdoc />
    public string Kind => AnomalyKinds.CostSpike;

    /// <inheritdoc />
    public IReadOnlyList<FeatureBaseline> Baselines { get; }

    /// <summary>The episode state (diagnostics and tests).</summary>
    public SpikeEpisode Episode { get; }

    /// <inheritdoc />
    public Anomaly? Observe(AgentTrace trace, in TraceFeatures features)
    {
        if (!features.HasCost || !(features.CostUsd > 0))
        {
            return null;
        }

        var judgement = default(SpikeJudgement);
        judgement.Consider(FeatureNames.CostPerTrace, features.CostUsd, _baseline, _options.TraceThreshold, _options.MinRelativeChange, _options.ExtremeFactor, logScale: true);
        var anomaly = Episode.Step(trace, judgement);
        if (features.CostUsd > 0)
        {
            _baseline.Add(Math.Log(features.CostUsd));
        }
        return anomaly;
    }
}
