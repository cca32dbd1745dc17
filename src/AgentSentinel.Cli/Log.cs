using Microsoft.Extensions.Logging;

namespace AgentSentinel.Cli;

/// <summary>The command line's log vocabulary (event ids 4000–4999): lifecycle only, never per record, never content.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "AgentSentinel {Command} started; metrics on {MetricsUrl}")]
    public static partial void Started(ILogger logger, string command, string metricsUrl);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "AgentSentinel stopping")]
    public static partial void Stopping(ILogger logger);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Shutdown did not finish within {Timeout}: in-flight records will be redelivered")]
    public static partial void ShutdownIncomplete(ILogger logger, TimeSpan timeout);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Critical, Message = "The Kafka receiver stopped with a fatal error")]
    public static partial void ReceiverFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "The admin API is on and {MetricsUrl} is plain HTTP on a non-loopback address: bearer tokens cross the network in clear text unless TLS is in front (set Metrics:TlsCertificateFile and Metrics:TlsKeyFile, or bind Metrics:Host to 127.0.0.1)")]
    public static partial void AdminWithoutTls(ILogger logger, string metricsUrl);
}
