using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;

namespace AgentSentinel.Detection.Features;

/// <summary>
/// What the detectors look at in one <see cref="AgentTrace"/>, computed once per trace by a
/// <see cref="TraceFeatureExtractor"/>. Model calls are counted as <see cref="LlmCallAccounting"/> decides
/// (innermost calls only), so a wrapper span around the provider's span does not double the tokens.
/// </summary>
/// <remarks>
/// <see cref="CallTokens"/> and <see cref="CallLatenciesMs"/> point into the extractor's reusable buffers:
/// they are valid until that extractor computes the next trace. Copy them if they must live longer.
/// </remarks>
public readonly record struct TraceFeatures
{
    /// <summary>Spans of this agent in the trace.</summary>
    public int SpanCount { get; init; }

    /// <summary>Counted (innermost) model calls.</summary>
    public int LlmCalls { get; init; }

    /// <summary>Counted model calls that reported token usage.</summary>
    public int LlmCallsWithTokens { get; init; }

    /// <summary>Tool executions.</summary>
    public int ToolCalls { get; init; }

    /// <summary>Spans marked as errors.</summary>
    public int Errors { get; init; }

    /// <summary>Counted model calls whose answer was cut at the length limit.</summary>
    public int TruncatedCalls { get; init; }

    /// <summary>Sum of the counted calls' total tokens (input + output when no total is reported).</summary>
    public long TotalTokens { get; init; }

    /// <summary>Sum of the counted calls' input tokens.</summary>
    public long InputTokens { get; init; }

    /// <summary>Sum of the counted calls' output tokens.</summary>
    public long OutputTokens { get; init; }

    /// <summary>The largest single call's total tokens (0 without token usage).</summary>
    public long MaxCallTokens { get; init; }

    /// <summary>Reported cost in USD summed over the counted calls (0 when none is reported).</summary>
    public double CostUsd { get; init; }

    /// <summary>From the earliest span start to the latest span end, in milliseconds.</summary>
    public double DurationMs { get; init; }

    /// <summary>The slowest counted model call, in milliseconds (0 without calls).</summary>
    public double MaxLlmLatencyMs { get; init; }

    /// <summary>Sum of the counted model calls' durations, in milliseconds.</summary>
    public double TotalLlmLatencyMs { get; init; }

    /// <summary>Each counted call's total tokens, in span order (calls without usage are left out).</summary>
    public ReadOnlyMemory<double> CallTokens { get; init; }

    /// <summary>Each counted call's duration in milliseconds, in span order.</summary>
    public ReadOnlyMemory<double> CallLatenciesMs { get; init; }

    /// <summary>Whether any counted call reported token usage (token features exist for this trace).</summary>
    public bool HasTokens => LlmCallsWithTokens > 0;

    /// <summary>A call's total tokens: as reported, else input + output, else null (no usage reported).</summary>
    public static long? CallTotalTokens(in AgentSpan span) =>
        span.TotalTokens ?? (span.InputTokens is null && span.OutputTokens is null
            ? null
            : (span.InputTokens ?? 0) + (span.OutputTokens ?? 0));

    /// <summary>Computes the features of one trace with a throw-away extractor (allocates; fine for tests and tools).</summary>
    public static TraceFeatures Compute(AgentTrace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var features = new TraceFeatureExtractor().Compute(trace);
        return features with { CallTokens = features.CallTokens.ToArray(), CallLatenciesMs = features.CallLatenciesMs.ToArray() };
    }
}

/// <summary>
/// Computes <see cref="TraceFeatures"/> with reusable buffers: after the buffers have grown to the largest trace
/// seen, a computation allocates nothing (traces of more than 64 spans pay for a span-id index in
/// <see cref="LlmCallAccounting"/>). Not thread-safe: one per actor.
/// </summary>
public sealed class TraceFeatureExtractor
{
    private const double NanosPerMilli = 1_000_000d;
    private bool[] _counted = new bool[32];
    private double[] _callTokens = new double[16];
    private double[] _callLatencies = new double[16];

    /// <summary>Computes the features of <paramref name="trace"/>; the per-call memories stay valid until the next call.</summary>
    public TraceFeatures Compute(AgentTrace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var spans = trace.Spans.AsSpan();
        if (_counted.Length < spans.Length)
        {
            _counted = new bool[Math.Max(spans.Length, _counted.Length * 2)];
            _callTokens = new double[_counted.Length];
            _callLatencies = new double[_counted.Length];
        }

        var counted = _counted.AsSpan(0, spans.Length);
        LlmCallAccounting.MarkCountedCalls(spans, counted);

        int llmCalls = 0, withTokens = 0, tools = 0, errors = 0, truncated = 0;
        long total = 0, input = 0, output = 0, maxCall = 0;
        double cost = 0, maxLatency = 0, totalLatency = 0;
        var start = long.MaxValue;
        var end = long.MinValue;
        for (var i = 0; i < spans.Length; i++)
        {
            ref readonly var span = ref spans[i];
            start = Math.Min(start, span.StartUnixNano);
            end = Math.Max(end, span.EndUnixNano);
            if (span.Operation == SpanOperation.ExecuteTool)
            {
                tools++;
            }

            if (span.IsError)
            {
                errors++;
            }

            if (!counted[i])
            {
                continue;
            }

            var latency = span.DurationNanos / NanosPerMilli;
            _callLatencies[llmCalls++] = latency;
            totalLatency += latency;
            maxLatency = Math.Max(maxLatency, latency);
            if ((span.FinishReasons & FinishReasons.Length) != 0)
            {
                truncated++;
            }

            cost += span.CostUsd ?? 0;
            input += span.InputTokens ?? 0;
            output += span.OutputTokens ?? 0;
            if (TraceFeatures.CallTotalTokens(span) is { } tokens)
            {
                _callTokens[withTokens++] = tokens;
                total += tokens;
                maxCall = Math.Max(maxCall, tokens);
            }
        }

        return new TraceFeatures
        {
            SpanCount = spans.Length,
            LlmCalls = llmCalls,
            LlmCallsWithTokens = withTokens,
            ToolCalls = tools,
            Errors = errors,
            TruncatedCalls = truncated,
            TotalTokens = total,
            InputTokens = input,
            OutputTokens = output,
            MaxCallTokens = maxCall,
            CostUsd = cost,
            DurationMs = spans.Length == 0 || end < start ? 0 : (end - start) / NanosPerMilli,
            MaxLlmLatencyMs = maxLatency,
            TotalLlmLatencyMs = totalLatency,
            CallTokens = new ReadOnlyMemory<double>(_callTokens, 0, withTokens),
            CallLatenciesMs = new ReadOnlyMemory<double>(_callLatencies, 0, llmCalls),
        };
    }
}
