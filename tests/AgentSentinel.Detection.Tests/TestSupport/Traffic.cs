using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;

namespace AgentSentinel.Detection.Tests.TestSupport;

/// <summary>Seeded synthetic traffic for detector tests: log-normal tokens and latency, benign event rates.</summary>
internal sealed class Traffic(int seed)
{
    private readonly Random _random = new(seed);

    public double Normal() => Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());

    public long LogNormal(double median, double sigma) => Math.Max(1, (long)Math.Round(median * Math.Exp(sigma * Normal())));

    public bool Chance(double p) => _random.NextDouble() < p;

    /// <summary>
    /// A ReAct-style trace: 1–3 model calls, a tool call between them. <paramref name="tokenFactor"/> scales tokens,
    /// <paramref name="lengthShare"/> is the chance a call is cut at the length limit.
    /// </summary>
    public AgentTrace Trace(int n, double tokenFactor = 1, double lengthShare = 0.02, double toolErrorShare = 0.02, double latencyFactor = 1)
    {
        var builder = AgentTraces.Start(n);
        var calls = 1 + _random.Next(3);
        for (var c = 0; c < calls; c++)
        {
            var output = (long)(LogNormal(200, 0.4) * tokenFactor);
            var last = c == calls - 1;
            var finish = Chance(lengthShare) ? FinishReasons.Length : last ? FinishReasons.Stop : FinishReasons.ToolCalls;
            builder.Llm((long)(LogNormal(1200, 0.3) * tokenFactor), output, ms: (long)(LogNormal(600, 0.3) * latencyFactor), finish: finish);
            if (!last)
            {
                var failed = Chance(toolErrorShare);
                builder.Tool("search", (ulong)_random.Next(1, 1000), (ulong)_random.Next(1, 1000), error: failed);
                if (failed)
                {
                    builder.Tool("search", (ulong)_random.Next(1, 1000), (ulong)_random.Next(1, 1000));
                }
            }
        }

        return builder.Build();
    }
}
