using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AgentSentinel.Detection.Streaming;

namespace AgentSentinel.Evaluation.Nab;

/// <summary>Settings of a NAB run.</summary>
public sealed class NabEvaluationOptions
{
    /// <summary>
    /// The default fixed threshold: score 0.5, which for <see cref="StreamingAnomalyDetector"/> is the tail probability
    /// <see cref="StreamingDetectorOptions.HalfScoreProbability"/> (1e-6 by default).
    /// </summary>
    public const double DefaultFixedThreshold = 0.5;

    /// <summary>The NAB folder (data/, labels/, config/, optionally results/).</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The threshold fixed in advance; null to report only NAB's optimised thresholds.</summary>
    public double? FixedThreshold { get; init; } = DefaultFixedThreshold;

    /// <summary>The streaming detector's settings (the same for every file).</summary>
    public StreamingDetectorOptions Detector { get; init; } = new();

    /// <summary>Whether to score the references too: Numenta HTM from results/numenta and our Windowed Gaussian reproduction.</summary>
    public bool IncludeReferences { get; init; } = true;

    /// <summary>Files scored at once (the run is deterministic whatever the value).</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;
}

/// <summary>
/// The NAB benchmark: runs <see cref="StreamingAnomalyDetector"/> over every NAB file, scores it in every profile with NAB's
/// optimised threshold and with a fixed one, and scores the references with the same code.
/// </summary>
public static class NabEvaluation
{
    /// <summary>The reported detector's name.</summary>
    public const string DetectorName = "agentsentinel_streaming";

