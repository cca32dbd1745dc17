using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Multivariate;
using AgentSentinel.Detection.Tests.TestSupport;

namespace AgentSentinel.Detection.Tests;

/// <summary>
/// The per-trace path allocates nothing once an agent is warm: allocation counting is deterministic (unlike timing), so
/// a closure, boxing, LINQ or list growth slipped into any default detector fails here.
/// </summary>
public sealed class AgentDetectionAllocationTests
{
    // Warm-up: every baseline warm and the first multivariate model swapped in (trained after 200 traces, swapped 20
    // later). Measured: the traces before the next retraining point (500 traces after the first), which allocates a
    // training job and, when it runs inline, the model: periodic, not per trace.
    private const int WarmupTraces = 300;
    private const int MeasuredTraces = 350;

    [Fact]
    public void A_warm_agent_with_every_default_detector_allocates_nothing_per_normal_trace()
    {
        // ReAct traces (1-3 model calls with tool calls between, some cut at the length limit, some tool errors) and,
        // one in four, a retrieval answered by one call: every default detector has something to judge.
        var traffic = new Traffic(7);
        var traces = new AgentTrace[WarmupTraces + MeasuredTraces];
        for (var n = 0; n < traces.Length; n++)
        {
            traces[n] = n % 4 == 3
                ? AgentTraces.Start(n)
                    .Retrieval(documents: 3 + (n % 3), topScore: 0.7 + (traffic.Normal() * 0.03))
                    .Llm(traffic.LogNormal(1500, 0.3), traffic.LogNormal(200, 0.4), ms: traffic.LogNormal(600, 0.3))
                    .Build()
                : traffic.Trace(n);
        }

        using var detection = new AgentDetection("a", new DetectionOptions());
        var anomalies = new List<Anomaly>(64);
        var ready = new List<BaselineReady>(64);
        for (var n = 0; n < WarmupTraces; n++)
        {
            detection.Observe(traces[n], anomalies, ready);
            detection.AdvanceTo(traces[n].CompletedAtUnixNano, anomalies);
        }

        var pca = detection.Detectors.OfType<PcaTraceDetector>().Single();
        Assert.NotNull(pca.Model);
        Assert.False(pca.TrainingInFlight);
        var trainings = pca.TrainingsStarted;
        var anomaliesBefore = anomalies.Count;
        var readyBefore = ready.Count;
        var allocated = new long[MeasuredTraces];

        for (var k = 0; k < MeasuredTraces; k++)
        {
            var trace = traces[WarmupTraces + k];
            var before = GC.GetAllocatedBytesForCurrentThread();
            detection.Observe(trace, anomalies, ready);
            detection.AdvanceTo(trace.CompletedAtUnixNano, anomalies);
            allocated[k] = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        // The window really is steady state: normal traces, nothing newly warm, no retraining in it.
        Assert.True(anomaliesBefore == anomalies.Count, string.Join("; ", anomalies.Skip(anomaliesBefore).Select(a => a.Kind + "@" + a.Explanation)));
        Assert.True(readyBefore == ready.Count, string.Join("; ", ready.Skip(readyBefore)));
        Assert.Equal(trainings, pca.TrainingsStarted);
        var allocating = allocated.Select((bytes, k) => (Trace: WarmupTraces + k, Bytes: bytes)).Where(t => t.Bytes != 0).ToList();
        Assert.True(allocating.Count == 0, $"traces that allocated (index: bytes): {string.Join(", ", allocating.Take(10).Select(t => $"{t.Trace}: {t.Bytes}"))}");
    }
}
