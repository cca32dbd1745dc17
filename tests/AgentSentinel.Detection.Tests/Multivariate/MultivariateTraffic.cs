using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Features;
using AgentSentinel.Detection.Multivariate;

namespace AgentSentinel.Detection.Tests.Multivariate;

/// <summary>
/// Synthetic traffic of one tool-using agent, generated as features directly (no spans to assemble): a latent "size"
/// drives tokens, cost and part of the duration together; a latent "slowness" drives latency; 2 or 3 model calls with
/// one tool call fewer. Seeded: the same seed gives the same traffic.
/// </summary>
internal sealed class MultivariateTraffic(int seed)
{
    public const long T0 = 1_700_000_000_000_000_000;
    public const double SizeSigma = 0.3;     // log-scale spread of tokens per trace
    public const double PricePerToken = 3e-6;

    private readonly Random _random = new(seed);
    private int _next;

    /// <summary>Log-scale spread of each feature's own noise around the latent factors (0.02: tightly correlated).</summary>
    public double Noise { get; set; } = 0.02;

    /// <summary>Log-scale drift of the cost per token (0: the usual price).</summary>
    public double PriceDrift { get; set; }

    /// <summary>A normal trace; <paramref name="size"/> / <paramref name="price"/> override the latent size and the log price factor.</summary>
    public (AgentTrace Trace, TraceFeatures Features) Next(double? size = null, double price = 0)
    {
        var s = size ?? Gaussian();
        var slow = Gaussian();
        var calls = 2 + _random.Next(2);
        var tools = calls - 1;
        var total = Math.Exp(7.5 + (SizeSigma * s) + (Noise * Gaussian()));
        var input = total * Math.Clamp(0.8 * Math.Exp(Noise * Gaussian()), 0.5, 0.95);
        var output = total - input;
        var cost = total * PricePerToken * Math.Exp(PriceDrift + price + (Noise * Gaussian()));
        var duration = Math.Exp(8 + (0.25 * slow) + (0.1 * s));
        var features = new TraceFeatures
        {
            SpanCount = 1 + calls + tools,
            LlmCalls = calls,
            LlmCallsWithTokens = calls,
            ToolCalls = tools,
            DistinctTools = Math.Min(tools, 2),
            LongestToolRepeat = 1,
            Depth = 2,
            TotalTokens = (long)total,
            InputTokens = (long)input,
            OutputTokens = (long)output,
            MaxCallTokens = (long)(total / calls * 1.3 * Math.Exp(Noise * Gaussian())),
            CostUsd = cost,
            CallsWithCost = calls,
            DurationMs = duration,
            MaxLlmLatencyMs = duration * 0.4 * Math.Exp(Noise * Gaussian()),
            TotalLlmLatencyMs = duration * 0.7 * Math.Exp(Noise * Gaussian()),
            RetrievalTopScore = double.NaN,
        };
        return (TraceOf(_next++), features);
    }

    /// <summary>A one-span trace of agent "a" with id <paramref name="n"/>, completed n seconds after T0.</summary>
    public static AgentTrace TraceOf(int n)
    {
        var id = new TraceId(0xabc0_0000_0000_0000UL | (uint)n, 0x0123_4567_89ab_cdefUL ^ (ulong)n);
        var end = T0 + (n * 1_000_000_000L);
        var span = new AgentSpan
        {
            TraceId = id,
            SpanId = new SpanId(1),
            StartUnixNano = end - 1_000_000_000L,
            EndUnixNano = end,
            Operation = SpanOperation.InvokeAgent,
        };
        return new AgentTrace("a", id, [span], true, end);
    }

    /// <summary>Small settings so that tests train in milliseconds.</summary>
    public static DetectionOptions Options(Action<MultivariateOptions>? configure = null)
    {
        var options = new DetectionOptions();
        options.Multivariate.TrainingWindow = 400;
        options.Multivariate.MinTrainingTraces = 150;
        options.Multivariate.RetrainEvery = 400;
        options.Multivariate.SwapAfterTraces = 10;
        options.Multivariate.FalsePositiveBudget = 0.002;
        configure?.Invoke(options.Multivariate);
        return options;
    }

    private double Gaussian()
    {
        // Box-Muller: deterministic for a seed.
        var u1 = 1.0 - _random.NextDouble();
        var u2 = _random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
