using AgentSentinel.Detection.Baselines;
using AgentSentinel.Detection.Detectors.Drift;
using AgentSentinel.Detection.Detectors.ModelChange;
using AgentSentinel.Detection.Detectors.Patterns;
using AgentSentinel.Detection.Detectors.Rates;
using AgentSentinel.Detection.Detectors.Silence;
using AgentSentinel.Detection.Multivariate;

namespace AgentSentinel.Detection;

/// <summary>
/// Settings of the per-agent baselines and spike detectors (configuration section <c>Detection</c>).
/// Defaults are chosen for agents that complete a trace every few seconds; see the README for the reasoning.
/// </summary>
public sealed class DetectionOptions
{
    public const string SectionName = "Detection";

    /// <summary>Recent values each baseline keeps (the rolling window).</summary>
    public int WindowSize { get; set; } = 256;

    /// <summary>Values a baseline needs before it judges anything.</summary>
    public int WarmupSamples { get; set; } = 30;

    /// <summary>Once warm, values enter a baseline clipped to median ± this many spreads (winsorising).</summary>
    public double WinsorizeSpreads { get; set; } = 3.0;

    /// <summary>The spread is at least this share of |median|, so a near-constant series does not fire on tiny moves.</summary>
    public double RelativeSpreadFloor { get; set; } = 0.05;

    /// <summary>
    /// Smallest spread of the spike baselines, which hold ln x (tokens, latency): 0.1 ≈ a 10 % move per spread, so a
    /// near-constant feature does not fire on a small multiplicative move.
    /// </summary>
    public double LogSpreadFloor { get; set; } = 0.1;

    /// <summary>
    /// Robust distance on the log scale ((ln x − median) / spread) at which a per-trace feature counts as a spike: 5
    /// spreads of a typical log-spread of 0.4 is about ×7.
    /// </summary>
    public double TraceThreshold { get; set; } = 5.0;

    /// <summary>
    /// Robust distance for per-call features. Higher than <see cref="TraceThreshold"/> because a trace is judged by its
    /// largest call against a baseline of single calls, which a trace of many calls exceeds more often by chance.
    /// </summary>
    public double CallThreshold { get; set; } = 8.0;

    /// <summary>A spike must also be at least this multiple of the median (guards tight baselines against small absolute moves).</summary>
    public double MinRelativeChange { get; set; } = 1.5;

    /// <summary>A single trace at least this many times the threshold starts an episode without confirmation.</summary>
    public double ExtremeFactor { get; set; } = 2.0;

    /// <summary>Traces beyond threshold (M) needed among the last <see cref="ConfirmWindow"/> judged traces.</summary>
    public int ConfirmCount { get; set; } = 2;

    /// <summary>Judged traces (N) over which <see cref="ConfirmCount"/> is counted.</summary>
    public int ConfirmWindow { get; set; } = 4;

    /// <summary>Consecutive normal traces that end an episode and re-arm the detector.</summary>
    public int RearmAfter { get; set; } = 8;

    /// <summary>Exemplar trace ids carried by an anomaly (the flag contract allows at most 5).</summary>
    public int MaxExemplars { get; set; } = 5;

    /// <summary>Whether agents get the token spike detector.</summary>
    public bool TokenSpikeEnabled { get; set; } = true;

    /// <summary>Whether agents get the latency spike detector.</summary>
    public bool LatencySpikeEnabled { get; set; } = true;

    /// <summary>
    /// The false-positive budget: at most this many episodes per detector per agent in any 24 hours of event time;
    /// more are suppressed (and counted). 0 = no limit.
    /// </summary>
    public int MaxEpisodesPerDay { get; set; } = 6;

    /// <summary>Whether cost spikes are detected (on reported or catalogue-priced cost).</summary>
    public bool CostSpikeEnabled { get; set; } = true;

    /// <summary>Level shifts and creep (CUSUM): <c>Detection:Drift</c>.</summary>
    public DriftOptions Drift { get; set; } = new();

    /// <summary>Share surges (beta-binomial tests): <c>Detection:Rates</c>.</summary>
    public RateOptions Rates { get; set; } = new();

    /// <summary>Tool loops and runaway traces: <c>Detection:Patterns</c>.</summary>
    public PatternOptions Patterns { get; set; } = new();

    /// <summary>Silence against the agent's own (seasonal) rate: <c>Detection:Silence</c>.</summary>
    public SilenceOptions Silence { get; set; } = new();

    /// <summary>Model swaps: <c>Detection:ModelChange</c>.</summary>
    public ModelChangeOptions ModelChange { get; set; } = new();

    /// <summary>The multivariate (PCA) detector: <c>Detection:Multivariate</c>.</summary>
    public MultivariateOptions Multivariate { get; set; } = new();

