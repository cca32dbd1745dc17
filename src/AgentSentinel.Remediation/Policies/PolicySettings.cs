namespace AgentSentinel.Remediation.Policies;

/// <summary>What a policy does with the anomalies it matches.</summary>
public enum PolicyAction
{
    /// <summary>Route the agent to the policy's fallback (flag), probe and recover.</summary>
    Fallback,
    /// <summary>Open an incident and alert, but write no flag.</summary>
    AlertOnly,
    /// <summary>Do nothing (the anomaly is still reported and counted).</summary>
    Ignore,
}

/// <summary>When to act: once <paramref name="AnomalousTraces"/> distinct anomalous traces fall within <paramref name="Window"/> (event time).</summary>
public sealed record TriggerSettings(int AnomalousTraces, TimeSpan Window);

/// <summary>How the time in fallback grows after each failed probe.</summary>
public sealed record BackoffSettings(double Multiplier, TimeSpan Max);

/// <summary>How an incident probes its way back to primary.</summary>
/// <param name="After">Time in fallback before the first probe.</param>
/// <param name="Ratio">The <c>probe_ratio</c>: share of traffic sent to primary while probing (0 &lt; r ≤ 1).</param>
/// <param name="MinTraces">Probe traces needed before the recovery test may pass.</param>
/// <param name="MaxDuration">A probe that has not passed by then fails.</param>
/// <param name="Backoff">Growth of the time in fallback after failed probes.</param>
/// <param name="MaxTrips">0: unlimited; else after this many failed probes the agent stays in fallback until an operator clears it.</param>
public sealed record ProbeSettings(TimeSpan After, double Ratio, int MinTraces, TimeSpan MaxDuration, BackoffSettings Backoff, int MaxTrips)
{
    /// <summary>Time in fallback before the next probe, after <paramref name="failedProbes"/> failed ones:
    /// <see cref="After"/> × multiplier^failedProbes, capped at the backoff's max (never below <see cref="After"/>).</summary>
    public TimeSpan FallbackDuration(int failedProbes)
    {
        if (failedProbes <= 0)
        {
            return After;
        }

        var max = Math.Max(After.Ticks, Backoff.Max.Ticks);
        var ticks = After.Ticks * Math.Pow(Math.Max(1.0, Backoff.Multiplier), failedProbes);
        return double.IsFinite(ticks) && ticks < max ? TimeSpan.FromTicks((long)ticks) : TimeSpan.FromTicks(max);
    }
}

/// <summary>The sequential recovery test of probe traffic against the agent's baseline.</summary>
/// <param name="Alpha">Chance of declaring recovery when the fault is still there.</param>
/// <param name="Beta">Chance of failing a probe of a healthy agent.</param>
/// <param name="FaultRateMultiplier">Fault hypothesis: the odds of a bad trace are this many times the healthy odds, and the
/// rate at least p0 + <paramref name="MinRateIncrease"/>: p1 = min(0.99, max(p0 + increase, odds⁻¹(multiplier × odds(p0)))).
/// Multiplying odds rather than the rate keeps p1 meaningful when p0 is large.</param>
/// <param name="MinRateIncrease">Smallest rise of the bad-trace rate the test is built to see.</param>
public sealed record RecoverySettings(double Alpha, double Beta, double FaultRateMultiplier, double MinRateIncrease);

/// <summary>Safety limits on automated remediation (reloadable with the policies).</summary>
/// <param name="MaxFallbackShare">At most this share of known agents away from primary at once (blast radius).</param>
/// <param name="MinAgentsAlwaysAllowed">The share cap never blocks the first N agents (small fleets).</param>
/// <param name="MaxFlipsPerAgentPerHour">Flag changes per agent per hour of event time.</param>
/// <param name="DryRun">Decide and audit, write no flag.</param>
public sealed record SafetySettings(double MaxFallbackShare, int MinAgentsAlwaysAllowed, int MaxFlipsPerAgentPerHour, bool DryRun);
