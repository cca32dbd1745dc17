using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Pricing;

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

    /// <summary>Counted model calls stopped by a content filter.</summary>
    public int ContentFilteredCalls { get; init; }

    /// <summary>Counted model calls that failed (span error).</summary>
    public int FailedCalls { get; init; }

    /// <summary>Distinct tool names executed.</summary>
    public int DistinctTools { get; init; }

    /// <summary>Tool executions that failed.</summary>
    public int ToolErrors { get; init; }

    /// <summary>
    /// Tool failures the agent answered around: no later call of the same tool (no retry) and the trace's final model
    /// call, after the failure, is a successful answer rather than another tool request.
    /// </summary>
    public int ErrorsAnsweredAround { get; init; }

    /// <summary>The longest run of consecutive identical tool calls (same tool and arguments), in start order (0 without tools).</summary>
    public int LongestToolRepeat { get; init; }

    /// <summary>The longest run of consecutive identical tool calls whose result did not change either.</summary>
    public int LongestUnchangedToolRepeat { get; init; }

    /// <summary>
    /// The most repetitions of a cycle of 2 to 4 distinct tool calls (A B A B A B = 3), in start order; 0 when no
    /// cycle repeats.
    /// </summary>
    public int ToolCycleRepeats { get; init; }

    /// <summary>Depth of the span tree (a lone root is 1; orphans count from the highest span present).</summary>
    public int Depth { get; init; }

    /// <summary>A span other than a tool execution failed (root, model call, sub-agent): the trace failed.</summary>
    public bool Failed { get; init; }

    /// <summary>Retrieval spans (operation retrieval, or any span reporting retrieved documents).</summary>
    public int RetrievalCalls { get; init; }

    /// <summary>Retrievals that returned no document.</summary>
    public int EmptyRetrievals { get; init; }

    /// <summary>Mean of the retrievals' best relevance scores (NaN when none reported a score).</summary>
    public double RetrievalTopScore { get; init; }

    /// <summary>Sum of the counted calls' reasoning tokens.</summary>
    public long ReasoningTokens { get; init; }

    /// <summary>Sum of the counted calls' cached input tokens.</summary>
    public long CachedInputTokens { get; init; }

    /// <summary>Counted calls with a cost (reported, or priced from the catalogue).</summary>
    public int CallsWithCost { get; init; }

    /// <summary>Sum of the counted calls' total tokens (input + output when no total is reported).</summary>
    public long TotalTokens { get; init; }

    /// <summary>Sum of the counted calls' input tokens.</summary>
    public long InputTokens { get; init; }

    /// <summary>Sum of the counted calls' output tokens.</summary>
    public long OutputTokens { get; init; }

    /// <summary>The largest single call's total tokens (0 without token usage).</summary>
    public long MaxCallTokens { get; init; }

    /// <summary>
    /// Cost in USD summed over the counted calls: as reported on the span, else priced from the catalogue (0 when
    /// neither is known; see <see cref="CallsWithCost"/>).
    /// </summary>
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

    /// <summary>Whether a cost is known for at least one counted call.</summary>
    public bool HasCost => CallsWithCost > 0;

    /// <summary>A call's total tokens: as reported, else input + output, else null (no usage reported).</summary>
    public static long? CallTotalTokens(in AgentSpan span) =>
        span.TotalTokens ?? (span.InputTokens is null && span.OutputTokens is null
            ? null
            : (span.InputTokens ?? 0) + (span.OutputTokens ?? 0));

    /// <summary>Computes the features of one trace with a throw-away extractor (allocates; fine for tests and tools).</summary>
    public static TraceFeatures Compute(AgentTrace trace, PriceCatalogue? prices = null)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var features = new TraceFeatureExtractor(prices).Compute(trace);
        return features with { CallTokens = features.CallTokens.ToArray(), CallLatenciesMs = features.CallLatenciesMs.ToArray() };
    }
}

/// <summary>
/// Computes <see cref="TraceFeatures"/> with reusable buffers: after the buffers have grown to the largest trace
/// seen, a computation allocates nothing (traces of more than 64 spans index their span ids in a reused dictionary).
/// Not thread-safe: one per actor.
/// </summary>
public sealed class TraceFeatureExtractor
{
    private const double NanosPerMilli = 1_000_000d;
    private const int LinearLookupLimit = 64;
    private const int MaxCyclePeriod = 4;
    private readonly PriceCatalogue? _prices;
    private readonly Dictionary<SpanId, int> _index = [];
    private bool[] _counted = new bool[32];
    private double[] _callTokens = new double[32];
    private double[] _callLatencies = new double[32];
    private int[] _parents = new int[32];
    private int[] _depths = new int[32];
    private int[] _tools = new int[32];

