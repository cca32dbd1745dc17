namespace AgentSentinel.Detection.Multivariate;

/// <summary>
/// Settings of the multivariate (PCA residual) detector: section <c>Detection:Multivariate</c>. Re-arming and exemplars
/// are shared with the spike detectors (<see cref="DetectionOptions"/>); confirmation is its own.
/// See <c>Multivariate/README.md</c> for the reasoning behind the defaults.
/// </summary>
public sealed class MultivariateOptions
{
    /// <summary>Whether every agent gets the multivariate detector.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Principal components kept as the agent's "normal" subspace (less than the number of features).</summary>
    public int Rank { get; set; } = 4;

    /// <summary>Extra random directions of ML.NET's randomized PCA (capped at the number of features, where it is exact).</summary>
    public int Oversampling { get; set; } = 20;

    /// <summary>Recent normal traces kept to train on (a ring; judged-anomalous traces stay out of it).</summary>
    public int TrainingWindow { get; set; } = 1000;

    /// <summary>Traces needed before the first model is trained; nothing is judged until it is swapped in (warm-up).</summary>
    public int MinTrainingTraces { get; set; } = 200;

    /// <summary>Traces between two training snapshots (retraining follows slow shifts).</summary>
    public int RetrainEvery { get; set; } = 500;

    /// <summary>
    /// Traces the old model still judges after a snapshot: with <see cref="DeterministicSwap"/> the new model is swapped
    /// in exactly before the trace after that many (0: before the next trace).
    /// </summary>
    public int SwapAfterTraces { get; set; } = 20;

    /// <summary>
    /// Swap a model in at a fixed trace count after its snapshot, waiting for the training only when it is not done yet
    /// (replays are reproducible). When false, a model is swapped in at the first trace after its training finished.
    /// </summary>
    public bool DeterministicSwap { get; set; } = true;

    /// <summary>Target share of normal traces whose residual exceeds the threshold (per trace, before confirmation).</summary>
    public double FalsePositiveBudget { get; set; } = 0.001;

    /// <summary>The calibrated residual-norm threshold is multiplied by this (covers the in-sample optimism of the fit).</summary>
    public double ThresholdMargin { get; set; } = 2.0;

    /// <summary>The residual-norm threshold is at least this many robust scales (guards a near-perfect fit).</summary>
    public double MinResidualThreshold { get; set; } = 3.0;

    /// <summary>
    /// Judged traces into an episode after which its traces are learnt anyway: a lasting change becomes the new normal
    /// at the next retraining instead of muting the detector for good.
    /// </summary>
    public int AdoptAfter { get; set; } = 200;

    /// <summary>
    /// Judged traces beyond threshold (M) needed among the last <see cref="ConfirmWindow"/> to open an episode. The
    /// detector's own, stricter than the spike detectors' 2 of 4: its 22 features include counts of rare benign events
    /// (an error, a filtered answer, an empty retrieval), so one trace off the subspace is expected every few hundred
    /// traces, while the faults it is for last tens of traces.
    /// </summary>
    public int ConfirmCount { get; set; } = 3;

    /// <summary>Judged traces (N) over which <see cref="ConfirmCount"/> is counted.</summary>
    public int ConfirmWindow { get; set; } = 6;

    /// <summary>
    /// Distance (residual norm over threshold) at which one trace opens an episode on its own; null (the default): never,
    /// every episode needs <see cref="ConfirmCount"/> of <see cref="ConfirmWindow"/> (single extreme traces are the spike
    /// and pattern detectors' business).
    /// </summary>
    public double? ExtremeFactor { get; set; }

    /// <summary>Seed of the randomized PCA (combined with the model version; training is deterministic).</summary>
    public int Seed { get; set; } = 17;

    /// <summary>Every problem with these settings, each naming its key under <paramref name="prefix"/> (e.g. <c>Detection:Multivariate:</c>).</summary>
    public IEnumerable<string> Validate(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return Errors(prefix);
    }

    private IEnumerable<string> Errors(string p)
    {
        var maxRank = TraceFeatureVector.Count - 1;
        if (Rank < 1 || Rank > maxRank)
        {
            yield return $"{p}{nameof(Rank)} must be between 1 and {maxRank} (the number of features less one) (was {Rank})";
        }

        if (Oversampling is < 0 or > 100)
        {
            yield return $"{p}{nameof(Oversampling)} must be between 0 and 100 (was {Oversampling})";
        }

        if (TrainingWindow is < 32 or > 100_000)
        {
            yield return $"{p}{nameof(TrainingWindow)} must be between 32 and 100000 (was {TrainingWindow})";
        }

        if (MinTrainingTraces < 32)
        {
            yield return $"{p}{nameof(MinTrainingTraces)} must be ≥ 32 (was {MinTrainingTraces})";
        }
        else if (MinTrainingTraces > TrainingWindow)
        {
            yield return $"{p}{nameof(MinTrainingTraces)} must be ≤ {nameof(TrainingWindow)} ({TrainingWindow}) (was {MinTrainingTraces})";
        }

        if (RetrainEvery is < 1 or > 10_000_000)
        {
            yield return $"{p}{nameof(RetrainEvery)} must be between 1 and 10000000 (was {RetrainEvery})";
        }

        if (SwapAfterTraces < 0)
        {
            yield return $"{p}{nameof(SwapAfterTraces)} must be ≥ 0 (was {SwapAfterTraces})";
        }
        else if (SwapAfterTraces > RetrainEvery)
        {
            yield return $"{p}{nameof(SwapAfterTraces)} must be ≤ {nameof(RetrainEvery)} ({RetrainEvery}) (was {SwapAfterTraces})";
        }

        if (!(FalsePositiveBudget is > 0 and <= 0.1))
        {
            yield return $"{p}{nameof(FalsePositiveBudget)} must be > 0 and ≤ 0.1 (was {FalsePositiveBudget})";
        }

        if (!(ThresholdMargin is >= 1 and <= 10))
        {
            yield return $"{p}{nameof(ThresholdMargin)} must be between 1 and 10 (was {ThresholdMargin})";
        }

        if (!(MinResidualThreshold is > 0 and <= 1000))
        {
            yield return $"{p}{nameof(MinResidualThreshold)} must be > 0 and ≤ 1000 (was {MinResidualThreshold})";
        }

        if (ConfirmWindow is < 1 or > 64)
        {
            yield return $"{p}{nameof(ConfirmWindow)} must be between 1 and 64 (was {ConfirmWindow})";
        }

        if (ConfirmCount < 1 || ConfirmCount > Math.Max(1, ConfirmWindow))
        {
            yield return $"{p}{nameof(ConfirmCount)} must be between 1 and {nameof(ConfirmWindow)} ({ConfirmWindow}) (was {ConfirmCount})";
        }

        if (ExtremeFactor is not null && !(ExtremeFactor is >= 1 and <= 1000))
        {
            yield return $"{p}{nameof(ExtremeFactor)} must be between 1 and 1000 (was {ExtremeFactor})";
        }

        if (AdoptAfter < 1)
        {
            yield return $"{p}{nameof(AdoptAfter)} must be ≥ 1 (was {AdoptAfter})";
        }
    }
}
