using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Features;

namespace AgentSentinel.Detection.Detectors.Silence;

/// <summary>
/// Silence: the agent's traffic stopped against its own rate. Learns the arrivals (each trace's
/// <see cref="AgentTrace.CompletedAtUnixNano"/>) in <see cref="Observe"/> and judges the gap since the last one at each
/// watermark (<see cref="OnWatermark"/>). Event time only, deterministic, no allocation except the anomaly itself.
/// </summary>
/// <remarks>
/// <para>
/// Rate model λ(t) = the smaller of a recent rate (exponentially weighted, half-life
/// <see cref="SilenceOptions.RateHalfLife"/>) and, once a full day has been observed, the agent's rate at that hour of the
/// day (after 8 days: of the week), so that a nightly or weekend lull is not silence. Arrivals closer than a tenth of the
/// current mean gap count only in part (an arrival x mean gaps after the previous one counts min(1, x / 0.1)), so a burst
/// does not inflate the rate; for Poisson traffic this puts the rate about 5 % low, on the safe side.
/// </para>
/// <para>
/// Over a gap the expected traces are E = ∫ λ(t) dt; the chance of seeing none is exp(−E). A silence is reported when
/// −log10 P = E / ln 10 ≥ <see cref="SilenceOptions.Threshold"/>, the gap is at least <see cref="SilenceOptions.MinGap"/>,
/// warm-up is done, and E ≥ <see cref="SilenceOptions.GapFactor"/> × the <see cref="SilenceOptions.GapQuantile"/>
/// quantile of the agent's own past gaps measured the same way (in expected traces, each weighted by its length, with a
/// half-life of a week): for Poisson traffic that quantile is about 6.6, so the guard does not bind, while a batch agent's
/// long idle stretches raise it. Weighting by length rather than count keeps the few odd gaps of the first minutes (when
/// the rate is still a guess) from dominating, while the idle stretches that fill a batch agent's time do.
/// </para>
/// <para>
/// One anomaly per silence; the next trace re-arms the detector. A reported gap is not learnt by the recent rate nor by
/// the gap guard, so a silence does not make the agent look slower; only the hour-of-day profile learns it, so that an
/// agent that stops every evening is reported on its first evening only. A gap that passed through a blind stretch (a
/// watermark step longer than <see cref="SilenceOptions.MaxWatermarkStep"/>: the whole input was quiet) is not learnt
/// at all, and its blind time does not count towards a silence.
/// </para>
/// </remarks>
public sealed class SilenceDetector : IAgentDetector, IWatermarkDetector
{
    /// <summary>The feature named in the explanation: seconds since the agent's last trace.</summary>
    public const string Feature = "seconds_since_last_trace";

    /// <summary>The explanation's method: −log10 of the Poisson chance of the gap.</summary>
    public const string Method = "poisson_gap";

    private const long SecondNs = 1_000_000_000L;
    private const long HourNs = 3600 * SecondNs;
    private const long DayNs = 24 * HourNs;
    private const double BurstClip = 0.1;
    private const double DayProfileDecay = 0.85;   // per day: a bin remembers about a week
    private const double WeekProfileDecay = 0.75;  // per week: a bin remembers about a month
    private const double MinBinExposureSeconds = 1800;
    private const long MaxLearntGapNs = 7 * DayNs;
    private const int GapBinsPerOctave = 2;
    private const int GapMinOctave = -10;
    private const int GapBins = 30 * GapBinsPerOctave; // 2^-10 .. 2^20 expected traces
    private const double GapHalfLifeSeconds = 7 * 86_400;
    private static readonly double Ln10 = Math.Log(10);

    private readonly double _thresholdE;
    private readonly long _minGapNs;
    private readonly long _maxStepNs;
    private readonly int _warmupTraces;
    private readonly long _warmupNs;
    private readonly double _gapQuantile;
    private readonly double _gapFactor;
    private readonly double _k;

    // Recent rate: decayed (weighted) count over decayed exposure, in seconds.
    private double _count;
    private double _exposure;

    // Seasonal profiles: decayed counts and exposure (seconds) per hour of day / of week, aged lazily per period.
    private readonly double[] _dayCount = new double[24];
    private readonly double[] _dayExposure = new double[24];
    private readonly long[] _dayStamp = new long[24];
    private readonly double[] _weekCount = new double[168];
    private readonly double[] _weekExposure = new double[168];
    private readonly long[] _weekStamp = new long[168];

    // Past gaps binned by their E (log2 bins), each weighing its length in seconds (times a growing scale for decay).
    private readonly double[] _gapMass = new double[GapBins];
    private double _gapTotal;
    private long _gapScaleAt = long.MinValue;

    private long _first = long.MinValue;
    private long _last = long.MinValue;
    private TraceId _lastTrace;
    private long _seen = long.MinValue;      // latest event time known to have had input (arrival or watermark)
    private long _integratedTo = long.MinValue;
    private double _expected;               // E over the current gap, up to _integratedTo
    private long _blindNs;                  // blind event time within the current gap
    private bool _gapTainted;               // the current gap had a blind stretch: do not learn it

