using System.Buffers.Binary;
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
/// <see cref="ToSnapshot"/> / <see cref="TryImport"/> carry the reference across a restart (see <see cref="ReferenceSnapshot"/>).
/// </remarks>
public sealed class ReferenceSample
{
    /// <summary>The default capacity: enough for stable 95th/99th quantiles, small per agent.</summary>
    public const int DefaultCapacity = 512;

    /// <summary>Traces <see cref="ToSnapshot"/> writes by default: ample for the recovery quantiles, 8 371 characters.</summary>
    public const int DefaultSnapshotTraces = 128;

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

    /// <summary>
    /// A compact, versioned text of the newest <paramref name="maxTraces"/> traces, oldest first (<c>v1:</c> + base64;
    /// ≈ 65 characters per trace, about 8.4 KB for 128), for <see cref="TryImport"/> after a restart. The same content
    /// always gives the same text; it holds features only (numbers), never span content.
    /// </summary>
    /// <param name="maxTraces">Newest traces written (at least 0); older ones are left out.</param>
    public string ToSnapshot(int maxTraces = DefaultSnapshotTraces)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxTraces);
        var n = Math.Min(maxTraces, _count);
        var traces = new ReferenceTrace[n];
        var first = _head - n;
        if (first < 0)
        {
            first += _ring.Length;
        }

        for (var i = 0; i < n; i++)
        {
            var at = first + i;
            traces[i] = _ring[at >= _ring.Length ? at - _ring.Length : at];
        }

        return ReferenceSnapshot.Encode(traces);
    }

    /// <summary>
    /// Replaces the content with a <see cref="ToSnapshot"/> text, oldest to newest (keeping the newest
    /// <see cref="Capacity"/> when it holds more). Returns false and leaves the sample unchanged when the text is null,
    /// empty, of another version, garbled or truncated; never throws.
    /// </summary>
    public bool TryImport(string? snapshot)
    {
        if (!ReferenceSnapshot.TryDecode(snapshot, out var traces))
        {
            return false;
        }

        var keep = Math.Min(traces.Length, _ring.Length);
        traces.AsSpan(traces.Length - keep).CopyTo(_ring);
        _count = keep;
        _head = keep == _ring.Length ? 0 : keep;
        return true;
    }

    /// <summary>The held traces, in no particular order.</summary>
    internal ReadOnlySpan<ReferenceTrace> Traces => _ring.AsSpan(0, _count);
}

/// <summary>The features of one trace a recovery rule can read (NaN: not reported by that trace).</summary>
public readonly struct ReferenceTrace
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

    private ReferenceTrace(ReadOnlySpan<byte> s)
    {
        _totalTokens = BinaryPrimitives.ReadSingleLittleEndian(s);
        _maxCallTokens = BinaryPrimitives.ReadSingleLittleEndian(s[4..]);
        _durationMs = BinaryPrimitives.ReadSingleLittleEndian(s[8..]);
        _maxLlmLatencyMs = BinaryPrimitives.ReadSingleLittleEndian(s[12..]);
        _costUsd = BinaryPrimitives.ReadSingleLittleEndian(s[16..]);
        _retrievalTopScore = BinaryPrimitives.ReadSingleLittleEndian(s[20..]);
        _llmCalls = BinaryPrimitives.ReadUInt16LittleEndian(s[24..]);
        _toolCalls = BinaryPrimitives.ReadUInt16LittleEndian(s[26..]);
        _depth = BinaryPrimitives.ReadUInt16LittleEndian(s[28..]);
        _errors = BinaryPrimitives.ReadUInt16LittleEndian(s[30..]);
        _toolErrors = BinaryPrimitives.ReadUInt16LittleEndian(s[32..]);
        _truncatedCalls = BinaryPrimitives.ReadUInt16LittleEndian(s[34..]);
        _contentFilteredCalls = BinaryPrimitives.ReadUInt16LittleEndian(s[36..]);
        _errorsAnsweredAround = BinaryPrimitives.ReadUInt16LittleEndian(s[38..]);
        _emptyRetrievals = BinaryPrimitives.ReadUInt16LittleEndian(s[40..]);
        _longestToolRepeat = BinaryPrimitives.ReadUInt16LittleEndian(s[42..]);
        _longestUnchangedToolRepeat = BinaryPrimitives.ReadUInt16LittleEndian(s[44..]);
        _toolCycleRepeats = BinaryPrimitives.ReadUInt16LittleEndian(s[46..]);
        _failed = s[48] == 1;
    }

    /// <summary>Bytes of one trace in a snapshot: 6 little-endian <see cref="float"/>s, 12 <see cref="ushort"/>s, a 0/1 byte.</summary>
    internal const int EncodedSize = 49;

    /// <summary>The compact copy of a trace's features (no reference to the extractor's buffers: safe to keep).</summary>
    public static ReferenceTrace From(in TraceFeatures features) => new(features);

    /// <summary>Writes the trace's <see cref="EncodedSize"/> bytes (every NaN as the one canonical NaN).</summary>
    internal void WriteTo(Span<byte> d)
    {
        BinaryPrimitives.WriteSingleLittleEndian(d, Canonical(_totalTokens));
        BinaryPrimitives.WriteSingleLittleEndian(d[4..], Canonical(_maxCallTokens));
        BinaryPrimitives.WriteSingleLittleEndian(d[8..], Canonical(_durationMs));
        BinaryPrimitives.WriteSingleLittleEndian(d[12..], Canonical(_maxLlmLatencyMs));
        BinaryPrimitives.WriteSingleLittleEndian(d[16..], Canonical(_costUsd));
        BinaryPrimitives.WriteSingleLittleEndian(d[20..], Canonical(_retrievalTopScore));
        BinaryPrimitives.WriteUInt16LittleEndian(d[24..], _llmCalls);
        BinaryPrimitives.WriteUInt16LittleEndian(d[26..], _toolCalls);
        BinaryPrimitives.WriteUInt16LittleEndian(d[28..], _depth);
        BinaryPrimitives.WriteUInt16LittleEndian(d[30..], _errors);
        BinaryPrimitives.WriteUInt16LittleEndian(d[32..], _toolErrors);
        BinaryPrimitives.WriteUInt16LittleEndian(d[34..], _truncatedCalls);
        BinaryPrimitives.WriteUInt16LittleEndian(d[36..], _contentFilteredCalls);
        BinaryPrimitives.WriteUInt16LittleEndian(d[38..], _errorsAnsweredAround);
        BinaryPrimitives.WriteUInt16LittleEndian(d[40..], _emptyRetrievals);
        BinaryPrimitives.WriteUInt16LittleEndian(d[42..], _longestToolRepeat);
        BinaryPrimitives.WriteUInt16LittleEndian(d[44..], _longestUnchangedToolRepeat);
        BinaryPrimitives.WriteUInt16LittleEndian(d[46..], _toolCycleRepeats);
        d[48] = _failed ? (byte)1 : (byte)0;
    }

    /// <summary>Reads <see cref="EncodedSize"/> bytes written by <see cref="WriteTo"/>; false when the failed flag is not 0 or 1.</summary>
    internal static bool TryRead(ReadOnlySpan<byte> source, out ReferenceTrace trace)
    {
        if (source.Length < EncodedSize || source[48] > 1)
        {
            trace = default;
            return false;
        }

        trace = new ReferenceTrace(source);
        return true;
    }

    private static float Canonical(float value) => float.IsNaN(value) ? float.NaN : value;

    /// <summary>The value of <paramref name="feature"/> (NaN when this trace does not report it).</summary>
    internal double Get(RecoveryFeature feature) => feature switch
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
