using AgentSentinel.Detection.Streaming;

namespace AgentSentinel.Detection.Tests.Streaming;

public sealed class StreamingAnomalyDetectorTests
{
    private static readonly DateTime T0 = new(2024, 3, 4, 0, 0, 0, DateTimeKind.Utc);

    private static double[] Run(StreamingAnomalyDetector detector, double[] values, int minutesPerStep = 5)
    {
        var scores = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            scores[i] = detector.Update(T0.AddMinutes(minutesPerStep * i), values[i]);
        }

        return scores;
    }

    private static double[] Noise(int count, int seed, double level = 100, double sd = 1)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => level + (sd * Gaussian(random)))];
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    [Fact]
    public void A_spike_in_noise_scores_far_above_every_ordinary_value()
    {
        var values = Noise(3000, 1);
        values[2500] += 25;
        var scores = Run(new StreamingAnomalyDetector(new StreamingDetectorOptions()), values);
        Assert.True(scores[2500] > 0.6, $"spike scored {scores[2500]}");
        Assert.True(scores.Take(2500).Max() < scores[2500]);
        Assert.Equal(0.0, scores.Take(96).Max());
    }

    [Fact]
    public void A_level_shift_is_detected_within_a_few_values()
    {
        var values = Noise(3000, 2);
        for (var i = 2400; i < 3000; i++)
        {
            values[i] += 4; // 4σ: small per value, large as a sustained shift
        }

        var scores = Run(new StreamingAnomalyDetector(new StreamingDetectorOptions()), values);
        var before = scores.Take(2400).Max();
        var firstAbove = Array.FindIndex(scores, 2400, s => s > before);
        Assert.InRange(firstAbove, 2400, 2410);
    }

    [Fact]
    public void A_daily_pattern_is_learned_so_a_value_normal_for_its_time_of_day_is_not_an_anomaly()
    {
        // Two days a week is quiet at 10:00, but a value wrong for its time of day stands out.
        var random = new Random(4);
        var values = Enumerable.Range(0, 288 * 12).Select(i => 100 + (30 * Math.Sin(2 * Math.PI * (i % 288) / 288)) + Gaussian(random)).ToArray();
        var detector = new StreamingAnomalyDetector(new StreamingDetectorOptions());
        var scores = Run(detector, values);
        Assert.Equal(288, detector.Period);
        Assert.NotEqual(StreamingModel.Level, detector.LastModel);
        Assert.True(scores.Skip(288 * 4).Max() < 0.5);

        var odd = (double[])values.Clone();
        odd[(288 * 11) + 72] -= 60; // the daily peak's level at the daily trough's time
        var oddScores = Run(new StreamingAnomalyDetector(new StreamingDetectorOptions()), odd);
        Assert.True(oddScores[(288 * 11) + 72] > 0.5, $"scored {oddScores[(288 * 11) + 72]}");
    }

    [Fact]
    public void A_constant_stream_never_alarms()
    {
        var scores = Run(new StreamingAnomalyDetector(new StreamingDetectorOptions()), Enumerable.Repeat(7.0, 3000).ToArray());
        Assert.All(scores, s => Assert.Equal(0.0, s));
    }

    [Fact]
    public void An_episode_is_reported_at_its_onset_and_then_only_when_its_evidence_grows_tenfold()
    {
        var values = Noise(3000, 6);
        for (var i = 2500; i < 2520; i++)
        {
            values[i] += 30;
        }

        var detector = new StreamingAnomalyDetector(new StreamingDetectorOptions());
        var reported = new List<int>();
        var raw = new List<double>();
        for (var i = 0; i < values.Length; i++)
        {
            if (detector.Update(T0.AddMinutes(5 * i), values[i]) > 0.5)
            {
                reported.Add(i);
            }

            raw.Add(detector.LastRawScore);
        }

        Assert.Equal(2500, reported[0]);
        Assert.True(raw.Skip(2500).Take(20).Count(s => s > 0.5) > reported.Count, "suppression must drop repeats");
    }

    [Fact]
    public void The_same_stream_gives_the_same_scores_bit_for_bit()
    {
        var values = Noise(2000, 8);
        var first = Run(new StreamingAnomalyDetector(new StreamingDetectorOptions()), values);
        var second = Run(new StreamingAnomalyDetector(new StreamingDetectorOptions()), values);
        Assert.Equal(first, second);
        Assert.All(first, s => Assert.InRange(s, 0.0, 1.0));
    }

    [Fact]
    public void Scoring_a_value_allocates_nothing()
    {
        var detector = new StreamingAnomalyDetector(new StreamingDetectorOptions());
        var values = Noise(8000, 9);
        Run(detector, values.Take(4000).ToArray());
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 4000; i < 8000; i++)
        {
            detector.Update(T0.AddMinutes(5 * i), values[i]);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void A_non_finite_value_is_rejected()
    {
        var detector = new StreamingAnomalyDetector(new StreamingDetectorOptions());
        Assert.Throws<ArgumentOutOfRangeException>(() => detector.Update(T0, double.PositiveInfinity));
    }

    [Fact]
    public void Fishers_method_for_one_test_is_the_test_itself_and_discounts_several()
    {
        Assert.Equal(3.0, StreamingAnomalyDetector.FisherSurprise(3.0, 1), 12);
        Assert.True(StreamingAnomalyDetector.FisherSurprise(3.0, 3) < 3.0);
        Assert.True(StreamingAnomalyDetector.FisherSurprise(9.0, 3) > StreamingAnomalyDetector.FisherSurprise(6.0, 3));
        Assert.Equal(0.0, StreamingAnomalyDetector.FisherSurprise(0.0, 3), 12);
    }
}