    /// <param name="options">Validated settings (<see cref="SilenceOptions.Validate"/>).</param>
    public SilenceDetector(SilenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _thresholdE = options.Threshold * Ln10;
        _minGapNs = options.MinGap.Ticks * 100;
        _maxStepNs = options.MaxWatermarkStep.Ticks * 100;
        _warmupTraces = options.WarmupTraces;
        _warmupNs = options.WarmupDuration.Ticks * 100;
        _gapQuantile = options.GapQuantile;
        _gapFactor = options.GapFactor;
        _k = Math.Log(2) / options.RateHalfLife.TotalSeconds;
    }

    /// <inheritdoc />
    public string Kind => AnomalyKinds.Silence;

    /// <inheritdoc />
    public IReadOnlyList<FeatureBaseline> Baselines => [];

    /// <summary>Traces observed.</summary>
    public long Traces { get; private set; }

    /// <summary>Whether a silence was reported and no trace has arrived since.</summary>
    public bool InEpisode { get; private set; }

    /// <summary>Silences reported so far.</summary>
    public long Episodes { get; private set; }

    /// <summary>Whether warm-up is done (enough traces over enough event time).</summary>
    public bool IsWarm => Traces >= _warmupTraces && _last - _first >= _warmupNs;

    /// <summary>
    /// Whether the detector is waiting on the current gap: warm and no silence reported for it yet. An owner that
    /// stops idle agents can keep this one a while longer so that its silence gets the chance to be reported.
    /// </summary>
    public bool IsWatching => IsWarm && !InEpisode;

    /// <summary>The expected traces (E) over the current gap, as of the last watermark.</summary>
    public double ExpectedOverGap => _expected;

    /// <summary>The recent arrival rate, in traces per second.</summary>
    public double RecentRatePerSecond => RecentRate();

    /// <summary>The burst guard: E must reach this (<see cref="SilenceOptions.GapFactor"/> × the gap quantile).</summary>
    public double GapGuard => _gapFactor * GapQuantileValue();

    /// <inheritdoc />
    /// <remarks>Learns the arrival; judges nothing (a trace ends a silence, it cannot start one).</remarks>
    public Anomaly? Observe(AgentTrace trace, in TraceFeatures features)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var t = trace.CompletedAtUnixNano;
        Traces++;
        _seen = Math.Max(_seen, t);
        if (_last == long.MinValue)
        {
            _first = _last = t;
            _lastTrace = trace.TraceId;
            StartGap(t);
            AddArrivalCount(t, 1);
            _count = 1;
            return null;
        }

        if (t < _last)
        {
            // Out of order (a trace closed late): an arrival inside the learnt past.
            AddArrivalCount(t, 1);
            _count += 1;
            return null;
        }

        var gapNs = t - _last;
        var rate = RecentRate();
        var weight = rate > 0 ? Math.Clamp(gapNs / (double)SecondNs * rate / BurstClip, 0, 1) : 1;
        if (!_gapTainted && gapNs <= MaxLearntGapNs)
        {
            // The hour-of-day profile learns every gap it saw, a reported one included: otherwise an agent that stops
            // every evening would be reported every evening. (A real silence lowers those hours' rates by about a seventh.)
            if (!InEpisode)
            {
                // The gap's E under the model as it stood (before this arrival), then the arrival itself.
                AddGap(Integrate(_last, t), gapNs / (double)SecondNs, t);
                LearnRate(gapNs / (double)SecondNs, weight);
            }

            AddExposure(_last, t);
            AddArrivalCount(t, weight);
        }

