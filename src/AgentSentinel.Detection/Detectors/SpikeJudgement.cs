using AgentSentinel.Core.Anomalies;
using AgentSentinel.Detection.Baselines;

namespace AgentSentinel.Detection.Detectors;

/// <summary>
/// The verdict on one trace over a detector's features: whether any warm feature judged it, whether any lies beyond
/// its threshold, and the most severe such feature (largest distance relative to its own threshold).
/// A value type filled on the stack: judging allocates nothing.
/// </summary>
public struct SpikeJudgement
{
    /// <summary>At least one feature had a value and a warm baseline.</summary>
    public bool Judged { get; private set; }

    /// <summary>At least one feature lies beyond its threshold and the minimum relative change.</summary>
    public bool Beyond { get; private set; }

    /// <summary>The most severe feature lies at least <c>ExtremeFactor × threshold</c> spreads above its median.</summary>
    public bool Extreme { get; private set; }

    /// <summary>The most severe feature beyond its threshold (null when none is).</summary>
    public string? Feature { get; private set; }

    public double Observed { get; private set; }

    public double Median { get; private set; }

    public double Spread { get; private set; }

    public double Distance { get; private set; }

    private double _severity;
    private string? _method;

    /// <summary>
    /// Judges <paramref name="observed"/> against <paramref name="baseline"/> (before the baseline learns from it).
    /// Upward only: a value counts when it lies at least <paramref name="threshold"/> spreads above the median AND at
    /// least <paramref name="minRelativeChange"/> times the median, so that a tight baseline does not fire on a small
    /// absolute move.
    /// </summary>
    public void Consider(string feature, double observed, RobustBaseline baseline, double threshold, double minRelativeChange, double extremeFactor) =>
        Consider(feature, observed, baseline, threshold, minRelativeChange, extremeFactor, logScale: false);

    /// <summary>
    /// As above; with <paramref name="logScale"/> the baseline holds ln x and the distance is (ln x − median) / spread
    /// (a multiplicative move, right for heavy-tailed positive features), while the explanation keeps raw units for the
    /// observation and the baseline (e^median) and log units for the spread.
    /// </summary>
    public void Consider(string feature, double observed, RobustBaseline baseline, double threshold, double minRelativeChange, double extremeFactor, bool logScale)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        if (!baseline.IsWarm || !double.IsFinite(observed) || (logScale && !(observed > 0)))
        {
            return;
        }

        Judged = true;
        var median = baseline.Median;
        var spread = logScale ? baseline.UpperSpread : baseline.Spread;
        var distance = ((logScale ? Math.Log(observed) : observed) - median) / spread;
        if (logScale)
        {
            median = Math.Exp(median);
        }

        if (distance < threshold || observed < minRelativeChange * median)
        {
            return;
        }

        Beyond = true;
        var severity = distance / threshold;
        if (severity <= _severity)
        {
            return;
        }

        _severity = severity;
        Extreme = distance >= extremeFactor * threshold;
        Feature = feature;
        Observed = observed;
        Median = median;
        Spread = spread;
        Distance = distance;
        _method = logScale ? Finding.RobustLogZ : Finding.RobustZ;
    }

    /// <summary>The explanation of the most severe feature.</summary>
    public readonly AnomalyExplanation ToExplanation() => ToFinding().ToExplanation();

    /// <summary>The most severe feature as a <see cref="Finding"/> (robust z).</summary>
    public readonly Finding ToFinding() => new(Feature ?? string.Empty, Observed, Median, Spread, Distance, _method ?? Finding.RobustZ);
}

/// <summary>
/// What a detector found in one trace, before it becomes an <see cref="AnomalyExplanation"/> (a value: building one
/// allocates nothing; only an anomaly pays for its explanation).
/// </summary>
public readonly record struct Finding(string Feature, double Observed, double Baseline, double Spread, double Distance, string Method)
{
    /// <summary>Distance in robust spreads above the median.</summary>
    public const string RobustZ = "robust_z";

    /// <summary>Distance in log-scale robust spreads above the median of ln x (Baseline reported as e^median).</summary>
    public const string RobustLogZ = "robust_log_z";

    /// <summary>Accumulated shift (CUSUM sum) in spreads.</summary>
    public const string Cusum = "cusum";

    /// <summary>−log10 of the p-value of the recent share against the baseline share.</summary>
    public const string RateTest = "rate_test";

    /// <summary>A count against the agent's own tail.</summary>
    public const string Count = "count";

    /// <summary>The explanation for an anomaly.</summary>
    public AnomalyExplanation ToExplanation() => new(Feature, Observed, Baseline, Spread, Distance) { Method = Method };
}
