using System.Diagnostics;
using System.Globalization;
using System.Text;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Spans;
using AgentSentinel.Telemetry;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;

namespace AgentSentinel.Kafka.Consumer;

/// <summary>
/// Reads the Collector's OTLP trace records from Kafka as a consumer group member, decodes each record and
/// hands its spans to an <see cref="ISpanSink"/>, at least once.
/// </summary>
/// <remarks>
/// <para><b>Delivery.</b> Offsets are stored (<c>enable.auto.offset.store=false</c>) only after the sink's task for a
/// record completed, in order per partition: the stored offset never passes a record whose hand-off has not
/// finished. librdkafka auto-commits what is stored, on its interval, on revoke and on close. A crash therefore
/// redelivers at most what was not yet committed; duplicates are possible, loss is not.</para>
/// <para><b>Bad records.</b> A record that does not decode (including a null or empty value) is counted, copied
/// with its key, value and headers plus error headers (<see cref="DeadLetterHeaders"/>) to the dead-letter topic,
/// and only once the broker acknowledged the copy is it treated as done. A failed copy is retried with back-off
/// and holds the partition's offset: nothing is dropped.</para>
/// <para><b>Backpressure.</b> At most <see cref="KafkaReceiverOptions.MaxInFlightRecords"/> records are in flight.
/// At the limit the loop first waits up to 0.5 s for the pipeline to make room; if it does not, every assigned
/// partition is paused and polling continues (so <c>max.poll.interval.ms</c> is never exceeded), and they resume
/// once half have completed. Memory is bounded by the in-flight records plus librdkafka's prefetch queue
/// (<c>queued.max.messages.kbytes</c>, 64 MiB by default).</para>
/// <para><b>Threading.</b> Decoding, the sink call and offset bookkeeping run on one dedicated thread; the sink
/// must return promptly with a task (not block) and may complete it on any thread.</para>
/// <para><b>Rebalances.</b> On revoke the in-flight records of the revoked partitions are drained (up to
/// <see cref="KafkaReceiverOptions.RevokeDrainTimeout"/>) and their offsets stored before the handler returns, so
/// librdkafka commits them on unassign. On partitions lost nothing is stored.</para>
/// <para><b>Lifecycle.</b> <see cref="StartAsync"/> once; <see cref="StopAsync"/> (idempotent, safe without start)
/// drains, stores, closes the consumer (final commit, leaves the group) within the caller's deadline; past it,
/// in-flight records are abandoned unstored. A fatal error faults <see cref="Completion"/> with
/// <see cref="KafkaReceiverException"/>. The sink's <see cref="ISpanSink.FlushAsync"/> is not called: that is
/// the host's shutdown order to decide.</para>
/// </remarks>
public sealed class KafkaSpanReceiver : IAsyncDisposable
{
    private const string Source = "kafka";
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan PausedPollTimeout = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan StoreFlushInterval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan DeadLetterFlushTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LagCommittedTimeout = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan CloseCommitTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan BackpressureGrace = TimeSpan.FromMilliseconds(500);
    private static readonly Counter.Child ConsumedKafka = SentinelMetrics.RecordsConsumed.WithLabels(Source);
    private static readonly Counter.Child[] FailuresByKind = Enum.GetValues<DecodeErrorKind>()
        .Select(static k => SentinelMetrics.DecodeFailures.WithLabels(DecodeFailure.KindName(k)))
        .ToArray();

    private readonly KafkaReceiverOptions _options;
    private readonly Func<OtlpEncoding, ISpanDecoder> _decoderFactory;
    private readonly ISpanSink _sink;
    private readonly ILogger _logger;
    private readonly Dictionary<string, OtlpEncoding> _topics;
    private readonly ConsumerConfig _consumerConfig;
    private readonly ProducerConfig _producerConfig;
    private readonly Dictionary<string, string> _deadLetterTopics;
    private readonly int _maxInFlight;
    private readonly int _resumeAt;
    private readonly TimeSpan _retryBackoff;
    private readonly TimeSpan _maxRetryBackoff;
    private readonly TimeSpan _lagRefreshInterval;
    private readonly TimeSpan _revokeDrainTimeout;
    private readonly TimeSpan _shutdownTimeout;

    private readonly Lock _lifecycle = new();
    private readonly CancellationTokenSource _stopRequested = new();
    private readonly CancellationTokenSource _aborted = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ManualResetEventSlim _recordCompleted = new(false);
    private readonly LogThrottle _consumerErrorThrottle = new(TimeSpan.FromSeconds(10));
    private readonly LogThrottle _commitErrorThrottle = new(TimeSpan.FromSeconds(30));
    private readonly LogThrottle _deadLetterThrottle = new(TimeSpan.FromSeconds(30));
    private readonly LogThrottle _sinkThrottle = new(TimeSpan.FromSeconds(30));

