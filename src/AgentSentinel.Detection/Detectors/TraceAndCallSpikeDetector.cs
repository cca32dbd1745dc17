using AgentSentinel.Core.Traces;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Detection.Baselines;
using AgentSentinel.Detection.Features;

namespace AgentSentinel.Detection.Detectors;

/// <summary>
/// A spike detector on one quantity seen at two scales: per trace (threshold <see cref="DetectionOptions.TraceThreshold"/>)
/// and per model call (the trace's largest call against a baseline that learns every call, threshold
/// <see cref="DetectionOptions.CallThreshold"/>). Each trace is judged first, then learnt from, so an anomaly is measured
/// against the baseline before it.
/// </summary>
public abstract class TraceAndCallSpikeDetector : IAgentDetector
{
    private readonly DetectionOptions _options;
    private readonly string _traceFeature;
    private readonly string _callFeature;
    private readonly RobustBaseline _perTrace;
    private readonly RobustBaseline _perCall;

    protected TraceAndCallSpikeDetector(string kind, string traceFeature, string callFeature, DetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _traceFeature = traceFeature;
        _callFeature = callFeature;
        _perTrace = options.CreateLogBaseline();
        _perCall = options.CreateLogBaseline();
        Kind = kind;
        Episode = new SpikeEpisode(kind, options);
        Baselines = [new FeatureBaseline(traceFeature, _perTrace, LogScale: true), new FeatureBaseline(callFeature, _perCall, LogScale: true)];
    }

    /// <inheritdoc />
    public string Kind { get; }

    /// <inheritdoc />
    public IReadOnlyList<FeatureBaseline> Baselines { get; }

    /// <summary>The episode state (for diagnostics and tests).</summary>
    public SpikeEpisode Episode { get; }

    /// <inheritdoc />
    public Anomaly? Observe(AgentTrace trace, in TraceFeatures features)
    {
        if (!Applies(features))
        {
            return null;
        }

        var perTrace = TraceValue(features);
        var calls = CallValues(features);
        var judgement = default(SpikeJudgement);
        judgement.Consider(_traceFeature, perTrace, _perTrace, _options.TraceThreshold, _options.MinRelativeChange, _options.ExtremeFactor, logScale: true);
        if (!calls.IsEmpty)
        {
            judgement.Consider(_callFeature, LargestCall(features), _perCall, _options.CallThreshold, _options.MinRelativeChange, _options.ExtremeFactor, logScale: true);
        }

        var anomaly = Episode.Step(trace, judgement);
        if (perTrace > 0)
        {
            _perTrace.Add(Math.Log(perTrace));
        }

        if (!calls.IsEmpty)
        {
            // All calls of one trace enter clipped against the baseline as it stood before the trace.
            Span<double> logs = calls.Length <= 256 ? stackalloc double[calls.Length] : new double[calls.Length];
            var n = 0;
            foreach (var value in calls)
            {
                if (value > 0)
                {
                    logs[n++] = Math.Log(value);
                }
            }

            _perCall.AddRange(logs[..n]);
        }

        return anomaly;
    }

    /// <summary>Whether the trace carries this quantity at all (a trace without it is neither judged nor learnt from).</summary>
    protected abstract bool Applies(in TraceFeatures features);

    /// <summary>The quantity for the whole trace.</summary>
    protected abstract double TraceValue(in TraceFeatures features);

    /// <summary>The quantity of the trace's largest model call.</summary>
    protected abstract double LargestCall(in TraceFeatures features);

    /// <summary>The quantity of every model call (may be empty).</summary>
    protected abstract ReadOnlySpan<double> CallValues(in TraceFeatures features);
}
