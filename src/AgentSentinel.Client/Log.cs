using Microsoft.Extensions.Logging;

namespace AgentSentinel.Client;

/// <summary>
/// Every log line of AgentSentinel.Client (event ids 7000–7099). State changes only, never one line per request or poll;
/// no line carries a flag's text (only field names) or any span content.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 7000, Level = LogLevel.Debug, Message = "Flag poll failed")]
    public static partial void PollFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Redis unreachable: keeping the last flag read until it expires, then primary (fail static, then open)")]
    public static partial void PollerUnreachable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "Redis reachable again after {Failures} failed polls")]
    public static partial void PollerReachableAgain(ILogger logger, int failures);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "Could not subscribe to the flag channel; polling only until a later attempt succeeds")]
    public static partial void PollerSubscribeFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Debug, Message = "Ignored a malformed notice on the flag channel")]
    public static partial void PollerNoticeMalformed(ILogger logger);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Warning, Message = "Flag not followed ({Status}): {Problem}; using the primary path")]
    public static partial void FlagNotFollowed(ILogger logger, FlagReadStatus status, string problem);
}
