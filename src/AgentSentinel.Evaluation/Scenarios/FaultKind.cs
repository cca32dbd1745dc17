using AgentSentinel.Core.Anomalies;

namespace AgentSentinel.Evaluation.Scenarios;

/// <summary>The labelled faults the scenario generator injects (see docs/evaluation-scenarios.md for shapes and magnitudes).</summary>
public enum FaultKind
{
    /// <summary>Input and/or output tokens per call ×3–×10.</summary>
    TokenBlowUp,
    /// <summary>Tokens rise steadily (+50 %..+150 % over hours); no single trace is extreme.</summary>
    TokenCreep,
    /// <summary>Model calls (and sometimes tools) ×1.8–×4 slower.</summary>
    LatencyRegression,
    /// <summary>The same tool with the same arguments and an unchanged result, 4–30 times in a trace.</summary>
    ToolLoop,
    /// <summary>The tool error share rises to 20–70 %; the agent retries, and traces fail when retries run out.</summary>
    ToolErrorStorm,
    /// <summary>A tool fails, the agent does not retry and answers anyway (final call finishes with stop).</summary>
    ErrorAnsweredAround,
    /// <summary>The share of calls cut at the length limit rises to 10–50 % (max_tokens lowered).</summary>
    LengthSurge,
    /// <summary>The share of calls stopped by the content filter rises to 5–30 %.</summary>
    ContentFilterSurge,
    /// <summary>The model that answers changes (another model, or a new version string).</summary>
    ModelSwap,
    /// <summary>Retrieval top score drops by 0.15–0.4 and/or empty retrievals rise to 15–50 %.</summary>
    RetrievalDegradation,
    /// <summary>Cost per trace ×3–×8: many more model calls at similar per-call tokens, or a router shifting to its pricier model.</summary>
    CostSpike,
    /// <summary>The agent stops sending traces for 8–20 mean inter-arrival times, or until the end.</summary>
    Silence,
}

/// <summary>
/// The one table that says which anomaly kinds count as detecting which fault, and which fault each anomaly kind is
/// primarily about (for per-kind false positives). Documented in docs/evaluation-scenarios.md.
/// </summary>
public static class FaultDetectionMap
{
    /// <summary>Every fault kind, in report order.</summary>
    public static IReadOnlyList<FaultKind> AllFaults { get; } = Enum.GetValues<FaultKind>();

    private static readonly Dictionary<FaultKind, string[]> Accepted = new()
    {
        [FaultKind.TokenBlowUp] = [AnomalyKinds.TokenSpike, AnomalyKinds.CostSpike, AnomalyKinds.TokenDrift, AnomalyKinds.CostDrift, AnomalyKinds.MultivariateOutlier],
        [FaultKind.TokenCreep] = [AnomalyKinds.TokenDrift, AnomalyKinds.CostDrift, AnomalyKinds.TokenSpike, AnomalyKinds.CostSpike, AnomalyKinds.MultivariateOutlier],
        [FaultKind.LatencyRegression] = [AnomalyKinds.LatencySpike, AnomalyKinds.LatencyDrift, AnomalyKinds.MultivariateOutlier],
        [FaultKind.ToolLoop] = [AnomalyKinds.ToolLoop, AnomalyKinds.RunawayDepth, AnomalyKinds.MultivariateOutlier],
        [FaultKind.ToolErrorStorm] = [AnomalyKinds.ToolErrorSurge, AnomalyKinds.TraceErrorSurge, AnomalyKinds.MultivariateOutlier],
        [FaultKind.ErrorAnsweredAround] = [AnomalyKinds.ErrorAnsweredAround],
        [FaultKind.LengthSurge] = [AnomalyKinds.LengthSurge],
        [FaultKind.ContentFilterSurge] = [AnomalyKinds.ContentFilterSurge],
        [FaultKind.ModelSwap] = [AnomalyKinds.ModelChange],
        [FaultKind.RetrievalDegradation] = [AnomalyKinds.RetrievalDegradation],
        [FaultKind.CostSpike] = [AnomalyKinds.CostSpike, AnomalyKinds.CostDrift, AnomalyKinds.TokenSpike, AnomalyKinds.RunawayDepth, AnomalyKinds.MultivariateOutlier],
        [FaultKind.Silence] = [AnomalyKinds.Silence],
    };

