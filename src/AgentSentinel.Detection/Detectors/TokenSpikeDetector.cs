using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Baselines;
using AgentSentinel.Detection.Features;

namespace AgentSentinel.Detection.Detectors;

/// <summary>
/// Token spikes against the agent's own history, on two features: the trace's total tokens
/// (<see cref="FeatureNames.TokensPerTrace"/>, threshold <see cref="DetectionOptions.TraceThreshold"/>) and the largest
/// single model call (<see cref="FeatureNames.TokensPerLlmCall"/>, whose baseline learns every call, threshold
/// <see cref="DetectionOptions.CallThreshold"/>). Traces without token usage are neither judged nor learnt from.
/// </summary>
/// <remarks>
/// The explanation names the feature furthest beyond its threshold in the trace that triggered the anomaly;
/// <see cref="AnomalyExplanation.Observed"/> is that trace's value (for the per-call feature: its largest call).
/// </remarks>
public sealed class TokenSpikeDetector : IAgentDetector
{
    private readonly DetectionOptions _options;
    private readonly RobustBaseline _perTrace;
    private readonly RobustBaseline _perCall;
    private readonly SpikeEpisode _episode;

    public TokenSpikeDetector(DetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _perTrace = options.CreateBaseline(options.TokenSpreadFloor);
        _perCall = options.CreateBaseline(options.TokenSpreadFloor);
        _episode = new SpikeEpisode(AnomalyKinds.TokenSpike, options);
        Baselines = [new FeatureBaseline(FeatureNames.TokensPerTrace, _perTrace), new FeatureBaseline(FeatureNames.TokensPerLlmCall, _perCall)];
    }

    /// <inheritdoc />
    public string Kind => AnomalyKinds.TokenSpike;

    /// <inheritdoc />
    public IReadOnlyList<FeatureBaseline> Baselines { get; }

    /// <summary>The episode state (for diagnostics and tests).</summary>
    public SpikeEpisode Episode => _episode;

    /// <inheritdoc />
    public Anomaly? Observe(AgentTrace trace, in TraceFeatures features)
    {
        if (!features.HasTokens)
        {
            return null;
        }

        var judgement = default(SpikeJudgement);
        judgement.Consider(FeatureNames.TokensPerTrace, features.TotalTokens, _perTrace, _options.TraceThreshold, _options.MinRelativeChange, _options.ExtremeFactor);
        judgement.Consider(FeatureNames.TokensPerLlmCall, features.MaxCallTokens, _perCall, _options.CallThreshold, _options.MinRelativeChange, _options.ExtremeFactor);
        var anomaly = _episode.Step(trace, judgement);

        _perTrace.Add(features.TotalTokens);
        _perCall.AddRange(features.CallTokens.Span);

        return anomaly;
    }
}
