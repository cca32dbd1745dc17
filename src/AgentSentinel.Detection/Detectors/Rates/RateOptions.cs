using AgentSentinel.Core.Anomalies;

namespace AgentSentinel.Detection.Detectors.Rates;

/// <summary>
/// The share detectors (<c>Detection:Rates</c>): finish_reason=length, content filter, tool errors, trace errors,
/// errors answered around, empty retrievals. Each tests the recent share against the agent's baseline share with a
/// one-sided beta-binomial test at several window sizes (Bonferroni-corrected), per trial and, for
/// <see cref="TraceShareKinds"/>, also per trace.
/// </summary>
public sealed class RateOptions
{
    /// <summary>Whether the share detectors run.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The recent windows, in trials (model calls, tool calls or traces); the largest bounds the memory.</summary>
    public int[] Windows { get; set; } = [20, 50, 100, 200];

    /// <summary>Significance level after correction for the number of windows. Tested once per trace.</summary>
    public double Alpha { get; set; } = 1e-6;

    /// <summary>Fewest events in a window for it to count.</summary>
    public int MinEvents { get; set; } = 4;

    /// <summary>The recent share must exceed the baseline share by at least this much (absolute)…</summary>
    public double MinShareIncrease { get; set; } = 0.01;

    /// <summary>…and be at least this multiple of it.</summary>
    public double MinShareRatio { get; set; } = 2;

    /// <summary>Trials the baseline needs before anything is judged.</summary>
    public int MinBaselineTrials { get; set; } = 200;

    /// <summary>Half-life of the baseline's memory, in trials (exponential forgetting).</summary>
    public double BaselineHalfLife { get; set; } = 5000;

    /// <summary>After a signal, the episode ends once every window's (uncorrected) p-value is above this.</summary>
    public double RearmPValue { get; set; } = 0.01;

    /// <summary>
    /// Anomaly kinds whose share is also tested per trace (the share of traces with at least one event), beside per
    /// trial, when the agent's traces hold two trials or more on average (below that the two units are nearly the same
    /// test, and the wider correction would only cost power). Meant for events that strike one call of a trace, such as the
    /// answer stopped by a content filter: counted per call, a planner's final answer is diluted by its other calls.
    /// Not for events whose per-trace share moves with the number of trials in a trace (tool errors: a trace with more
    /// tool calls has more chances). Every window of both units counts in the correction, so <see cref="Alpha"/> keeps
    /// its meaning. A comma-separated list (a string, so that a configured value replaces the default rather than being
    /// appended to it); empty turns the per-trace unit off.
    /// </summary>
    public string TraceShareKinds { get; set; } = AnomalyKinds.ContentFilterSurge;

    /// <summary>The share detectors' kinds, the values <see cref="TraceShareKinds"/> may list.</summary>
    public static IReadOnlyList<string> ShareKinds { get; } =
    [
        AnomalyKinds.LengthSurge, AnomalyKinds.ContentFilterSurge, AnomalyKinds.ToolErrorSurge, AnomalyKinds.TraceErrorSurge,
        AnomalyKinds.ErrorAnsweredAround, AnomalyKinds.RetrievalDegradation,
    ];

    /// <summary>The kinds listed in <see cref="TraceShareKinds"/>.</summary>
    public string[] TraceShareKindList() =>
        TraceShareKinds is null ? [] : TraceShareKinds.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Validation errors, each naming its key.</summary>
    public IEnumerable<string> Validate(string prefix)
    {
        if (Windows is null || Windows.Length is 0 or > 8)
        {
            yield return $"{prefix}{nameof(Windows)} must list 1 to 8 window sizes";
        }
        else
        {
            for (var i = 0; i < Windows.Length; i++)
            {
                if (Windows[i] is < 5 or > 10_000 || (i > 0 && Windows[i] <= Windows[i - 1]))
                {
                    yield return $"{prefix}{nameof(Windows)}:{i} must be between 5 and 10000 and larger than the one before (was {Windows[i]})";
                }
            }
        }

        if (!(Alpha is > 0 and < 0.5))
        {
            yield return $"{prefix}{nameof(Alpha)} must be in (0, 0.5) (was {Alpha})";
        }

        if (MinEvents is < 1 or > 1000)
        {
            yield return $"{prefix}{nameof(MinEvents)} must be between 1 and 1000 (was {MinEvents})";
        }

        if (!(MinShareIncrease is >= 0 and < 1))
        {
            yield return $"{prefix}{nameof(MinShareIncrease)} must be in [0, 1) (was {MinShareIncrease})";
        }

        if (!(MinShareRatio is >= 1 and <= 1000))
        {
            yield return $"{prefix}{nameof(MinShareRatio)} must be between 1 and 1000 (was {MinShareRatio})";
        }

        if (MinBaselineTrials is < 10 or > 1_000_000)
        {
            yield return $"{prefix}{nameof(MinBaselineTrials)} must be between 10 and 1000000 (was {MinBaselineTrials})";
        }

        if (!(BaselineHalfLife is >= 100 and <= 1e9))
        {
            yield return $"{prefix}{nameof(BaselineHalfLife)} must be between 100 and 1e9 (was {BaselineHalfLife})";
        }

        if (TraceShareKinds is null)
        {
            yield return $"{prefix}{nameof(TraceShareKinds)} must be a comma-separated list of share kinds, or empty";
        }
        else
        {
            foreach (var kind in TraceShareKindList())
            {
                if (!ShareKinds.Contains(kind, StringComparer.Ordinal))
                {
                    yield return $"{prefix}{nameof(TraceShareKinds)} lists '{kind}', not a share kind ({string.Join(", ", ShareKinds)})";
                }
            }
        }

        if (!(RearmPValue is > 0 and < 1))
        {
            yield return $"{prefix}{nameof(RearmPValue)} must be in (0, 1) (was {RearmPValue})";
        }
    }
}
