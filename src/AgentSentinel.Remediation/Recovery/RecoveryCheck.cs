using System.Globalization;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Detection.Features;
using AgentSentinel.Remediation.Policies;

namespace AgentSentinel.Remediation.Recovery;

/// <summary>
/// "Is this probe trace bad?" for one anomaly kind, against the agent's frozen healthy reference. A trace is bad when
/// any of the kind's conditions holds (a feature beyond the reference's tail, or a failure sign); the share of
/// reference traces that are bad by the same rule gives the healthy rate p0 (<see cref="BaselineRate"/>), and the
/// <see cref="RecoverySettings"/> give the fault rate p1 (<see cref="FaultRate"/>). Feed the verdicts to a
/// <see cref="SequentialRecoveryTest"/> (<see cref="StartTest"/>).
/// </summary>
/// <remarks>
/// <para>Thresholds and p0 are computed once, at <see cref="For"/>; later additions to the reference do not change
/// the check. <see cref="IsBad"/> allocates nothing.</para>
/// <para>Rules per kind (continuous thresholds are a reference quantile, but never below 1.2 × the reference median
/// nor median + an absolute floor, so a tight or slightly stale reference does not fail a healthy probe):</para>
/// <list type="bullet">
/// <item>token / latency / cost spikes: the trace total or its largest call above the 95th percentile
/// (<c>total_tokens</c>, <c>max_call_tokens</c>; <c>duration_ms</c>, <c>max_llm_latency_ms</c>; <c>cost_usd</c>); drifts:
/// the trace total only. Cost is judged on tokens when fewer than half the reference traces have a cost.</item>
/// <item>tool_loop: identical-call runs (with or without unchanged result) or cycle repeats above the reference's
/// 99.8th percentile and at least 3.</item>
/// <item>runaway_depth: depth, model calls or tool calls above the reference's 99th percentile.</item>
/// <item>share surges: the event in the trace (a truncated call, a filtered call, a tool error, an error answered
/// around, a failed trace).</item>
/// <item>retrieval_degradation: an empty retrieval, or a mean best score below the 5th percentile.</item>
/// <item>model_change, multivariate_outlier and any kind not listed: a composite of tokens, latency, cost (97.5th),
/// model calls, tool calls, errors and truncated calls (99th).</item>
/// <item>silence: no trace is bad (traffic has resumed).</item>
/// </list>
/// <para>Every kind but silence also counts a failed trace (a non-tool span in error) as bad: a primary path that now
/// fails has not recovered, whatever the original fault.</para>
/// <para>p0 = (bad reference traces + 1) / (reference traces + 1), at least 1 % and at most 90 %: the chance that a
/// new healthy trace exceeds a threshold set at an order statistic of n reference values is (k + 1)/(n + 1), not the
/// in-sample k/n. p1 = min(99 %, max(p0 + MinRateIncrease, p1′)) where p1′ multiplies the odds p0/(1−p0) by
/// FaultRateMultiplier (≈ multiplier × p0 for small p0, and still below 1 for a large p0). With fewer than 20
/// reference traces the tails are the reference maximum with a 1.5 × median margin ("small reference" in
/// <see cref="Rule"/>); with none, only the failure signs are judged.</para>
/// </remarks>
public sealed class RecoveryCheck
{
    /// <summary>Below this many reference traces the check uses the robust small-sample rules.</summary>
    public const int SmallReference = 20;

    /// <summary>The smallest p0 (a healthy agent is never assumed perfect).</summary>
    public const double MinBaselineRate = 0.01;

    /// <summary>The largest p0 (beyond it the rule says little).</summary>
    public const double MaxBaselineRate = 0.9;

    /// <summary>The largest p1.</summary>
    public const double MaxFaultRate = 0.99;

    private const double SpikeQuantile = 0.95;
    private const double CompositeQuantile = 0.975;
    private const double CountQuantile = 0.99;
    private const double LoopTailShare = 0.002;
    private const int LoopFloor = 2;
    private const double RelativeMargin = 1.2;
    private const double SmallReferenceMargin = 1.5;

    private readonly Condition[] _conditions;

