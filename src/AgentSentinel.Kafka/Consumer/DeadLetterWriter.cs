using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace AgentSentinel.Kafka.Consumer;

/// <summary>
/// The producer that copies undecodable records to the dead-letter topic. Idempotent with acks=all by
/// default; if it hits a fatal error (possible with idempotence), it is replaced on the next write so that
/// dead-lettering recovers without a restart. Thread-safe.
/// </summary>
internal sealed class DeadLetterWriter : IDisposable
{
    private readonly ProducerConfig _config;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly LogThrottle _errorThrottle = new(TimeSpan.FromSeconds(30));
    private IProducer<byte[]?, byte[]?> _producer;
    private volatile bool _fatal;
    private bool _disposed;

    public DeadLetterWriter(ProducerConfig config, ILogger logger)
    {
        _config = config;
        _logger = logger;
        _producer = Build();
    }

    /// <summary>Writes one record; the task completes with the broker's acknowledgement (or fails).</summary>
    public Task<DeliveryResult<byte[]?, byte[]?>> WriteAsync(string topic, Message<byte[]?, byte[]?> message, CancellationToken cancellationToken)
    {
        IProducer<byte[]?, byte[]?> producer;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_fatal)
            {
                _producer.Dispose(); // Its undelivered messages fail and are retried by their callers on the new one.
                _producer = Build();
                _fatal = false;
            }

            producer = _producer;
        }

        return producer.ProduceAsync(topic, message, cancellationToken);
    }

    /// <summary>Waits up to <paramref name="flushTimeout"/> for outstanding writes, then releases the producer.</summary>
    public void Close(TimeSpan flushTimeout)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            try
            {
                if (flushTimeout > TimeSpan.Zero)
                {
                    _producer.Flush(flushTimeout);
                }
            }
            catch (KafkaException)
            {
                // Whatever did not make it was not acknowledged, so its source offset was not stored.
            }

            _producer.Dispose();
        }
    }

    public void Dispose() => Close(TimeSpan.Zero);

    private IProducer<byte[]?, byte[]?> Build() =>
        new ProducerBuilder<byte[]?, byte[]?>(_config)
            .SetErrorHandler((_, error) =>
            {
                if (error.IsFatal)
                {
                    _fatal = true;
                    Log.DeadLetterProducerFatal(_logger, error.Code, error.Reason);
                }
                else if (_errorThrottle.ShouldLog(out var suppressed))
                {
                    Log.DeadLetterProducerError(_logger, error.Code, error.Reason, suppressed);
                }
            })
            .SetLogHandler((_, message) => LibrdkafkaLogLevel.Write(_logger, "dlq-producer", message))
            .Build();
}

/// <summary>Maps librdkafka's syslog levels onto <see cref="LogLevel"/>.</summary>
internal static class LibrdkafkaLogLevel
{
    public static LogLevel ToLogLevel(SyslogLevel level) => level switch
    {
        SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical or SyslogLevel.Error => LogLevel.Error,
        SyslogLevel.Warning => LogLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };

    /// <summary>Routes one librdkafka log line to <paramref name="logger"/> (instead of librdkafka's default, stderr).</summary>
    public static void Write(ILogger logger, string client, LogMessage message)
    {
        var level = ToLogLevel(message.Level);
        if (logger.IsEnabled(level))
        {
            Log.Librdkafka(logger, level, client, message.Facility, message.Message);
        }
    }
}