    /// <param name="prices">Prices calls that report tokens but no cost; null leaves those calls without cost.</param>
    public TraceFeatureExtractor(PriceCatalogue? prices = null) => _prices = prices;

    /// <summary>Computes the features of <paramref name="trace"/>; the per-call memories stay valid until the next call.</summary>
    public TraceFeatures Compute(AgentTrace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var spans = trace.Spans.AsSpan();
        Grow(spans.Length);
        var counted = _counted.AsSpan(0, spans.Length);
        LlmCallAccounting.MarkCountedCalls(spans, counted);

        int llmCalls = 0, withTokens = 0, tools = 0, errors = 0, truncated = 0, filtered = 0, failedCalls = 0, toolErrors = 0;
        int retrievals = 0, emptyRetrievals = 0, scored = 0, withCost = 0;
        long total = 0, input = 0, output = 0, maxCall = 0, reasoning = 0, cached = 0;
        double cost = 0, maxLatency = 0, totalLatency = 0, scoreSum = 0;
        var failed = false;
        var start = long.MaxValue;
        var end = long.MinValue;
        var lastCall = -1;
        for (var i = 0; i < spans.Length; i++)
        {
            ref readonly var span = ref spans[i];
            start = Math.Min(start, span.StartUnixNano);
            end = Math.Max(end, span.EndUnixNano);
            if (span.Operation == SpanOperation.ExecuteTool)
            {
                _tools[tools++] = i;
                toolErrors += span.IsError ? 1 : 0;
            }
            else if (span.IsError)
            {
                failed = true;
            }

            errors += span.IsError ? 1 : 0;
            if (span.Operation == SpanOperation.Retrieval || span.RetrievalDocuments is not null)
            {
                retrievals++;
                emptyRetrievals += span.RetrievalDocuments == 0 ? 1 : 0;
                if (span.RetrievalTopScore is { } top && double.IsFinite(top))
                {
                    scored++;
                    scoreSum += top;
                }
            }

            if (!counted[i])
            {
                continue;
            }

            if (lastCall < 0 || span.EndUnixNano >= spans[lastCall].EndUnixNano)
            {
                lastCall = i;
            }

            var latency = span.DurationNanos / NanosPerMilli;
            _callLatencies[llmCalls++] = latency;
            totalLatency += latency;
            maxLatency = Math.Max(maxLatency, latency);
            truncated += (span.FinishReasons & FinishReasons.Length) != 0 ? 1 : 0;
            filtered += (span.FinishReasons & FinishReasons.ContentFilter) != 0 ? 1 : 0;
            failedCalls += span.IsError ? 1 : 0;
            if (span.CostUsd is { } reported)
            {
                cost += reported;
                withCost++;
            }
            else if (_prices is not null && _prices.TryGetCost(span, out var priced))
            {
                cost += priced;
                withCost++;
            }

            input += span.InputTokens ?? 0;
            output += span.OutputTokens ?? 0;
            reasoning += span.ReasoningTokens ?? 0;
            cached += span.CachedInputTokens ?? 0;
            if (TraceFeatures.CallTotalTokens(span) is { } tokens)
            {
                _callTokens[withTokens++] = tokens;
                total += tokens;
                maxCall = Math.Max(maxCall, tokens);
            }
        }

        var toolOrder = _tools.AsSpan(0, tools);
        SortByStart(spans, toolOrder);
        var sequence = ToolSequence.Analyse(spans, toolOrder, MaxCyclePeriod);
        return new TraceFeatures
        {
            SpanCount = spans.Length,
            LlmCalls = llmCalls,
            LlmCallsWithTokens = withTokens,
            ToolCalls = tools,
            Errors = errors,
            TruncatedCalls = truncated,
            ContentFilteredCalls = filtered,
            FailedCalls = failedCalls,
            DistinctTools = sequence.DistinctTools,
            ToolErrors = toolErrors,
            ErrorsAnsweredAround = toolErrors == 0 ? 0 : CountAnsweredAround(spans, toolOrder, lastCall),
            LongestToolRepeat = sequence.LongestRepeat,
            LongestUnchangedToolRepeat = sequence.LongestUnchangedRepeat,
            ToolCycleRepeats = sequence.CycleRepeats,
            Depth = Depth(spans),
            Failed = failed,
            RetrievalCalls = retrievals,
            EmptyRetrievals = emptyRetrievals,
            RetrievalTopScore = scored == 0 ? double.NaN : scoreSum / scored,
            TotalTokens = total,
            InputTokens = input,
            OutputTokens = output,
            ReasoningTokens = reasoning,
            CachedInputTokens = cached,
            MaxCallTokens = maxCall,
            CostUsd = cost,
            CallsWithCost = withCost,
            DurationMs = spans.Length == 0 || end < start ? 0 : (end - start) / NanosPerMilli,
            MaxLlmLatencyMs = maxLatency,
            TotalLlmLatencyMs = totalLatency,
            CallTokens = new ReadOnlyMemory<double>(_callTokens, 0, withTokens),
            CallLatenciesMs = new ReadOnlyMemory<double>(_callLatencies, 0, llmCalls),
        };
    }

