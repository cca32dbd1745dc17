using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;

namespace AgentSentinel.Actors.Assembly;

/// <summary>Messages of trace assembly: the entry point (<c>/user/traces</c>) and its shards.</summary>
public static class TraceAssemblyProtocol
{
    /// <summary>Command from the sink: take one record's spans. Replied to with <see cref="Accepted"/>.</summary>
    public sealed record Ingest(IngestedRecord Record);

    /// <summary>Every shard has taken the record's spans: its offset may be stored.</summary>
    public sealed record Accepted(RecordPosition Position);

    /// <summary>
    /// Command from the sink: close every open trace, then pass a barrier through the agents and remediation.
    /// Replied to (by remediation) with <see cref="Remediation.RemediationProtocol.BarrierPassed"/> once everything
    /// that the closed traces caused has been decided.
    /// </summary>
    public sealed record Flush
    {
        public static readonly Flush Instance = new();
    }

    /// <summary>
    /// Command: pass a barrier through the agents and remediation without closing any trace. Replied to with
    /// <see cref="Remediation.RemediationProtocol.BarrierPassed"/> once everything released before it has been judged and decided.
    /// </summary>
    public sealed record Drain
    {
        public static readonly Drain Instance = new();
    }

    /// <summary>To one shard: spans of traces it owns (possibly none) and the watermark after the record.</summary>
    /// <param name="Shard">The shard (what a cluster-sharding message extractor would route on).</param>
    /// <param name="Step">Sequence number of the record or tick, echoed in <see cref="ShardStepDone"/>.</param>
    /// <param name="Spans">The shard's spans of this record.</param>
    /// <param name="Watermark">Event time (unix ns): the largest span end seen so far over all records.</param>
    public sealed record AssembleSpans(int Shard, long Step, AgentSpan[] Spans, long Watermark);

    /// <summary>To one shard: close every open trace (flush).</summary>
    public sealed record CloseAllTraces(int Shard, long Step);

    /// <summary>From a shard: the step is done; these agent traces closed during it.</summary>
    public sealed record ShardStepDone(int Shard, long Step, AgentTrace[] Closed);
}