    private static readonly Dictionary<string, FaultKind> Primary = new(StringComparer.Ordinal)
    {
        [AnomalyKinds.TokenSpike] = FaultKind.TokenBlowUp,
        [AnomalyKinds.TokenDrift] = FaultKind.TokenCreep,
        [AnomalyKinds.LatencySpike] = FaultKind.LatencyRegression,
        [AnomalyKinds.LatencyDrift] = FaultKind.LatencyRegression,
        [AnomalyKinds.CostSpike] = FaultKind.CostSpike,
        [AnomalyKinds.CostDrift] = FaultKind.CostSpike,
        [AnomalyKinds.ToolLoop] = FaultKind.ToolLoop,
        [AnomalyKinds.RunawayDepth] = FaultKind.ToolLoop,
        [AnomalyKinds.ErrorAnsweredAround] = FaultKind.ErrorAnsweredAround,
        [AnomalyKinds.LengthSurge] = FaultKind.LengthSurge,
        [AnomalyKinds.ContentFilterSurge] = FaultKind.ContentFilterSurge,
        [AnomalyKinds.ToolErrorSurge] = FaultKind.ToolErrorStorm,
        [AnomalyKinds.TraceErrorSurge] = FaultKind.ToolErrorStorm,
        [AnomalyKinds.ModelChange] = FaultKind.ModelSwap,
        [AnomalyKinds.RetrievalDegradation] = FaultKind.RetrievalDegradation,
        [AnomalyKinds.Silence] = FaultKind.Silence,
    };

    /// <summary>The anomaly kinds that count as detecting <paramref name="fault"/>.</summary>
    public static IReadOnlyList<string> AcceptedKinds(FaultKind fault) => Accepted[fault];

    /// <summary>Whether an anomaly of <paramref name="anomalyKind"/> counts as detecting <paramref name="fault"/>.</summary>
    public static bool Accepts(FaultKind fault, string anomalyKind) => Array.IndexOf(Accepted[fault], anomalyKind) >= 0;

    /// <summary>
    /// The fault an anomaly kind is primarily about: a false anomaly of this kind is a false positive of that fault.
    /// Null for kinds that name no single fault (<c>multivariate_outlier</c>) or that we do not know.
    /// </summary>
    public static FaultKind? PrimaryFault(string anomalyKind) =>
        Primary.TryGetValue(anomalyKind, out var fault) ? fault : null;

    /// <summary>The snake-case name used in reports.</summary>
    public static string WireName(this FaultKind fault) => fault switch
    {
        FaultKind.TokenBlowUp => "token_blowup",
        FaultKind.TokenCreep => "token_creep",
        FaultKind.LatencyRegression => "latency_regression",
        FaultKind.ToolLoop => "tool_loop",
        FaultKind.ToolErrorStorm => "tool_error_storm",
        FaultKind.ErrorAnsweredAround => "error_answered_around",
        FaultKind.LengthSurge => "finish_length_surge",
        FaultKind.ContentFilterSurge => "content_filter_surge",
        FaultKind.ModelSwap => "model_swap",
        FaultKind.RetrievalDegradation => "retrieval_degradation",
        FaultKind.CostSpike => "cost_spike",
        FaultKind.Silence => "silence",
        _ => throw new ArgumentOutOfRangeException(nameof(fault), fault, "unknown fault kind"),
    };
}

/// <summary>
/// One injected fault, as the scorer sees it: which agent, what, how strong, and when (event time).
/// </summary>
/// <param name="Agent">The agent the fault was injected into.</param>
/// <param name="Kind">The fault.</param>
/// <param name="Variant">Which shape of the fault (e.g. <c>output</c>, <c>input</c>, <c>both</c> for a token blow-up).</param>
/// <param name="Magnitude">The fault's size in its own unit (a factor, a share, a score drop, a multiple of the inter-arrival time).</param>
/// <param name="Severity"><c>low</c>, <c>medium</c> or <c>high</c>: the magnitude's third of its range.</param>
/// <param name="Share">The share of the agent's traces the fault touches inside the window (1 for most kinds).</param>
/// <param name="Onset"><c>step</c> (full strength at the start) or <c>ramp</c> (strength grows linearly over the first quarter of the window; a creep ramps over all of it).</param>
/// <param name="StartUnixNano">Event time the fault starts.</param>
/// <param name="EndUnixNano">Event time the fault ends (the scenario's end for a silence until the end).</param>
public sealed record FaultLabel(
    string Agent,
    FaultKind Kind,
    string Variant,
    double Magnitude,
    string Severity,
    double Share,
    string Onset,
    long StartUnixNano,
    long EndUnixNano)
{
    /// <summary>Whether <paramref name="unixNano"/> lies in [start, end].</summary>
    public bool Covers(long unixNano) => unixNano >= StartUnixNano && unixNano <= EndUnixNano;
}
