using AgentSentinel.Core.Anomalies;
using AgentSentinel.Evaluation.Scenarios;

namespace AgentSentinel.Evaluation.Tests.Scenarios;

public sealed class ScenarioScorerTests
{
    private const long Start = 1_000_000_000_000_000_000L;
    private const long Minute = 60_000_000_000L;
    private static readonly long End = Start + (600 * Minute);
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan Gap = TimeSpan.FromMinutes(30);

    private static FaultLabel Fault(string agent, FaultKind kind, long startMinute, long endMinute) =>
        new(agent, kind, "test", 5, "medium", 1, "step", Start + (startMinute * Minute), Start + (endMinute * Minute));

    private static Anomaly At(string agent, string kind, double minute) =>
        new(agent, kind, Start + (long)(minute * Minute), 9, new AnomalyExplanation("f", 1, 1, 1, 9), []);

    private static Dictionary<string, long[]> Traces(string agent, params double[] minutes) =>
        new() { [agent] = [.. minutes.Select(m => Start + (long)(m * Minute))] };

    private static ScenarioScore Score(IReadOnlyList<FaultLabel> faults, IReadOnlyList<Anomaly> anomalies, Dictionary<string, long[]>? traces = null) =>
        ScenarioScorer.Score(faults, anomalies, traces ?? new() { ["a"] = [], ["b"] = [] }, Start, End, Grace, Gap);

    private static FaultKindScore Kind(ScenarioScore score, FaultKind kind) => score.Kinds.Single(k => k.Kind == kind.WireName());

    [Fact]
    public void An_accepted_anomaly_inside_the_window_detects_the_fault_with_its_delay_in_seconds_and_traces()
    {
        var score = Score(
            [Fault("a", FaultKind.TokenBlowUp, 100, 160)],
            [At("a", AnomalyKinds.TokenSpike, 103)],
            Traces("a", 90, 99, 100.5, 101, 102, 103, 104));

        var e = Assert.Single(score.Events);
        Assert.True(e.Detected);
        Assert.Equal(AnomalyKinds.TokenSpike, e.DetectedBy);
        Assert.Equal(180, e.DelaySeconds);
        Assert.Equal(4, e.DelayTraces);
        var k = Kind(score, FaultKind.TokenBlowUp);
        Assert.Equal((1, 1, 0), (k.Events, k.Detected, k.FalsePositives));
        Assert.Equal(1.0, k.F1);
        Assert.Equal(180, k.MedianDelaySeconds);
    }

    [Fact]
    public void A_detection_within_the_grace_counts_and_one_after_it_is_a_miss_and_a_false_positive()
    {
        var score = Score(
            [Fault("a", FaultKind.LatencyRegression, 100, 160), Fault("b", FaultKind.LatencyRegression, 100, 160)],
            [At("a", AnomalyKinds.LatencySpike, 170), At("b", AnomalyKinds.LatencySpike, 180)]);

        Assert.True(score.Events.Single(e => e.Agent == "a").Detected);
        Assert.False(score.Events.Single(e => e.Agent == "b").Detected);
        var k = Kind(score, FaultKind.LatencyRegression);
        Assert.Equal((2, 1, 1), (k.Events, k.Detected, k.FalsePositives));
        Assert.Equal(0.5, k.Precision);
        Assert.Equal(0.5, k.Recall);
        Assert.Equal(0.5, k.F1);
    }

    [Fact]
    public void Only_anomalies_of_the_same_agent_and_an_accepted_kind_detect_a_fault()
    {
        var score = Score(
            [Fault("a", FaultKind.ToolLoop, 100, 160)],
            [At("b", AnomalyKinds.ToolLoop, 110), At("a", AnomalyKinds.Silence, 120)]);

        Assert.False(Assert.Single(score.Events).Detected);
        Assert.Equal(0.0, Kind(score, FaultKind.ToolLoop).Recall);
    }

    [Fact]
    public void An_unaccepted_kind_inside_a_fault_window_is_a_cross_detection_and_not_false()
    {
        var score = Score(
            [Fault("a", FaultKind.ToolLoop, 100, 160)],
            [At("a", AnomalyKinds.TokenSpike, 120), At("a", AnomalyKinds.ToolLoop, 121)]);

        var cross = Assert.Single(score.CrossDetections);
        Assert.Equal(("tool_loop", AnomalyKinds.TokenSpike, 1), (cross.Fault, cross.AnomalyKind, cross.Count));
        Assert.Equal(0, Kind(score, FaultKind.TokenBlowUp).FalsePositives);
        var detector = score.Detectors.Single(d => d.Kind == AnomalyKinds.TokenSpike);
        Assert.Equal((1, 0, 1, 0), (detector.Total, detector.Accepted, detector.Cross, detector.False));
        Assert.Equal(0, score.Incidents.FalseIncidents);
    }

