using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;
using AgentSentinel.Telemetry;

namespace AgentSentinel.Actors.Assembly;

/// <summary>How a trace was closed: the <c>closed_by</c> label of <c>agentsentinel_traces_completed_total</c>.</summary>
internal static class ClosedBy
{
    public const string Root = "root";
    public const string Idle = "idle";
    public const string Evicted = "evicted";
    public const string Flush = "flush";
}

/// <summary>Limits and timeouts of one assembler (one shard), in event-time nanoseconds.</summary>
internal sealed record TraceAssemblerSettings(long GraceNanos, long IdleNanos, int MaxOpenTraces, int MaxSpansPerTrace, int LateSpanMemory)
{
    public static TraceAssemblerSettings ForShard(PipelineOptions options)
    {
        var shards = options.AssemblerShards;
        return new TraceAssemblerSettings(
            options.TraceGrace.Ticks * 100,
            options.TraceIdleTimeout.Ticks * 100,
            Math.Max(1, (options.MaxOpenTraces + shards - 1) / shards),
            options.MaxSpansPerTrace,
            (options.LateSpanMemory + shards - 1) / shards);
    }
}

/// <summary>
/// Assembles spans into traces and closes them in event time; the state of one shard, free of actors so that it can be
/// tested and measured alone. Not thread-safe.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Spans of one trace may arrive in any order and in any number of records (children usually before parents).</item>
/// <item>A trace closes when the watermark has passed its deadline: the root's end + grace once the root (a span with no
/// parent) has arrived, else the latest span end + idle timeout (whichever is earlier).</item>
/// <item>Memory is bounded: a new trace beyond <c>MaxOpenTraces</c> first closes the open trace closest to its deadline, and a
/// trace reaching <c>MaxSpansPerTrace</c> closes at once; both count as <c>evicted</c>.</item>
/// <item>Late spans (their trace was closed and is still remembered) are counted in <c>agentsentinel_late_spans_total</c>
/// and dropped: a fragment judged as a trace of its own would feed tiny values into the agent's baselines.</item>
/// <item>Spans with an empty trace id are dropped (decoders reject them first).</item>
/// </list>
/// Every decision depends only on the spans and watermarks received, in order: the same input closes the same traces.
/// </remarks>
internal sealed class TraceAssembler
{
    private readonly TraceAssemblerSettings _settings;
    private readonly Dictionary<TraceId, OpenTrace> _open = [];
    private readonly PriorityQueue<OpenTrace, DeadlineKey> _deadlines = new(DeadlineComparer.Instance);
    private readonly HashSet<TraceId> _recentlyClosed = [];
    private readonly Queue<TraceId> _closedOrder = new();

    public TraceAssembler(TraceAssemblerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
    }

    /// <summary>Traces being assembled.</summary>
    public int OpenTraces => _open.Count;

    /// <summary>The latest watermark applied.</summary>
    public long Watermark { get; private set; } = long.MinValue;

    /// <summary>Spans dropped because their trace had already closed.</summary>
    public long LateSpans { get; private set; }

    /// <summary>Adds spans; traces closed early (limits) are appended to <paramref name="closed"/>.</summary>
    public void Add(ReadOnlySpan<AgentSpan> spans, List<AgentTrace> closed)
    {
        foreach (ref readonly var span in spans)
        {
            var id = span.TraceId;
            if (id.IsEmpty)
            {
                continue;
            }

            if (!_open.TryGetValue(id, out var trace))
            {
                if (_recentlyClosed.Contains(id))
                {
                    LateSpans++;
                    SentinelMetrics.LateSpans.Inc();
                    continue;
                }

                if (_open.Count >= _settings.MaxOpenTraces)
                {
                    EvictOne(closed);
                }

                trace = new OpenTrace(id);
                _open.Add(id, trace);
                SentinelMetrics.OpenTraces.Inc();
            }

            trace.Spans.Add(span);
            trace.MaxEnd = Math.Max(trace.MaxEnd, span.EndUnixNano);
            if (span.ParentSpanId.IsEmpty)
            {
                trace.RootSeen = true;
                trace.RootEnd = Math.Max(trace.RootEnd, span.EndUnixNano);
            }

            if (trace.Spans.Count >= _settings.MaxSpansPerTrace)
            {
                Close(trace, ClosedBy.Evicted, closed);
                continue;
            }

            var deadline = DeadlineOf(trace);
            if (deadline != trace.Deadline)
            {
                trace.Deadline = deadline;
                _deadlines.Enqueue(trace, new DeadlineKey(deadline, id));
            }
        }

        CompactIfNeeded();
    }

