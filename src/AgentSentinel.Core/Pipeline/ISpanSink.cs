using AgentSentinel.Core.Spans;

namespace AgentSentinel.Core.Pipeline;

/// <summary>Where a record came from: lets the source store offsets once the pipeline has taken it.</summary>
public readonly record struct RecordPosition(string Topic, int Partition, long Offset);

/// <summary>The decoded spans of one record. Ownership of <see cref="Spans"/> passes to the sink.</summary>
public sealed record IngestedRecord(AgentSpan[] Spans, RecordPosition Position);

/// <summary>
/// The entry to the detection pipeline. Sources (Kafka, replay) hand it one record at a time.
/// </summary>
public interface ISpanSink
{
    /// <summary>Completes once the pipeline has taken the record, so that its offset may be stored.</summary>
    Task AcceptAsync(IngestedRecord record, CancellationToken cancellationToken);

    /// <summary>Closes every open trace and runs detection on it (end of a replay, orderly shutdown).</summary>
    Task FlushAsync(CancellationToken cancellationToken);
}