    private RecoveryCheck(string kind, Condition[] conditions, int referenceCount, int referenceBad, string rule, RecoverySettings settings)
    {
        Kind = kind;
        _conditions = conditions;
        ReferenceCount = referenceCount;
        ReferenceBad = referenceBad;
        Rule = rule;
        var primary = conditions.Length > 0 ? conditions[0] : default;
        Feature = conditions.Length > 0 ? RecoveryFeatureNames.Of(primary.Feature) : "none";
        Threshold = conditions.Length > 0 ? primary.Threshold : double.NaN;
        BaselineRate = referenceCount == 0
            ? (conditions.Length == 0 ? MinBaselineRate : 0.05)
            : Math.Clamp((referenceBad + 1.0) / (referenceCount + 1.0), MinBaselineRate, MaxBaselineRate);
        FaultRate = FaultRateFor(BaselineRate, settings);
    }

    /// <summary>The anomaly kind the check was built for.</summary>
    public string Kind { get; }

    /// <summary>The main feature judged (e.g. <c>total_tokens</c>; <c>none</c> for silence).</summary>
    public string Feature { get; }

    /// <summary>The main feature's threshold: above it (below it, for <c>retrieval_top_score</c>) a trace is bad (NaN for silence).</summary>
    public double Threshold { get; }

    /// <summary>p0: the (rank-corrected) share of reference traces that are bad by the same rule, floored at 1 %.</summary>
    public double BaselineRate { get; }

    /// <summary>p1: the bad-trace rate the fault hypothesis assumes.</summary>
    public double FaultRate { get; }

    /// <summary>Reference traces the thresholds and p0 were computed on.</summary>
    public int ReferenceCount { get; }

    /// <summary>Reference traces that are bad by the rule.</summary>
    public int ReferenceBad { get; }

    /// <summary>The whole rule in words, for summaries: e.g. <c>with total_tokens &gt; 5400 or failed</c>.</summary>
    public string Rule { get; }

    /// <summary>Builds the check for <paramref name="kind"/> (one of <see cref="AnomalyKinds"/>; any other kind gets the composite rule).</summary>
    public static RecoveryCheck For(string kind, ReferenceSample reference, RecoverySettings settings)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(settings);
        var traces = reference.Traces;
        var builder = new RuleBuilder(traces);
        var tokens = new[] { RecoveryFeature.TotalTokens, RecoveryFeature.MaxCallTokens };
        switch (kind)
        {
            case AnomalyKinds.TokenSpike:
                builder.Upper(SpikeQuantile, tokens);
                break;
            case AnomalyKinds.TokenDrift:
                builder.Upper(SpikeQuantile, RecoveryFeature.TotalTokens);
                break;
            case AnomalyKinds.LatencySpike:
                builder.Upper(SpikeQuantile, RecoveryFeature.DurationMs, RecoveryFeature.MaxLlmLatencyMs);
                break;
            case AnomalyKinds.LatencyDrift:
                builder.Upper(SpikeQuantile, RecoveryFeature.DurationMs);
                break;
            case AnomalyKinds.CostSpike:
                if (builder.HasCosts)
                {
                    builder.Upper(SpikeQuantile, RecoveryFeature.CostUsd);
                }
                else
                {
                    builder.Upper(SpikeQuantile, tokens);
                }

                break;
            case AnomalyKinds.CostDrift:
                builder.Upper(SpikeQuantile, builder.HasCosts ? RecoveryFeature.CostUsd : RecoveryFeature.TotalTokens);
                break;
            case AnomalyKinds.ToolLoop:
                builder.Counts(1 - LoopTailShare, LoopFloor,
                    RecoveryFeature.LongestUnchangedToolRepeat, RecoveryFeature.ToolCycleRepeats, RecoveryFeature.LongestToolRepeat);
                break;
            case AnomalyKinds.RunawayDepth:
                builder.Counts(CountQuantile, 0, RecoveryFeature.Depth, RecoveryFeature.LlmCalls, RecoveryFeature.ToolCalls);
                break;
            case AnomalyKinds.LengthSurge:
                builder.Flag(RecoveryFeature.TruncatedCalls);
                break;
            case AnomalyKinds.ContentFilterSurge:
                builder.Flag(RecoveryFeature.ContentFilteredCalls);
                break;
            case AnomalyKinds.ToolErrorSurge:
                builder.Flag(RecoveryFeature.ToolErrors);
                break;
            case AnomalyKinds.ErrorAnsweredAround:
                builder.Flag(RecoveryFeature.ErrorsAnsweredAround);
                break;
            case AnomalyKinds.TraceErrorSurge:
                break; // the failure guard below is the whole rule
            case AnomalyKinds.RetrievalDegradation:
                builder.Lower(0.05, RecoveryFeature.RetrievalTopScore);
                builder.Flag(RecoveryFeature.EmptyRetrievals);
                break;
            case AnomalyKinds.Silence:
                return builder.Build(kind, settings, failureGuard: false, note: "traffic resumed: every trace counts as good");
            default:
                // model_change, multivariate_outlier and kinds this version does not know: anything far from normal.
                builder.Upper(CompositeQuantile, RecoveryFeature.TotalTokens, RecoveryFeature.DurationMs);
                if (builder.HasCosts)
                {
                    builder.Upper(CompositeQuantile, RecoveryFeature.CostUsd);
                }

                builder.Counts(CountQuantile, 0, RecoveryFeature.LlmCalls, RecoveryFeature.ToolCalls, RecoveryFeature.Errors, RecoveryFeature.TruncatedCalls);
                break;
        }

