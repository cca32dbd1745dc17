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
/// <item>After warm-up the baseline learns every value until it holds <see cref="DriftOptions.ReferenceSamples"/>, then one
/// in <see cref="DriftOptions.LearnEvery"/>, and only while the sum is below h/2: its window then spans about a thousand
/// traces, so a creep cannot drag its own reference along.</item>
/// <item>The sum adds batch means of the clipped z, standardised by the agent's own moments: those of single traces at
/// first (mean, deviation/√B), then those of earlier batch means (which include correlation within a batch). Skewed and
/// two-humped features (a router's cost) keep the designed false-alarm rate.</item>
/// <item>A signal needs the recent level (EWMA of ln x, half-life 20 traces) to sit at least
/// <see cref="DriftOptions.MinRelativeShift"/> above the median: an effect worth an operator's time.</item>
/// <item>A crossing whose effect is too small restarts the sum and lets the baseline learn the new level.</item>
/// <item>After a signal the baseline is cleared and rebuilt on the new level from <see cref="DriftOptions.ReferenceSamples"/>
/// traces before anything is judged again (a change detector restarts at the change point, once it knows the new level):
/// one signal per shift, and a later further shift is caught against the new level. The learnt moments of z stay: a
/// level shift does not change the shape of the agent's distribution.</item>
/// </list>
/// The explanation reports the recent level and the median in raw units, the log-scale spread and the sum.
/// </remarks>
public sealed class DriftDetector : IAgentDetector
{
    /// <summary>Blocks before the learnt centre and deviation of block means replace the nominal 0 and 1/√B.</summary>
    private const int MinShapeBlocks = 20;

    private static readonly double ShapeAlpha = Ewma.AlphaForHalfLife(300);

    private readonly string _feature;
    private readonly FeatureSelector _select;
    private readonly DriftOptions _drift;
    private readonly DriftDirection _direction;
    private readonly double _minEffect;
    private readonly RobustBaseline _baseline;
    private readonly int _maxExemplars;
    private readonly TraceId[] _recent;
    private readonly int _referenceSamples;
    private readonly double _traceAlpha;
    private bool _rebaselining;
    private long _traces;
    private double _traceMean;
    private double _traceSquare;
    private Cusum _cusum;
    private Ewma _level;
    private int _recentCount;
    private long _eligible;
    private long _shapeBlocks;
    private double _shapeMean;
    private double _shapeSquare;
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
        _referenceSamples = Math.Min(_drift.ReferenceSamples, options.WindowSize);
        _traceAlpha = Ewma.AlphaForHalfLife(300.0 * _drift.BlockSize);
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
        var z = Math.Clamp(upward ? (log - median) / spread : (median - log) / spread, -_drift.Clip, _drift.Clip);
        LearnTraceMoments(z);
        if (_rebaselining && _baseline.Count < _referenceSamples)
        {
            // After a signal the reference is rebuilt on the new level: it learns every trace and nothing is judged
            // until it holds ReferenceSamples values (a median from the 30 warm-up values is off by about 0.23 spreads,
            // as much as the allowance: a restarted chart would soon signal again on normal traffic).
            _baseline.Add(log);
            return null;
        }

        _rebaselining = false;
        _level.Add(log);
        Remember(trace.TraceId);
        var crossed = AddToBlock(z);

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
            Restart();
            return anomaly;
        }

        if (crossed && effect < _minEffect)
        {
            // Significant but too small to matter: the small shift is the new normal.
            _cusum.Reset();
        }

        // Every trace until the reference holds ReferenceSamples values, then one in LearnEvery, picked by a hash of the
        // count rather than a fixed stride: traffic with a period (round-robin task types) would otherwise alias, and the
        // reference would hold only one phase of it.
        if (_cusum.Sum < _drift.H / 2 && (_baseline.Count < _referenceSamples || Thin(++_eligible) % (ulong)_drift.LearnEvery == 0))
        {
            _baseline.Add(log);
        }

        return null;
    }

    /// <summary>A deterministic scramble of a counter (SplitMix64's finaliser): uniform residues, no period.</summary>
    private static ulong Thin(long count)
    {
        var x = (ulong)count;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    /// <summary>
    /// Batch means: the clipped z of <see cref="DriftOptions.BlockSize"/> traces are averaged, and the block mean is
    /// standardised by the mean and deviation of earlier block means (slow EWMAs, half-life 300 blocks) before it
    /// enters the CUSUM. Averaging makes skewed or two-humped features (a router mixing a cheap and a dear model)
    /// near-normal, and the learnt centre removes their bias, so the sum's false-alarm rate holds for real agents and
    /// not only for normal data. Before 20 blocks: centre 0, deviation 1/√B.
    /// </summary>
    /// <returns>Whether the sum crossed h at the end of this block (false inside a block).</returns>
    private bool AddToBlock(double z)
    {
        _blockSum += z;
        if (++_blockCount < _drift.BlockSize)
        {
            return false;
        }

        var blockMean = _blockSum / _blockCount;
        _blockSum = 0;
        _blockCount = 0;
        // Before enough blocks, the moments of the single traces' z (mean, and deviation over √B): exact for independent
        // traces, and learnt from the reference phase on, so skew (mean of the clipped z above 0) is accounted for at once.
        var floor = 0.5 / Math.Sqrt(_drift.BlockSize);
        var centre = _traceMean;
        var deviation = Math.Max(Math.Sqrt(Math.Max(_traceSquare - (_traceMean * _traceMean), 0) / _drift.BlockSize), floor);
        if (_shapeBlocks >= MinShapeBlocks)
        {
            centre = _shapeMean;
            deviation = Math.Max(Math.Sqrt(Math.Max(_shapeSquare - (centre * centre), 0)), floor);
        }

        // Every block teaches the centre and deviation, clipped to ±4 deviations: learning only quiet blocks would
        // truncate the distribution, shrink the deviation and make the sum fire on normal traffic. The weight is
        // max(1/n, α): a plain mean over the first blocks (an EWMA started at its first value would keep that one
        // block's mean as its centre, and ~0 as its variance, for hundreds of blocks), then forgetting (half-life 300).
        var learnt = Math.Clamp(blockMean, centre - (4 * deviation), centre + (4 * deviation));
        _shapeBlocks++;
        var weight = Math.Max(1.0 / _shapeBlocks, ShapeAlpha);
        _shapeMean += weight * (learnt - _shapeMean);
        _shapeSquare += weight * ((learnt * learnt) - _shapeSquare);
        return _cusum.Add((blockMean - centre) / deviation);
    }

    /// <summary>
    /// Re-baselining after a signal: the reference restarts on the new level and judges again only once it holds
    /// <see cref="DriftOptions.ReferenceSamples"/> values. The moments of z stay: they describe the shape of the agent's
    /// distribution relative to its median and spread, which a level shift does not change.
    /// </summary>
    private void Restart()
    {
        _baseline.Clear();
        _rebaselining = true;
        _cusum.Reset();
        _level.Reset();
        _blockSum = 0;
        _blockCount = 0;
        _recentCount = 0;
    }

    /// <summary>Running mean and mean square of the single traces' clipped z (weight max(1/n, α); kept across re-baselining).</summary>
    private void LearnTraceMoments(double z)
    {
        _traces++;
        var weight = Math.Max(1.0 / _traces, _traceAlpha);
        _traceMean += weight * (z - _traceMean);
        _traceSquare += weight * ((z * z) - _traceSquare);
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
