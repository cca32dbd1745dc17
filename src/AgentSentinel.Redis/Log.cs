using AgentSentinel.Redis.Flags;
using Microsoft.Extensions.Logging;
using System.Net;
using StackExchange.Redis;

namespace AgentSentinel.Redis;

/// <summary>
/// Every log line of AgentSentinel.Redis (event ids 3000–3999). Lifecycle and state changes only: per-write
/// lines are Debug, and no line carries an agent name, a flag's text or any span content.
/// </summary>
internal static partial class Log
{
    // ---- redis-server child process (3000–3009) ----------------------------------------------------------
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "redis-server started on 127.0.0.1:{Port} (pid {ProcessId}, data in {Directory})")]
    public static partial void RedisServerStarted(ILogger logger, int port, int processId, string directory);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "redis-server on 127.0.0.1:{Port} stopped")]
    public static partial void RedisServerStopped(ILogger logger, int port);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Port {Port} was taken before redis-server could bind it (attempt {Attempt}); retrying on another free port")]
    public static partial void RedisServerPortTaken(ILogger logger, int port, int attempt);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "redis-server on 127.0.0.1:{Port} did not shut down gracefully; killed")]
    public static partial void RedisServerKilled(ILogger logger, int port);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Could not delete the redis-server data directory {Directory}")]
    public static partial void RedisServerDirectoryNotDeleted(ILogger logger, string directory, Exception exception);

    // ---- connection (3010–3019) ----------------------------------------------------------------------------
    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "Redis connection to {EndPoint} lost ({ConnectionType}, {FailureType}); flag writes fail until it is restored")]
    public static partial void ConnectionFailed(ILogger logger, EndPoint? endPoint, ConnectionType connectionType, ConnectionFailureType failureType, Exception? exception);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Information, Message = "Redis connection to {EndPoint} restored ({ConnectionType})")]
    public static partial void ConnectionRestored(ILogger logger, EndPoint? endPoint, ConnectionType connectionType);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Error, Message = "A ConnectionRestored handler threw; the other handlers still ran")]
    public static partial void ConnectionRestoredHandlerFailed(ILogger logger, Exception exception);

    // ---- flag store (3020–3029) ------------------------------------------------------------------------------
    [LoggerMessage(EventId = 3020, Level = LogLevel.Debug, Message = "Flag write (route {Route}, version {Version}) failed: {Failure}")]
    public static partial void FlagWriteFailed(ILogger logger, string route, long version, FlagStoreFailure failure, Exception exception);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Debug, Message = "Flag write (route {Route}, version {Version}) was stale: the store holds this version or a newer one")]
    public static partial void FlagWriteStale(ILogger logger, string route, long version);

    [LoggerMessage(EventId = 3022, Level = LogLevel.Debug, Message = "Skipped a key under the flag prefix that is not a readable flag hash")]
    public static partial void FlagListSkippedKey(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3023, Level = LogLevel.Debug, Message = "Flag write (version {Version}) failed on attempt {Attempt}; retrying in {DelayMs} ms")]
    public static partial void FlagWriteRetrying(ILogger logger, long version, int attempt, long delayMs, Exception exception);
}
