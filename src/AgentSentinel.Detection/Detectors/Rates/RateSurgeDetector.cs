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
/// beta-binomial test, at each of <see cref="RateOptions.Windows"/> recent window sizes, Bonferroni-corrected.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Baseline: trials that left the largest recent window, with exponential forgetting (half-life
/// <see cref="RateOptions.BaselineHalfLife"/> trials). Its share p is uncertain, so the chance of x or more events in the
/// last w trials is computed under Beta(events + ½, non-events + ½) rather than a point estimate: a baseline of few
/// trials asks for more evidence. Nothing is judged before <see cref="RateOptions.MinBaselineTrials"/>.</item>
/// <item>Significance alone is not enough: the window needs <see cref="RateOptions.MinEvents"/> events and a share at
/// least <see cref="RateOptions.MinShareIncrease"/> above and <see cref="RateOptions.MinShareRatio"/> times the
/// baseline's.</item>
/// <item>One anomaly per episode: after a signal the baseline stops learning, and the episode ends when every
/// window's p-value rises above <see cref="RateOptions.RearmPValue"/>: every window looks normal again.</item>
/// </list>
/// </remarks>
public sealed class RateSurgeDetector : IAgentDetector
{
    private readonly string _feature;
    private readonly TrialSelector _select;
    private readonly RateOptions _options;
    private readonly double _decay;
    private readonly int[] _windows;
    private readonly bool[] _ring;
    private readonly TraceId[] _eventTraces;
    private int _size;
    private int _head;
    private int _eventTraceCount;
    private double _baselineTrials;
    private double _baselineEvents;
    private long _baselineSeen;

    public RateSurgeDetector(string kind, string feature, TrialSelector select, DetectionOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentException.ThrowIfNullOrEmpty(feature);
        ArgumentNullException.ThrowIfNull(select);
        ArgumentNullException.ThrowIfNull(options);
        Kind = kind;
        _feature = feature;
        _select = select;
        _options = options.Rates;
        _windows = [.. _options.Windows];
        _decay = Math.Pow(0.5, 1 / _options.BaselineHalfLife);
        _ring = new bool[_windows[^1]];
        _eventTraces = new TraceId[options.MaxExemplars];
    }

    /// <inheritdoc />
    public string Kind { get; }

    /// <inheritdoc />
    public IReadOnlyList<FeatureBaseline> Baselines => [];

    /// <summary>Whether an episode is in progress.</summary>
    public bool InEpisode { get; private set; }

    /// <summary>The baseline share (events + ½) / (trials + 1).</summary>
    public double BaselineShare => (_baselineEvents + 0.5) / (_baselineTrials + 1);

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
            Push(i < events);
        }

        if (_baselineSeen < _options.MinBaselineTrials)
        {
            return null;
        }

        var test = Test();
        if (InEpisode)
        {
            if (test.SmallestRawP > _options.RearmPValue)
            {
                InEpisode = false;
            }

            return null;
        }

        if (!(test.AdjustedP < _options.Alpha))
        {
            return null;
        }

        InEpisode = true;
        var distance = -Math.Log10(Math.Max(test.AdjustedP, 1e-300));
        var p0 = BaselineShare;
        var finding = new Finding(_feature, test.Share, p0, Math.Sqrt(p0 * (1 - p0) / test.Window), distance, Finding.RateTest);
        return new Anomaly(trace.Agent, Kind, trace.CompletedAtUnixNano, distance, finding.ToExplanation(), Exemplars());
    }

    private void Push(bool isEvent)
    {
        var capacity = _ring.Length;
        if (_size == capacity)
        {
            var leaving = _ring[_head];
            _ring[_head] = isEvent;
            _head = (_head + 1) % capacity;
            if (!InEpisode)
            {
                _baselineTrials = (_baselineTrials * _decay) + 1;
                _baselineEvents = (_baselineEvents * _decay) + (leaving ? 1 : 0);
                _baselineSeen++;
            }

            return;
        }

        _ring[(_head + _size) % capacity] = isEvent;
        _size++;
    }

    private (double AdjustedP, double SmallestRawP, double Share, int Window) Test()
    {
        var a = _baselineEvents + 0.5;
        var b = Math.Max(_baselineTrials - _baselineEvents, 0) + 0.5;
        var p0 = a / (a + b);
        var best = 1d;
        var bestShare = 0d;
        var bestWindow = _windows[0];
        var events = 0;
        var counted = 0;
        var tested = 0;
        foreach (var w in _windows)
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
            var worthTesting = InEpisode
                ? share > p0
                : events >= _options.MinEvents && share >= Math.Max(p0 + _options.MinShareIncrease, p0 * _options.MinShareRatio);
            var p = worthTesting ? SpecialFunctions.BetaBinomialUpperTail(events, w, a, b) : 1d;

            if (p < best)
            {
                best = p;
                bestShare = share;
                bestWindow = w;
            }
        }

        return (Math.Min(1, best * Math.Max(tested, 1)), best, bestShare, bestWindow);
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
}
