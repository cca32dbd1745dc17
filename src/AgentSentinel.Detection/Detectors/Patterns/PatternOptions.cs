namespace AgentSentinel.Detection.Detectors.Patterns;

/// <summary>
/// The reasoning-pattern detectors (<c>Detection:Patterns</c>): tool loops and runaway depth or call counts, judged
/// against the tail of the agent's own history.
/// </summary>
public sealed class PatternOptions
{
    /// <summary>Whether tool loops and runaway traces are detected.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The fewest identical calls in a row (unchanged result) that can be a loop, whatever the history.</summary>
    public int MinLoopLength { get; set; } = 4;

    /// <summary>The share of the agent's recent traces allowed above its "normal maximum" (the tail quantile).</summary>
    public double TailShare { get; set; } = 0.002;

    /// <summary>Recent traces the tail is read from.</summary>
    public int TailWindow { get; set; } = 1000;

    /// <summary>Traces before anything is judged.</summary>
    public int WarmupTraces { get; set; } = 50;

    /// <summary>A runaway count is at least this factor above the agent's normal maximum…</summary>
    public double RunawayFactor { get; set; } = 1.5;

    /// <summary>…and at least this many above it.</summary>
    public int RunawayMinExcess { get; set; } = 3;

    /// <summary>Traces beyond threshold needed among the last <see cref="ConfirmWindow"/> (one trace at twice the threshold suffices).</summary>
    public int ConfirmCount { get; set; } = 2;

    /// <summary>The confirmation window, in traces.</summary>
    public int ConfirmWindow { get; set; } = 10;

    /// <summary>Normal traces in a row that end an episode.</summary>
    public int RearmAfter { get; set; } = 30;

    /// <summary>Validation errors, each naming its key.</summary>
    public IEnumerable<string> Validate(string prefix)
    {
        if (MinLoopLength is < 2 or > 1000)
        {
            yield return $"{prefix}{nameof(MinLoopLength)} must be between 2 and 1000 (was {MinLoopLength})";
        }

        if (!(TailShare is > 0 and < 0.5))
        {
            yield return $"{prefix}{nameof(TailShare)} must be in (0, 0.5) (was {TailShare})";
        }

        if (TailWindow is < 50 or > 100_000)
        {
            yield return $"{prefix}{nameof(TailWindow)} must be between 50 and 100000 (was {TailWindow})";
        }

        if (WarmupTraces < 5 || WarmupTraces > TailWindow)
        {
            yield return $"{prefix}{nameof(WarmupTraces)} must be between 5 and {nameof(TailWindow)} (was {WarmupTraces})";
        }

        if (!(RunawayFactor is >= 1 and <= 100))
        {
            yield return $"{prefix}{nameof(RunawayFactor)} must be between 1 and 100 (was {RunawayFactor})";
        }

        if (RunawayMinExcess is < 1 or > 1000)
        {
            yield return $"{prefix}{nameof(RunawayMinExcess)} must be between 1 and 1000 (was {RunawayMinExcess})";
        }

        if (ConfirmWindow is < 1 or > 64)
        {
            yield return $"{prefix}{nameof(ConfirmWindow)} must be between 1 and 64 (was {ConfirmWindow})";
        }

        if (ConfirmCount < 1 || ConfirmCount > Math.Max(1, ConfirmWindow))
        {
            yield return $"{prefix}{nameof(ConfirmCount)} must be between 1 and {nameof(ConfirmWindow)} (was {ConfirmCount})";
        }

        if (RearmAfter is < 1 or > 100_000)
        {
            yield return $"{prefix}{nameof(RearmAfter)} must be between 1 and 100000 (was {RearmAfter})";
        }
    }
}
