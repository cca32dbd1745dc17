namespace AgentSentinel.Evaluation.Nab;

/// <summary>The score of one file (or of the corpus) at one threshold, with NAB's row counts.</summary>
/// <param name="Score">The raw (unnormalised) score.</param>
/// <param name="TruePositives">Scored rows inside a window at or above the threshold.</param>
/// <param name="TrueNegatives">Scored rows outside every window below the threshold.</param>
/// <param name="FalsePositives">Scored rows outside every window at or above the threshold.</param>
/// <param name="FalseNegatives">Scored rows inside a window below the threshold.</param>
/// <param name="WindowsDetected">Windows with at least one detection.</param>
public readonly record struct NabScore(double Score, int TruePositives, int TrueNegatives, int FalsePositives, int FalseNegatives, int WindowsDetected);

/// <summary>The threshold NAB's optimiser picks for one detector and profile, and the corpus score it gives.</summary>
/// <param name="Threshold">The chosen threshold (a detection is a score at or above it); 1.1 when no threshold beats "never fire".</param>
/// <param name="Score">The raw corpus score at that threshold.</param>
public readonly record struct NabThreshold(double Threshold, double Score);

/// <summary>
/// One file prepared for scoring, following NAB's <c>Sweeper.calcSweepScore</c>: each row is in probation (not scored),
/// inside a window (worth A_TP·σ(−(R−i+1)/W)/σ(−1) if it is the window's earliest detection) or outside (costing
/// A_FP·σ(|R_prev−i|/(W_prev−1)), or A_FP when no window came before).
/// </summary>
/// <remarks>
/// The window logic is NAB's, literally: a window opens at the first row whose timestamp equals its start, its right index
/// R is the first row with its end timestamp, W = R − (first row with its start timestamp) + 1, and it closes after the
/// row whose timestamp equals its end; that row's index becomes R_prev. σ(x) = 2/(1+e^(5x)) − 1, forced to −1 once x ≥ 3.
/// </remarks>
public sealed class NabScoringFile
{
    /// <summary>Row kind: in the probationary period (never scored).</summary>
    public const int Probation = -2;

    /// <summary>Row kind: outside every window.</summary>
    public const int Outside = -1;

    private readonly int[] _window;
    private readonly double[] _weight;

    /// <summary>Prepares <paramref name="file"/>.</summary>
    public NabScoringFile(NabDataFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        File = file;
        var n = file.Count;
        ProbationLength = NabScorer.ProbationLength(n);
        _window = new int[n];
        _weight = new double[n];
        var timestamps = file.Timestamps;
        var windows = file.Windows;
        var maxTp = NabScorer.ScaledSigmoid(-1.0);
        var next = 0;
        var current = -1;
        double width = 0, prevWidth = 0;
        int right = 0, prevRight = -1;
        var scorable = new bool[windows.Count];
        for (var i = 0; i < n; i++)
        {
            var t = timestamps[i];
            if (next < windows.Count && t == windows[next].Start)
            {
                current = next++;
                right = IndexOf(timestamps, windows[current].End);
                width = right - IndexOf(timestamps, windows[current].Start) + 1;
            }

            if (current >= 0)
            {
                _weight[i] = NabScorer.ScaledSigmoid(-(right - i + 1) / width) / maxTp;
            }
            else
            {
                var position = prevRight < 0 ? 3.0 : Math.Abs(prevRight - i) / (prevWidth - 1);
                _weight[i] = NabScorer.ScaledSigmoid(position);
            }

            if (i < ProbationLength)
            {
                _window[i] = Probation;
            }
            else
            {
                _window[i] = current;
                if (current >= 0)
                {
                    scorable[current] = true;
                }
            }

            if (current >= 0 && t == windows[current].End)
            {
                prevRight = i;
                prevWidth = width;
                current = -1;
            }
        }

        ScorableWindows = scorable.Count(s => s);
    }

    /// <summary>The file.</summary>
    public NabDataFile File { get; }

    /// <summary>The number of leading rows that are never scored: min(⌊0.15·n⌋, 750).</summary>
    public int ProbationLength { get; }

    /// <summary>The windows with at least one scored row (the null detector loses A_FN on each).</summary>
    public int ScorableWindows { get; }

    /// <summary>The number of rows.</summary>
    public int Count => _window.Length;

