namespace AgentSentinel.Core.Anomalies;

/// <summary>How bad an anomaly is: remediation policies act from a minimum severity (<c>min_severity</c>).</summary>
public enum AnomalySeverity
{
    /// <summary>The detector fired: the agent moved beyond its own normal range.</summary>
    Warning = 1,

    /// <summary>The anomaly lies at least twice as far as it takes the detector to fire by default.</summary>
    Critical = 2,
}

/// <summary>
/// Derives an anomaly's severity from its explanation, and the severity's wire name (<c>warning</c>, <c>critical</c>).
/// </summary>
/// <remarks>
/// <para>
/// Rule: <see cref="AnomalySeverity.Critical"/> when the explanation's <see cref="AnomalyExplanation.Distance"/> is at
/// least twice the distance at which its method fires with the detectors' default settings
/// (<c>DetectionOptions</c> in AgentSentinel.Detection); otherwise <see cref="AnomalySeverity.Warning"/>. The cutoffs, per
/// <see cref="AnomalyExplanation.Method"/>:
/// </para>
/// <list type="table">
/// <listheader><term>method</term><description>fires at (default) → critical at</description></listheader>
/// <item><term><c>robust_z</c>, <c>robust_log_z</c></term><description>per-trace features: <c>TraceThreshold</c> 5 spreads → 10;
/// per-call features (<c>tokens_per_llm_call</c>, <c>llm_call_latency_ms</c>): <c>CallThreshold</c> 8 → 16 (this equals the
/// spike detectors' own "extreme" rule, <c>ExtremeFactor</c> 2)</description></item>
/// <item><term><c>cusum</c></term><description><c>Drift:H</c> 8 spreads → 16</description></item>
/// <item><term><c>rate_test</c></term><description>−log10 of <c>Rates:Alpha</c> 1e-6 = 6 → 12</description></item>
/// <item><term><c>share</c></term><description>model change, −log10 p at <c>ModelChange:Threshold</c> 6 → 12</description></item>
/// <item><term><c>poisson_gap</c></term><description>silence, −log10 p at <c>Silence:Threshold</c> 6 → 12</description></item>
/// <item><term><c>pca_residual</c></term><description>residual over its threshold, 1 → 2</description></item>
/// <item><term><c>count</c></term><description>the explanation's <see cref="AnomalyExplanation.Baseline"/> is the agent's
/// normal maximum m (not the limit), so the limit is rebuilt from <c>Patterns</c> defaults: <c>tool_loop</c> max(4, m + 1),
/// <c>runaway_depth</c> max(⌈1.5 m⌉, m + 3), any other kind m + 1; critical when
/// <see cref="AnomalyExplanation.Observed"/> ≥ 2 × limit (the pattern detectors' own "extreme" rule).</description></item>
/// </list>
/// <para>An unknown method, or a distance that is not a number, is a <see cref="AnomalySeverity.Warning"/>.</para>
/// </remarks>
public static class AnomalySeverities
{
    /// <summary>Default distance at which a per-trace robust z fires (<c>Detection:TraceThreshold</c>).</summary>
    public const double TraceThreshold = 5.0;

    /// <summary>Default distance at which a per-call robust z fires (<c>Detection:CallThreshold</c>).</summary>
    public const double CallThreshold = 8.0;

    /// <summary>Default CUSUM decision interval (<c>Detection:Drift:H</c>).</summary>
    public const double CusumThreshold = 8.0;

    /// <summary>Default −log10 p at which a rate test fires (<c>Detection:Rates:Alpha</c> = 1e-6).</summary>
    public const double RateTestThreshold = 6.0;

    /// <summary>Default −log10 p at which a model change fires (<c>Detection:ModelChange:Threshold</c>).</summary>
    public const double ShareThreshold = 6.0;

    /// <summary>Default −log10 p at which a silence fires (<c>Detection:Silence:Threshold</c>).</summary>
    public const double PoissonGapThreshold = 6.0;

