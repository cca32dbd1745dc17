namespace AgentSentinel.Core.Remediation;

/// <summary>
/// Why a decision is audited without being written to the flag hash
/// (<see cref="RedisFlagStore.AppendAuditAsync"/>). Applied and stale writes are audited by the write itself.
/// </summary>
public enum FlagAuditOutcome
{
    /// <summary>The decision was taken in dry-run mode: agents were not told.</summary>
    DryRun,

    /// <summary>A safety limit (rate limit, blast-radius cap, …) suppressed the decision.</summary>
    Suppressed,

    /// <summary>An alert-only incident opened or ended: the policy writes no flag, the step is recorded all the same.</summary>
    AlertOnly,
}
