using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Spans;
using static AgentSentinel.Actors.Tests.TestSupport.TestSpans;

namespace AgentSentinel.Actors.Tests.TestSupport;

/// <summary>
/// A deterministic fleet: agents alpha, beta and gamma, plus a planner that delegates to a coder in the same trace. One
/// trace per agent per second of event time. Model calls carry no agent name (they inherit it from the agent span above
/// them), and every trace's model calls are exported one record before its agent span (children before parents).
/// alpha's tokens go up tenfold for a few traces at <see cref="TokenSpikeAt"/>; beta's model calls get twenty times slower
/// at <see cref="LatencySpikeAt"/>.
/// </summary>
internal static class Workload
{
    public const int TokenSpikeAt = 60;
    public const int LatencySpikeAt = 90;

    /// <param name="steps">Seconds of event time (one record each).</param>
    /// <param name="seed">Seeds tokens, latencies and call counts.</param>
    /// <param name="model">The model every model call names (request and response); none when null.</param>
    public static List<IngestedRecord> Records(int steps, int seed = 1, string? model = null)
    {
        var random = new Random(seed);
        var records = new List<IngestedRecord>();
        var carried = new List<AgentSpan>(); // agent spans held back to the next record
        var traceNo = 0;
        for (var step = 0; step < steps; step++)
        {
            var spans = new List<AgentSpan>(carried);
            carried.Clear();
            var start = step * 1000L;
            foreach (var agent in new[] { "alpha", "beta", "gamma" })
            {
                var trace = ++traceNo;
                var calls = 1 + random.Next(3);
                for (var c = 0; c < calls; c++)
                {
                    var tokens = 400 + random.Next(100);
                    var ms = 100 + random.Next(50);
                    if (agent == "alpha" && step is >= TokenSpikeAt and < TokenSpikeAt + 3)
                    {
                        tokens *= 10;
                    }

                    if (agent == "beta" && step is >= LatencySpikeAt and < LatencySpikeAt + 3)
                    {
                        ms *= 20;
                    }

                    spans.Add(Span(trace, (ulong)(10 + c), 1, start + (c * 10), start + (c * 10) + ms, tokens: tokens) with { RequestModel = model, ResponseModel = model });
                }

                carried.Add(Span(trace, 1, 0, start, start + 900 + (agent == "beta" && step is >= LatencySpikeAt and < LatencySpikeAt + 3 ? 3000 : 0), agent: agent, operation: SpanOperation.InvokeAgent));
            }

            // planner → coder in one trace: the coder's call inherits "coder", the planner's call inherits "planner".
            var multi = ++traceNo;
            spans.Add(Span(multi, 21, 20, start + 100, start + 300, tokens: 300 + random.Next(30)) with { RequestModel = model, ResponseModel = model });
            spans.Add(Span(multi, 20, 1, start + 50, start + 400, agent: "coder", operation: SpanOperation.InvokeAgent));
            spans.Add(Span(multi, 11, 1, start + 10, start + 90, tokens: 200 + random.Next(30)) with { RequestModel = model, ResponseModel = model });
            carried.Add(Span(multi, 1, 0, start, start + 500, agent: "planner", operation: SpanOperation.InvokeAgent));

            records.Add(Record(step, [.. spans]));
        }

        if (carried.Count > 0)
        {
            records.Add(Record(steps, [.. carried]));
        }

        return records;
    }
}
