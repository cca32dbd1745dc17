using AgentSentinel.Core.Anomalies;

namespace AgentSentinel.Cli.Demo;

/// <summary>A fault the demo injects into an agent's primary path.</summary>
internal enum FaultKind
{
    None,
    /// <summary>Every model call uses many times its usual tokens (a prompt that loops, a context that explodes).</summary>
    TokenBlowUp,
    /// <summary>Every model call is several times slower (a degraded provider region).</summary>
    LatencyRegression,
}

internal static class FaultKindExtensions
{
    /// <summary>The anomaly kinds that count as detecting this fault (a sudden change, or the level shift it makes).</summary>
    public static IReadOnlyList<string> ExpectedAnomalies(this FaultKind fault) => fault switch
    {
        FaultKind.TokenBlowUp => [AnomalyKinds.TokenSpike, AnomalyKinds.CostSpike, AnomalyKinds.TokenDrift],
        FaultKind.LatencyRegression => [AnomalyKinds.LatencySpike, AnomalyKinds.LatencyDrift],
        _ => [],
    };

    public static string Describe(this FaultKind fault) => fault switch
    {
        FaultKind.TokenBlowUp => "token blow-up",
        FaultKind.LatencyRegression => "latency regression",
        _ => "none",
    };
}
