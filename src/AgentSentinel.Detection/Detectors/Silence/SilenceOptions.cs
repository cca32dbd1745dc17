namespace AgentSentinel.Detection.Detectors.Silence;

/// <summary>
/// Settings of the silence detector (section <c>Detection:Silence</c>): an agent whose traffic stops against its own
/// rate. See <see cref="SilenceDetector"/> for the model.
/// </summary>
public sealed class SilenceOptions
{
    /// <summary>Whether every agent gets the silence detector.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// A silence is reported when −log10 of the chance of seeing no trace over the gap reaches this (6: one in a
    /// million, about 13.8 expected traces missing).
    /// </summary>
    public double Threshold { get; set; } = 6.0;

    /// <summary>The gap must also be at least this long (event time): a fast agent pausing for a minute is not silent.</summary>
    public TimeSpan MinGap { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Half-life (event time) of the recent arrival rate. Together with the hour-of-day profile (the smaller of the two
    /// is used) it follows a daily ramp while a stop still shows within minutes for a busy agent.
    /// </summary>
    public TimeSpan RateHalfLife { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Traces needed before the detector judges anything.</summary>
    public int WarmupTraces { get; set; } = 50;

    /// <summary>Event time the agent must have been observed (first to last trace) before the detector judges anything.</summary>
    public TimeSpan WarmupDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Burst guard: the expected traces over the gap must also reach <see cref="GapFactor"/> times this quantile of the
    /// agent's own gaps (each gap measured in expected traces, weighted by its length). For Poisson traffic the 0.99
    /// quantile is about 6.6, so the guard stays below the threshold; a batch agent's long idle stretches raise it.
    /// </summary>
    public double GapQuantile { get; set; } = 0.99;

    /// <summary>See <see cref="GapQuantile"/>.</summary>
    public double GapFactor { get; set; } = 2.0;

    /// <summary>
    /// A watermark step longer than this is a gap in the whole input (collector or pipeline outage, or a replay's
    /// missing stretch), not in this agent's traffic: that stretch of event time is not counted. Must be below
    /// <see cref="MinGap"/>, so that a reported silence always had other traffic flowing through it.
    /// </summary>
    public TimeSpan MaxWatermarkStep { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Validation errors, each naming its key under <paramref name="prefix"/> (e.g. <c>Detection:Silence:</c>).</summary>
    public IEnumerable<string> Validate(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (!(Threshold is >= 1 and <= 100))
        {
            yield return $"{prefix}{nameof(Threshold)} must be between 1 and 100 (was {Threshold})";
        }

        if (MinGap < TimeSpan.FromSeconds(1) || MinGap > TimeSpan.FromDays(7))
        {
            yield return $"{prefix}{nameof(MinGap)} must be between 00:00:01 and 7.00:00:00 (was {MinGap})";
        }

        if (RateHalfLife < TimeSpan.FromMinutes(1) || RateHalfLife > TimeSpan.FromDays(7))
        {
            yield return $"{prefix}{nameof(RateHalfLife)} must be between 00:01:00 and 7.00:00:00 (was {RateHalfLife})";
        }

        if (WarmupTraces is < 2 or > 1_000_000)
        {
            yield return $"{prefix}{nameof(WarmupTraces)} must be between 2 and 1000000 (was {WarmupTraces})";
        }

        if (WarmupDuration < TimeSpan.Zero || WarmupDuration > TimeSpan.FromDays(30))
        {
            yield return $"{prefix}{nameof(WarmupDuration)} must be between 00:00:00 and 30.00:00:00 (was {WarmupDuration})";
        }

        if (!(GapQuantile is >= 0.5 and < 1))
        {
            yield return $"{prefix}{nameof(GapQuantile)} must be ≥ 0.5 and < 1 (was {GapQuantile})";
        }

        if (!(GapFactor is >= 0 and <= 1000))
        {
            yield return $"{prefix}{nameof(GapFactor)} must be between 0 and 1000 (was {GapFactor})";
        }

        if (MaxWatermarkStep <= TimeSpan.Zero)
        {
            yield return $"{prefix}{nameof(MaxWatermarkStep)} must be > 00:00:00 (was {MaxWatermarkStep})";
        }
        else if (MaxWatermarkStep >= MinGap)
        {
            yield return $"{prefix}{nameof(MaxWatermarkStep)} must be < {nameof(MinGap)} ({MinGap}) (was {MaxWatermarkStep})";
        }
    }
}