        // A reported gap does not reach the recent rate nor the gap guard; a blind one reaches nothing.
        InEpisode = false;
        _last = t;
        _lastTrace = trace.TraceId;
        StartGap(t);
        return null;
    }

    /// <inheritdoc />
    public Anomaly? OnWatermark(string agent, long watermarkUnixNano)
    {
        var w = watermarkUnixNano;
        if (_last == long.MinValue || w <= _integratedTo)
        {
            _seen = Math.Max(_seen, w);
            return null;
        }

        var step = w - Math.Max(_seen, _integratedTo);
        _seen = Math.Max(_seen, w);
        if (step > _maxStepNs)
        {
            // No input at all for that long: the pipeline, not this agent, was quiet. Do not count that stretch.
            _blindNs += w - _integratedTo;
            _gapTainted = true;
        }
        else
        {
            _expected += Integrate(_integratedTo, w);
        }

        _integratedTo = w;
        if (InEpisode || !IsWarm)
        {
            return null;
        }

        var gapNs = w - _last - _blindNs;
        if (gapNs < _minGapNs || _expected < _thresholdE || _expected < GapGuard)
        {
            return null;
        }

        InEpisode = true;
        Episodes++;
        var gapSeconds = gapNs / (double)SecondNs;
        var distance = _expected / Ln10;
        var explanation = new AnomalyExplanation(Feature, gapSeconds, gapSeconds / _expected, gapSeconds / _expected, distance)
        {
            Method = Method,
        };
        return new Anomaly(agent, Kind, w, distance, explanation, [_lastTrace.ToString()]);
    }

    private void StartGap(long t)
    {
        _integratedTo = t;
        _expected = 0;
        _blindNs = 0;
        _gapTainted = false;
    }

    private double RecentRate() => _exposure > 0 ? _count / _exposure : 0;

    private void LearnRate(double gapSeconds, double weight)
    {
        var d = Math.Exp(-_k * gapSeconds);
        _count = (_count * d) + weight;
        _exposure = (_exposure * d) + ((1 - d) / _k);
    }

    /// <summary>∫ λ(t) dt over [from, to], hour by hour.</summary>
    private double Integrate(long from, long to)
    {
        var recent = RecentRate();
        var seasonal = _last - _first >= DayNs;
        var weekly = _last - _first >= 8 * DayNs;
        var e = 0.0;
        var t = from;
        while (t < to)
        {
            var hour = FloorDiv(t, HourNs);
            var end = Math.Min(to, (hour + 1) * HourNs);
            var rate = recent;
            if (seasonal)
            {
                var b = weekly ? HourOfWeek(hour) : HourOfDay(hour);
                var (count, exposure) = weekly ? (_weekCount[b], _weekExposure[b]) : (_dayCount[b], _dayExposure[b]);
                if (exposure >= MinBinExposureSeconds)
                {
                    rate = Math.Min(rate, count / exposure);
                }
            }

            e += rate * ((end - t) / (double)SecondNs);
            t = end;
        }

        return e;
    }

    private void AddExposure(long from, long to)
    {
        var t = from;
        while (t < to)
        {
            var hour = FloorDiv(t, HourNs);
            var end = Math.Min(to, (hour + 1) * HourNs);
            var seconds = (end - t) / (double)SecondNs;
            var d = Age(_dayCount, _dayExposure, _dayStamp, HourOfDay(hour), FloorDiv(hour, 24), DayProfileDecay);
            _dayExposure[d] += seconds;
            var k = Age(_weekCount, _weekExposure, _weekStamp, HourOfWeek(hour), FloorDiv(hour, 168), WeekProfileDecay);
            _weekExposure[k] += seconds;
            t = end;
        }
    }

    private void AddArrivalCount(long t, double weight)
    {
        var hour = FloorDiv(t, HourNs);
        _dayCount[Age(_dayCount, _dayExposure, _dayStamp, HourOfDay(hour), FloorDiv(hour, 24), DayProfileDecay)] += weight;
        _weekCount[Age(_weekCount, _weekExposure, _weekStamp, HourOfWeek(hour), FloorDiv(hour, 168), WeekProfileDecay)] += weight;
    }

    /// <summary>Ages bin <paramref name="bin"/> to <paramref name="period"/> (a bin is aged once per day or week it is touched).</summary>
    private static int Age(double[] count, double[] exposure, long[] stamp, int bin, long period, double decay)
    {
        var behind = period - stamp[bin];
        if (behind > 0)
        {
            var f = behind > 200 ? 0 : Math.Pow(decay, behind);
            count[bin] *= f;
            exposure[bin] *= f;
            stamp[bin] = period;
        }

        return bin;
    }

    private void AddGap(double e, double seconds, long t)
    {
        if (!(e > 0) || !(seconds > 0))
        {
            return;
        }

        // Decay by a growing scale instead of touching every bin: newer gaps weigh more.
        if (_gapScaleAt == long.MinValue)
        {
            _gapScaleAt = t;
        }

        var scale = Math.Pow(2, (t - _gapScaleAt) / (double)SecondNs / GapHalfLifeSeconds);
        if (scale > 1e100)
        {
            for (var i = 0; i < _gapMass.Length; i++)
            {
                _gapMass[i] /= scale;
            }

            _gapTotal /= scale;
            _gapScaleAt = t;
            scale = 1;
        }

        var bin = (int)Math.Floor((Math.Log2(e) - GapMinOctave) * GapBinsPerOctave);
        bin = Math.Clamp(bin, 0, GapBins - 1);
        _gapMass[bin] += seconds * scale;
        _gapTotal += seconds * scale;
    }

    /// <summary>The <see cref="SilenceOptions.GapQuantile"/> quantile of past gaps (in expected traces), weighted by their length.</summary>
    private double GapQuantileValue()
    {
        if (!(_gapTotal > 0) || _gapFactor == 0)
        {
            return 0;
        }

        var tail = (1 - _gapQuantile) * _gapTotal;
        var above = 0.0;
        for (var b = GapBins - 1; b >= 0; b--)
        {
            var mass = _gapMass[b];
            if (above + mass > tail)
            {
                // Geometric interpolation inside the bin: the share of its mass still needed, counted from the top.
                var f = (tail - above) / mass;
                var upper = (double)(b + 1) / GapBinsPerOctave + GapMinOctave;
                return Math.Pow(2, upper - (f / GapBinsPerOctave));
            }

            above += mass;
        }

        return Math.Pow(2, GapMinOctave);
    }

    private static int HourOfDay(long hour) => (int)(((hour % 24) + 24) % 24);

    private static int HourOfWeek(long hour) => (int)(((hour % 168) + 168) % 168);

    private static long FloorDiv(long a, long b)
    {
        var q = a / b;
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
    }
}