    /// <summary>The row's kind: <see cref="Probation"/>, <see cref="Outside"/> or the index of its window.</summary>
    public int WindowOf(int row) => _window[row];

    /// <summary>
    /// The row's unweighted contribution: inside a window σ(position)/σ(−1) (times A_TP), outside σ(distance) (times A_FP;
    /// negative).
    /// </summary>
    public double WeightOf(int row) => _weight[row];

    /// <summary>Scores the file's anomaly scores at <paramref name="threshold"/> (a detection is a score ≥ threshold).</summary>
    public NabScore Score(ReadOnlySpan<double> anomalyScores, NabProfile profile, double threshold)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (anomalyScores.Length != Count)
        {
            throw new ArgumentException($"{File.RelativePath}: {anomalyScores.Length} anomaly scores for {Count} rows", nameof(anomalyScores));
        }

        var windows = File.Windows.Count;
        Span<double> best = windows <= 64 ? stackalloc double[windows] : new double[windows];
        best.Fill(double.NaN);
        double fp = 0;
        int tp = 0, tn = 0, fpCount = 0, fn = 0;
        for (var i = ProbationLength; i < Count; i++)
        {
            var w = _window[i];
            var detected = anomalyScores[i] >= threshold;
            if (w >= 0)
            {
                if (detected)
                {
                    tp++;
                    var value = _weight[i] * profile.TpWeight;
                    if (double.IsNaN(best[w]) || value > best[w])
                    {
                        best[w] = value;
                    }
                }
                else
                {
                    fn++;
                }
            }
            else if (detected)
            {
                fpCount++;
                fp += _weight[i] * profile.FpWeight;
            }
            else
            {
                tn++;
            }
        }

        var score = fp;
        var detectedWindows = 0;
        var scorableSeen = new bool[windows];
        for (var i = ProbationLength; i < Count; i++)
        {
            if (_window[i] >= 0)
            {
                scorableSeen[_window[i]] = true;
            }
        }

        for (var w = 0; w < windows; w++)
        {
            if (!scorableSeen[w])
            {
                continue;
            }

            if (double.IsNaN(best[w]))
            {
                score -= profile.FnWeight;
            }
            else
            {
                // NAB keeps max(-A_FN, earliest detection's value); a detection is always worth more than -A_FN.
                score += Math.Max(-profile.FnWeight, best[w]);
                detectedWindows++;
            }
        }

        return new NabScore(score, tp, tn, fpCount, fn, detectedWindows);
    }

    private static int IndexOf(IReadOnlyList<DateTime> timestamps, DateTime t)
    {
        for (var i = 0; i < timestamps.Count; i++)
        {
            if (timestamps[i] == t)
            {
                return i;
            }
        }

        throw new InvalidDataException($"timestamp {t:O} is not a row");
    }
}

/// <summary>
/// NAB's scoring (numenta/NAB <c>nab/sweeper.py</c>, <c>optimizer.py</c>, <c>runner.py</c> normalisation) over a corpus of
/// prepared files and one detector's anomaly scores per file.
/// </summary>
public static class NabScorer
{
    /// <summary>The threshold NAB starts its sweep at: above every score, so nothing is detected.</summary>
    public const double NoDetectionThreshold = 1.1;

    /// <summary>NAB's probationary period: min(⌊0.15·n⌋, 0.15·5000).</summary>
    public static int ProbationLength(int rows) => (int)Math.Min(Math.Floor(0.15 * rows), 0.15 * 5000);

    /// <summary>NAB's scaled sigmoid: 2/(1+e^(5x)) − 1, and −1 once x ≥ 3.</summary>
    public static double ScaledSigmoid(double x) => x >= 3.0 ? -1.0 : (2.0 / (1.0 + Math.Exp(5.0 * x))) - 1.0;

    /// <summary>Scores every file at one threshold; returns the per-file scores and their total.</summary>
    public static (NabScore[] Files, NabScore Total) ScoreCorpus(IReadOnlyList<NabScoringFile> files, IReadOnlyList<double[]> anomalyScores, NabProfile profile, double threshold)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(anomalyScores);
        CheckShapes(files, anomalyScores);
        var results = new NabScore[files.Count];
        double score = 0;
        int tp = 0, tn = 0, fp = 0, fn = 0, detected = 0;
        for (var f = 0; f < files.Count; f++)
        {
            var r = results[f] = files[f].Score(anomalyScores[f], profile, threshold);
            score += r.Score;
            tp += r.TruePositives;
            tn += r.TrueNegatives;
            fp += r.FalsePositives;
            fn += r.FalseNegatives;
            detected += r.WindowsDetected;
        }

