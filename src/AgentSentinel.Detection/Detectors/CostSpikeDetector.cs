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
        _baseline = options.CreateBaseline(1e-6);
        Episode = new SpikeEpisode(AnomalyKinds.CostSpike, options);
        Baselines = [new FeatureBaseline(FeatureNames.CostPerTrace, _baseline)];
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
        if (!features.HasCost)
        {
            return null;
        }

        var judgement = default(SpikeJudgement);
        judgement.Consider(FeatureNames.CostPerTrace, features.CostUsd, _baseline, _options.TraceThreshold, _options.MinRelativeChange, _options.ExtremeFactor);
        var anomaly = Episode.Step(trace, judgement);
        _baseline.Add(features.CostUsd);
        return anomaly;
    }
}