    /// <summary>Runs the benchmark.</summary>
    public static async Task<NabReport> RunAsync(NabEvaluationOptions options, TextWriter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        options.Detector.ThrowIfInvalid();
        if (options.FixedThreshold is { } fixedThreshold && !double.IsFinite(fixedThreshold))
        {
            throw new ArgumentOutOfRangeException(nameof(options), fixedThreshold, "FixedThreshold must be finite");
        }

        var clock = Stopwatch.StartNew();
        var corpus = NabCorpus.Load(options.DataDirectory);
        var files = corpus.Files.Select(f => new NabScoringFile(f)).ToArray();
        await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"nab: {corpus.Files.Count} files, {corpus.RowCount} rows, {corpus.WindowCount} windows loaded in {clock.Elapsed.TotalSeconds:F1}s")).ConfigureAwait(false);

        clock.Restart();
        var scores = RunDetector(corpus, file => Detect(file, options.Detector), options.Parallelism, cancellationToken);
        await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"nab: {DetectorName} ran over {corpus.RowCount} rows in {clock.Elapsed.TotalSeconds:F2}s")).ConfigureAwait(false);

        clock.Restart();
        var profiles = ScoreProfiles(corpus, files, scores, _ => options.FixedThreshold);
        await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"nab: scored and optimised {corpus.Profiles.Count} profiles in {clock.Elapsed.TotalSeconds:F2}s")).ConfigureAwait(false);
        foreach (var p in profiles)
        {
            var line = string.Create(CultureInfo.InvariantCulture, $"nab:   {p.Profile.Name,-20} optimised {p.Optimized.NormalizedScore,7:F2} (threshold {p.Optimized.Threshold:G6})");
            if (p.Fixed is { } f)
            {
                line += string.Create(CultureInfo.InvariantCulture, $"   fixed {f.NormalizedScore,7:F2} (threshold {f.Threshold:G6})");
            }

            await progress.WriteLineAsync(line).ConfigureAwait(false);
        }

        var standard = profiles.FirstOrDefault(p => p.Profile.Name == "standard") ?? profiles[0];
        var fileResults = new List<NabFileResult>(files.Length);
        for (var f = 0; f < files.Length; f++)
        {
            NabScore? atFixed = options.FixedThreshold is { } t ? files[f].Score(scores[f], standard.Profile, t) : null;
            fileResults.Add(new NabFileResult(corpus.Files[f].RelativePath, corpus.Files[f].Count, corpus.Files[f].Windows.Count, files[f].Score(scores[f], standard.Profile, standard.Optimized.Threshold), atFixed));
        }

        var references = new List<NabReference>();
        if (options.IncludeReferences)
        {
            clock.Restart();
            var htm = ReadResults(corpus, "numenta");
            if (htm is not null)
            {
                var published = ReadThresholds(corpus.Root, "numenta");
                references.Add(new NabReference("numenta", "results/numenta (published per-row anomaly scores); 'fixed' is NAB's published threshold (config/thresholds.json)", ScoreProfiles(corpus, files, htm, p => published.TryGetValue(p.Name, out var t) ? t : null)));
            }

            var gaussian = RunDetector(corpus, file => NabWindowedGaussian.Run(file.Values), options.Parallelism, cancellationToken);
            references.Add(new NabReference("windowedGaussian", "reimplemented (nab/detectors/gaussian), scores rounded to 12 digits as NAB stored them", ScoreProfiles(corpus, files, gaussian, _ => null)));
            await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"nab: references scored in {clock.Elapsed.TotalSeconds:F2}s")).ConfigureAwait(false);
            foreach (var reference in references)
            {
                await progress.WriteLineAsync($"nab:   {reference.Name,-20} " + string.Join("  ", reference.Profiles.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Profile.Name} {p.Optimized.NormalizedScore:F2}")))).ConfigureAwait(false);
            }
        }

        return new NabReport
        {
            Detector = DetectorName,
            DetectorSettings = Settings(options.Detector),
            Files = corpus.Files.Count,
            Rows = corpus.RowCount,
            Windows = corpus.WindowCount,
            FixedThreshold = options.FixedThreshold,
            FixedThresholdBasis = options.FixedThreshold is null
                ? null
                : string.Create(CultureInfo.InvariantCulture, $"score = u/(u + u_half) with u = log10(1/p), p the tail probability of the detector's three tests combined by Fisher's method, and u_half = log10(1/{options.Detector.HalfScoreProbability:G3}); threshold {options.FixedThreshold:G6} is p = {SurpriseProbability(options.FixedThreshold.Value, options.Detector.HalfScoreProbability):G3} per value, chosen before the first scoring run and not changed since"),
            Profiles = profiles,
            FileResults = fileResults,
            References = references,
            Published = ReadPublished(corpus.Root),
        };
    }

    /// <summary>Runs a fresh <see cref="StreamingAnomalyDetector"/> over one file.</summary>
    public static double[] Detect(NabDataFile file, StreamingDetectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(file);
        var detector = new StreamingAnomalyDetector(options);
        var scores = new double[file.Count];
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = detector.Update(file.Timestamps[i], file.Values[i]);
        }

        return scores;
    }

    /// <summary>Runs <paramref name="detect"/> over every file, in parallel, results in file order.</summary>
    public static double[][] RunDetector(NabCorpus corpus, Func<NabDataFile, double[]> detect, int parallelism, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(detect);
        var results = new double[corpus.Files.Count][];
        Parallel.For(
            0,
            corpus.Files.Count,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken },
            f => results[f] = detect(corpus.Files[f]));
        return results;
    }

    /// <summary>Optimises and scores every profile; adds the result at the profile's fixed threshold when there is one.</summary>
    public static IReadOnlyList<NabProfileResults> ScoreProfiles(NabCorpus corpus, IReadOnlyList<NabScoringFile> files, IReadOnlyList<double[]> scores, Func<NabProfile, double?> fixedThreshold)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(fixedThreshold);
        var results = new List<NabProfileResults>(corpus.Profiles.Count);
        foreach (var profile in corpus.Profiles)
        {
            var nullScore = NabScorer.NullScore(files, profile);
            var best = NabScorer.Optimize(files, scores, profile);
            results.Add(new NabProfileResults(profile, At(best.Threshold), fixedThreshold(profile) is { } t ? At(t) : null));

            NabProfileResult At(double threshold)
            {
                var (_, total) = NabScorer.ScoreCorpus(files, scores, profile, threshold);
                return new NabProfileResult(threshold, total.Score, NabScorer.Normalize(total.Score, nullScore, corpus.WindowCount, profile), total);
            }
        }

        return results;
    }

    /// <summary>Reads a published detector's per-row anomaly scores, <c>results/&lt;name&gt;/&lt;category&gt;/&lt;name&gt;_&lt;file&gt;</c>; null when absent.</summary>
    public static double[][]? ReadResults(NabCorpus corpus, string detectorName)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        var directory = Path.Combine(corpus.Root, "results", detectorName);
        if (!Directory.Exists(directory))
        {
            return null;
        }

        var results = new double[corpus.Files.Count][];
        for (var f = 0; f < corpus.Files.Count; f++)
        {
            var file = corpus.Files[f];
            var slash = file.RelativePath.LastIndexOf('/');
            var path = Path.Combine(directory, file.RelativePath[..(slash + 1)].Replace('/', Path.DirectorySeparatorChar), detectorName + "_" + file.RelativePath[(slash + 1)..]);
            var (timestamps, values) = NabCorpus.ReadDataFile(path, "anomaly_score");
            if (values.Length != file.Count || !timestamps.SequenceEqual(file.Timestamps))
            {
                throw new InvalidDataException($"{path}: its rows do not match data/{file.RelativePath}");
            }

            results[f] = values;
        }

        return results;
    }

    /// <summary>Reads a detector's published thresholds from <c>config/thresholds.json</c> (profile → threshold); empty when absent.</summary>
    public static IReadOnlyDictionary<string, double> ReadThresholds(string root, string detectorName)
    {
        var path = Path.Combine(root, "config", "thresholds.json");
        var thresholds = new Dictionary<string, double>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return thresholds;
        }

        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        if (document.RootElement.TryGetProperty(detectorName, out var detector))
        {
            foreach (var profile in detector.EnumerateObject())
            {
                if (profile.Value.TryGetProperty("threshold", out var threshold) && threshold.TryGetDouble(out var value))
                {
                    thresholds[profile.Name] = value;
                }
            }
        }

        return thresholds;
    }

    /// <summary>Reads <c>results/final_results.json</c> (detector → profile → normalised score); empty when absent.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> ReadPublished(string root)
    {
        var path = Path.Combine(root, "results", "final_results.json");
        var published = new SortedDictionary<string, IReadOnlyDictionary<string, double>>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return published;
        }

        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        foreach (var detector in document.RootElement.EnumerateObject())
        {
            var scores = new SortedDictionary<string, double>(StringComparer.Ordinal);
            foreach (var profile in detector.Value.EnumerateObject())
            {
                if (profile.Value.TryGetDouble(out var score))
                {
                    scores[profile.Name] = score;
                }
            }

            published[detector.Name] = scores;
        }

        return published;
    }

    /// <summary>The tail probability a score of <paramref name="threshold"/> stands for: u/(u + u½) = t ⇔ u = t·u½/(1 − t).</summary>
    public static double SurpriseProbability(double threshold, double halfScoreProbability)
    {
        if (threshold >= 1)
        {
            return 0;
        }

        var u = threshold * Math.Log10(1.0 / halfScoreProbability) / (1.0 - threshold);
        return Math.Pow(10, -u);
    }

    private static List<KeyValuePair<string, string>> Settings(StreamingDetectorOptions options) =>
        [.. typeof(StreamingDetectorOptions).GetProperties()
            .Where(p => p.CanRead && p.CanWrite)
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => new KeyValuePair<string, string>(p.Name, Convert.ToString(p.GetValue(options), CultureInfo.InvariantCulture) ?? string.Empty))];
}
