using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace AgentSentinel.Kafka;

/// <summary>
/// Every log line of the Kafka component (event ids 1000-1999). Lifecycle, assignments and state changes only:
/// never one line per record, and never record content (keys, values, span fields).
/// </summary>
internal static partial class Log
{
    // ---- lifecycle 1000-1009 ----------------------------------------------------------------------------
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information,
        Message = "Kafka receiver starting: group {GroupId}, topics {Topics}, bootstrap {BootstrapServers}, max in flight {MaxInFlight}")]
    public static partial void Starting(ILogger logger, string groupId, string topics, string bootstrapServers, int maxInFlight);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Kafka receiver stopping: draining {InFlight} in-flight records")]
    public static partial void Stopping(ILogger logger, int inFlight);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information,
        Message = "Kafka receiver stopped: {Consumed} records consumed, {DeadLettered} dead-lettered, {Abandoned} in-flight records left unstored for redelivery")]
    public static partial void Stopped(ILogger logger, long consumed, long deadLettered, int abandoned);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning,
        Message = "Kafka receiver shutdown deadline passed with {InFlight} records in flight; their offsets are not stored and they will be redelivered")]
    public static partial void ShutdownDeadlineExceeded(ILogger logger, int inFlight);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Kafka consumer close failed ({Code}); uncommitted offsets will be redelivered")]
    public static partial void CloseFailed(ILogger logger, Exception exception, ErrorCode code);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning,
        Message = "Final offset commit before close failed ({Code}: {Reason}); records since the last commit will be redelivered")]
    public static partial void CloseCommitFailed(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Kafka receiver aborted without committing (crash simulation)")]
    public static partial void Aborted(ILogger logger);

    // ---- group membership 1010-1019 ------------------------------------------------------------------------
    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Partitions assigned ({Count}): {Partitions}")]
    public static partial void PartitionsAssigned(ILogger logger, int count, string partitions);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information,
        Message = "Partitions revoked ({Count}): {Partitions}; in-flight work drained, {Abandoned} records left for the next owner")]
    public static partial void PartitionsRevoked(ILogger logger, int count, string partitions, int abandoned);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning,
        Message = "Partitions lost ({Count}): {Partitions}; {Abandoned} in-flight records not stored, they will be redelivered")]
    public static partial void PartitionsLost(ILogger logger, int count, string partitions, int abandoned);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Warning,
        Message = "Revoke drain timed out after {Timeout} with {Pending} records still in flight; they will be redelivered to the next owner")]
    public static partial void RevokeDrainTimedOut(ILogger logger, TimeSpan timeout, int pending);

    // ---- backpressure 1020-1029 ---------------------------------------------------------------------------------
    [LoggerMessage(EventId = 1020, Level = LogLevel.Debug, Message = "Paused {Count} partitions: {InFlight} records in flight (max {Max})")]
    public static partial void Paused(ILogger logger, int count, int inFlight, int max);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Debug, Message = "Resumed {Count} partitions: {InFlight} records in flight")]
    public static partial void Resumed(ILogger logger, int count, int inFlight);

    [LoggerMessage(EventId = 1022, Level = LogLevel.Warning, Message = "Pausing or resuming partitions failed ({Code})")]
    public static partial void PauseFailed(ILogger logger, Exception exception, ErrorCode code);

    // ---- errors 1030-1049 -------------------------------------------------------------------------------------------
    [LoggerMessage(EventId = 1030, Level = LogLevel.Warning, Message = "Kafka consumer error {Code}: {Reason} (continuing; {Suppressed} similar suppressed)")]
    public static partial void ConsumerError(ILogger logger, ErrorCode code, string reason, int suppressed);

    [LoggerMessage(EventId = 1031, Level = LogLevel.Critical, Message = "Kafka consumer fatal error {Code}: {Reason}; the receiver stops")]
    public static partial void FatalError(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(EventId = 1032, Level = LogLevel.Warning, Message = "Offset commit failed ({Code}: {Reason}); stored offsets are retried on the next commit ({Suppressed} similar suppressed)")]
    public static partial void CommitFailed(ILogger logger, ErrorCode code, string reason, int suppressed);

    [LoggerMessage(EventId = 1033, Level = LogLevel.Debug, Message = "Could not store offset for {Partition} ({Code}); the partition is no longer assigned")]
    public static partial void StoreOffsetFailed(ILogger logger, string partition, ErrorCode code);

    [LoggerMessage(EventId = 1034, Level = LogLevel.Error, Message = "Kafka receive loop failed unexpectedly; the receiver stops")]
    public static partial void LoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1040, Level = LogLevel.Warning,
        Message = "Dead-letter write to {Topic} failed ({Code}); retrying with back-off, offsets held ({Suppressed} similar suppressed)")]
    public static partial void DeadLetterFailed(ILogger logger, string topic, string code, int suppressed);

    [LoggerMessage(EventId = 1041, Level = LogLevel.Warning,
        Message = "The pipeline did not take a record from {Topic} ({ExceptionType}); retrying with back-off, offsets held ({Suppressed} similar suppressed)")]
    public static partial void SinkFailed(ILogger logger, Exception exception, string topic, string exceptionType, int suppressed);

    [LoggerMessage(EventId = 1042, Level = LogLevel.Warning, Message = "Dead-letter producer hit a fatal error ({Code}: {Reason}); it is recreated")]
    public static partial void DeadLetterProducerFatal(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(EventId = 1043, Level = LogLevel.Warning, Message = "Dead-letter producer error {Code}: {Reason} ({Suppressed} similar suppressed)")]
    public static partial void DeadLetterProducerError(ILogger logger, ErrorCode code, string reason, int suppressed);

    // ---- librdkafka 1090-1099 -------------------------------------------------------------------------------------
    [LoggerMessage(EventId = 1090, Message = "librdkafka {Client} {Facility}: {Text}")]
    public static partial void Librdkafka(ILogger logger, LogLevel level, string client, string facility, string text);

    // ---- producer helper 1100-1109 -----------------------------------------------------------------------------------
    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Record producer: delivery to {Topic} failed ({Code}) ({Suppressed} similar suppressed)")]
    public static partial void ProduceFailed(ILogger logger, string topic, ErrorCode code, int suppressed);
}
