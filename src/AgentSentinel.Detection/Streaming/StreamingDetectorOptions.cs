namespace AgentSentinel.Detection.Streaming;

/// <summary>
/// Settings of <see cref="StreamingAnomalyDetector"/> (configuration section <c>Detection:Streaming</c>). One set of
/// values serves every stream: nothing here is fitted to a particular series.
/// </summary>
public sealed class StreamingDetectorOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Detection:Streaming";

    /// <summary>Values the rolling median (the level model's location) is taken over.</summary>
    public int LevelWindow { get; set; } = 128;

    /// <summary>Values seen before any score other than 0 is given; also the residuals a model needs before its tests judge.</summary>
    public int Warmup { get; set; } = 96;

    /// <summary>Weight of a new absolute residual in the exponentially weighted spread (≈ 1 / memory in values).</summary>
    public double SpreadAlpha { get; set; } = 0.01;

    /// <summary>Residuals enter the spread clipped to this many spreads, so a spike cannot inflate it.</summary>
    public double SpreadClip { get; set; } = 4.0;

    /// <summary>Intervals between timestamps used to estimate the sampling interval (the median of the first ones).</summary>
    public int IntervalSamples { get; set; } = 32;

    /// <summary>Whether a daily profile is learned when the sampling interval divides a day into a usable period.</summary>
    public bool Seasonal { get; set; } = true;

    /// <summary>Longest daily period, in values, that gets a profile (e.g. 2016 would be 5-minute data over a week).</summary>
    public int MaxPeriod { get; set; } = 1440;

    /// <summary>Shortest daily period, in values, that gets a profile.</summary>
    public int MinPeriod { get; set; } = 12;

    /// <summary>Weight of a day's value in the per-phase profile (≈ 1 / days remembered).</summary>
    public double ProfileAlpha { get; set; } = 0.3;

    /// <summary>Cycles (days, weeks) a phase must have been seen before its profile may be chosen.</summary>
    public int ProfileWarmupCycles { get; set; } = 2;

    /// <summary>Whether a time-of-week profile competes too (when there is a daily period).</summary>
    public bool Weekly { get; set; } = true;

    /// <summary>The CUSUM's reference value k, in spreads: drift below it is ignored.</summary>
    public double CusumDrift { get; set; } = 1.5;

    /// <summary>Standardised residuals enter the CUSUM clipped to ± this, so one spike is not a level shift.</summary>
    public double CusumClip { get; set; } = 3.0;

    /// <summary>Weight of the newest residual in the EWMA drift statistic.</summary>
    public double EwmaAlpha { get; set; } = 0.1;

    /// <summary>Values of each statistic's history its tail probability is judged against.</summary>
    public int HistoryWindow { get; set; } = 4096;

    /// <summary>Share of a statistic's history treated as its tail (fitted by an exponential beyond the quantile 1 − share).</summary>
    public double TailShare { get; set; } = 0.02;

    /// <summary>Fewest history values the exponential tail is fitted to.</summary>
    public int MinExceedances { get; set; } = 8;

    /// <summary>
    /// The tail probability that maps to score 0.5. With u = log10(1/p) and u½ = log10(1/<see cref="HalfScoreProbability"/>)
    /// the score is u/(u + u½): monotone in p, 0 at p = 1, never saturating, so NAB's optimiser can tell any two apart.
    /// </summary>
    public double HalfScoreProbability { get; set; } = 1e-6;

    /// <summary>
    /// After a score, values in this many following points report only when they exceed every score in that span, so an
    /// episode raises one alarm at its onset, not one per point.
    /// </summary>
    public int SuppressionSpan { get; set; } = 128;

    /// <summary>
    /// The reporting step, in decades of tail probability: within the suppression span a value is reported only when its
    /// surprise log10(1/p) reaches a higher multiple of this step than the span's largest surprise, so an episode that
    /// grows slowly is reported at its first crossing and again only for each further factor 10^step of evidence.
    /// </summary>
    public double SuppressionStep { get; set; } = 1.0;

    /// <summary>Every problem with these settings, each naming its key (empty when valid).</summary>
    public IEnumerable<string> Validate()
    {
        const string P = SectionName + ":";
        if (LevelWindow is < 8 or > 65_536)
        {
            yield return $"{P}{nameof(LevelWindow)} must be between 8 and 65536 (was {LevelWindow})";
        }

        if (Warmup < 8)
        {
            yield return $"{P}{nameof(Warmup)} must be ≥ 8 (was {Warmup})";
        }

        if (!(SpreadAlpha is > 0 and < 1))
        {
            yield return $"{P}{nameof(SpreadAlpha)} must be in (0, 1) (was {SpreadAlpha})";
        }

        if (!(SpreadClip is >= 1 and <= 100))
        {
            yield return $"{P}{nameof(SpreadClip)} must be between 1 and 100 (was {SpreadClip})";
        }

        if (IntervalSamples is < 3 or > 1024)
        {
            yield return $"{P}{nameof(IntervalSamples)} must be between 3 and 1024 (was {IntervalSamples})";
        }

        if (MinPeriod < 2 || MaxPeriod < MinPeriod || MaxPeriod > 100_000)
        {
            yield return $"{P}{nameof(MinPeriod)} and {nameof(MaxPeriod)} must satisfy 2 ≤ {nameof(MinPeriod)} ≤ {nameof(MaxPeriod)} ≤ 100000 (were {MinPeriod}, {MaxPeriod})";
        }

        if (!(ProfileAlpha is > 0 and <= 1))
        {
            yield return $"{P}{nameof(ProfileAlpha)} must be in (0, 1] (was {ProfileAlpha})";
        }

        if (ProfileWarmupCycles is < 1 or > 365)
        {
            yield return $"{P}{nameof(ProfileWarmupCycles)} must be between 1 and 365 (was {ProfileWarmupCycles})";
        }

        if (!(CusumDrift is > 0 and <= 10))
        {
            yield return $"{P}{nameof(CusumDrift)} must be in (0, 10] (was {CusumDrift})";
        }

        if (!(CusumClip is >= 1 and <= 100))
        {
            yield return $"{P}{nameof(CusumClip)} must be between 1 and 100 (was {CusumClip})";
        }

        if (!(EwmaAlpha is > 0 and < 1))
        {
            yield return $"{P}{nameof(EwmaAlpha)} must be in (0, 1) (was {EwmaAlpha})";
        }

        if (HistoryWindow is < 16 or > 1_000_000)
        {
            yield return $"{P}{nameof(HistoryWindow)} must be between 16 and 1000000 (was {HistoryWindow})";
        }

        if (!(TailShare is > 0 and < 0.5))
        {
            yield return $"{P}{nameof(TailShare)} must be in (0, 0.5) (was {TailShare})";
        }

        if (MinExceedances < 2 || MinExceedances >= HistoryWindow)
        {
            yield return $"{P}{nameof(MinExceedances)} must be ≥ 2 and below {nameof(HistoryWindow)} (was {MinExceedances})";
        }

        if (!(HalfScoreProbability is > 0 and < 0.5))
        {
            yield return $"{P}{nameof(HalfScoreProbability)} must be in (0, 0.5) (was {HalfScoreProbability})";
        }

        if (!(SuppressionStep is > 0 and <= 100))
        {
            yield return $"{P}{nameof(SuppressionStep)} must be in (0, 100] (was {SuppressionStep})";
        }

        if (SuppressionSpan is < 0 or > 100_000)
        {
            yield return $"{P}{nameof(SuppressionSpan)} must be between 0 and 100000 (was {SuppressionSpan})";
        }
    }

    /// <summary>Throws an <see cref="ArgumentException"/> listing every problem, if there is any.</summary>
    public void ThrowIfInvalid()
    {
        var problems = Validate().ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid streaming detector options: " + string.Join("; ", problems));
        }
    }
}
