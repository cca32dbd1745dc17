namespace AgentSentinel.Evaluation.Nab;

/// <summary>A detector's result in one profile at one threshold.</summary>
/// <param name="Threshold">The threshold (a detection is a score at or above it).</param>
/// <param name="RawScore">NAB's raw corpus score.</param>
/// <param name="NormalizedScore">NAB's normalised score (null detector 0, perfect 100).</param>
/// <param name="Counts">The row counts and detected windows.</param>
public sealed record NabProfileResult(double Threshold, double RawScore, double NormalizedScore, NabScore Counts);

/// <summary>A detector's results in one profile: with NAB's optimised threshold and, when given, a fixed one.</summary>
/// <param name="Profile">The profile.</param>
/// <param name="Optimized">The result at the threshold NAB's optimiser picks.</param>
/// <param name="Fixed">The result at the threshold fixed in advance (null when none was given).</param>
public sealed record NabProfileResults(NabProfile Profile, NabProfileResult Optimized, NabProfileResult? Fixed);

/// <summary>One file's raw scores for the reported detector in the standard profile.</summary>
/// <param name="File">The file's relative path.</param>
/// <param name="Rows">Its rows.</param>
/// <param name="Windows">Its labelled windows.</param>
/// <param name="Optimized">Its score at the standard profile's optimised threshold.</param>
/// <param name="Fixed">Its score at the fixed threshold (null when none was given).</param>
public sealed record NabFileResult(string File, int Rows, int Windows, NabScore Optimized, NabScore? Fixed);

/// <summary>Another detector scored by the same code, for comparison (e.g. Numenta HTM from its published per-row scores).</summary>
/// <param name="Name">The detector's name.</param>
/// <param name="Source">Where its anomaly scores came from.</param>
/// <param name="Profiles">
/// Its optimised result per profile; <see cref="NabProfileResults.Fixed"/> holds its result at the threshold NAB published
/// for it in config/thresholds.json, when there is one.
/// </param>
public sealed record NabReference(string Name, string Source, IReadOnlyList<NabProfileResults> Profiles);

/// <summary>The outcome of <see cref="NabEvaluation.RunAsync"/>.</summary>
public sealed class NabReport
{
    /// <summary>The detector's name.</summary>
    public required string Detector { get; init; }

    /// <summary>The detector's settings, as name → value text, in a stable order.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> DetectorSettings { get; init; }

    /// <summary>Files scored.</summary>
    public required int Files { get; init; }

    /// <summary>Rows over all files.</summary>
    public required long Rows { get; init; }

    /// <summary>Labelled windows over all files.</summary>
    public required int Windows { get; init; }

    /// <summary>The fixed threshold and how it was chosen (null when none).</summary>
    public double? FixedThreshold { get; init; }

    /// <summary>Why the fixed threshold is what it is.</summary>
    public string? FixedThresholdBasis { get; init; }

    /// <summary>The detector's results, one entry per profile.</summary>
    public required IReadOnlyList<NabProfileResults> Profiles { get; init; }

    /// <summary>Per-file results of the detector in the standard profile.</summary>
    public required IReadOnlyList<NabFileResult> FileResults { get; init; }

    /// <summary>Other detectors scored by the same scorer.</summary>
    public required IReadOnlyList<NabReference> References { get; init; }

    /// <summary>The published scoreboard (results/final_results.json): detector → profile → normalised score.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Published { get; init; }
}
