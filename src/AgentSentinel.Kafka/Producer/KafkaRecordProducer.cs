using System.Text;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Spans;
using AgentSentinel.Kafka.Consumer;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentSentinel.Kafka.Producer;

/// <summary>
/// Writes OTLP records the way the OpenTelemetry Collector's kafka exporter does: the raw value bytes (an
/// <c>ExportTraceServiceRequest</c> for <c>otlp_proto</c>), a null key or, with <c>partition_traces_by_id</c>, the
/// trace id as 32 lower-case hex ASCII characters, and no headers. Used by the demo's simulated agents and by tests.
/// Thread-safe.
/// </summary>
public sealed class KafkaRecordProducer : IDisposable
{
    private static readonly TimeSpan FlushOnDispose = TimeSpan.FromSeconds(5);

    private readonly IProducer<byte[]?, byte[]> _producer;
    private readonly ILogger _logger;
    private readonly LogThrottle _failureThrottle = new(TimeSpan.FromSeconds(30));
    private readonly Action<DeliveryReport<byte[]?, byte[]>> _onDelivered;
    private long _delivered;
    private long _failed;
    private int _disposed;

    /// <summary>Creates the producer.</summary>
    /// <param name="bootstrapServers">Brokers, e.g. <see cref="Mock.MockCluster.BootstrapServers"/>.</param>
    /// <param name="settings">
    /// librdkafka settings applied over the defaults (<c>linger.ms=5</c>, <c>acks=1</c> and no compression,
    /// as the exporter's defaults; <c>client.id=agentsentinel-demo</c>).
    /// </param>
    /// <param name="logger">Delivery failures (throttled) and librdkafka's own log lines.</param>
    public KafkaRecordProducer(string bootstrapServers, IReadOnlyDictionary<string, string>? settings = null, ILogger<KafkaRecordProducer>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bootstrapServers);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            ClientId = "agentsentinel-demo",
            LingerMs = 5,
            Acks = Acks.Leader,
            EnableIdempotence = false,
            CompressionType = CompressionType.None,
        };
        if (settings is not null)
        {
            foreach (var (key, value) in settings)
            {
                config.Set(key, value);
            }
        }

        _producer = new ProducerBuilder<byte[]?, byte[]>(config)
            .SetLogHandler((_, message) => LibrdkafkaLogLevel.Write(_logger, "record-producer", message))
            .Build();
        _onDelivered = OnDelivered;
    }

    /// <summary>Records acknowledged by the broker.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Records the broker did not acknowledge (after librdkafka's own retries).</summary>
    public long DeliveryFailures => Interlocked.Read(ref _failed);

    /// <summary>The key the exporter writes with <c>partition_traces_by_id: true</c>: 32 lower-case hex ASCII characters.</summary>
    public static byte[] KeyFor(TraceId traceId) => Encoding.ASCII.GetBytes(traceId.ToString());

    /// <summary>Writes one record and waits for the broker's acknowledgement.</summary>
    /// <param name="topic">Destination topic.</param>
    /// <param name="traceId">Null for the exporter's default (null key); else the record is keyed by the trace id.</param>
    /// <param name="value">The record value; kept by reference until delivered, so do not reuse the array.</param>
    /// <param name="cancellationToken">Stops waiting (the record may still be written).</param>
    /// <exception cref="ProduceException{TKey,TValue}">The broker did not acknowledge it.</exception>
    public async Task<RecordPosition> ProduceAsync(string topic, TraceId? traceId, byte[] value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        var message = new Message<byte[]?, byte[]> { Key = traceId is { } id ? KeyFor(id) : null, Value = value };
        try
        {
            var result = await _producer.ProduceAsync(topic, message, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _delivered);
            return new RecordPosition(result.Topic, result.Partition.Value, result.Offset.Value);
        }
        catch (ProduceException<byte[]?, byte[]> e)
        {
            CountFailure(topic, e.Error.Code);
            throw;
        }
    }

    /// <summary>
    /// Queues one record without waiting (the fast path for a steady stream); failures are counted in
    /// <see cref="DeliveryFailures"/>. Waits while librdkafka's local queue is full.
    /// </summary>
    public void Produce(string topic, TraceId? traceId, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var message = new Message<byte[]?, byte[]> { Key = traceId is { } id ? KeyFor(id) : null, Value = value };
        while (true)
        {
            try
            {
                _producer.Produce(topic, message, _onDelivered);
                return;
            }
            catch (ProduceException<byte[]?, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                _producer.Poll(TimeSpan.FromMilliseconds(50)); // Serve delivery reports until there is room.
            }
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for queued records; returns how many are still outstanding.</summary>
    public int Flush(TimeSpan timeout) => _producer.Flush(timeout);

    /// <summary>Flushes for up to 5 seconds, then releases the producer. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            _producer.Flush(FlushOnDispose);
        }
        catch (KafkaException)
        {
        }

        _producer.Dispose();
    }

    private void OnDelivered(DeliveryReport<byte[]?, byte[]> report)
    {
        if (report.Error.IsError)
        {
            CountFailure(report.Topic, report.Error.Code);
        }
        else
        {
            Interlocked.Increment(ref _delivered);
        }
    }

    private void CountFailure(string topic, ErrorCode code)
    {
        Interlocked.Increment(ref _failed);
        if (_failureThrottle.ShouldLog(out var suppressed))
        {
            Log.ProduceFailed(_logger, topic, code, suppressed);
        }
    }
}
