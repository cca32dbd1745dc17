using System.Globalization;

namespace AgentSentinel.Remediation.Recovery;

/// <summary>What the recovery test has concluded so far.</summary>
public enum RecoveryVerdict
{
    /// <summary>Not enough evidence either way yet: keep probing.</summary>
    Undecided,
    /// <summary>The probe traffic looks like the agent's healthy reference: go back to primary.</summary>
    Recovered,
    /// <summary>The probe traffic still shows the fault: back to fallback (with backoff).</summary>
    StillFaulty,
}

/// <summary>
/// Wald's sequential probability ratio test on the probe traces' "bad" outcomes (Bernoulli): H0, the agent is healthy
/// and traces are bad at the reference rate p0, against H1, the fault is still there and traces are bad at p1 &gt; p0.
/// Each probe trace moves the log-likelihood ratio ln(L1/L0) by ln(p1/p0) when bad and ln((1−p1)/(1−p0)) when good.
/// </summary>
/// <remarks>
/// <para>The error rates follow <see cref="Policies.RecoverySettings"/>: <c>alpha</c> is the chance of declaring
/// <see cref="RecoveryVerdict.Recovered"/> while the fault (rate p1) persists, <c>beta</c> the chance of declaring
/// <see cref="RecoveryVerdict.StillFaulty"/> for a healthy agent (rate p0). Hence the boundaries
/// StillFaulty when LLR ≥ ln((1−alpha)/beta) and Recovered when LLR ≤ ln(alpha/(1−beta)); Wald's inequalities keep the
/// realised error rates at about alpha/(1−beta) and beta/(1−alpha) or below.</para>
/// <para>StillFaulty may be declared as soon as its boundary is crossed; Recovered only once at least
/// <c>minTraces</c> probe traces were seen (which only lowers the false-recovery rate). The first verdict other than
/// <see cref="RecoveryVerdict.Undecided"/> is final: later traces are ignored. <see cref="Conclude"/> ends the test at
/// the probe's maximum duration conservatively: anything short of Recovered is StillFaulty.</para>
/// <para><see cref="Add"/> allocates nothing. Not thread-safe: one per probe, owned by the agent's actor.</para>
/// </remarks>
public sealed class SequentialRecoveryTest
{
    private readonly double _badStep;
    private readonly double _goodStep;
    private readonly string _rule;
    private bool _concluded;

    /// <param name="p0">Bad-trace rate of the healthy agent (0 &lt; p0 &lt; p1).</param>
    /// <param name="p1">Bad-trace rate while the fault persists (p0 &lt; p1 &lt; 1).</param>
    /// <param name="alpha">Chance of declaring recovery while the fault persists (0 &lt; alpha &lt; 1).</param>
    /// <param name="beta">Chance of failing the probe of a healthy agent (0 &lt; beta &lt; 1, alpha + beta &lt; 1).</param>
    /// <param name="minTraces">Probe traces needed before Recovered may be declared (≥ 0).</param>
    /// <param name="rule">What makes a trace bad, for <see cref="Summary"/> (e.g. <c>with total_tokens &gt; 5400</c>).</param>
    public SequentialRecoveryTest(double p0, double p1, double alpha, double beta, int minTraces, string? rule = null)
    {
        if (!(p0 > 0 && p0 < p1 && p1 < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p1), string.Create(CultureInfo.InvariantCulture, $"need 0 < p0 < p1 < 1, got p0 {p0}, p1 {p1}"));
        }

