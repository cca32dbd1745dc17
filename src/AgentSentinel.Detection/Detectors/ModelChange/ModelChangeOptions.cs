namespace AgentSentinel.Detection.Detectors.ModelChange;

/// <summary>
/// Settings of the model change detector (section <c>Detection:ModelChange</c>): the agent's model calls silently moved to
/// another model. See <see cref="ModelChangeDetector"/>.
/// </summary>
public sealed class ModelChangeOptions
{
    /// <summary>Whether every agent gets the model change detector.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The recent window: this many latest traces that made a model call.</summary>
    public int Window { get; set; } = 20;

    /// <summary>A change needs at least this share of the window's traces calling mostly new or rare models.</summary>
    public double MinShare { get; set; } = 0.5;

    /// <summary>
    /// And −log10 of the binomial chance of that many such traces, given the baseline share of rare models, must reach
    /// this. (The dominant model vanishing is judged with the same threshold.)
    /// </summary>
    public double Threshold { get; set; } = 6.0;

    /// <summary>A model whose baseline share is below this is rare (a model the baseline does not know is new).</summary>
    public double RareShare { get; set; } = 0.05;

    /// <summary>A model with at least this baseline share is dominant: its disappearance from the window is a change.</summary>
    public double DominantShare { get; set; } = 0.6;

    /// <summary>Traces with model calls learnt before anything is judged.</summary>
    public int WarmupTraces { get; set; } = 100;

    /// <summary>Distinct models remembered per agent (the rarest is forgotten first): untrusted names cannot grow memory.</summary>
    public int MaxModels { get; set; } = 32;

    /// <summary>Half-life of the baseline shares, in learnt traces: after a change is accepted, the new model takes over at this pace.</summary>
    public int BaselineHalfLifeTraces { get; set; } = 1000;

    /// <summary>
    /// A change still in place after this many traces is accepted as the new normal: its calls are learnt from then on
    /// (before that, nothing is learnt during an episode). The episode ends, and the detector re-arms, once the window
    /// looks normal against the baseline again.
    /// </summary>
    public int AcceptAfterTraces { get; set; } = 500;

    /// <summary>Validation errors, each naming its key under <paramref name="prefix"/> (e.g. <c>Detection:ModelChange:</c>).</summary>
    public IEnumerable<string> Validate(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (Window is < 4 or > 1000)
        {
            yield return $"{prefix}{nameof(Window)} must be between 4 and 1000 (was {Window})";
        }

        if (!(MinShare is > 0 and <= 1))
        {
            yield return $"{prefix}{nameof(MinShare)} must be > 0 and ≤ 1 (was {MinShare})";
        }

        if (!(Threshold is >= 1 and <= 100))
        {
            yield return $"{prefix}{nameof(Threshold)} must be between 1 and 100 (was {Threshold})";
        }

        if (!(RareShare is > 0 and < 0.5))
        {
            yield return $"{prefix}{nameof(RareShare)} must be > 0 and < 0.5 (was {RareShare})";
        }

        if (!(DominantShare is > 0.5 and <= 1))
        {
            yield return $"{prefix}{nameof(DominantShare)} must be > 0.5 and ≤ 1 (was {DominantShare})";
        }

        if (WarmupTraces is < 1 or > 1_000_000)
        {
            yield return $"{prefix}{nameof(WarmupTraces)} must be between 1 and 1000000 (was {WarmupTraces})";
        }

        if (MaxModels is < 2 or > 1024)
        {
            yield return $"{prefix}{nameof(MaxModels)} must be between 2 and 1024 (was {MaxModels})";
        }

        if (BaselineHalfLifeTraces is < 10 or > 10_000_000)
        {
            yield return $"{prefix}{nameof(BaselineHalfLifeTraces)} must be between 10 and 10000000 (was {BaselineHalfLifeTraces})";
        }

        if (AcceptAfterTraces is < 1 or > 10_000_000)
        {
            yield return $"{prefix}{nameof(AcceptAfterTraces)} must be between 1 and 10000000 (was {AcceptAfterTraces})";
        }
    }
}