    // Consume-thread state.
    private readonly Dictionary<TopicPartition, PartitionState> _partitions = [];
    private IConsumer<byte[]?, DecodedValue>? _consumer;
    private DeadLetterWriter? _deadLetters;
    private bool _paused;
    private bool _assignmentChanged;
    private long _lastStoreFlush;
    private long _lastLagRefresh;
    private Error? _fatalError;

    private volatile KafkaReceiverState _state = KafkaReceiverState.Created;
    private volatile bool _crash;
    private int _inFlight;
    private int _maxInFlightObserved;
    private int _completionsPending;
    private int _assignedCount;
    private long _lag;
    private long _recordsConsumed;
    private long _spansDecoded;
    private long _decodeFailures;
    private long _deadLettered;
    private long _deadLetterFailures;
    private long _sinkFailures;
    private long _pauses;
    private long _offsetsStored;

    /// <summary>Creates a receiver; nothing connects until <see cref="StartAsync"/>.</summary>
    /// <param name="options">Validated here: invalid options throw <see cref="ArgumentException"/> naming every bad key.</param>
    /// <param name="decoderFactory">Called once per distinct encoding at start; decoders are used from one thread only.</param>
    /// <param name="sink">Receives one <see cref="IngestedRecord"/> per decoded record, in partition order.</param>
    /// <param name="logger">Lifecycle, rebalance and error logging; never per record.</param>
    public KafkaSpanReceiver(KafkaReceiverOptions options, Func<OtlpEncoding, ISpanDecoder> decoderFactory, ISpanSink sink, ILogger<KafkaSpanReceiver>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(decoderFactory);
        ArgumentNullException.ThrowIfNull(sink);
        options.ThrowIfInvalid();

        _options = options;
        _decoderFactory = decoderFactory;
        _sink = sink;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _topics = options.EffectiveTopics().ToDictionary(
            static t => t.Name,
            static t => KafkaReceiverOptions.TryParseEncoding(t.Encoding, out var e) ? e : OtlpEncoding.OtlpProto,
            StringComparer.Ordinal);
        _consumerConfig = options.BuildConsumerConfig();
        _producerConfig = options.BuildDeadLetterProducerConfig();
        _deadLetterTopics = _topics.Keys.ToDictionary(static t => t, options.DeadLetterTopicFor, StringComparer.Ordinal);
        _maxInFlight = options.MaxInFlightRecords;
        _resumeAt = options.MaxInFlightRecords / 2;
        _retryBackoff = options.RetryBackoff;
        _maxRetryBackoff = options.MaxRetryBackoff;
        _lagRefreshInterval = options.LagRefreshInterval;
        _revokeDrainTimeout = options.RevokeDrainTimeout;
        _shutdownTimeout = options.ShutdownTimeout;
    }

    /// <summary>Completes when the receive loop has ended: successfully after a stop, faulted with <see cref="KafkaReceiverException"/> on a fatal error.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Where the receiver is in its life.</summary>
    public KafkaReceiverState State => _state;

    /// <summary>A snapshot of this receiver's counters.</summary>
    public KafkaReceiverStatistics Statistics => new()
    {
        State = _state,
        RecordsConsumed = Interlocked.Read(ref _recordsConsumed),
        SpansDecoded = Interlocked.Read(ref _spansDecoded),
        DecodeFailures = Interlocked.Read(ref _decodeFailures),
        DeadLettered = Interlocked.Read(ref _deadLettered),
        DeadLetterFailures = Interlocked.Read(ref _deadLetterFailures),
        SinkFailures = Interlocked.Read(ref _sinkFailures),
        PartitionPauses = Interlocked.Read(ref _pauses),
        OffsetsStored = Interlocked.Read(ref _offsetsStored),
        InFlightRecords = Volatile.Read(ref _inFlight),
        MaxInFlightRecordsObserved = Volatile.Read(ref _maxInFlightObserved),
        AssignedPartitions = Volatile.Read(ref _assignedCount),
        IsPaused = Volatile.Read(ref _paused),
        ConsumerLag = Interlocked.Read(ref _lag),
    };