    /// <summary>The PCA residual distance at which the multivariate detector fires (residual over its threshold).</summary>
    public const double PcaResidualThreshold = 1.0;

    /// <summary>Default shortest tool loop (<c>Detection:Patterns:MinLoopLength</c>).</summary>
    public const int MinLoopLength = 4;

    /// <summary>Default runaway factor over the normal maximum (<c>Detection:Patterns:RunawayFactor</c>).</summary>
    public const double RunawayFactor = 1.5;

    /// <summary>Default runaway excess over the normal maximum (<c>Detection:Patterns:RunawayMinExcess</c>).</summary>
    public const int RunawayMinExcess = 3;

    /// <summary>How many times the firing distance makes an anomaly critical.</summary>
    public const double CriticalFactor = 2.0;

    /// <summary>The per-call features of the spike detectors (judged against <see cref="CallThreshold"/>).</summary>
    public static readonly IReadOnlyList<string> CallFeatures = ["tokens_per_llm_call", "llm_call_latency_ms"];

    /// <summary>The severity of <paramref name="anomaly"/> (see the class remarks for the rule).</summary>
    public static AnomalySeverity Of(Anomaly anomaly)
    {
        ArgumentNullException.ThrowIfNull(anomaly);
        return Of(anomaly.Kind, anomaly.Explanation);
    }

    /// <summary>The severity of an anomaly of <paramref name="kind"/> explained by <paramref name="explanation"/>.</summary>
    public static AnomalySeverity Of(string kind, AnomalyExplanation explanation)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        var firesAt = FiringDistance(kind, explanation);
        var value = explanation.Method == "count" ? explanation.Observed : explanation.Distance;
        return double.IsFinite(firesAt) && double.IsFinite(value) && value >= CriticalFactor * firesAt
            ? AnomalySeverity.Critical
            : AnomalySeverity.Warning;
    }

    /// <summary>The wire name: <c>warning</c> or <c>critical</c>.</summary>
    public static string ToWireName(this AnomalySeverity severity) => severity == AnomalySeverity.Critical ? "critical" : "warning";

    /// <summary>Parses a wire name (<c>warning</c>, <c>critical</c>; ordinal, lower case).</summary>
    public static bool TryParse(string? value, out AnomalySeverity severity)
    {
        switch (value)
        {
            case "warning":
                severity = AnomalySeverity.Warning;
                return true;
            case "critical":
                severity = AnomalySeverity.Critical;
                return true;
            default:
                severity = AnomalySeverity.Warning;
                return false;
        }
    }

    /// <summary>
    /// The value (distance, or for <c>count</c> the observed count) at which the explanation's method fires with the
    /// default detector settings; NaN for an unknown method.
    /// </summary>
    public static double FiringDistance(string kind, AnomalyExplanation explanation)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        switch (explanation.Method)
        {
            case "robust_z":
            case "robust_log_z":
                foreach (var feature in CallFeatures)
                {
                    if (string.Equals(feature, explanation.Feature, StringComparison.Ordinal))
                    {
                        return CallThreshold;
                    }
                }

                return TraceThreshold;
            case "cusum":
                return CusumThreshold;
            case "rate_test":
                return RateTestThreshold;
            case "share":
                return ShareThreshold;
            case "poisson_gap":
                return PoissonGapThreshold;
            case "pca_residual":
                return PcaResidualThreshold;
            case "count":
                return CountLimit(kind, explanation.Baseline);
            default:
                return double.NaN;
        }
    }

    private static double CountLimit(string kind, double normalMax)
    {
        if (!double.IsFinite(normalMax))
        {
            return double.NaN;
        }

        var m = Math.Max(0, normalMax);
        return kind switch
        {
            AnomalyKinds.ToolLoop => Math.Max(MinLoopLength, m + 1),
            AnomalyKinds.RunawayDepth => Math.Max(Math.Ceiling(m * RunawayFactor), m + RunawayMinExcess),
            _ => m + 1,
        };
    }
}