        if (!(alpha > 0 && alpha < 1 && beta > 0 && beta < 1 && alpha + beta < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), string.Create(CultureInfo.InvariantCulture, $"need 0 < alpha, beta and alpha + beta < 1, got alpha {alpha}, beta {beta}"));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(minTraces);
        BaselineRate = p0;
        FaultRate = p1;
        MinTraces = minTraces;
        _badStep = Math.Log(p1 / p0);
        _goodStep = Math.Log((1 - p1) / (1 - p0));
        FaultyBoundary = Math.Log((1 - alpha) / beta);
        RecoveredBoundary = Math.Log(alpha / (1 - beta));
        _rule = string.IsNullOrWhiteSpace(rule) ? "bad" : rule;
    }

    /// <summary>p0: the healthy bad-trace rate.</summary>
    public double BaselineRate { get; }

    /// <summary>p1: the bad-trace rate the fault hypothesis assumes.</summary>
    public double FaultRate { get; }

    /// <summary>Probe traces needed before Recovered.</summary>
    public int MinTraces { get; }

    /// <summary>ln((1−alpha)/beta): at or above it the probe fails.</summary>
    public double FaultyBoundary { get; }

    /// <summary>ln(alpha/(1−beta)): at or below it (with enough traces) the agent has recovered.</summary>
    public double RecoveredBoundary { get; }

    /// <summary>Probe traces counted until the verdict.</summary>
    public int Traces { get; private set; }

    /// <summary>Bad probe traces among <see cref="Traces"/>.</summary>
    public int Bad { get; private set; }

    /// <summary>ln(L1/L0) after <see cref="Traces"/> traces: positive leans to the fault, negative to recovery.</summary>
    public double LogLikelihoodRatio { get; private set; }

    /// <summary>The verdict so far (final once not <see cref="RecoveryVerdict.Undecided"/>).</summary>
    public RecoveryVerdict Verdict { get; private set; }

    /// <summary>Counts one probe trace (judged by <see cref="RecoveryCheck.IsBad"/>) and returns the verdict.</summary>
    public RecoveryVerdict Add(bool bad)
    {
        if (Verdict != RecoveryVerdict.Undecided)
        {
            return Verdict;
        }

        Traces++;
        Bad += bad ? 1 : 0;
        LogLikelihoodRatio += bad ? _badStep : _goodStep;
        if (LogLikelihoodRatio >= FaultyBoundary)
        {
            Verdict = RecoveryVerdict.StillFaulty;
        }
        else if (LogLikelihoodRatio <= RecoveredBoundary && Traces >= MinTraces)
        {
            Verdict = RecoveryVerdict.Recovered;
        }

        return Verdict;
    }

    /// <summary>
    /// Ends the test at the probe's maximum duration. Conservative: a probe that has not shown recovery by then (too
    /// few traces, or evidence still between the boundaries) fails, since sending all traffic back to a primary path
    /// that might still be faulty is the worse mistake; the backoff retries later.
    /// </summary>
    public RecoveryVerdict Conclude()
    {
        if (Verdict == RecoveryVerdict.Undecided)
        {
            Verdict = RecoveryVerdict.StillFaulty;
            _concluded = true;
        }

        return Verdict;
    }

    /// <summary>
    /// One line for audit and alerts, numbers and feature names only, e.g.
    /// <c>12/40 probe traces with total_tokens &gt; 5400; baseline 2%, fault 25%: LLR 3.10 ≥ 2.25</c>.
    /// </summary>
    public string Summary
    {
        get
        {
            var head = string.Create(CultureInfo.InvariantCulture,
                $"{Bad}/{Traces} probe traces {_rule}; baseline {Percent(BaselineRate)}, fault {Percent(FaultRate)}: LLR {LogLikelihoodRatio:0.00}");
            return Verdict switch
            {
                RecoveryVerdict.StillFaulty when _concluded && Traces < MinTraces => string.Create(CultureInfo.InvariantCulture,
                    $"{head}, only {Traces} of {MinTraces} traces needed when the probe ended"),
                RecoveryVerdict.StillFaulty when _concluded => string.Create(CultureInfo.InvariantCulture,
                    $"{head} > {RecoveredBoundary:0.00}, not recovered when the probe ended"),
                RecoveryVerdict.StillFaulty => string.Create(CultureInfo.InvariantCulture, $"{head} ≥ {FaultyBoundary:0.00}"),
                RecoveryVerdict.Recovered => string.Create(CultureInfo.InvariantCulture, $"{head} ≤ {RecoveredBoundary:0.00}"),
                _ when Traces < MinTraces && LogLikelihoodRatio <= RecoveredBoundary => string.Create(CultureInfo.InvariantCulture,
                    $"{head} ≤ {RecoveredBoundary:0.00}, undecided until {MinTraces} traces"),
                _ => string.Create(CultureInfo.InvariantCulture,
                    $"{head}, undecided between {RecoveredBoundary:0.00} and {FaultyBoundary:0.00}"),
            };
        }
    }

    private static string Percent(double rate) => string.Create(CultureInfo.InvariantCulture, $"{rate * 100:0.#}%");
}
