using AgentSentinel.Detection.Features;

namespace AgentSentinel.Remediation.Recovery;

/// <summary>
/// The agent's recent healthy traces, as the recovery test needs them: a bounded ring (oldest out first) of the
/// features a <see cref="RecoveryCheck"/> can judge. The agent's actor adds every trace outside an incident and
/// stops adding while the agent is in one, so the reference is the agent as it was before the fault.
/// </summary>
/// <remarks>
/// Only a compact copy of each trace's features is kept (about 50 bytes: counts clamped to 65 535, amounts as
/// <see cref="float"/>), never the per-call memories of <see cref="TraceFeatures"/>, which point into the extractor's
/// reused buffers. <see cref="Add"/> allocates nothing. Not thread-safe: one per agent actor.
/// </remarks>
public sealed class ReferenceSample
{
    /// <summary>The default capacity: enough for stable 95th/99th quantiles, small per agent.</summary>
    public const int DefaultCapacity = 512;

    private readonly ReferenceTrace[] _ring;
    private int _head;
    private int _count;

    /// <param name="capacity">Traces kept (at least 1); older ones are overwritten.</param>
    public ReferenceSample(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new ReferenceTrace[capacity];
    }

    /// <summary>Traces currently held (at most <see cref="Capacity"/>).</summary>
    public int Count => _count;

    /// <summary>The most traces held.</summary>
    public int Capacity => _ring.Length;

    /// <summary>Adds one healthy trace, overwriting the oldest when full. Allocation-free.</summary>
    public void Add(in TraceFeatures features)
    {
        _ring[_head] = ReferenceTrace.From(features);
        _head = _head + 1 == _ring.Length ? 0 : _head + 1;
        _count = Math.Min(_count + 1, _ring.Length);
    }

    /// <summary>Forgets every trace (e.g. when the agent's primary path changed for good).</summary>
    public void Clear()
    {
        _head = 0;
        _count = 0;
    }

    /// <summary>The held traces, in no particular order.</summary>
    internal ReadOnlySpan<ReferenceTrace> Traces => _ring.AsSpan(0, _count);
}

/// <summary>The features of one trace a recovery rule can read (NaN: not reported by that trace).</summary>
internal readonly struct ReferenceTrace
{
    private readonly float _totalTokens;
    private readonly float _maxCallTokens;
    private readonly float _durationMs;
    private readonly float _maxLlmLatencyMs;
    private readonly float _costUsd;
    private readonly float _retrievalTopScore;
    private readonly ushort _llmCalls;
    private readonly ushort _toolCalls;
    private readonly ushort _depth;
    private readonly ushort _errors;
    private readonly ushort _toolErrors;
    private readonly ushort _truncatedCalls;
    private readonly ushort _contentFilteredCalls;
    private readonly ushort _errorsAnsweredAround;
    private readonly ushort _emptyRetrievals;
    private readonly ushort _longestToolRepeat;
    private readonly ushort _longestUnchangedToolRepeat;
    private readonly ushort _toolCycleRepeats;
    private readonly bool _failed;

    private ReferenceTrace(in TraceFeatures f)
    {
        _totalTokens = f.HasTokens ? f.TotalTokens : float.NaN;
        _maxCallTokens = f.HasTokens ? f.MaxCallTokens : float.NaN;
        _durationMs = (float)f.DurationMs;
        _maxLlmLatencyMs = f.LlmCalls > 0 ? (float)f.MaxLlmLatencyMs : float.NaN;
        _costUsd = f.HasCost ? (float)f.CostUsd : float.NaN;
        _retrievalTopScore = (float)f.RetrievalTopScore;
        _llmCalls = Clamp(f.LlmCalls);
        _toolCalls = Clamp(f.ToolCalls);
        _depth = Clamp(f.Depth);
        _errors = Clamp(f.Errors);
        _toolErrors = Clamp(f.ToolErrors);
        _truncatedCalls = Clamp(f.TruncatedCalls);
        _contentFilteredCalls = Clamp(f.ContentFilteredCalls);
        _errorsAnsweredAround = Clamp(f.ErrorsAnsweredAround);
        _emptyRetrievals = Clamp(f.EmptyRetrievals);
        _longestToolRepeat = Clamp(f.LongestToolRepeat);
        _longestUnchangedToolRepeat = Clamp(f.LongestUnchangedToolRepeat);
        _toolCycleRepeats = Clamp(f.ToolCycleRepeats);
        _failed = f.Failed;
    }

    public static ReferenceTrace From(in TraceFeatures features) => new(features);

    /// <summary>The value of <paramref name="feature"/> (NaN when this trace does not report it).</summary>
    public double Get(RecoveryFeature feature) => feature switch
    {
        RecoveryFeature.TotalTokens => _totalTokens,
        RecoveryFeature.MaxCallTokens => _maxCallTokens,
        RecoveryFeature.DurationMs => _durationMs,
        RecoveryFeature.MaxLlmLatencyMs => _maxLlmLatencyMs,
        RecoveryFeature.CostUsd => _costUsd,
        RecoveryFeature.RetrievalTopScore => _retrievalTopScore,
        RecoveryFeature.LlmCalls => _llmCalls,
        RecoveryFeature.ToolCalls => _toolCalls,
        RecoveryFeature.Depth => _depth,
        RecoveryFeature.Errors => _errors,
        RecoveryFeature.ToolErrors => _toolErrors,
        RecoveryFeature.TruncatedCalls => _truncatedCalls,
        RecoveryFeature.ContentFilteredCalls => _contentFilteredCalls,
        RecoveryFeature.ErrorsAnsweredAround => _errorsAnsweredAround,
        RecoveryFeature.EmptyRetrievals => _emptyRetrievals,
        RecoveryFeature.LongestToolRepeat => _longestToolRepeat,
        RecoveryFeature.LongestUnchangedToolRepeat => _longestUnchangedToolRepeat,
        RecoveryFeature.ToolCycleRepeats => _toolCycleRepeats,
        RecoveryFeature.Failed => _failed ? 1 : 0,
        _ => double.NaN,
    };

    private static ushort Clamp(int value) => (ushort)Math.Clamp(value, 0, ushort.MaxValue);
}

