using Confluent.Kafka;

namespace AgentSentinel.Kafka.Consumer;

/// <summary>
/// The receive loop stopped on an error it cannot recover from (a fatal librdkafka error such as a fenced
/// static member, or a bug). <see cref="KafkaSpanReceiver.Completion"/> faults with it; the host should stop.
/// </summary>
public sealed class KafkaReceiverException : Exception
{
    public KafkaReceiverException()
    {
    }

    public KafkaReceiverException(string message)
        : base(message)
    {
    }

    public KafkaReceiverException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The librdkafka error, when the cause was one.</summary>
    public ErrorCode? ErrorCode { get; init; }
}