        return (results, new NabScore(score, tp, tn, fp, fn, detected));
    }

    /// <summary>
    /// NAB's threshold optimisation (<c>optimizer.optimizeThreshold</c> with <c>Sweeper.calcScoreByThreshold</c>): every
    /// distinct anomaly score of a scored row is a candidate threshold; the rows are swept once in descending score order,
    /// and the candidate with the highest corpus score wins, the highest such threshold on a tie. O(n log n).
    /// </summary>
    public static NabThreshold Optimize(IReadOnlyList<NabScoringFile> files, IReadOnlyList<double[]> anomalyScores, NabProfile profile)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(anomalyScores);
        ArgumentNullException.ThrowIfNull(profile);
        CheckShapes(files, anomalyScores);

        var total = 0;
        var windowOffset = new int[files.Count];
        var windowTotal = 0;
        for (var f = 0; f < files.Count; f++)
        {
            total += files[f].Count - files[f].ProbationLength;
            windowOffset[f] = windowTotal;
            windowTotal += files[f].File.Windows.Count;
        }

        var keys = new double[total];
        var rows = new long[total];
        var k = 0;
        for (var f = 0; f < files.Count; f++)
        {
            var scores = anomalyScores[f];
            for (var i = files[f].ProbationLength; i < files[f].Count; i++)
            {
                keys[k] = -scores[i];
                rows[k++] = ((long)f << 32) | (uint)i;
            }
        }

        // Descending by score; the order among equal scores does not change any recorded threshold's score.
        Array.Sort(keys, rows);

        var windowValue = new double[windowTotal];
        var windowDetected = new bool[windowTotal];
        double windowSum = 0;
        foreach (var file in files)
        {
            windowSum -= file.ScorableWindows * profile.FnWeight;
        }

        windowValue.AsSpan().Fill(-profile.FnWeight);
        double fpSum = 0;
        var best = new NabThreshold(NoDetectionThreshold, fpSum + windowSum);
        for (var j = 0; j < total;)
        {
            var threshold = -keys[j];
            for (; j < total && -keys[j] == threshold; j++)
            {
                var f = (int)(rows[j] >> 32);
                var i = (int)(rows[j] & 0xFFFFFFFF);
                var file = files[f];
                var w = file.WindowOf(i);
                if (w < 0)
                {
                    fpSum += file.WeightOf(i) * profile.FpWeight;
                    continue;
                }

                var g = windowOffset[f] + w;
                var value = file.WeightOf(i) * profile.TpWeight;
                if (!windowDetected[g] || value > windowValue[g])
                {
                    windowSum += Math.Max(value, windowValue[g]) - windowValue[g];
                    windowValue[g] = Math.Max(value, windowValue[g]);
                    windowDetected[g] = true;
                }
            }

            var score = fpSum + windowSum;
            if (score > best.Score)
            {
                best = new NabThreshold(threshold, score);
            }
        }

        return best;
    }

    /// <summary>The raw score of the null detector (never fires): −A_FN for every scorable window.</summary>
    public static double NullScore(IReadOnlyList<NabScoringFile> files, NabProfile profile)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(profile);
        return -files.Sum(f => f.ScorableWindows) * profile.FnWeight;
    }

    /// <summary>NAB's normalised score: 100·(S − S_null)/(S_perfect − S_null) with S_perfect = A_TP per labelled window.</summary>
    public static double Normalize(double rawScore, double nullScore, int windowCount, NabProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var perfect = windowCount * profile.TpWeight;
        return 100.0 * (rawScore - nullScore) / (perfect - nullScore);
    }

    private static void CheckShapes(IReadOnlyList<NabScoringFile> files, IReadOnlyList<double[]> anomalyScores)
    {
        if (files.Count != anomalyScores.Count)
        {
            throw new ArgumentException($"{files.Count} files but {anomalyScores.Count} score arrays", nameof(anomalyScores));
        }

        for (var f = 0; f < files.Count; f++)
        {
            if (anomalyScores[f].Length != files[f].Count)
            {
                throw new ArgumentException($"{files[f].File.RelativePath}: {anomalyScores[f].Length} anomaly scores for {files[f].Count} rows", nameof(anomalyScores));
            }
        }
    }
}
