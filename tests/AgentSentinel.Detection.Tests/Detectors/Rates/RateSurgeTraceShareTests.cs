using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Detectors.Rates;
using AgentSentinel.Detection.Tests.TestSupport;

namespace AgentSentinel.Detection.Tests.Detectors.Rates;

public sealed class RateSurgeTraceShareTests
{
    private static RateSurgeDetector ContentFilter(DetectionOptions? options = null) =>
        new(AnomalyKinds.ContentFilterSurge, "content_filter_share", static (in f) => (f.LlmCalls, f.ContentFilteredCalls), options ?? new DetectionOptions());

    private static DetectionOptions PerCallOnly() => new() { Rates = new RateOptions { TraceShareKinds = "" } };

    /// <summary>A planner-like trace: <paramref name="calls"/> model calls, the last one the answer, filtered at the given chance.</summary>
    private static AgentTrace Answer(Random random, int n, int calls, double filteredShare)
    {
        var builder = AgentTraces.Start(n);
        for (var c = 0; c < calls - 1; c++)
        {
            builder.Llm(800, 120, finish: FinishReasons.ToolCalls);
        }

        return builder.Llm(1500, 300, finish: random.NextDouble() < filteredShare ? FinishReasons.ContentFilter : FinishReasons.Stop).Build();
    }

    private static List<AgentTrace> Surge(int seed, int calls, int clean, int faulty, double baseShare, double faultShare)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, clean + faulty).Select(i => Answer(random, i, calls, i < clean ? baseShare : faultShare))];
    }

    [Fact]
    public void A_surge_on_the_answer_of_twelve_call_traces_is_caught_per_trace_before_the_diluted_per_call_share()
    {
        var traces = Surge(seed: 31, calls: 12, clean: 2000, faulty: 150, baseShare: 0.004, faultShare: 0.1);

        var perCall = DetectorRun.Run(ContentFilter(PerCallOnly()), traces);
        var both = DetectorRun.Run(ContentFilter(), traces);

        var (at, anomaly) = Assert.Single(both);
        Assert.InRange(at, 2000, 2150);
        Assert.True(perCall.Count == 0 || perCall[0].Trace > at, $"per call at {perCall.FirstOrDefault().Trace}, per trace at {at}");
        Assert.Equal("content_filter_share_of_traces", anomaly.Explanation.Feature);
        Assert.True(anomaly.Explanation.Observed > 0.04, anomaly.Explanation.Summary);
        Assert.True(anomaly.Explanation.Distance >= 6, anomaly.Explanation.Summary);
    }

    [Fact]
    public void The_benign_share_of_filtered_answers_gives_no_signal_in_either_unit_over_twenty_thousand_traces()
    {
        var traces = Surge(seed: 32, calls: 8, clean: 20_000, faulty: 0, baseShare: 0.005, faultShare: 0);

        Assert.Empty(DetectorRun.Run(ContentFilter(), traces));
    }

    [Fact]
    public void An_agent_with_about_one_call_per_trace_is_tested_per_call_only_and_judged_as_before()
    {
        var traces = Surge(seed: 33, calls: 1, clean: 2000, faulty: 200, baseShare: 0.004, faultShare: 0.2);

        var perCall = DetectorRun.Run(ContentFilter(PerCallOnly()), traces);
        var both = DetectorRun.Run(ContentFilter(), traces);

        var (at, anomaly) = Assert.Single(both);
        Assert.Equal("content_filter_share", anomaly.Explanation.Feature);
        Assert.Equal(Assert.Single(perCall).Trace, at);
        Assert.Equal(perCall[0].Anomaly.Score, anomaly.Score);
    }

    [Fact]
    public void A_kind_not_listed_is_tested_per_call_only_even_on_many_call_traces()
    {
        var options = new DetectionOptions { Rates = new RateOptions { TraceShareKinds = AnomalyKinds.LengthSurge } };
        var traces = Surge(seed: 31, calls: 12, clean: 2000, faulty: 150, baseShare: 0.004, faultShare: 0.1);

        var detector = ContentFilter(options);
        var found = DetectorRun.Run(detector, traces);
        var perCall = DetectorRun.Run(ContentFilter(PerCallOnly()), traces);

        Assert.Equal(perCall.Select(f => (f.Trace, f.Anomaly.Score)), found.Select(f => (f.Trace, f.Anomaly.Score)));
        Assert.True(double.IsNaN(detector.BaselineTraceShare));
    }

    [Fact]
    public void A_trace_share_kind_that_is_not_a_share_kind_is_rejected_naming_its_key()
    {
        var options = new RateOptions { TraceShareKinds = "content_filter_surge, token_spike" };

        var error = Assert.Single(options.Validate("Detection:Rates:"));

        Assert.StartsWith("Detection:Rates:TraceShareKinds lists 'token_spike'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_trace_share_kinds_are_read_as_a_comma_separated_list_and_empty_means_none()
    {
        Assert.Equal([AnomalyKinds.ContentFilterSurge], new RateOptions().TraceShareKindList());
        Assert.Equal([AnomalyKinds.LengthSurge, AnomalyKinds.ContentFilterSurge], new RateOptions { TraceShareKinds = " finish_length_surge ,content_filter_surge" }.TraceShareKindList());
        Assert.Empty(new RateOptions { TraceShareKinds = "" }.TraceShareKindList());
        Assert.Empty(new RateOptions().Validate("Detection:Rates:"));
    }
}
