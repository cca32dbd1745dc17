using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Detectors;
using AgentSentinel.Detection.Detectors.Patterns;
using AgentSentinel.Detection.Features;
using AgentSentinel.Detection.Tests.TestSupport;

namespace AgentSentinel.Detection.Tests.Detectors.Patterns;

public sealed class PatternDetectorTests
{
    private static List<(int Trace, Anomaly Anomaly)> Run(IAgentDetector detector, IEnumerable<AgentTrace> traces) => DetectorRun.Run(detector, traces);

    private static AgentTrace Looping(int n, int repeats)
    {
        var builder = AgentTraces.Start(n).Llm(100, 10, finish: Core.Spans.FinishReasons.ToolCalls);
        for (var i = 0; i < repeats; i++)
        {
            builder.Tool("lookup", 42, 43);
        }

        return builder.Llm(100, 10).Build();
    }

    [Fact]
    public void Two_looping_traces_start_one_tool_loop_episode_that_names_the_feature()
    {
        var traffic = new Traffic(31);
        var traces = Enumerable.Range(0, 300).Select(i => i is 200 or 203 or 206 ? Looping(i, 5) : traffic.Trace(i));

        var found = Run(new ToolLoopDetector(new DetectionOptions()), traces);

        var (at, anomaly) = Assert.Single(found);
        Assert.Equal(203, at);
        Assert.Equal("identical_tool_calls", anomaly.Explanation.Feature);
        Assert.Equal(5, anomaly.Explanation.Observed);
        Assert.Equal(2, anomaly.TraceIds.Count);
    }

    [Fact]
    public void A_long_loop_fires_on_its_own()
    {
        var traffic = new Traffic(32);
        var traces = Enumerable.Range(0, 300).Select(i => i == 250 ? Looping(i, 12) : traffic.Trace(i));

        Assert.Equal(250, Assert.Single(Run(new ToolLoopDetector(new DetectionOptions()), traces)).Trace);
    }

    [Fact]
    public void An_agent_that_always_repeats_five_times_is_judged_against_its_own_habit()
    {
        var traces = Enumerable.Range(0, 400).Select(i => Looping(i, i >= 380 ? 6 : 5));

        var found = Run(new ToolLoopDetector(new DetectionOptions()), traces);

        Assert.DoesNotContain(found, f => f.Trace < 380);
        Assert.NotEmpty(found);
    }

    [Fact]
    public void Runaway_call_counts_fire_against_the_agents_own_range()
    {
        var traffic = new Traffic(33);
        var traces = Enumerable.Range(0, 400).Select(i =>
        {
            if (i < 350 || i % 3 != 0)
            {
                return traffic.Trace(i);
            }

            var builder = AgentTraces.Start(i);
            for (var c = 0; c < 12; c++)
            {
                builder.Llm(100, 10).Tool("t", (ulong)c, (ulong)c);
            }

            return builder.Build();
        });

        var found = Run(new RunawayDetector(new DetectionOptions()), traces);

        var (at, anomaly) = Assert.Single(found);
        Assert.InRange(at, 351, 360);
        Assert.Equal(AnomalyKinds.RunawayDepth, anomaly.Kind);
        Assert.Contains(anomaly.Explanation.Feature, new[] { "llm_calls", "tool_calls" });
    }

    [Fact]
    public void Normal_traffic_starts_no_pattern_episode()
    {
        var traffic = new Traffic(34);
        var traces = Enumerable.Range(0, 20_000).Select(i => traffic.Trace(i)).ToList();

        Assert.Empty(Run(new ToolLoopDetector(new DetectionOptions()), traces));
        Assert.Empty(Run(new RunawayDetector(new DetectionOptions()), traces));
    }
}
