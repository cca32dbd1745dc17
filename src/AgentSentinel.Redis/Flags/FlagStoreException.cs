namespace AgentSentinel.Redis.Flags;

/// <summary>Why a flag store operation failed.</summary>
public enum FlagStoreFailure
{
    /// <summary>No connection to Redis (down, refused, not yet connected). Wraps a <c>RedisConnectionException</c>.</summary>
    Unavailable,

    /// <summary>Redis did not answer in time (hung or overloaded). Wraps a <c>RedisTimeoutException</c>.</summary>
    Timeout,

    /// <summary>Redis answered with an error (e.g. NOPERM, OOM, WRONGTYPE, LOADING). Wraps a <c>RedisServerException</c>.</summary>
    Rejected,
}

/// <summary>
/// Thrown by <see cref="RedisFlagStore"/> when Redis could not be reached or refused an operation.
/// The outcome of a failed write is <b>unknown</b>: a command that timed out may still have run. Retry the same
/// decision (same version) until it returns Applied or Stale; the version fence makes the retry idempotent.
/// The original StackExchange.Redis exception is the <see cref="Exception.InnerException"/>.
/// </summary>
public sealed class FlagStoreException : Exception
{
    public FlagStoreException()
        : this("The flag store failed.")
    {
    }

    public FlagStoreException(string message)
        : base(message)
    {
    }

    public FlagStoreException(string message, Exception innerException)
        : this(FlagStoreFailure.Unavailable, message, innerException)
    {
    }

    public FlagStoreException(FlagStoreFailure failure, string message, Exception innerException)
        : base(message, innerException)
    {
        Failure = failure;
    }

    /// <summary>Why it failed. Every kind is worth retrying with back-off; only the operator can fix a persistent <see cref="FlagStoreFailure.Rejected"/>.</summary>
    public FlagStoreFailure Failure { get; }
}
