namespace AgentSentinel.Actors;

/// <summary>How anomalies become fallback flags (configuration section <c>Remediation</c>).</summary>
public sealed class RemediationOptions
{
    public const string SectionName = "Remediation";

    /// <summary>When false, anomalies are still detected and reported but no decision is made.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Decide and report every action, but write nothing to the flag store.</summary>
    public bool DryRun { get; set; }

    /// <summary>
    /// The policy file (YAML or JSON) that maps agents and anomaly kinds to actions, reloaded when it changes; empty: the
    /// default policy shipped in <c>deploy/policies.yaml</c>.
    /// </summary>
    public string? PolicyFile { get; set; }

    /// <summary>How often (wall clock) flags in force are checked and renewed before their <c>expires_at</c>.</summary>
    public TimeSpan RenewInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Attempts to load the saved remediation state at start before starting without it.</summary>
    public int RestoreAttempts { get; set; } = 5;

    /// <summary>First delay before a failed flag write is retried; doubles on each failure up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest delay between retries of a failed flag write.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A flag write that has not completed after this long counts as failed and is retried.</summary>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Audit-only entries (dry run, suppressed, alert only) kept while the store cannot take them; beyond this, newer
    /// entries are dropped and counted (<c>agentsentinel_audit_entries_dropped_total</c>).
    /// </summary>
    public int AuditBacklog { get; set; } = 10_000;

    /// <summary>Every problem with these settings, each naming its key (empty when valid).</summary>
    public IEnumerable<string> Validate()
    {
        const string P = SectionName + ":";
        if (PolicyFile is { Length: > 0 } path && !File.Exists(path))
        {
            yield return $"{P}{nameof(PolicyFile)}: no such file '{path}'";
        }

        if (RenewInterval < TimeSpan.FromMilliseconds(10) || RenewInterval > TimeSpan.FromMinutes(5))
        {
            yield return $"{P}{nameof(RenewInterval)} must be between 00:00:00.01 and 00:05:00 (was {RenewInterval})";
        }

        if (RestoreAttempts < 1)
        {
            yield return $"{P}{nameof(RestoreAttempts)} must be ≥ 1 (was {RestoreAttempts})";
        }

        if (RetryInitialDelay < TimeSpan.FromMilliseconds(1))
        {
            yield return $"{P}{nameof(RetryInitialDelay)} must be ≥ 00:00:00.001 (was {RetryInitialDelay})";
        }

        if (RetryMaxDelay < RetryInitialDelay)
        {
            yield return $"{P}{nameof(RetryMaxDelay)} must be ≥ {nameof(RetryInitialDelay)} (was {RetryMaxDelay})";
        }

        if (AuditBacklog < 1)
        {
            yield return $"{P}{nameof(AuditBacklog)} must be ≥ 1 (was {AuditBacklog})";
        }

        if (WriteTimeout < TimeSpan.FromMilliseconds(10))
        {
            yield return $"{P}{nameof(WriteTimeout)} must be ≥ 00:00:00.01 (was {WriteTimeout})";
        }
    }
}