    /// <summary>
    /// Creates the decoders, the consumer and the dead-letter producer, subscribes and starts the receive loop on
    /// its own thread. Returns once the loop runs (not once partitions are assigned).
    /// </summary>
    /// <exception cref="InvalidOperationException">Already started or stopped.</exception>
    /// <exception cref="ArgumentException">librdkafka rejected a pass-through setting.</exception>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lifecycle)
        {
            if (_state != KafkaReceiverState.Created)
            {
                throw new InvalidOperationException($"The Kafka receiver cannot start: it is {_state}. Create a new receiver.");
            }

            if (_logger.IsEnabled(LogLevel.Information))
            {
                var topics = string.Join(",", _topics.Select(static t => $"{t.Key}({t.Value})"));
                Log.Starting(_logger, _options.GroupId, topics, _options.BootstrapServers, _maxInFlight);
            }

            var deserializer = new SpanValueDeserializer(_topics, _decoderFactory);
            _deadLetters = new DeadLetterWriter(_producerConfig, _logger);
            try
            {
                _consumer = BuildConsumer(deserializer);
            }
            catch
            {
                _deadLetters.Dispose();
                _deadLetters = null;
                throw;
            }

            var thread = new Thread(RunLoop) { Name = "kafka-span-receiver", IsBackground = true };
            _state = KafkaReceiverState.Running;
            thread.Start();
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops gracefully: finishes in-flight records, stores their offsets, closes the consumer (final commit, leave
    /// group). When <paramref name="cancellationToken"/> fires first, in-flight records are abandoned unstored (they
    /// will be redelivered) and this returns; the close finishes in the background. Idempotent; safe without start.
    /// Does not throw for a fatal loop error (see <see cref="Completion"/>).
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_lifecycle)
        {
            if (_state == KafkaReceiverState.Created)
            {
                _state = KafkaReceiverState.Stopped;
                _completion.TrySetResult();
                return;
            }

            if (_state == KafkaReceiverState.Running)
            {
                _state = KafkaReceiverState.Stopping;
            }
        }

        await _stopRequested.CancelAsync().ConfigureAwait(false);

        // One callback both aborts the drain and wakes this method, so the abort cannot be skipped by this method
        // returning (and disposing the registration) from inside the token's other callbacks.
        var deadlinePassed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (cancellationToken.Register(() =>
        {
            try
            {
                _aborted.Cancel();
            }
            catch (AggregateException)
            {
                // A sink's cancellation callback threw; the abort itself happened.
            }

            deadlinePassed.TrySetResult();
        }))
        {
            var finished = await Task.WhenAny(_completion.Task, deadlinePassed.Task).ConfigureAwait(false);
            if (finished != _completion.Task)
            {
                var inFlight = Volatile.Read(ref _inFlight);
                Log.ShutdownDeadlineExceeded(_logger, inFlight);
            }

            // A fatal loop error is surfaced through Completion, not here.
        }
    }

    /// <summary>Stops within <see cref="KafkaReceiverOptions.ShutdownTimeout"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        using var deadline = new CancellationTokenSource(_shutdownTimeout);
        await StopAsync(deadline.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// Test hook simulating a crash (kill -9): the loop ends without draining, storing, committing or leaving the
    /// group; whatever librdkafka auto-committed before stays committed.
    /// </summary>
    internal async Task AbortAsync()
    {
        lock (_lifecycle)
        {
            if (_state == KafkaReceiverState.Created)
            {
                _state = KafkaReceiverState.Stopped;
                _completion.TrySetResult();
                return;
            }

            _crash = true;
            if (_state == KafkaReceiverState.Running)
            {
                _state = KafkaReceiverState.Stopping;
            }
        }

        await _aborted.CancelAsync().ConfigureAwait(false);
        await _stopRequested.CancelAsync().ConfigureAwait(false);
        try
        {
            await _completion.Task.ConfigureAwait(false);
        }
        catch (KafkaReceiverException)
        {
        }
    }

    private IConsumer<byte[]?, DecodedValue> BuildConsumer(SpanValueDeserializer deserializer) =>
        new ConsumerBuilder<byte[]?, DecodedValue>(_consumerConfig)
            .SetKeyDeserializer(NullableBytesDeserializer.Instance)
            .SetValueDeserializer(deserializer)
            .SetPartitionsAssignedHandler((_, partitions) => OnAssigned(partitions))
            .SetPartitionsRevokedHandler((_, partitions) => OnRevoked(partitions))
            .SetPartitionsLostHandler((_, partitions) => OnLost(partitions))
            .SetErrorHandler((_, error) => OnError(error))
            .SetOffsetsCommittedHandler((_, committed) => OnCommitted(committed))
            .SetLogHandler((_, message) => LibrdkafkaLogLevel.Write(_logger, "consumer", message))
            .Build();

    // ---- the loop (consume thread) -----------------------------------------------------------------------------

    private void RunLoop()
    {
        var consumer = _consumer!;
        KafkaReceiverException? failure = null;
        try
        {
            consumer.Subscribe(_topics.Keys);
            while (!_stopRequested.IsCancellationRequested)
            {
                PollOnce(consumer);
            }

            if (!_crash)
            {
                ShutDown(consumer);
            }
        }
        catch (KafkaReceiverException e)
        {
            failure = e;
        }
#pragma warning disable CA1031 // Anything else is a bug; surface it to the host instead of killing the process from a thread.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.LoopFailed(_logger, e);
            failure = new KafkaReceiverException("The Kafka receive loop failed unexpectedly: " + e.Message, e);
        }
        finally
        {
            Finish(consumer, failure);
        }
    }

