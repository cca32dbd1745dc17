using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Baselines;
using AgentSentinel.Detection.Features;

namespace AgentSentinel.Detection.Detectors;

/// <summary>
/// One detector for one agent. It judges each completed trace of that agent against the agent's own history and
/// returns an anomaly when an episode starts. Implementations are stateful, single-threaded (one per agent actor)
/// and deterministic: the same traces in the same order give the same anomalies, bit for bit. No wall clock.
/// </summary>
public interface IAgentDetector
{
    /// <summary>The anomaly kind this detector emits (one of <see cref="AnomalyKinds"/>).</summary>
    string Kind { get; }

    /// <summary>The baselines the detector keeps, so that the owner can report when each finishes its warm-up.</summary>
    IReadOnlyList<FeatureBaseline> Baselines { get; }

    /// <summary>Judges one trace, then learns from it.</summary>
    /// <returns>An anomaly when this trace starts an episode, else null.</returns>
    Anomaly? Observe(AgentTrace trace, in TraceFeatures features);
}

/// <summary>
/// A detector that also judges the passage of event time without traces (silence). The owner calls
/// <see cref="OnWatermark"/> whenever the pipeline's event-time watermark advances; it must be cheap and deterministic.
/// </summary>
public interface IWatermarkDetector
{
    /// <summary>Judges the agent at event time <paramref name="watermarkUnixNano"/>.</summary>
    /// <returns>An anomaly when an episode starts, else null.</returns>
    Anomaly? OnWatermark(string agent, long watermarkUnixNano);
}

/// <summary>A named baseline of one feature (names are snake case and stable: they appear in reports and flags).</summary>
/// <param name="Feature">The feature's name.</param>
/// <param name="Baseline">The baseline.</param>
/// <param name="LogScale">The baseline holds ln x: its median is reported as e^median (raw units), its spread in log units.</param>
public sealed record FeatureBaseline(string Feature, RobustBaseline Baseline, bool LogScale = false);

/// <summary>The feature names the built-in detectors use.</summary>
public static class FeatureNames
{
    /// <summary>Sum of the counted model calls' total tokens in one trace.</summary>
    public const string TokensPerTrace = "tokens_per_trace";

    /// <summary>One model call's total tokens (a trace is judged by its largest call).</summary>
    public const string TokensPerLlmCall = "tokens_per_llm_call";

    /// <summary>Trace duration from the first span start to the last span end, in milliseconds.</summary>
    public const string TraceDurationMs = "trace_duration_ms";

    /// <summary>One model call's duration in milliseconds (a trace is judged by its slowest call).</summary>
    public const string LlmCallLatencyMs = "llm_call_latency_ms";

    /// <summary>Cost of one trace in USD (reported, or priced from the catalogue).</summary>
    public const string CostPerTrace = "cost_usd_per_trace";

    /// <summary>Mean best relevance score of a trace's retrievals.</summary>
    public const string RetrievalTopScore = "retrieval_top_score";
}

