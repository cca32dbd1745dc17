using AgentSentinel.Core.Anomalies;
using AgentSentinel.Detection.Detectors.Drift;
using AgentSentinel.Detection.Detectors.ModelChange;
using AgentSentinel.Detection.Detectors.Patterns;
using AgentSentinel.Detection.Detectors.Rates;
using AgentSentinel.Detection.Detectors.Silence;
using AgentSentinel.Detection.Multivariate;

namespace AgentSentinel.Detection.Detectors;

/// <summary>The detectors every agent gets.</summary>
public static class DetectorSet
{
    /// <summary>
    /// The built-in detectors enabled by <paramref name="options"/>, in a fixed order (the order anomalies of one trace
    /// are reported in): spikes, drifts, reasoning patterns, share surges, retrieval, model change, silence, multivariate.
    /// </summary>
    public static IReadOnlyList<IAgentDetector> CreateDefault(DetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var detectors = new List<IAgentDetector>(20);
        if (options.TokenSpikeEnabled)
        {
            detectors.Add(new TokenSpikeDetector(options));
        }

        if (options.LatencySpikeEnabled)
        {
            detectors.Add(new LatencySpikeDetector(options));
        }

        if (options.CostSpikeEnabled)
        {
            detectors.Add(new CostSpikeDetector(options));
        }

        if (options.Drift.Enabled)
        {
            detectors.Add(new DriftDetector(AnomalyKinds.TokenDrift, FeatureNames.TokensPerTrace, static (in f) => f.HasTokens ? f.TotalTokens : double.NaN, options));
            detectors.Add(new DriftDetector(AnomalyKinds.LatencyDrift, FeatureNames.TraceDurationMs, static (in f) => f.DurationMs, options));
            detectors.Add(new DriftDetector(AnomalyKinds.CostDrift, FeatureNames.CostPerTrace, static (in f) => f.HasCost ? f.CostUsd : double.NaN, options));
        }

        if (options.Patterns.Enabled)
        {
            detectors.Add(new ToolLoopDetector(options));
            detectors.Add(new RunawayDetector(options));
        }

        if (options.Rates.Enabled)
        {
            detectors.Add(new RateSurgeDetector(AnomalyKinds.LengthSurge, "finish_length_share", static (in f) => (f.LlmCalls, f.TruncatedCalls), options));
            detectors.Add(new RateSurgeDetector(AnomalyKinds.ContentFilterSurge, "content_filter_share", static (in f) => (f.LlmCalls, f.ContentFilteredCalls), options));
            detectors.Add(new RateSurgeDetector(AnomalyKinds.ToolErrorSurge, "tool_error_share", static (in f) => (f.ToolCalls, f.ToolErrors), options));
            detectors.Add(new RateSurgeDetector(AnomalyKinds.TraceErrorSurge, "trace_error_share", static (in f) => (1, f.Failed ? 1 : 0), options));
            detectors.Add(new RateSurgeDetector(
                AnomalyKinds.ErrorAnsweredAround, "tool_errors_answered_around_share", static (in f) => (1, f.ErrorsAnsweredAround > 0 ? 1 : 0), options));
            detectors.Add(new RateSurgeDetector(
                AnomalyKinds.RetrievalDegradation, "empty_retrieval_share", static (in f) => (f.RetrievalCalls, f.EmptyRetrievals), options));
        }

        if (options.Drift.Enabled)
        {
            detectors.Add(new DriftDetector(
                AnomalyKinds.RetrievalDegradation, FeatureNames.RetrievalTopScore, static (in f) => f.RetrievalTopScore, options, DriftDirection.LinearDownward));
        }

        if (options.ModelChange.Enabled)
        {
            detectors.Add(new ModelChangeDetector(options.ModelChange, options.MaxExemplars));
        }

        if (options.Silence.Enabled)
        {
            detectors.Add(new SilenceDetector(options.Silence));
        }

        if (options.Multivariate.Enabled)
        {
            detectors.Add(new PcaTraceDetector(options));
        }

        return detectors;
    }
}