    private void PollOnce(IConsumer<byte[]?, DecodedValue> consumer)
    {
        ReapCompletions();
        ApplyBackpressure(consumer);
        RefreshLagIfDue(consumer);
        if (_fatalError is { } fatal)
        {
            throw Fatal(fatal);
        }

        ConsumeResult<byte[]?, DecodedValue>? result;
        try
        {
            result = consumer.Consume(_paused ? PausedPollTimeout : PollTimeout);
        }
        catch (ConsumeException e) when (!e.Error.IsFatal)
        {
            if (_consumerErrorThrottle.ShouldLog(out var suppressed))
            {
                Log.ConsumerError(_logger, e.Error.Code, e.Error.Reason, suppressed);
            }

            return;
        }
        catch (KafkaException e) when (e.Error.IsFatal)
        {
            throw Fatal(e.Error, e);
        }

        if (result is null)
        {
            FlushStores(consumer);
            return;
        }

        if (!result.IsPartitionEOF)
        {
            Handle(result);
        }

        if (Stopwatch.GetElapsedTime(_lastStoreFlush) >= StoreFlushInterval)
        {
            FlushStores(consumer);
        }
    }

    private void Handle(ConsumeResult<byte[]?, DecodedValue> result)
    {
        var started = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _recordsConsumed);
        ConsumedKafka.Inc();

        var partition = PartitionFor(result.TopicPartition);
        var offset = result.Offset.Value;
        var value = result.Message.Value;
        if (value.Spans is { } spans)
        {
            Interlocked.Add(ref _spansDecoded, spans.Length);
            SentinelMetrics.SpansDecoded.Inc(spans.Length);
            if (spans.Length == 0)
            {
                CompletedInline(partition, offset, started);
                return;
            }

            var record = new IngestedRecord(spans, new RecordPosition(result.Topic, result.Partition.Value, offset));
            var task = Accept(record, partition.Token);
            if (task.IsCompletedSuccessfully)
            {
                CompletedInline(partition, offset, started);
                return;
            }

            _ = CompleteHandOffAsync(Track(partition, offset, started), task, record, partition.Token);
            return;
        }

        Interlocked.Increment(ref _decodeFailures);
        FailuresByKind[(int)value.Failure.Kind].Inc();
        var copy = DeadLetterCopy(result, value);
        _ = DeadLetterAsync(Track(partition, offset, started), DeadLetterTopicFor(result.Topic), copy, partition.Token);
    }

    private string DeadLetterTopicFor(string topic) =>
        _deadLetterTopics.TryGetValue(topic, out var deadLetter) ? deadLetter : topic + KafkaReceiverOptions.DeadLetterSuffix;

    private Task Accept(IngestedRecord record, CancellationToken cancellationToken)
    {
        try
        {
            return _sink.AcceptAsync(record, cancellationToken) ?? Task.CompletedTask;
        }
#pragma warning disable CA1031 // A sink that throws synchronously is treated like one whose task faulted: retried, offset held.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return Task.FromException(e);
        }
    }

    /// <summary>Waits for the pipeline to take the record, retrying with back-off while it fails; the offset is held until then.</summary>
    private async Task CompleteHandOffAsync(InFlightRecord tracked, Task task, IngestedRecord record, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await task.ConfigureAwait(false);
                Complete(tracked);
                return;
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                return; // Revoked, lost or aborted: left unstored for redelivery.
            }
