using Microsoft.Extensions.Logging;

namespace AgentSentinel.Alerting;

/// <summary>
/// Every log line of AgentSentinel.Alerting (event ids 5000–5099). State changes only: an unreachable Alertmanager is
/// logged when it becomes unreachable and when it recovers, not on every re-send. No line carries an agent name or
/// anything from a span; URLs are logged without user info.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "Alertmanager notifier started: {UrlCount} Alertmanager(s), re-sending firing alerts every {ResendInterval}")]
    public static partial void NotifierStarted(ILogger logger, int urlCount, TimeSpan resendInterval);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Alertmanager notifier stopped with {Firing} alert(s) firing (they lapse at their endsAt unless re-sent)")]
    public static partial void NotifierStopped(ILogger logger, int firing);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Alertmanager {Url} is unreachable ({Reason}); alerts are re-sent every {ResendInterval}")]
    public static partial void AlertmanagerUnreachable(ILogger logger, string url, string reason, TimeSpan resendInterval);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Alertmanager {Url} accepts alerts again")]
    public static partial void AlertmanagerRecovered(ILogger logger, string url);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Alertmanager {Url} rejected {Count} alert(s) with {StatusCode}: {Body}; they are not re-sent until they change")]
    public static partial void AlertsRejected(ILogger logger, string url, int statusCode, int count, string body);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "Gave up delivering the resolve of incident {Incident} to {Pending} Alertmanager(s) after {Attempts} attempts; it lapses at its last endsAt")]
    public static partial void ResolveGivenUp(ILogger logger, string incident, int pending, int attempts);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "{Max} incident alerts are already tracked (Alertmanager:MaxAlerts); new incidents are not pushed until some resolve")]
    public static partial void CapacityReached(ILogger logger, int max);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Debug, Message = "POST of {Count} alert(s) to {Url} failed: {Reason}")]
    public static partial void PostFailed(ILogger logger, string url, int count, string reason);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Debug, Message = "Resolve of incident {Incident} ignored: it is not firing")]
    public static partial void ResolveUnknown(ILogger logger, string incident);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Error, Message = "The Alertmanager notifier loop failed; it continues at the next resend tick")]
    public static partial void LoopFailed(ILogger logger, Exception exception);
}
