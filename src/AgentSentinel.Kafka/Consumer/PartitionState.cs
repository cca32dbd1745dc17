using Confluent.Kafka;

namespace AgentSentinel.Kafka.Consumer;

/// <summary>One record handed on (to the pipeline or the dead-letter topic) whose offset is not yet stored.</summary>
internal sealed class InFlightRecord(long offset, long startedTimestamp)
{
    private int _done;

    public long Offset { get; } = offset;

    /// <summary><see cref="System.Diagnostics.Stopwatch"/> ticks when the record was consumed.</summary>
    public long StartedTimestamp { get; } = startedTimestamp;

    public bool IsDone => Volatile.Read(ref _done) == 1;

    /// <summary>Marks the record finished; true the first time only. Any thread.</summary>
    public bool MarkDone() => Interlocked.Exchange(ref _done, 1) == 0;
}

/// <summary>
/// The at-least-once bookkeeping of one assigned partition: records in consume order, and the low-water mark.
/// The offset stored is always one past the last record of an unbroken run of finished records from the
/// front, so a record finishing early never lets the commit pass an earlier one that has not.
/// Touched only on the consume thread, except <see cref="InFlightRecord.MarkDone"/>.
/// </summary>
internal sealed class PartitionState : IDisposable
{
    private readonly Queue<InFlightRecord> _pending = new();
    private readonly CancellationTokenSource _cancellation;

    public PartitionState(TopicPartition topicPartition, CancellationToken receiverAborted)
    {
        TopicPartition = topicPartition;
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(receiverAborted);
        Token = _cancellation.Token;
    }

    public TopicPartition TopicPartition { get; }

    /// <summary>Cancelled when the partition is revoked or lost, or the receiver is aborted: stops retries of its records.</summary>
    public CancellationToken Token { get; }

    public int PendingCount => _pending.Count;

    /// <summary>The next offset to store (one past the last finished record of the unbroken run), or -1.</summary>
    public long NextOffsetToStore { get; private set; } = -1;

    /// <summary>The offset last passed to StoreOffset, or -1.</summary>
    public long StoredOffset { get; set; } = -1;

    /// <summary>Where consumption started (committed offset or reset point), for lag before anything was consumed; null until asked.</summary>
    public long? StartOffset { get; set; }

    public bool HasUnstoredProgress => NextOffsetToStore > StoredOffset;

    public void Add(InFlightRecord record) => _pending.Enqueue(record);

    /// <summary>Pops finished records from the front and advances the low-water mark; returns how many.</summary>
    public int Reap()
    {
        var reaped = 0;
        while (_pending.TryPeek(out var head) && head.IsDone)
        {
            _pending.Dequeue();
            NextOffsetToStore = head.Offset + 1;
            reaped++;
        }

        return reaped;
    }

    /// <summary>A record finished without being tracked (the pipeline took it synchronously) while nothing was pending.</summary>
    public void AdvanceTo(long nextOffset) => NextOffsetToStore = Math.Max(NextOffsetToStore, nextOffset);

    /// <summary>Drops the records still pending (revoked, lost or abandoned) and cancels their retries; returns how many.</summary>
    public int Abandon()
    {
        var count = _pending.Count;
        _pending.Clear();
        _cancellation.Cancel();
        return count;
    }

    public void Dispose() => _cancellation.Dispose();
}
