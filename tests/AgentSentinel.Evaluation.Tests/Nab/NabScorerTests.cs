using AgentSentinel.Evaluation.Nab;

namespace AgentSentinel.Evaluation.Tests.Nab;

/// <summary>NAB's window scoring rules on small hand-made files.</summary>
public sealed class NabScorerTests
{
    private static readonly NabProfile Standard = NabProfile.Defaults[0];
    private static readonly DateTime T0 = new(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    // 100 rows: probation = 15 rows; one window over rows 40..49 (W = 10).
    private static NabScoringFile File100(params (int Start, int End)[] windows) =>
        new(new NabDataFile(
            "test/file.csv",
            [.. Enumerable.Range(0, 100).Select(i => T0.AddMinutes(5 * i))],
            new double[100],
            [.. windows.Select(w => new NabWindow(T0.AddMinutes(5 * w.Start), T0.AddMinutes(5 * w.End)))]));

    private static double[] Detections(params int[] rows)
    {
        var scores = new double[100];
        foreach (var row in rows)
        {
            scores[row] = 1.0;
        }

        return scores;
    }

    private static double Sigma(double x) => NabScorer.ScaledSigmoid(x);

    [Fact]
    public void The_probationary_period_is_fifteen_percent_of_the_rows_capped_at_750()
    {
        Assert.Equal(15, NabScorer.ProbationLength(100));
        Assert.Equal(604, NabScorer.ProbationLength(4032));
        Assert.Equal(750, NabScorer.ProbationLength(22695));
    }

    [Fact]
    public void A_detection_on_a_windows_first_row_earns_the_full_true_positive_weight()
    {
        var file = File100((40, 49));
        var score = file.Score(Detections(40), Standard, 0.5);
        Assert.Equal(1.0, score.Score, 12);
        Assert.Equal(1, score.WindowsDetected);
    }

    [Fact]
    public void Only_the_earliest_detection_in_a_window_counts_and_later_ones_are_free()
    {
        var file = File100((40, 49));
        var early = file.Score(Detections(43), Standard, 0.5).Score;
        var earlyAndLate = file.Score(Detections(43, 45, 49), Standard, 0.5).Score;
        var expected = Sigma(-(49 - 43 + 1) / 10.0) / Sigma(-1.0);
        Assert.Equal(expected, early, 12);
        Assert.Equal(early, earlyAndLate, 12);
        Assert.True(file.Score(Detections(47), Standard, 0.5).Score < early);
    }

    [Fact]
    public void A_missed_window_costs_the_false_negative_weight()
    {
        var file = File100((40, 49), (70, 79));
        Assert.Equal(-2.0, file.Score(Detections(), Standard, 0.5).Score, 12);
        Assert.Equal(-4.0, file.Score(Detections(), NabProfile.Defaults[2], 0.5).Score, 12);
        Assert.Equal(-2.0, NabScorer.NullScore([file], Standard), 12);
    }

    [Fact]
    public void A_false_positive_before_any_window_costs_the_full_false_positive_weight()
    {
        var file = File100((40, 49));
        var score = file.Score(Detections(20), Standard, 0.5);
        Assert.Equal(-1.0 - 0.11, score.Score, 12);
        Assert.Equal(1, score.FalsePositives);
    }

    [Fact]
    public void A_false_positive_just_after_a_window_costs_little_and_the_cost_grows_with_distance()
    {
        var file = File100((40, 49));
        var justAfter = file.Score(Detections(50), Standard, 0.5).Score + 1.0;
        var later = file.Score(Detections(55), Standard, 0.5).Score + 1.0;
        var farAway = file.Score(Detections(90), Standard, 0.5).Score + 1.0;

        // Distance is measured from the window's last row, in units of W − 1 = 9 rows.
        Assert.Equal(0.11 * Sigma(1 / 9.0), justAfter, 12);
        Assert.Equal(0.11 * Sigma(6 / 9.0), later, 12);
        Assert.Equal(-0.11, farAway, 12);
        Assert.True(justAfter > later && later > farAway);
    }

    [Fact]
    public void Detections_in_the_probationary_period_are_not_scored()
    {
        var file = File100((40, 49));
        var score = file.Score(Detections(3, 14), Standard, 0.5);
        Assert.Equal(-1.0, score.Score, 12);
        Assert.Equal(0, score.FalsePositives);
        Assert.Equal(85, score.TruePositives + score.TrueNegatives + score.FalsePositives + score.FalseNegatives);
    }

    [Fact]
    public void A_detection_is_a_score_at_or_above_the_threshold()
    {
        var file = File100((40, 49));
        var scores = new double[100];
        scores[40] = 0.7;
        Assert.Equal(1, file.Score(scores, Standard, 0.7).WindowsDetected);
        Assert.Equal(0, file.Score(scores, Standard, 0.7000001).WindowsDetected);
    }

    [Fact]
    public void The_sweep_optimiser_finds_the_same_best_score_as_trying_every_threshold()
    {
        var random = new Random(11);
        var files = new[] { File100((40, 49)), File100((30, 44), (70, 79)), File100() };
        var scores = files.Select(_ => Enumerable.Range(0, 100).Select(_ => Math.Round(random.NextDouble(), 2)).ToArray()).ToArray();
        foreach (var profile in NabProfile.Defaults)
        {
            var best = NabScorer.Optimize(files, scores, profile);
            var candidates = scores.SelectMany(s => s).Distinct().Append(NabScorer.NoDetectionThreshold).OrderDescending().ToList();
            var bruteForce = candidates.Select(t => (Threshold: t, NabScorer.ScoreCorpus(files, scores, profile, t).Total.Score)).ToList();
            var max = bruteForce.Max(c => c.Score);
            Assert.Equal(max, best.Score, 9);
            Assert.Equal(bruteForce.First(c => Math.Abs(c.Score - max) < 1e-12).Threshold, best.Threshold);
            Assert.Equal(NabScorer.ScoreCorpus(files, scores, profile, best.Threshold).Total.Score, best.Score, 9);
        }
    }

    [Fact]
    public void Normalisation_puts_the_null_detector_at_0_and_the_perfect_detector_at_100()
    {
        var file = File100((40, 49), (70, 79));
        var nullScore = NabScorer.NullScore([file], Standard);
        Assert.Equal(0.0, NabScorer.Normalize(nullScore, nullScore, 2, Standard), 12);
        var perfect = file.Score(Detections(40, 70), Standard, 0.5).Score;
        Assert.Equal(100.0, NabScorer.Normalize(perfect, nullScore, 2, Standard), 9);
    }
}