    /// <summary>A baseline of ln x with these settings and the <see cref="LogSpreadFloor"/>.</summary>
    public RobustBaseline CreateLogBaseline() => new(WindowSize, WarmupSamples, 0, LogSpreadFloor, WinsorizeSpreads);

    /// <summary>A baseline with these settings and the given absolute spread floor.</summary>
    public RobustBaseline CreateBaseline(double absoluteSpreadFloor) =>
        new(WindowSize, WarmupSamples, RelativeSpreadFloor, absoluteSpreadFloor, WinsorizeSpreads);

    /// <summary>Every problem with these settings, each naming its key (empty when valid).</summary>
    public IEnumerable<string> Validate()
    {
        const string P = SectionName + ":";
        if (WindowSize is < 16 or > 65_536)
        {
            yield return $"{P}{nameof(WindowSize)} must be between 16 and 65536 (was {WindowSize})";
        }

        if (WarmupSamples < 5)
        {
            yield return $"{P}{nameof(WarmupSamples)} must be ≥ 5 (was {WarmupSamples})";
        }
        else if (WarmupSamples > WindowSize)
        {
            yield return $"{P}{nameof(WarmupSamples)} must be ≤ {nameof(WindowSize)} ({WindowSize}) (was {WarmupSamples})";
        }

        if (!(WinsorizeSpreads >= 1))
        {
            yield return $"{P}{nameof(WinsorizeSpreads)} must be ≥ 1 (was {WinsorizeSpreads})";
        }

        if (!(RelativeSpreadFloor is >= 0 and <= 1))
        {
            yield return $"{P}{nameof(RelativeSpreadFloor)} must be between 0 and 1 (was {RelativeSpreadFloor})";
        }

        if (!(LogSpreadFloor is > 0 and <= 10))
        {
            yield return $"{P}{nameof(LogSpreadFloor)} must be in (0, 10] (was {LogSpreadFloor})";
        }

        if (!(TraceThreshold is >= 1 and <= 1000))
        {
            yield return $"{P}{nameof(TraceThreshold)} must be between 1 and 1000 (was {TraceThreshold})";
        }

        if (!(CallThreshold is >= 1 and <= 1000))
        {
            yield return $"{P}{nameof(CallThreshold)} must be between 1 and 1000 (was {CallThreshold})";
        }

        if (!(MinRelativeChange is >= 1 and <= 1000))
        {
            yield return $"{P}{nameof(MinRelativeChange)} must be between 1 and 1000 (was {MinRelativeChange})";
        }

        if (!(ExtremeFactor is >= 1 and <= 1000))
        {
            yield return $"{P}{nameof(ExtremeFactor)} must be between 1 and 1000 (was {ExtremeFactor})";
        }

        if (ConfirmWindow is < 1 or > 64)
        {
            yield return $"{P}{nameof(ConfirmWindow)} must be between 1 and 64 (was {ConfirmWindow})";
        }

        if (ConfirmCount < 1 || ConfirmCount > Math.Max(1, ConfirmWindow))
        {
            yield return $"{P}{nameof(ConfirmCount)} must be between 1 and {nameof(ConfirmWindow)} ({ConfirmWindow}) (was {ConfirmCount})";
        }

        if (RearmAfter is < 1 or > 100_000)
        {
            yield return $"{P}{nameof(RearmAfter)} must be between 1 and 100000 (was {RearmAfter})";
        }

        if (MaxExemplars is < 1 or > 5)
        {
            yield return $"{P}{nameof(MaxExemplars)} must be between 1 and 5 (was {MaxExemplars})";
        }

        if (MaxEpisodesPerDay is < 0 or > 10_000)
        {
            yield return $"{P}{nameof(MaxEpisodesPerDay)} must be between 0 and 10000 (was {MaxEpisodesPerDay})";
        }

        var sections = new (string Name, Func<string, IEnumerable<string>>? Validate)[]
        {
            (nameof(Drift), Drift is null ? null : Drift.Validate),
            (nameof(Rates), Rates is null ? null : Rates.Validate),
            (nameof(Patterns), Patterns is null ? null : Patterns.Validate),
            (nameof(Silence), Silence is null ? null : Silence.Validate),
            (nameof(ModelChange), ModelChange is null ? null : ModelChange.Validate),
            (nameof(Multivariate), Multivariate is null ? null : Multivariate.Validate),
        };
        foreach (var (name, validate) in sections)
        {
            if (validate is null)
            {
                yield return $"{P}{name} must be an object";
                continue;
            }

            foreach (var error in validate(P + name + ":"))
            {
                yield return error;
            }
        }
    }
}
