using System.Globalization;

namespace AgentSentinel.Core.Anomalies;

/// <summary>The anomaly kinds the detectors emit. A closed set of snake-case names: safe as metric labels and flag reasons.</summary>
public static class AnomalyKinds
{
    public const string TokenSpike = "token_spike";
    public const string LatencySpike = "latency_spike";
}

/// <summary>
/// Why a detector fired, in terms an operator can check: which feature, what was observed, the agent's own baseline,
/// its spread and how many spreads away the observation lies.
/// </summary>
public sealed record AnomalyExplanation(string Feature, double Observed, double Baseline, double Spread, double Distance)
{
    /// <summary>One line for flags, alerts and logs. Numbers only: never span content.</summary>
    public string Summary =>
        string.Create(CultureInfo.InvariantCulture, $"{Feature} {Observed:0.###} vs baseline {Baseline:0.###} (spread {Spread:0.###}): {Distance:0.0} spreads above");
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
