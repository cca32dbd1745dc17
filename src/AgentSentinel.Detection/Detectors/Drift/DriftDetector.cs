using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Baselines;
using AgentSentinel.Detection.Features;
using AgentSentinel.Detection.Statistics;

namespace AgentSentinel.Detection.Detectors.Drift;

/// <summary>Reads one quantity off a trace's features; NaN when the trace does not carry it.</summary>
public delegate double FeatureSelector(in TraceFeatures features);

/// <summary>Which way a drift detector looks, and on what scale.</summary>
public enum DriftDirection
{
    /// <summary>Upward on the log scale (tokens, latency, cost: positive, multiplicative noise).</summary>
    LogUpward,

    /// <summary>Downward on the raw scale (relevance scores in [0, 1]).</summary>
    LinearDownward,
}

/// <summary>
/// Level shifts and slow creep in one positive feature (tokens, latency, cost per trace): an upward CUSUM of
/// z = (ln x − median) / spread against the agent's robust baseline of ln x.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>After warm-up the baseline learns one value in <see cref="DriftOptions.LearnEvery"/>, and only while the sum is
/// below h/2: its window then spans about a thousand traces, so a creep cannot drag its own reference along.</item>
/// <item>A signal needs the recent level (EWMA of ln x, half-life 20 traces) to sit at least
/// <see cref="DriftOptions.MinRelativeShift"/> above the median: an effect worth an operator's time.</item>
/// <item>A crossing whose effect is too small restarts the sum and lets the baseline learn the new level.</item>
/// <item>After a signal the baseline is cleared and warms up again on the new level (a change detector restarts at the
/// change point): one signal per shift, and a later further shift is caught against the new level.</item>
/// </list>
/// The explanation reports the recent level and the median in raw units, the log-scale spread and the sum.
/// </remarks>
public sealed class DriftDetector : IAgentDetector
{
    private readonly string _feature;
    private readonly FeatureSelector _select;
    private readonly DriftOptions _drift;
    private readonly DriftDirection _direction;
    private readonly double _minEffect;
    private readonly RobustBaseline _baseline;
    private readonly int _maxExemplars;
    private readonly TraceId[] _recent;
    private Cusum _cusum;
    private Ewma _level;
    private int _recentCount;
    private long _eligible;
    private Ewma _blockMean = new(Ewma.AlphaForHalfLife(300));
    private Ewma _blockSquare = new(Ewma.AlphaForHalfLife(300));
    private double _blockSum;
    private int _blockCount;