#pragma warning disable CA1031 // Every failure of the sink is retried; none may drop the record.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _sinkFailures);
                SentinelMetrics.SinkFailures.Inc();
                if (_sinkThrottle.ShouldLog(out var suppressed))
                {
                    Log.SinkFailed(_logger, e, record.Position.Topic, e.GetType().Name, suppressed);
                }
            }

            if (!await DelayAsync(attempt, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            task = Accept(record, cancellationToken);
        }
    }

    /// <summary>Copies a bad record to the dead-letter topic, retrying with back-off until the broker acknowledges it.</summary>
    private async Task DeadLetterAsync(InFlightRecord tracked, string topic, Message<byte[]?, byte[]?> copy, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await _deadLetters!.WriteAsync(topic, copy, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _deadLettered);
                SentinelMetrics.DeadLettered.Inc();
                Complete(tracked);
                return;
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Every failure is retried; the record's offset is held until the copy is acknowledged.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _deadLetterFailures);
                SentinelMetrics.DeadLetterFailures.Inc();
                if (_deadLetterThrottle.ShouldLog(out var suppressed))
                {
                    var code = e is KafkaException ke ? ke.Error.Code.ToString() : e.GetType().Name;
                    Log.DeadLetterFailed(_logger, topic, code, suppressed);
                }
            }

            if (!await DelayAsync(attempt, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    private async Task<bool> DelayAsync(int attempt, CancellationToken cancellationToken)
    {
        var baseMs = _retryBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 20));
        var ms = Math.Min(baseMs, _maxRetryBackoff.TotalMilliseconds);
#pragma warning disable CA5394 // Jitter, not security.
        ms *= 0.8 + (Random.Shared.NextDouble() * 0.4);
#pragma warning restore CA5394
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(ms), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static Message<byte[]?, byte[]?> DeadLetterCopy(ConsumeResult<byte[]?, DecodedValue> result, DecodedValue value)
    {
        var headers = new Headers();
        if (result.Message.Headers is { } original)
        {
            foreach (var header in original)
            {
                headers.Add(header.Key, header.GetValueBytes());
            }
        }

        var reason = value.Failure.Reason ?? string.Empty;
        if (reason.Length > 256)
        {
            reason = reason[..256];
        }

        AddText(headers, DeadLetterHeaders.ErrorKind, DecodeFailure.KindName(value.Failure.Kind));
        AddText(headers, DeadLetterHeaders.ErrorReason, reason);
        AddText(headers, DeadLetterHeaders.SourceTopic, result.Topic);
        AddText(headers, DeadLetterHeaders.SourcePartition, result.Partition.Value.ToString(CultureInfo.InvariantCulture));
        AddText(headers, DeadLetterHeaders.SourceOffset, result.Offset.Value.ToString(CultureInfo.InvariantCulture));
        AddText(headers, DeadLetterHeaders.SourceTimestamp, result.Message.Timestamp.UnixTimestampMs.ToString(CultureInfo.InvariantCulture));
        AddText(headers, DeadLetterHeaders.SourceEncoding, value.Encoding == OtlpEncoding.OtlpJson ? KafkaReceiverOptions.OtlpJson : KafkaReceiverOptions.OtlpProto);
        return new Message<byte[]?, byte[]?> { Key = result.Message.Key, Value = value.RawValue, Headers = headers };

        static void AddText(Headers headers, string key, string text) => headers.Add(key, Encoding.UTF8.GetBytes(text));
    }

    // ---- offsets ------------------------------------------------------------------------------------------------

    private PartitionState PartitionFor(TopicPartition topicPartition)
    {
        if (!_partitions.TryGetValue(topicPartition, out var state))
        {
            // Records come only from assigned partitions, so this is a safety net.
            state = new PartitionState(topicPartition, _aborted.Token);
            _partitions.Add(topicPartition, state);
        }

        return state;
    }

    private InFlightRecord Track(PartitionState partition, long offset, long started)
    {
        var tracked = new InFlightRecord(offset, started);
        partition.Add(tracked);
        var inFlight = Interlocked.Increment(ref _inFlight);
        SentinelMetrics.InFlightRecords.Inc();
        if (inFlight > Volatile.Read(ref _maxInFlightObserved))
        {
            Volatile.Write(ref _maxInFlightObserved, inFlight);
        }

        return tracked;
    }

    private void CompletedInline(PartitionState partition, long offset, long started)
    {
        if (partition.PendingCount == 0)
        {
            SentinelMetrics.RecordProcessingSeconds.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
            partition.AdvanceTo(offset + 1);
        }
        else
        {
            Complete(Track(partition, offset, started)); // Behind an unfinished record: keep the order.
        }
    }

    /// <summary>Any thread: a record's hand-off finished.</summary>
    private void Complete(InFlightRecord tracked)
    {
        if (tracked.MarkDone())
        {
            SentinelMetrics.RecordProcessingSeconds.Observe(Stopwatch.GetElapsedTime(tracked.StartedTimestamp).TotalSeconds);
            Interlocked.Increment(ref _completionsPending);
            _recordCompleted.Set();
        }
    }

    private void ReapCompletions()
    {
        if (Interlocked.Exchange(ref _completionsPending, 0) == 0)
        {
            return;
        }

        foreach (var partition in _partitions.Values)
        {
            var reaped = partition.Reap();
            if (reaped > 0)
            {
                Interlocked.Add(ref _inFlight, -reaped);
                SentinelMetrics.InFlightRecords.Dec(reaped);
            }
        }
    }

    private void FlushStores(IConsumer<byte[]?, DecodedValue> consumer)
    {
        _lastStoreFlush = Stopwatch.GetTimestamp();
        foreach (var partition in _partitions.Values)
        {
            Store(consumer, partition);
        }
    }

    private void Store(IConsumer<byte[]?, DecodedValue> consumer, PartitionState partition)
    {
        if (!partition.HasUnstoredProgress)
        {
            return;
        }

        try
        {
            consumer.StoreOffset(new TopicPartitionOffset(partition.TopicPartition, new Offset(partition.NextOffsetToStore)));
            partition.StoredOffset = partition.NextOffsetToStore;
            Interlocked.Increment(ref _offsetsStored);
        }
        catch (KafkaException e)
        {
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                var name = partition.TopicPartition.ToString();
                Log.StoreOffsetFailed(_logger, name, e.Error.Code);
            }
        }
    }

    /// <summary>Blocks the consume thread until the given partitions have nothing in flight, or the deadline/abort.</summary>
    private bool Drain(IReadOnlyCollection<PartitionState> partitions, TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            _recordCompleted.Reset();
            ReapCompletions();
            if (partitions.All(static p => p.PendingCount == 0))
            {
                return true;
            }

            var remaining = timeout - Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero || _aborted.IsCancellationRequested)
            {
                return false;
            }

            try
            {
                _recordCompleted.Wait(remaining < PollTimeout ? remaining : PollTimeout, _aborted.Token);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    // ---- backpressure and lag --------------------------------------------------------------------------------------

    private void ApplyBackpressure(IConsumer<byte[]?, DecodedValue> consumer)
    {
        var inFlight = Volatile.Read(ref _inFlight);
        if (!_paused && inFlight >= _maxInFlight && WaitForRoom())
        {
            return; // A short stall: the pipeline made room without a pause.
        }

        inFlight = Volatile.Read(ref _inFlight);
        try
        {
            if (!_paused && inFlight >= _maxInFlight)
            {
                var assignment = consumer.Assignment;
                consumer.Pause(assignment);
                _paused = true;
                _assignmentChanged = false;
                Interlocked.Increment(ref _pauses);
                SentinelMetrics.PartitionPauses.Inc();
                Log.Paused(_logger, assignment.Count, inFlight, _maxInFlight);
            }
            else if (_paused && inFlight <= _resumeAt)
            {
                var assignment = consumer.Assignment;
                consumer.Resume(assignment);
                _paused = false;
                Log.Resumed(_logger, assignment.Count, inFlight);
            }
            else if (_paused && _assignmentChanged)
            {
                consumer.Pause(consumer.Assignment); // Partitions assigned while paused start unpaused.
                _assignmentChanged = false;
            }
        }
        catch (KafkaException e)
        {
            Log.PauseFailed(_logger, e, e.Error.Code);
        }
    }

    /// <summary>
    /// At the in-flight limit, first waits up to <see cref="BackpressureGrace"/> for the pipeline to finish a record.
    /// Pausing is the fallback for longer stalls because it is expensive: librdkafka drops the records it prefetched
    /// for paused partitions, and with every partition paused its fetcher only notices a resume on its next idle tick
    /// (measured at about one second), so a pause per short stall would cap throughput. The wait is far shorter than
    /// max.poll.interval.ms, and heartbeats run on librdkafka's own thread.
    /// </summary>
    private bool WaitForRoom()
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            _recordCompleted.Reset();
            ReapCompletions();
            if (Volatile.Read(ref _inFlight) < _maxInFlight)
            {
                return true;
            }

            var remaining = BackpressureGrace - Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero || _stopRequested.IsCancellationRequested)
            {
                return false;
            }

            try
            {
                _recordCompleted.Wait(remaining, _stopRequested.Token);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    private void RefreshLagIfDue(IConsumer<byte[]?, DecodedValue> consumer)
    {
        if (_lastLagRefresh != 0 && Stopwatch.GetElapsedTime(_lastLagRefresh) < _lagRefreshInterval)
        {
            return;
        }

        _lastLagRefresh = Stopwatch.GetTimestamp();
        long lag = 0;
        foreach (var partition in _partitions.Values)
        {
            try
            {
                var watermarks = consumer.GetWatermarkOffsets(partition.TopicPartition); // Cached from fetches; no broker call.
                if (watermarks.High.IsSpecial)
                {
                    continue;
                }

                var position = consumer.Position(partition.TopicPartition); // Last consumed + 1; local.
                var from = position.IsSpecial ? StartOffset(consumer, partition, watermarks) : position.Value;
                if (from >= 0)
                {
                    lag += Math.Max(0, watermarks.High.Value - from);
                }
            }
            catch (KafkaException)
            {
                // Not assigned any more, or the coordinator did not answer: counted at the next refresh.
            }
        }

        SetLag(lag);
    }

    /// <summary>
    /// Where consumption of a partition starts when nothing was consumed from it since it was assigned (e.g. it was
    /// paused at once): the committed offset, asked of the coordinator once per assignment and cached; without one,
    /// where auto.offset.reset points. -1 when unknown.
    /// </summary>
    private long StartOffset(IConsumer<byte[]?, DecodedValue> consumer, PartitionState partition, WatermarkOffsets watermarks)
    {
        if (partition.StartOffset is null)
        {
            var committed = consumer.Committed([partition.TopicPartition], LagCommittedTimeout);
            var offset = committed.Count == 1 ? committed[0].Offset : Offset.Unset;
            partition.StartOffset = !offset.IsSpecial ? offset.Value
                : _consumerConfig.AutoOffsetReset == AutoOffsetReset.Latest ? watermarks.High.Value
                : watermarks.Low.IsSpecial ? 0 : watermarks.Low.Value;
        }

        return partition.StartOffset.Value;
    }

    private void SetLag(long lag)
    {
        var previous = Interlocked.Exchange(ref _lag, lag);
        SentinelMetrics.ConsumerLag.Inc(lag - previous); // Inc by the delta: the gauge sums every receiver in the process.
    }

    // ---- rebalance callbacks (consume thread, inside Consume/Close) -------------------------------------------------

    private void OnAssigned(List<TopicPartition> partitions)
    {
        foreach (var topicPartition in partitions)
        {
            if (!_partitions.ContainsKey(topicPartition))
            {
                _partitions.Add(topicPartition, new PartitionState(topicPartition, _aborted.Token));
            }
        }

        _assignmentChanged = true;
        Volatile.Write(ref _assignedCount, _partitions.Count);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var names = Describe(partitions);
            Log.PartitionsAssigned(_logger, partitions.Count, names);
        }
    }

    private void OnRevoked(List<TopicPartitionOffset> partitions)
    {
        var revoked = Owned(partitions.Select(static p => p.TopicPartition));
        var abandoned = 0;
        if (!_crash && _consumer is { } consumer)
        {
            var timeout = _revokeDrainTimeout;
            if (!Drain(revoked, timeout))
            {
                Log.RevokeDrainTimedOut(_logger, timeout, revoked.Sum(static p => p.PendingCount));
            }

            foreach (var partition in revoked)
            {
                Store(consumer, partition); // librdkafka commits these on unassign.
            }
        }

        abandoned = Remove(revoked);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var names = Describe(partitions.Select(static p => p.TopicPartition));
            Log.PartitionsRevoked(_logger, partitions.Count, names, abandoned);
        }
    }

    private void OnLost(List<TopicPartitionOffset> partitions)
    {
        var abandoned = Remove(Owned(partitions.Select(static p => p.TopicPartition)));
        if (_logger.IsEnabled(LogLevel.Warning))
        {
            var names = Describe(partitions.Select(static p => p.TopicPartition));
            Log.PartitionsLost(_logger, partitions.Count, names, abandoned);
        }
    }

    private List<PartitionState> Owned(IEnumerable<TopicPartition> partitions)
    {
        var owned = new List<PartitionState>();
        foreach (var topicPartition in partitions)
        {
            if (_partitions.TryGetValue(topicPartition, out var state))
            {
                owned.Add(state);
            }
        }

        return owned;
    }

    private int Remove(List<PartitionState> partitions)
    {
        var abandoned = 0;
        foreach (var partition in partitions)
        {
            ReapOne(partition);
            var dropped = partition.Abandon();
            abandoned += dropped;
            if (dropped > 0)
            {
                Interlocked.Add(ref _inFlight, -dropped);
                SentinelMetrics.InFlightRecords.Dec(dropped);
            }

            _partitions.Remove(partition.TopicPartition);
            partition.Dispose();
        }

        Volatile.Write(ref _assignedCount, _partitions.Count);
        return abandoned;
    }

    private void ReapOne(PartitionState partition)
    {
        var reaped = partition.Reap();
        if (reaped > 0)
        {
            Interlocked.Add(ref _inFlight, -reaped);
            SentinelMetrics.InFlightRecords.Dec(reaped);
        }
    }

    private void OnError(Error error)
    {
        if (error.IsFatal)
        {
            _fatalError = error;
            Log.FatalError(_logger, error.Code, error.Reason);
        }
        else if (_consumerErrorThrottle.ShouldLog(out var suppressed))
        {
            Log.ConsumerError(_logger, error.Code, error.Reason, suppressed);
        }
    }

    private void OnCommitted(CommittedOffsets committed)
    {
        var error = committed.Error;
        if (!error.IsError)
        {
            error = committed.Offsets.FirstOrDefault(static o => o.Error.IsError)?.Error ?? error;
        }

        if (error.IsError && error.Code != ErrorCode.Local_NoOffset && _commitErrorThrottle.ShouldLog(out var suppressed))
        {
            Log.CommitFailed(_logger, error.Code, error.Reason, suppressed);
        }
    }

    // ---- shutdown ----------------------------------------------------------------------------------------------------

    private void ShutDown(IConsumer<byte[]?, DecodedValue> consumer)
    {
        var inFlight = Volatile.Read(ref _inFlight);
        Log.Stopping(_logger, inFlight);
        TryPauseAll(consumer); // Nothing new is fetched while draining and committing.

        // The caller's deadline cancels _aborted, which ends the drain early.
        Drain([.. _partitions.Values], TimeSpan.MaxValue);
        ReapCompletions();
        FlushStores(consumer);
        CommitStored(consumer);
        try
        {
            consumer.Close(); // Revoke handler (stores again), commit of stored offsets on unassign, leave the group.
        }
        catch (KafkaException e)
        {
            Log.CloseFailed(_logger, e, e.Error.Code);
        }
    }

    /// <summary>
    /// Commits the stored offsets synchronously before closing. The commit librdkafka makes on close is fire-and-forget
    /// and fails with ILLEGAL_GENERATION when the close races a rebalance (another member joining or leaving); then
    /// everything since the last auto-commit would be redelivered. Retried while a rebalance completes, within the
    /// deadline; records that arrive meanwhile are not handed on (and so not stored: they are redelivered).
    /// </summary>
    private void CommitStored(IConsumer<byte[]?, DecodedValue> consumer)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            Error error;
            try
            {
                consumer.Commit();
                return;
            }
            catch (TopicPartitionOffsetException e)
            {
                error = e.Results.FirstOrDefault(static r => r.Error.IsError)?.Error ?? e.Error;
            }
            catch (KafkaException e)
            {
                error = e.Error;
            }

            if (error.Code == ErrorCode.Local_NoOffset || error.IsFatal)
            {
                return; // Nothing stored since the last commit, or nothing more can be done.
            }

            if (_aborted.IsCancellationRequested || Stopwatch.GetElapsedTime(started) > CloseCommitTimeout)
            {
                Log.CloseCommitFailed(_logger, error.Code, error.Reason);
                return;
            }

            // Serve the group protocol (rejoin, revoke, assign) so that the next attempt carries a valid generation.
            try
            {
                _ = consumer.Consume(PausedPollTimeout);
            }
            catch (KafkaException e)
            {
                if (e.Error.IsFatal)
                {
                    Log.CloseCommitFailed(_logger, e.Error.Code, e.Error.Reason);
                    return;
                }
            }

            TryPauseAll(consumer);
            ReapCompletions();
            FlushStores(consumer);
        }
    }

    private void TryPauseAll(IConsumer<byte[]?, DecodedValue> consumer)
    {
        try
        {
            consumer.Pause(consumer.Assignment);
        }
        catch (KafkaException e)
        {
            Log.PauseFailed(_logger, e, e.Error.Code);
        }
    }

    private void Finish(IConsumer<byte[]?, DecodedValue> consumer, KafkaReceiverException? failure)
    {
        var abandoned = 0;
        foreach (var partition in _partitions.Values.ToArray())
        {
            abandoned += partition.PendingCount;
        }

        Remove([.. _partitions.Values]);
        _aborted.Cancel(); // Ends retries still running for abandoned records.
        try
        {
            consumer.Dispose(); // After Close this only frees; without Close (crash/fatal) nothing is committed.
        }
        catch (KafkaException)
        {
        }

        _deadLetters?.Close(_crash || failure is not null ? TimeSpan.Zero : DeadLetterFlushTimeout);
        SetLag(0);
        if (_crash)
        {
            Log.Aborted(_logger);
        }

        var consumed = Interlocked.Read(ref _recordsConsumed);
        var deadLettered = Interlocked.Read(ref _deadLettered);
        Log.Stopped(_logger, consumed, deadLettered, abandoned);
        lock (_lifecycle)
        {
            _state = failure is null ? KafkaReceiverState.Stopped : KafkaReceiverState.Faulted;
        }

        if (failure is null)
        {
            _completion.TrySetResult();
        }
        else
        {
            _completion.TrySetException(failure);
        }
    }

    private static KafkaReceiverException Fatal(Error error, Exception? inner = null)
    {
        var message = $"Kafka consumer fatal error {error.Code}: {error.Reason}. The receiver stopped; restart the process after fixing the cause.";
        return inner is null
            ? new KafkaReceiverException(message) { ErrorCode = error.Code }
            : new KafkaReceiverException(message, inner) { ErrorCode = error.Code };
    }

    private static string Describe(IEnumerable<TopicPartition> partitions) =>
        string.Join(", ", partitions.GroupBy(static p => p.Topic).Select(static g => $"{g.Key}[{string.Join(",", g.Select(static p => p.Partition.Value).Order())}]"));
}
