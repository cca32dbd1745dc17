namespace AgentSentinel.Actors;

/// <summary>How anomalies become fallback flags (configuration section <c>Remediation</c>).</summary>
public sealed class RemediationOptions
{
    public const string SectionName = "Remediation";

    /// <summary>When false, anomalies are still detected and reported but no decision is made.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Decide and report every action, but write nothing to the flag store.</summary>
    public bool DryRun { get; set; }

    /// <summary>The fallback named in a flag when no per-kind fallback is configured.</summary>
    public string DefaultFallback { get; set; } = "safe-model";

    /// <summary>Per anomaly kind (e.g. <c>token_spike</c>), the fallback to name instead of <see cref="DefaultFallback"/>.</summary>
    public Dictionary<string, string> FallbackByKind { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// How long an incident keeps an agent on its fallback. In event time for the decision log (a <c>ttl_expired</c>
    /// action at opened + TTL); in wall-clock time for the flag's <c>expires_at</c>, after which agents return to primary.
    /// </summary>
    public TimeSpan FlagTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>First delay before a failed flag write is retried; doubles on each failure up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest delay between retries of a failed flag write.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A flag write that has not completed after this long counts as failed and is retried.</summary>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The fallback for an anomaly kind.</summary>
    public string FallbackFor(string kind) =>
        FallbackByKind.TryGetValue(kind, out var fallback) && !string.IsNullOrWhiteSpace(fallback) ? fallback : DefaultFallback;

    /// <summary>Every problem with these settings, each naming its key (empty when valid).</summary>
    public IEnumerable<string> Validate()
    {
        const string P = SectionName + ":";
        if (string.IsNullOrWhiteSpace(DefaultFallback))
        {
            yield return $"{P}{nameof(DefaultFallback)} is required";
        }

        foreach (var (kind, fallback) in FallbackByKind)
        {
            if (string.IsNullOrWhiteSpace(fallback))
            {
                yield return $"{P}{nameof(FallbackByKind)}:{kind} must name a fallback";
            }
        }

        if (FlagTtl < TimeSpan.FromSeconds(1) || FlagTtl > TimeSpan.FromDays(7))
        {
            yield return $"{P}{nameof(FlagTtl)} must be between 00:00:01 and 7.00:00:00 (was {FlagTtl})";
        }

        if (RetryInitialDelay < TimeSpan.FromMilliseconds(1))
        {
            yield return $"{P}{nameof(RetryInitialDelay)} must be ≥ 00:00:00.001 (was {RetryInitialDelay})";
        }

        if (RetryMaxDelay < RetryInitialDelay)
        {
            yield return $"{P}{nameof(RetryMaxDelay)} must be ≥ {nameof(RetryInitialDelay)} (was {RetryMaxDelay})";
        }

        if (WriteTimeout < TimeSpan.FromMilliseconds(10))
        {
            yield return $"{P}{nameof(WriteTimeout)} must be ≥ 00:00:00.01 (was {WriteTimeout})";
        }
    }
}