/// <summary>The trace features recovery rules are written in.</summary>
internal enum RecoveryFeature : byte
{
    TotalTokens,
    MaxCallTokens,
    DurationMs,
    MaxLlmLatencyMs,
    CostUsd,
    RetrievalTopScore,
    LlmCalls,
    ToolCalls,
    Depth,
    Errors,
    ToolErrors,
    TruncatedCalls,
    ContentFilteredCalls,
    ErrorsAnsweredAround,
    EmptyRetrievals,
    LongestToolRepeat,
    LongestUnchangedToolRepeat,
    ToolCycleRepeats,
    Failed,
}

/// <summary>Snake-case names of <see cref="RecoveryFeature"/> for summaries (a closed set: safe in alerts and audit).</summary>
internal static class RecoveryFeatureNames
{
    public static string Of(RecoveryFeature feature) => feature switch
    {
        RecoveryFeature.TotalTokens => "total_tokens",
        RecoveryFeature.MaxCallTokens => "max_call_tokens",
        RecoveryFeature.DurationMs => "duration_ms",
        RecoveryFeature.MaxLlmLatencyMs => "max_llm_latency_ms",
        RecoveryFeature.CostUsd => "cost_usd",
        RecoveryFeature.RetrievalTopScore => "retrieval_top_score",
        RecoveryFeature.LlmCalls => "llm_calls",
        RecoveryFeature.ToolCalls => "tool_calls",
        RecoveryFeature.Depth => "depth",
        RecoveryFeature.Errors => "errors",
        RecoveryFeature.ToolErrors => "tool_errors",
        RecoveryFeature.TruncatedCalls => "truncated_calls",
        RecoveryFeature.ContentFilteredCalls => "content_filtered_calls",
        RecoveryFeature.ErrorsAnsweredAround => "errors_answered_around",
        RecoveryFeature.EmptyRetrievals => "empty_retrievals",
        RecoveryFeature.LongestToolRepeat => "longest_tool_repeat",
        RecoveryFeature.LongestUnchangedToolRepeat => "longest_unchanged_tool_repeat",
        RecoveryFeature.ToolCycleRepeats => "tool_cycle_repeats",
        RecoveryFeature.Failed => "failed",
        _ => "unknown",
    };
}
