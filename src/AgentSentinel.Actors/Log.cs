using Microsoft.Extensions.Logging;

namespace AgentSentinel.Actors;

/// <summary>
/// Every log line of AgentSentinel.Actors (event ids 2000–2999). Lifecycle and state changes only: never a line per span
/// or per trace, never span content, and no agent name (ids are untrusted strings; incidents are named by their id).
/// </summary>
internal static partial class Log
{
    // ---- pipeline lifecycle (2000–2009) --------------------------------------------------------------------------
    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Pipeline started: actor system {SystemName}, {Shards} assembler shards, remediation {RemediationMode}")]
    public static partial void PipelineStarted(ILogger logger, string systemName, int shards, string remediationMode);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Pipeline stopped: actor system {SystemName}")]
    public static partial void PipelineStopped(ILogger logger, string systemName);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "Barrier {Barrier} released behind {Traces} agent traces (flush or drain)")]
    public static partial void BarrierReleased(ILogger logger, long barrier, int traces);

    // ---- assembly and agents (2010–2019) ---------------------------------------------------------------------------
    [LoggerMessage(EventId = 2010, Level = LogLevel.Error, Message = "Trace assembler shard {Shard} failed on step {Step}; the step was acknowledged and the shard carries on")]
    public static partial void AssemblyStepFailed(ILogger logger, int shard, long step, Exception exception);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Debug, Message = "An idle agent actor was passivated ({Buffered} messages buffered for its successor); its baselines start again on its next trace")]
    public static partial void AgentPassivated(ILogger logger, int buffered);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Error, Message = "Observer {Observer} threw in {Callback}; further failures of this observer are not logged")]
    public static partial void ObserverFailed(ILogger logger, string observer, string callback, Exception exception);

    // ---- remediation (2020–2039) --------------------------------------------------------------------------------------
    [LoggerMessage(EventId = 2020, Level = LogLevel.Information, Message = "Incident {Incident} opened ({Kind}); flag write {Writes}")]
    public static partial void IncidentOpened(ILogger logger, string incident, string kind, bool writes);

    [LoggerMessage(EventId = 2021, Level = LogLevel.Information, Message = "Incident {Incident} ended: TTL expired in event time")]
    public static partial void IncidentExpired(ILogger logger, string incident);

    [LoggerMessage(EventId = 2022, Level = LogLevel.Warning, Message = "Flag write for incident {Incident} failed (attempt {Attempt}); retrying in {Delay}")]
    public static partial void FlagWriteFailed(ILogger logger, string incident, int attempt, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 2023, Level = LogLevel.Information, Message = "Flag write for incident {Incident} applied after {Attempts} failed attempts")]
    public static partial void FlagWriteRecovered(ILogger logger, string incident, int attempts);

    [LoggerMessage(EventId = 2024, Level = LogLevel.Warning, Message = "Flag write for incident {Incident} abandoned after {Attempts} failed attempts: its expires_at has passed")]
    public static partial void FlagWriteAbandoned(ILogger logger, string incident, int attempts);

    [LoggerMessage(EventId = 2025, Level = LogLevel.Information, Message = "Flag store reconnected: re-asserting {Count} flags in force")]
    public static partial void FlagsReasserted(ILogger logger, int count);

    // ---- Akka's own log (2090) -------------------------------------------------------------------------------------------
    [LoggerMessage(EventId = 2090, Message = "[{Source}] {AkkaMessage}")]
    public static partial void AkkaEvent(ILogger logger, LogLevel level, string source, string akkaMessage, Exception? exception);
}