    [Fact]
    public void A_false_anomaly_counts_against_the_fault_kind_it_is_primarily_about()
    {
        var score = Score(
            [Fault("a", FaultKind.CostSpike, 100, 160)],
            [At("a", AnomalyKinds.CostSpike, 110), At("a", AnomalyKinds.CostDrift, 300), At("b", AnomalyKinds.Silence, 50), At("b", AnomalyKinds.MultivariateOutlier, 400)]);

        Assert.Equal(1, Kind(score, FaultKind.CostSpike).FalsePositives);
        Assert.Equal(0.5, Kind(score, FaultKind.CostSpike).Precision);
        var silence = Kind(score, FaultKind.Silence);
        Assert.Equal((0, 1), (silence.Events, silence.FalsePositives));
        Assert.Null(silence.Recall);
        Assert.Equal(0.0, silence.Precision);
        Assert.Single(score.Detectors, d => d.Kind == AnomalyKinds.MultivariateOutlier && d.False == 1);
        Assert.Contains(score.FalseByAgent, f => f is { Agent: "b", Kind: AnomalyKinds.Silence, Count: 1 });
    }

    [Fact]
    public void A_kind_with_events_and_no_anomalies_has_zero_f1_and_no_precision()
    {
        var score = Score([Fault("a", FaultKind.ModelSwap, 100, 160)], []);

        var k = Kind(score, FaultKind.ModelSwap);
        Assert.Null(k.Precision);
        Assert.Equal(0.0, k.Recall);
        Assert.Equal(0.0, k.F1);
        Assert.Null(k.MedianDelaySeconds);
    }

    [Fact]
    public void Anomalies_less_than_the_incident_gap_apart_merge_into_one_incident()
    {
        // a: 10, 35, 60 chain into one incident (gaps of 25 min); 100 is a second. b: one at 200.
        var score = Score([], [At("a", AnomalyKinds.TokenSpike, 10), At("a", AnomalyKinds.LatencySpike, 35), At("a", AnomalyKinds.CostSpike, 60), At("a", AnomalyKinds.TokenSpike, 100), At("b", AnomalyKinds.Silence, 200)]);

        Assert.Equal(3, score.Incidents.Incidents);
        Assert.Equal(3, score.Incidents.FalseIncidents);
        Assert.Equal(20, score.Incidents.CleanAgentHours, 6);
        Assert.Equal(15, score.Incidents.FalsePer100AgentHours, 6);
        Assert.Equal(Statistics.PoissonUpperBound(3) * 5, score.Incidents.UpperBound95Per100AgentHours, 6);
    }

    [Fact]
    public void An_incident_that_overlaps_a_fault_window_is_not_false_and_windows_with_grace_leave_the_clean_hours()
    {
        // The incident spans 80..110 and overlaps the window 100..160 (+15 grace).
        var score = Score(
            [Fault("a", FaultKind.TokenBlowUp, 100, 160), Fault("a", FaultKind.Silence, 170, 200)],
            [At("a", AnomalyKinds.LatencySpike, 80), At("a", AnomalyKinds.LatencySpike, 105), At("a", AnomalyKinds.LatencySpike, 400)]);

        Assert.Equal(2, score.Incidents.Incidents);
        Assert.Equal(1, score.Incidents.FalseIncidents);

        // Agent a: 600 min minus the union of 100..175 and 170..215 (115 min); agent b: 600 min.
        Assert.Equal((485 + 600) / 60.0, score.Incidents.CleanAgentHours, 6);
    }

    [Fact]
    public void Median_and_p90_delays_use_the_nearest_rank()
    {
        var k = ScenarioScorer.KindScore("x", 10, 10, 0, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [10, 20, 30, 40, 50, 60, 70, 80, 90, 100], []);

        Assert.Equal(5, k.MedianDelayTraces);
        Assert.Equal(9, k.P90DelayTraces);
        Assert.Equal(50, k.MedianDelaySeconds);
        Assert.Equal(90, k.P90DelaySeconds);
    }

    [Theory]
    [InlineData(0, 2.9957)]
    [InlineData(1, 4.7439)]
    [InlineData(10, 16.9622)]
    public void The_poisson_upper_bound_matches_the_exact_one_sided_95_percent_bound(long count, double expected) =>
        Assert.Equal(expected, Statistics.PoissonUpperBound(count), 3);

    [Theory]
    [InlineData(0.975, 1.959964)]
    [InlineData(0.5, 0)]
    [InlineData(0.01, -2.326348)]
    public void The_normal_quantile_is_accurate(double p, double expected) =>
        Assert.Equal(expected, Statistics.NormalQuantile(p), 5);

    [Fact]
    public void Every_fault_kind_has_accepted_kinds_and_every_primary_points_back_to_a_fault_that_accepts_it()
    {
        foreach (var fault in FaultDetectionMap.AllFaults)
        {
            Assert.NotEmpty(FaultDetectionMap.AcceptedKinds(fault));
            Assert.All(FaultDetectionMap.AcceptedKinds(fault), k => Assert.Contains(k, AnomalyKinds.All));
        }

        foreach (var kind in AnomalyKinds.All)
        {
            if (FaultDetectionMap.PrimaryFault(kind) is { } primary)
            {
                Assert.True(FaultDetectionMap.Accepts(primary, kind), kind);
            }
        }

        Assert.Null(FaultDetectionMap.PrimaryFault(AnomalyKinds.MultivariateOutlier));
    }
}
