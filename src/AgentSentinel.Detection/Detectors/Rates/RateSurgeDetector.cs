using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Features;
using AgentSentinel.Detection.Statistics;

namespace AgentSentinel.Detection.Detectors.Rates;

/// <summary>Reads the trials and the events among them off a trace (model calls and truncated ones, tool calls and failed ones…).</summary>
public delegate (int Trials, int Events) TrialSelector(in TraceFeatures features);

/// <summary>
/// A surge in the share of some event: the recent share is tested against the agent's baseline share with a one-sided
/// beta-binomial test, at each of <see cref="RateOptions.Windows"/> recent window sizes, Bonferroni-corrected. The share
/// is measured in two units: per trial (model call, tool call…) and, for the kinds in <see cref="RateOptions.TraceShareKinds"/> when
/// the agent's traces hold two trials or more on average, per trace (the share of traces with at least one event).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Baseline: trials that left the largest recent window, with exponential forgetting (half-life
/// <see cref="RateOptions.BaselineHalfLife"/> trials). Its share p is uncertain, so the chance of x or more events in the
/// last w trials is computed under Beta(events + ½, non-events + ½) rather than a point estimate: a baseline of few
/// trials asks for more evidence. Nothing is judged before <see cref="RateOptions.MinBaselineTrials"/>.</item>
/// <item>Two units: an event that strikes one call of a many-call trace (the final answer of a planner) is diluted by
/// the trace's other calls when counted per call, while an event that strikes every call alike is counted most finely per
/// call. Both are tested, and the correction counts every window of both units, so the false-alarm budget is unchanged.
/// An agent whose traces hold fewer than two trials on average (a chat agent) has only the per-trial unit: there
/// the two are nearly the same test.</item>
/// <item>Significance alone is not enough: the window needs <see cref="RateOptions.MinEvents"/> events and a share at
/// least <see cref="RateOptions.MinShareIncrease"/> above and <see cref="RateOptions.MinShareRatio"/> times the
/// baseline's.</item>
/// <item>One anomaly per episode: after a signal the baselines stop learning, and the episode ends when every
/// window's p-value rises above <see cref="RateOptions.RearmPValue"/>: every window looks normal again.</item>
/// </list>
/// </remarks>
public sealed class RateSurgeDetector : IAgentDetector
{
    private readonly string _feature;
    private readonly string _traceFeature;
    private readonly TrialSelector _select;
    private readonly RateOptions _options;
    private readonly int[] _windows;
    private readonly ShareTrack _perTrial;
    private readonly ShareTrack? _perTrace;
    private readonly TraceId[] _eventTraces;
    private int _eventTraceCount;
    private long _trials;
    private long _traces;

    /// <param name="kind">The anomaly kind reported.</param>
    /// <param name="feature">The feature named in the explanation (the per-trace unit adds <c>_of_traces</c>).</param>
    /// <param name="select">Reads the trials and events off a trace.</param>
    /// <param name="options">Validated settings.</param>
    public RateSurgeDetector(string kind, string feature, TrialSelector select, DetectionOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentException.ThrowIfNullOrEmpty(feature);
        ArgumentNullException.ThrowIfNull(select);
        ArgumentNullException.ThrowIfNull(options);
        Kind = kind;
        _feature = feature;
        _traceFeature = feature + "_of_traces";
        _select = select;
        _options = options.Rates;
        _windows = [.. _options.Windows];
        var decay = Math.Pow(0.5, 1 / _options.BaselineHalfLife);
        _perTrial = new ShareTrack(_windows[^1], decay);
        _perTrace = Array.IndexOf(_options.TraceShareKindList(), kind) >= 0 ? new ShareTrack(_windows[^1], decay) : null;
        _eventTraces = new TraceId[options.MaxExemplars];
    }

    /// <inheritdoc />
    public string Kind { get; }

    /// <inheritdoc />
    public IReadOnlyList<FeatureBaseline> Baselines => [];

    /// <summary>Whether an episode is in progress.</summary>
    public bool InEpisode { get; private set; }

    /// <summary>The baseline share per trial, (events + ½) / (trials + 1).</summary>
    public double BaselineShare => _perTrial.BaselineShare;

    /// <summary>The baseline share of traces with at least one event (NaN when the per-trace unit is off).</summary>
    public double BaselineTraceShare => _perTrace?.BaselineShare ?? double.NaN;

    /// <inheritdoc />
    public Anomaly? Observe(AgentTrace trace, in TraceFeatures features)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var (trials, events) = _select(features);
        if (trials <= 0)
        {
            return null;
        }

        events = Math.Clamp(events, 0, trials);
        if (events > 0)
        {
            _eventTraces[_eventTraceCount++ % _eventTraces.Length] = trace.TraceId;
        }

