using AgentSentinel.Core.Remediation;
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
    [LoggerMessage(EventId = 2020, Level = LogLevel.Information, Message = "Incident {Incident} ({Kind}): {Change} by {Cause}, phase {Phase}, dry run {DryRun}")]
    public static partial void IncidentStep(ILogger logger, string incident, string kind, IncidentChange change, string cause, string phase, bool dryRun);

    [LoggerMessage(EventId = 2021, Level = LogLevel.Information, Message = "Remediation resumed {Incidents} incidents and pins from the store (kill switch {KillSwitch}); {Unreadable} saved states could not be read")]
    public static partial void RemediationRestored(ILogger logger, int incidents, bool killSwitch, int unreadable);

    [LoggerMessage(EventId = 2022, Level = LogLevel.Warning, Message = "Flag write for incident {Incident} failed (attempt {Attempt}); retrying in {Delay}")]
    public static partial void FlagWriteFailed(ILogger logger, string incident, int attempt, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 2023, Level = LogLevel.Information, Message = "Flag write for incident {Incident} applied after {Attempts} failed attempts")]
    public static partial void FlagWriteRecovered(ILogger logger, string incident, int attempts);

    [LoggerMessage(EventId = 2024, Level = LogLevel.Warning, Message = "Flag write for incident {Incident} abandoned after {Attempts} failed attempts: its expires_at has passed")]
    public static partial void FlagWriteAbandoned(ILogger logger, string incident, int attempts);

    [LoggerMessage(EventId = 2025, Level = LogLevel.Information, Message = "Flag store reconnected: re-asserting {Count} flags in force")]
    public static partial void FlagsReasserted(ILogger logger, int count);

    // ---- Akka's own log (2090) -------------------------------------------------------------------------------------------
    [LoggerMessage(EventId = 2026, Level = LogLevel.Warning, Message = "Remediation state could not be loaded from the store (attempt {Attempt}); retrying")]
    public static partial void RestoreFailed(ILogger logger, int attempt, Exception exception);

    [LoggerMessage(EventId = 2027, Level = LogLevel.Error, Message = "Remediation state could not be loaded after {Attempts} attempts: starting without it (incidents in force before the restart lapse at their expires_at)")]
    public static partial void RestoreAbandoned(ILogger logger, int attempts);

    [LoggerMessage(EventId = 2028, Level = LogLevel.Warning, Message = "Audit entry ({Outcome}) for incident {Incident} could not be written (attempt {Attempt}); retrying in {Delay}, {Pending} entries waiting")]
    public static partial void AuditFailed(ILogger logger, string outcome, string incident, int attempt, TimeSpan delay, int pending, Exception exception);

    [LoggerMessage(EventId = 2031, Level = LogLevel.Information, Message = "Audit entries are written again after {Attempts} failed attempts; {Pending} still waiting")]
    public static partial void AuditRecovered(ILogger logger, int attempts, int pending);

    [LoggerMessage(EventId = 2032, Level = LogLevel.Error, Message = "Audit entry ({Outcome}) for incident {Incident} dropped: {Reason}")]
    public static partial void AuditDropped(ILogger logger, string outcome, string incident, string reason);

    [LoggerMessage(EventId = 2033, Level = LogLevel.Error, Message = "Audit entry ({Outcome}) for incident {Incident} refused by the store and dropped")]
    public static partial void AuditRejected(ILogger logger, string outcome, string incident, Exception exception);

    [LoggerMessage(EventId = 2029, Level = LogLevel.Warning, Message = "Kill switch could not be stored (attempt {Attempt}); retrying in {Delay}")]
    public static partial void KillSwitchWriteFailed(ILogger logger, int attempt, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 2030, Level = LogLevel.Information, Message = "Policies applied: {Count} policies from {Source} ({Fingerprint})")]
    public static partial void PoliciesApplied(ILogger logger, int count, string source, string fingerprint);

    [LoggerMessage(EventId = 2090, Message = "[{Source}] {AkkaMessage}")]
    public static partial void AkkaEvent(ILogger logger, LogLevel level, string source, string akkaMessage, Exception? exception);
}
