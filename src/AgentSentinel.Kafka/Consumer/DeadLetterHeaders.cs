namespace AgentSentinel.Kafka.Consumer;

/// <summary>
/// Headers the receiver adds to a record it copies to the dead-letter topic. The original key, value and
/// headers are kept unchanged, so the record can be replayed once the cause is fixed. Values are UTF-8 text.
/// </summary>
public static class DeadLetterHeaders
{
    /// <summary>Why decoding failed, from a closed set: <c>empty</c>, <c>too_large</c>, <c>truncated</c>, <c>malformed</c>, <c>limit_exceeded</c>.</summary>
    public const string ErrorKind = "agentsentinel.error.kind";

    /// <summary>The decoder's short explanation (never span content), at most 256 characters.</summary>
    public const string ErrorReason = "agentsentinel.error.reason";

    /// <summary>The topic the record was read from.</summary>
    public const string SourceTopic = "agentsentinel.source.topic";

    /// <summary>The partition it was read from, in decimal.</summary>
    public const string SourcePartition = "agentsentinel.source.partition";

    /// <summary>Its offset there, in decimal.</summary>
    public const string SourceOffset = "agentsentinel.source.offset";

    /// <summary>Its timestamp, Unix milliseconds in decimal.</summary>
    public const string SourceTimestamp = "agentsentinel.source.timestamp";

    /// <summary>The encoding configured for the source topic (<c>otlp_proto</c> or <c>otlp_json</c>).</summary>
    public const string SourceEncoding = "agentsentinel.source.encoding";
}
