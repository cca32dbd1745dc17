namespace AgentSentinel.Kafka.Consumer;

/// <summary>Where a <see cref="KafkaSpanReceiver"/> is in its life.</summary>
public enum KafkaReceiverState
{
    /// <summary>Constructed, not started.</summary>
    Created,
    /// <summary>Polling.</summary>
    Running,
    /// <summary>Stop requested: draining, storing offsets, closing.</summary>
    Stopping,
    /// <summary>Stopped cleanly (or never started).</summary>
    Stopped,
    /// <summary>Stopped on a fatal error; see <see cref="KafkaSpanReceiver.Completion"/>.</summary>
    Faulted,
}

/// <summary>
/// A snapshot of one receiver's counters (the process-wide Prometheus metrics sum over receivers).
/// For health checks, the demo's display and tests.
/// </summary>
public sealed record KafkaReceiverStatistics
{
    public KafkaReceiverState State { get; init; }
    public long RecordsConsumed { get; init; }
    public long SpansDecoded { get; init; }
    public long DecodeFailures { get; init; }
    public long DeadLettered { get; init; }
    public long DeadLetterFailures { get; init; }
    /// <summary>Hand-offs to the pipeline that failed and were retried.</summary>
    public long SinkFailures { get; init; }
    public long PartitionPauses { get; init; }
    /// <summary>Offsets stored for commit (each covers every record of its partition up to it).</summary>
    public long OffsetsStored { get; init; }
    public int InFlightRecords { get; init; }
    public int MaxInFlightRecordsObserved { get; init; }
    public int AssignedPartitions { get; init; }
    public bool IsPaused { get; init; }
    /// <summary>Last computed lag (high watermark minus position, summed over assigned partitions).</summary>
    public long ConsumerLag { get; init; }
}