    /// <param name="kind">The anomaly kind emitted.</param>
    /// <param name="feature">The feature's name in explanations.</param>
    /// <param name="select">Reads the feature.</param>
    /// <param name="options">Detection settings (uses <see cref="DetectionOptions.Drift"/>).</param>
    /// <param name="direction">Upward on the log scale, or downward on the raw scale.</param>
    /// <param name="minEffect">
    /// Downward only: the smallest drop of the recent level below the median worth a signal (upward uses
    /// <see cref="DriftOptions.MinRelativeShift"/>).
    /// </param>
    /// <param name="minSpread">Downward only: the smallest spread on the raw scale.</param>
    public DriftDetector(
        string kind, string feature, FeatureSelector select, DetectionOptions options,
        DriftDirection direction = DriftDirection.LogUpward, double minEffect = 0.05, double minSpread = 0.02)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentException.ThrowIfNullOrEmpty(feature);
        ArgumentNullException.ThrowIfNull(select);
        ArgumentNullException.ThrowIfNull(options);
        Kind = kind;
        _feature = feature;
        _select = select;
        _drift = options.Drift;
        _direction = direction;
        _minEffect = direction == DriftDirection.LogUpward ? Math.Log(_drift.MinRelativeShift) : minEffect;
        _baseline = new RobustBaseline(
            options.WindowSize, options.WarmupSamples, 0, direction == DriftDirection.LogUpward ? _drift.MinLogSpread : minSpread, options.WinsorizeSpreads);
        _cusum = new Cusum(_drift.K, _drift.H, _drift.Clip);
        _level = new Ewma(Ewma.AlphaForHalfLife(20));
        _maxExemplars = options.MaxExemplars;
        _recent = new TraceId[options.MaxExemplars];
        Baselines = [new FeatureBaseline(direction == DriftDirection.LogUpward ? "log_" + feature : feature, _baseline)];
    }

    /// <inheritdoc />
    public string Kind { get; }

    /// <inheritdoc />
    public IReadOnlyList<FeatureBaseline> Baselines { get; }

    /// <summary>The current CUSUM sum (diagnostics, tests).</summary>
    public double Sum => _cusum.Sum;

    /// <summary>Signals so far.</summary>
    public long Signals { get; private set; }

    /// <inheritdoc />
    public Anomaly? Observe(AgentTrace trace, in TraceFeatures features)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var value = _select(features);
        var upward = _direction == DriftDirection.LogUpward;
        if (!double.IsFinite(value) || (upward && !(value > 0)))
        {
            return null;
        }

        var log = upward ? Math.Log(value) : value;
        if (!_baseline.IsWarm)
        {
            _baseline.Add(log);
            return null;
        }

        var median = _baseline.Median;
        var spread = upward ? _baseline.UpperSpread : _baseline.Spread;
        _level.Add(log);
        Remember(trace.TraceId);
        var z = Math.Clamp(upward ? (log - median) / spread : (median - log) / spread, -_drift.Clip, _drift.Clip);
        var crossed = AddToBlock(z, out var blockMean);
        var effect = upward ? _level.Value - median : median - _level.Value;
        if (crossed && effect >= _minEffect)
        {
            Signals++;
            var anomaly = new Anomaly(
                trace.Agent,
                Kind,
                trace.CompletedAtUnixNano,
                _cusum.Sum,
                new Finding(
                    _feature, upward ? Math.Exp(_level.Value) : _level.Value, upward ? Math.Exp(median) : median, spread, _cusum.Sum, Finding.Cusum).ToExplanation(),
                Exemplars());
            _baseline.Clear();
            _cusum.Reset();
            _level.Reset();
            _blockMean.Reset();
            _blockSquare.Reset();
            _blockSum = 0;
            _blockCount = 0;
            _recentCount = 0;
            return anomaly;
        }

        if (crossed && effect < _minEffect)
        {
            // Significant but too small to matter: the small shift is the new normal.
            _cusum.Reset();
        }

        if (_cusum.Sum < _drift.H / 2 && ++_eligible % _drift.LearnEvery == 0)
        {
            _baseline.Add(log);
        }



        return null;
    }

    /// <summary>
    /// Batch means: the clipped z of <see cref="DriftOptions.BlockSize"/> traces are averaged, and the block mean is
    /// standardised by the mean and deviation of earlier block means (slow EWMAs, half-life 300 blocks) before it
    /// enters the CUSUM. Averaging makes skewed or two-humped features (a router mixing a cheap and a dear model)
    /// near-normal, and the learnt centre removes their bias, so the sum's false-alarm rate holds for real agents and
    /// not only for normal data. Before 20 blocks: centre 0, deviation 1/√B.
    /// </summary>
    /// <returns>Whether the sum crossed h at the end of this block (false inside a block).</returns>
    private bool AddToBlock(double z, out double blockMean)
    {
        _blockSum += z;
        if (++_blockCount < _drift.BlockSize)
        {
            blockMean = double.NaN;
            return false;
        }

        blockMean = _blockSum / _blockCount;
        _blockSum = 0;
        _blockCount = 0;
        double centre = 0, deviation = 1 / Math.Sqrt(_drift.BlockSize);
        if (_blockMean.Count >= 20)
        {
            centre = _blockMean.Value;
            deviation = Math.Max(Math.Sqrt(Math.Max(_blockSquare.Value - (centre * centre), 0)), 0.5 / Math.Sqrt(_drift.BlockSize));
        }

        // Every block teaches the centre and deviation, clipped to ±4 deviations: learning only quiet blocks would
        // truncate the distribution, shrink the deviation and make the sum fire on normal traffic.
        var learnt = Math.Clamp(blockMean, centre - (4 * deviation), centre + (4 * deviation));
        _blockMean.Add(learnt);
        _blockSquare.Add(learnt * learnt);
        return _cusum.Add((blockMean - centre) / deviation);
    }

    private void Remember(TraceId trace)
    {
        if (_cusum.Sum <= 0)
        {
            _recentCount = 0;
        }

        _recent[_recentCount % _recent.Length] = trace;
        _recentCount++;
    }

    /// <summary>The last traces of the run that built the sum up, oldest first.</summary>
    private string[] Exemplars()
    {
        var take = Math.Min(_recentCount, _maxExemplars);
        var ids = new string[take];
        for (var k = 0; k < take; k++)
        {
            ids[k] = _recent[(_recentCount - take + k) % _recent.Length].ToString();
        }

        return ids;
    }
}