        for (var i = 0; i < trials; i++)
        {
            _perTrial.Push(i < events, !InEpisode);
        }

        _trials += trials;
        _traces++;
        _perTrace?.Push(events > 0, !InEpisode);

        var traceUnit = _trials >= 2 * _traces && _perTrace is not null && _perTrace.Seen >= _options.MinBaselineTrials;
        if (_perTrial.Seen < _options.MinBaselineTrials && !traceUnit)
        {
            return null;
        }

        var trialTest = _perTrial.Seen >= _options.MinBaselineTrials ? _perTrial.Test(_windows, _options, InEpisode) : ShareTest.None;
        var traceTest = traceUnit ? _perTrace!.Test(_windows, _options, InEpisode) : ShareTest.None;
        var tested = Math.Max(trialTest.Tested + traceTest.Tested, 1);
        if (InEpisode)
        {
            if (Math.Min(trialTest.P, traceTest.P) > _options.RearmPValue)
            {
                InEpisode = false;
            }

            return null;
        }

        var byTrace = traceTest.P < trialTest.P;
        var best = byTrace ? traceTest : trialTest;
        var adjusted = Math.Min(1, best.P * tested);
        if (!(adjusted < _options.Alpha))
        {
            return null;
        }

        InEpisode = true;
        var distance = -Math.Log10(Math.Max(adjusted, 1e-300));
        var p0 = best.Baseline;
        var finding = new Finding(byTrace ? _traceFeature : _feature, best.Share, p0, Math.Sqrt(p0 * (1 - p0) / best.Window), distance, Finding.RateTest);
        return new Anomaly(trace.Agent, Kind, trace.CompletedAtUnixNano, distance, finding.ToExplanation(), Exemplars());
    }

    private string[] Exemplars()
    {
        var take = Math.Min(_eventTraceCount, _eventTraces.Length);
        var ids = new string[take];
        for (var k = 0; k < take; k++)
        {
            ids[k] = _eventTraces[(_eventTraceCount - take + k) % _eventTraces.Length].ToString();
        }

        return ids;
    }

    /// <summary>The smallest raw p-value over the windows tested, with its window, share and baseline share.</summary>
    private readonly record struct ShareTest(double P, int Tested, double Share, int Window, double Baseline)
    {
        public static ShareTest None => new(1, 0, 0, 1, 0);
    }

    /// <summary>One unit's recent trials (a ring as long as the largest window) and its forgetting baseline.</summary>
    private sealed class ShareTrack(int capacity, double decay)
    {
        private readonly bool[] _ring = new bool[capacity];
        private int _size;
        private int _head;
        private double _baselineTrials;
        private double _baselineEvents;

        /// <summary>Trials that have reached the baseline.</summary>
        public long Seen { get; private set; }

        public double BaselineShare => (_baselineEvents + 0.5) / (_baselineTrials + 1);

        /// <summary>Adds a trial; the one leaving the ring reaches the baseline when <paramref name="learn"/>.</summary>
        public void Push(bool isEvent, bool learn)
        {
            var length = _ring.Length;
            if (_size == length)
            {
                var leaving = _ring[_head];
                _ring[_head] = isEvent;
                _head = (_head + 1) % length;
                if (learn)
                {
                    _baselineTrials = (_baselineTrials * decay) + 1;
                    _baselineEvents = (_baselineEvents * decay) + (leaving ? 1 : 0);
                    Seen++;
                }

                return;
            }

            _ring[(_head + _size) % length] = isEvent;
            _size++;
        }

        public ShareTest Test(int[] windows, RateOptions options, bool inEpisode)
        {
            var a = _baselineEvents + 0.5;
            var b = Math.Max(_baselineTrials - _baselineEvents, 0) + 0.5;
            var p0 = a / (a + b);
            var best = 1d;
            var bestShare = 0d;
            var bestWindow = windows[0];
            var events = 0;
            var counted = 0;
            var tested = 0;
            foreach (var w in windows)
            {
                if (w > _size)
                {
                    break;
                }

                for (; counted < w; counted++)
                {
                    events += _ring[(_head + _size - 1 - counted) % _ring.Length] ? 1 : 0;
                }

                tested++;
                var share = (double)events / w;
                // Armed: only a window with enough events and a large enough share is tested. In an episode every window
                // above the baseline share is, so that the episode ends only when all of them look normal again.
                var worthTesting = inEpisode
                    ? share > p0
                    : events >= options.MinEvents && share >= Math.Max(p0 + options.MinShareIncrease, p0 * options.MinShareRatio);
                var p = worthTesting ? SpecialFunctions.BetaBinomialUpperTail(events, w, a, b) : 1d;

                if (p < best)
                {
                    best = p;
                    bestShare = share;
                    bestWindow = w;
                }
            }

            return new ShareTest(best, tested, bestShare, bestWindow, p0);
        }
    }
}
