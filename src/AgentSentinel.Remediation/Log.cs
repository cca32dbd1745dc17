using Microsoft.Extensions.Logging;

namespace AgentSentinel.Remediation;

/// <summary>
/// Every log line of AgentSentinel.Remediation. Event ids: policies 4000–4099; 4100 and up for the rest of remediation.
/// Lifecycle, configuration and state changes only: never a line per span, trace or anomaly, never span content.
/// </summary>
internal static partial class Log
{
    // ---- policies (4000–4099) ----------------------------------------------------------------------------------------
    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Remediation policies loaded from {Source}: {Count} policies, fingerprint {Fingerprint}, dry run {DryRun}")]
    public static partial void PoliciesLoaded(ILogger logger, string source, int count, string fingerprint, bool dryRun);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Remediation policies reloaded from {Source}: {Count} policies, fingerprint {PreviousFingerprint} -> {Fingerprint}, dry run {DryRun}")]
    public static partial void PoliciesReloaded(ILogger logger, string source, int count, string previousFingerprint, string fingerprint, bool dryRun);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Error, Message = "Policy file {Source} rejected ({ErrorCount} problems); policies {Fingerprint} stay in force: {Errors}")]
    public static partial void PolicyReloadRejected(ILogger logger, string source, int errorCount, string fingerprint, string errors);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Debug, Message = "Policy file {Source} changed on disk but its policies did not (fingerprint {Fingerprint})")]
    public static partial void PolicyContentUnchanged(ILogger logger, string source, string fingerprint);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Watching policy file {Source} for changes failed; falling back to polling every {PollInterval}")]
    public static partial void PolicyWatchFailed(ILogger logger, string source, TimeSpan pollInterval, Exception exception);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Error, Message = "A handler of the policy Changed event threw; the new policies {Fingerprint} are in force regardless")]
    public static partial void PolicyChangedHandlerFailed(ILogger logger, string fingerprint, Exception exception);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Information, Message = "Remediation policies: none configured, using the shipped default policy (fingerprint {Fingerprint})")]
    public static partial void DefaultPoliciesInUse(ILogger logger, string fingerprint);
}