    /// <summary>Every per-span buffer has the same length, at least the span count.</summary>
    private void Grow(int spans)
    {
        if (_counted.Length >= spans && _callTokens.Length == _counted.Length && _tools.Length == _counted.Length)
        {
            return;
        }

        var size = Math.Max(spans, _counted.Length * 2);
        _counted = new bool[size];
        _callTokens = new double[size];
        _callLatencies = new double[size];
        _parents = new int[size];
        _depths = new int[size];
        _tools = new int[size];
    }

    /// <summary>Insertion sort of span indices by start time (stable: ties keep arrival order). Tool lists are short.</summary>
    private static void SortByStart(ReadOnlySpan<AgentSpan> spans, Span<int> order)
    {
        for (var i = 1; i < order.Length; i++)
        {
            var item = order[i];
            var key = spans[item].StartUnixNano;
            var j = i - 1;
            while (j >= 0 && spans[order[j]].StartUnixNano > key)
            {
                order[j + 1] = order[j];
                j--;
            }

            order[j + 1] = item;
        }
    }

    /// <summary>
    /// Failed tool calls with no later call of the same tool, followed by a final model call that started after the
    /// failure ended and answered (no error, not another tool request).
    /// </summary>
    private static int CountAnsweredAround(ReadOnlySpan<AgentSpan> spans, ReadOnlySpan<int> tools, int lastCall)
    {
        if (lastCall < 0)
        {
            return 0;
        }

        ref readonly var final = ref spans[lastCall];
        if (final.IsError || (final.FinishReasons & (FinishReasons.ToolCalls | FinishReasons.Error)) != 0)
        {
            return 0;
        }

        var n = 0;
        for (var k = 0; k < tools.Length; k++)
        {
            ref readonly var tool = ref spans[tools[k]];
            if (!tool.IsError || final.StartUnixNano < tool.EndUnixNano)
            {
                continue;
            }

            var retried = false;
            for (var later = k + 1; later < tools.Length && !retried; later++)
            {
                retried = string.Equals(spans[tools[later]].ToolName, tool.ToolName, StringComparison.Ordinal);
            }

            n += retried ? 0 : 1;
        }

        return n;
    }

    /// <summary>Depth of the span forest: parents resolved by span id (linear scan for small traces, an index above).</summary>
    private int Depth(ReadOnlySpan<AgentSpan> spans)
    {
        if (spans.Length == 0)
        {
            return 0;
        }

        var useIndex = spans.Length > LinearLookupLimit;
        if (useIndex)
        {
            _index.Clear();
            for (var i = 0; i < spans.Length; i++)
            {
                _index.TryAdd(spans[i].SpanId, i);
            }
        }

        var parents = _parents.AsSpan(0, spans.Length);
        var depths = _depths.AsSpan(0, spans.Length);
        for (var i = 0; i < spans.Length; i++)
        {
            var parent = spans[i].ParentSpanId;
            parents[i] = parent.IsEmpty ? -1 : useIndex ? _index.GetValueOrDefault(parent, -1) : IndexOf(spans, parent);
            depths[i] = 0;
        }

        var deepest = 0;
        for (var i = 0; i < spans.Length; i++)
        {
            // Walk up until a span of known depth or the top; bounded by the span count (cycles in bad data stop there).
            var d = 1;
            var at = parents[i];
            for (var hops = 0; at >= 0 && hops < spans.Length; hops++)
            {
                if (depths[at] > 0)
                {
                    d += depths[at];
                    break;
                }

                d++;
                at = parents[at];
            }

            depths[i] = d;
            deepest = Math.Max(deepest, d);
        }

        return deepest;
    }

    private static int IndexOf(ReadOnlySpan<AgentSpan> spans, SpanId id)
    {
        for (var i = 0; i < spans.Length; i++)
        {
            if (spans[i].SpanId == id)
            {
                return i;
            }
        }

        return -1;
    }
}
