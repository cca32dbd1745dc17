using System.Globalization;

namespace AgentSentinel.Core.Anomalies;

/// <summary>The anomaly kinds the detectors emit. A closed set of snake-case names: safe as metric labels and flag reasons.</summary>
public static class AnomalyKinds
{
    /// <summary>Tokens per trace or per call far above the agent's baseline.</summary>
    public const string TokenSpike = "token_spike";

    /// <summary>Trace or model-call latency far above the agent's baseline.</summary>
    public const string LatencySpike = "latency_spike";

    /// <summary>Cost per trace far above the agent's baseline.</summary>
    public const string CostSpike = "cost_spike";

    /// <summary>A sustained level shift or slow creep in tokens per trace (CUSUM on the log scale).</summary>
    public const string TokenDrift = "token_drift";

    /// <summary>A sustained level shift or slow creep in latency.</summary>
    public const string LatencyDrift = "latency_drift";

    /// <summary>A sustained level shift or slow creep in cost per trace.</summary>
    public const string CostDrift = "cost_drift";

    /// <summary>The same tool called again and again with the same arguments and an unchanged result.</summary>
    public const string ToolLoop = "tool_loop";

    /// <summary>Span-tree depth, model calls or tool calls per trace far beyond the agent's own range.</summary>
    public const string RunawayDepth = "runaway_depth";

    /// <summary>Tool errors that the agent answered around without retrying the tool.</summary>
    public const string ErrorAnsweredAround = "error_answered_around";

    /// <summary>The share of model calls cut at the length limit rose significantly above the baseline share.</summary>
    public const string LengthSurge = "finish_length_surge";

    /// <summary>The share of model calls stopped by a content filter rose significantly.</summary>
    public const string ContentFilterSurge = "content_filter_surge";

    /// <summary>The share of failing tool calls rose significantly.</summary>
    public const string ToolErrorSurge = "tool_error_surge";

    /// <summary>The share of traces with an error rose significantly.</summary>
    public const string TraceErrorSurge = "trace_error_surge";

    /// <summary>The agent's model calls moved to a model its baseline does not know.</summary>
    public const string ModelChange = "model_change";

    /// <summary>Retrieval got worse: lower relevance scores or more empty retrievals.</summary>
    public const string RetrievalDegradation = "retrieval_degradation";

    /// <summary>The trace's feature vector as a whole is far from the agent's normal subspace (PCA residual).</summary>
    public const string MultivariateOutlier = "multivariate_outlier";

    /// <summary>The agent's traffic stopped against its own rate.</summary>
    public const string Silence = "silence";

    /// <summary>Every kind, in a stable order (metric labels are pre-published from it).</summary>
    public static readonly IReadOnlyList<string> All =
    [
        TokenSpike, LatencySpike, CostSpike, TokenDrift, LatencyDrift, CostDrift, ToolLoop, RunawayDepth, ErrorAnsweredAround,
        LengthSurge, ContentFilterSurge, ToolErrorSurge, TraceErrorSurge, ModelChange, RetrievalDegradation, MultivariateOutlier, Silence,
    ];
}

/// <summary>One feature's part in a multivariate anomaly: its value, its baseline and its share of the distance.</summary>
public readonly record struct FeatureContribution(string Feature, double Observed, double Baseline, double Share);

/// <summary>
/// Why a detector fired, in terms an operator can check: which feature, what was observed, the agent's own baseline,
/// its spread and how many spreads away the observation lies.
/// </summary>
public sealed record AnomalyExplanation(string Feature, double Observed, double Baseline, double Spread, double Distance)
{
    /// <summary>
    /// How <see cref="Distance"/> was measured: <c>robust_z</c> (spreads above the median), <c>cusum</c> (accumulated
    /// log-scale shift in spreads), <c>rate_test</c> (one-sided z of the recent share against the baseline share),
    /// <c>pca_residual</c> (residual norm over its threshold), <c>poisson_gap</c> (−log10 of the chance of the gap),
    /// <c>count</c> (plain count against a limit).
    /// </summary>
    public string Method { get; init; } = "robust_z";

    /// <summary>For multivariate anomalies: the features that contributed most, largest first (else empty).</summary>
    public IReadOnlyList<FeatureContribution> Contributors { get; init; } = [];

    /// <summary>One line for flags, alerts and logs. Numbers only: never span content.</summary>
    public string Summary => Method == "robust_z"
        ? string.Create(CultureInfo.InvariantCulture, $"{Feature} {Observed:0.###} vs baseline {Baseline:0.###} (spread {Spread:0.###}): {Distance:0.0} spreads above")
        : string.Create(CultureInfo.InvariantCulture, $"{Feature} {Observed:0.###} vs baseline {Baseline:0.###} ({Method} {Distance:0.0}){ContributorSummary()}");

    private string ContributorSummary()
    {
        if (Contributors.Count == 0)
        {
            return string.Empty;
        }

        var parts = new string[Math.Min(3, Contributors.Count)];
        for (var i = 0; i < parts.Length; i++)
        {
            var c = Contributors[i];
            parts[i] = string.Create(CultureInfo.InvariantCulture, $"{c.Feature} {c.Observed:0.###} vs {c.Baseline:0.###} ({c.Share:P0})");
        }

        return "; " + string.Join(", ", parts);
    }
}

/// <summary>An anomaly in one agent's behaviour, stamped in event time.</summary>
/// <param name="Agent">The agent.</param>
/// <param name="Kind">One of <see cref="AnomalyKinds"/>.</param>
/// <param name="DetectedAtUnixNano">Event time (span timestamps) at which it was detected.</param>
/// <param name="Score">Severity: distance from baseline in robust spreads.</param>
/// <param name="Explanation">The feature and how far it moved.</param>
/// <param name="TraceIds">Exemplar trace ids, lower-case hex, at most a handful.</param>
public sealed record Anomaly(
    string Agent,
    string Kind,
    long DetectedAtUnixNano,
    double Score,
    AnomalyExplanation Explanation,
    IReadOnlyList<string> TraceIds);