    /// <summary>
    /// Applies a watermark (one that goes back is ignored) and closes every trace whose deadline it has passed, including
    /// traces just added whose spans were already older than the watermark.
    /// </summary>
    public void Advance(long watermark, List<AgentTrace> closed)
    {
        if (watermark < Watermark)
        {
            return;
        }

        Watermark = watermark;
        while (_deadlines.TryPeek(out var trace, out var key) && key.Deadline < watermark)
        {
            _deadlines.Dequeue();
            if (trace.IsClosed || trace.Deadline != key.Deadline)
            {
                continue;
            }

            var byRoot = trace.RootSeen && SaturatingAdd(trace.RootEnd, _settings.GraceNanos) == key.Deadline;
            Close(trace, byRoot ? ClosedBy.Root : ClosedBy.Idle, closed);
        }
    }

    /// <summary>Closes every open trace (<c>closed_by=flush</c>), in deadline order.</summary>
    public void CloseAll(List<AgentTrace> closed)
    {
        while (_deadlines.TryDequeue(out var trace, out var key))
        {
            if (!trace.IsClosed && trace.Deadline == key.Deadline)
            {
                Close(trace, ClosedBy.Flush, closed);
            }
        }
    }

    /// <summary>Releases the gauge share of the traces still open (the shard is going away).</summary>
    public void Release()
    {
        SentinelMetrics.OpenTraces.Dec(_open.Count);
        _open.Clear();
        _deadlines.Clear();
    }

    private long DeadlineOf(OpenTrace trace)
    {
        var idle = SaturatingAdd(trace.MaxEnd, _settings.IdleNanos);
        return trace.RootSeen ? Math.Min(idle, SaturatingAdd(trace.RootEnd, _settings.GraceNanos)) : idle;
    }

    private void EvictOne(List<AgentTrace> closed)
    {
        while (_deadlines.TryDequeue(out var trace, out var key))
        {
            if (!trace.IsClosed && trace.Deadline == key.Deadline)
            {
                Close(trace, ClosedBy.Evicted, closed);
                return;
            }
        }
    }

    private void Close(OpenTrace trace, string closedBy, List<AgentTrace> closed)
    {
        trace.IsClosed = true;
        _open.Remove(trace.Id);
        SentinelMetrics.OpenTraces.Dec();
        Remember(trace.Id);
        var parts = TraceSplitter.Split(trace.Id, trace.Spans, trace.RootSeen, trace.MaxEnd);
        closed.AddRange(parts);
        SentinelMetrics.TracesCompleted.WithLabels(closedBy).Inc(parts.Length);
        trace.Spans.Clear();
    }

    private void Remember(TraceId id)
    {
        if (_settings.LateSpanMemory <= 0)
        {
            return;
        }

        if (_closedOrder.Count >= _settings.LateSpanMemory)
        {
            _recentlyClosed.Remove(_closedOrder.Dequeue());
        }

        if (_recentlyClosed.Add(id))
        {
            _closedOrder.Enqueue(id);
        }
    }

    /// <summary>Drops stale deadline entries once they outnumber the open traces (each deadline change enqueues one).</summary>
    private void CompactIfNeeded()
    {
        if (_deadlines.Count <= (2 * _open.Count) + 1024)
        {
            return;
        }

        _deadlines.Clear();
        foreach (var trace in _open.Values)
        {
            _deadlines.Enqueue(trace, new DeadlineKey(trace.Deadline, trace.Id));
        }
    }

    private static long SaturatingAdd(long a, long b)
    {
        var sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? (a < 0 ? long.MinValue : long.MaxValue) : sum;
    }

    private sealed class OpenTrace(TraceId id)
    {
        public TraceId Id { get; } = id;
        public List<AgentSpan> Spans { get; } = new(8);
        public bool RootSeen { get; set; }
        public long RootEnd { get; set; } = long.MinValue;
        public long MaxEnd { get; set; } = long.MinValue;
        public long Deadline { get; set; } = long.MinValue;
        public bool IsClosed { get; set; }
    }

    private readonly record struct DeadlineKey(long Deadline, TraceId Trace);

    /// <summary>Orders deadlines, ties broken by trace id so that the order never depends on insertion history.</summary>
    private sealed class DeadlineComparer : IComparer<DeadlineKey>
    {
        public static readonly DeadlineComparer Instance = new();

        public int Compare(DeadlineKey x, DeadlineKey y)
        {
            var c = x.Deadline.CompareTo(y.Deadline);
            if (c != 0)
            {
                return c;
            }

            c = x.Trace.High.CompareTo(y.Trace.High);
            return c != 0 ? c : x.Trace.Low.CompareTo(y.Trace.Low);
        }
    }
}