        return builder.Build(kind, settings, failureGuard: true, note: null);
    }

    /// <summary>p1 for a given p0: the odds multiplied by the settings' multiplier, at least p0 + the minimum increase, at most 99 %.</summary>
    public static double FaultRateFor(double baselineRate, RecoverySettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var odds = baselineRate / (1 - baselineRate) * Math.Max(1.0, settings.FaultRateMultiplier);
        var byOdds = odds / (1 + odds);
        var p1 = Math.Max(byOdds, baselineRate + Math.Max(0, settings.MinRateIncrease));
        // Never at or below p0 (a degenerate setting would make the test meaningless).
        return Math.Min(MaxFaultRate, Math.Max(p1, baselineRate + 0.01));
    }

    /// <summary>Whether a probe trace is bad by this check's rule. Allocation-free.</summary>
    public bool IsBad(in TraceFeatures trace) => IsBad(ReferenceTrace.From(trace));

    /// <summary>A recovery test for this check's p0 and p1 with the settings' error rates.</summary>
    /// <param name="settings">Alpha and beta (see <see cref="SequentialRecoveryTest"/>).</param>
    /// <param name="minTraces">Probe traces needed before recovery (the probe's <c>min_traces</c>).</param>
    public SequentialRecoveryTest StartTest(RecoverySettings settings, int minTraces)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new SequentialRecoveryTest(BaselineRate, FaultRate, settings.Alpha, settings.Beta, minTraces, Rule);
    }

    /// <summary>Whether a probe trace, in its compact form (<see cref="ReferenceTrace.From"/>), is bad by this check's rule. Allocation-free.</summary>
    public bool IsBad(in ReferenceTrace trace)
    {
        foreach (ref readonly var condition in _conditions.AsSpan())
        {
            if (condition.Holds(trace))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>One test of one feature: above (or below) a threshold. NaN values never hold.</summary>
    private readonly record struct Condition(RecoveryFeature Feature, double Threshold, bool Below)
    {
        public bool Holds(in ReferenceTrace trace)
        {
            var value = trace.Get(Feature);
            return Below ? value < Threshold : value > Threshold;
        }

        public string Describe()
        {
            var name = RecoveryFeatureNames.Of(Feature);
            return Feature == RecoveryFeature.Failed
                ? "failed"
                : string.Create(CultureInfo.InvariantCulture, $"{name} {(Below ? "<" : ">")} {Threshold:0.####}");
        }
    }

    /// <summary>Collects conditions with thresholds read off the reference.</summary>
    private sealed class RuleBuilder(ReadOnlySpan<ReferenceTrace> traces)
    {
        private readonly ReferenceTrace[] _traces = traces.ToArray();
        private readonly List<Condition> _conditions = [];
        private readonly List<string> _unjudged = [];

        private bool Small => _traces.Length < SmallReference;

        public bool HasCosts
        {
            get
            {
                var withCost = 0;
                foreach (var t in _traces)
                {
                    withCost += double.IsNaN(t.Get(RecoveryFeature.CostUsd)) ? 0 : 1;
                }

                return withCost > 0 && withCost * 2 >= _traces.Length;
            }
        }

        /// <summary>Continuous features: above the quantile, never below the median margins.</summary>
        public void Upper(double quantile, params RecoveryFeature[] features)
        {
            foreach (var feature in features)
            {
                var values = Values(feature);
                if (values.Length == 0)
                {
                    _unjudged.Add(RecoveryFeatureNames.Of(feature));
                    continue;
                }

                var median = values[(values.Length - 1) / 2];
                var margin = Small ? SmallReferenceMargin : RelativeMargin;
                var threshold = Math.Max(UpperQuantile(values, quantile), Math.Max(median * margin, median + AbsoluteFloor(feature)));
                _conditions.Add(new Condition(feature, threshold, Below: false));
            }
        }

        /// <summary>Continuous features where lower is worse: below the quantile and a margin under the median.</summary>
        public void Lower(double quantile, RecoveryFeature feature)
        {
            var values = Values(feature);
            if (values.Length == 0)
            {
                _unjudged.Add(RecoveryFeatureNames.Of(feature));
                return;
            }

            var median = values[(values.Length - 1) / 2];
            var allowed = (int)Math.Floor(quantile * values.Length);
            var quantileValue = values[Math.Min(allowed, values.Length - 1)];
            var margin = Math.Max(0.01, (Small ? 0.2 : 0.1) * Math.Abs(median));
            _conditions.Add(new Condition(feature, Math.Min(quantileValue, median - margin), Below: true));
        }

        /// <summary>Counts: above the quantile and above <paramref name="floor"/>.</summary>
        public void Counts(double quantile, int floor, params RecoveryFeature[] features)
        {
            foreach (var feature in features)
            {
                var values = Values(feature);
                var threshold = values.Length == 0 ? floor : Math.Max(floor, UpperQuantile(values, quantile));
                _conditions.Add(new Condition(feature, threshold, Below: false));
            }
        }

        /// <summary>Any occurrence (count above 0).</summary>
        public void Flag(RecoveryFeature feature) => _conditions.Add(new Condition(feature, 0, Below: false));

        public RecoveryCheck Build(string kind, RecoverySettings settings, bool failureGuard, string? note)
        {
            if (failureGuard)
            {
                Flag(RecoveryFeature.Failed);
            }

            var conditions = _conditions.ToArray();
            var bad = 0;
            foreach (var trace in _traces)
            {
                foreach (var condition in conditions)
                {
                    if (condition.Holds(trace))
                    {
                        bad++;
                        break;
                    }
                }
            }

            var rule = conditions.Length == 0 ? "bad (none can be)" : "with " + string.Join(" or ", conditions.Select(c => c.Describe()));
            var notes = new List<string>();
            if (note is not null)
            {
                notes.Add(note);
            }

            if (_traces.Length == 0 && conditions.Length > 0)
            {
                notes.Add("no reference traces: default baseline rate");
            }
            else if (Small && conditions.Length > 0)
            {
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"small reference of {_traces.Length} traces"));
            }

            if (_unjudged.Count > 0)
            {
                notes.Add("not judged for lack of reference values: " + string.Join(", ", _unjudged));
            }

            if (notes.Count > 0)
            {
                rule += " (" + string.Join("; ", notes) + ")";
            }

            return new RecoveryCheck(kind, conditions, _traces.Length, bad, rule, settings);
        }

        /// <summary>The reference's values of <paramref name="feature"/> that are reported, sorted ascending.</summary>
        private double[] Values(RecoveryFeature feature)
        {
            var values = new List<double>(_traces.Length);
            foreach (var trace in _traces)
            {
                var v = trace.Get(feature);
                if (!double.IsNaN(v))
                {
                    values.Add(v);
                }
            }

            var array = values.ToArray();
            Array.Sort(array);
            return array;
        }

        /// <summary>The smallest value with at most (1 − <paramref name="quantile"/>) of the sorted values above it.</summary>
        private static double UpperQuantile(double[] sorted, double quantile)
        {
            var allowedAbove = (int)Math.Floor((1 - quantile) * sorted.Length);
            return sorted[sorted.Length - 1 - Math.Min(allowedAbove, sorted.Length - 1)];
        }

        private static double AbsoluteFloor(RecoveryFeature feature) => feature switch
        {
            RecoveryFeature.TotalTokens or RecoveryFeature.MaxCallTokens => 10,
            RecoveryFeature.DurationMs or RecoveryFeature.MaxLlmLatencyMs => 25,
            _ => 0,
        };
    }
}
