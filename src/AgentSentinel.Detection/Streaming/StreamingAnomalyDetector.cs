namespace AgentSentinel.Detection.Streaming;

/// <summary>
/// A univariate streaming anomaly detector: one value at a time with its timestamp, a score in [0, 1] per value.
/// </summary>
/// <remarks>
/// <para>
/// <b>Prediction.</b> Up to three predictors of the value compete: the <b>level</b> (the rolling median of recent values)
/// and, when the timestamps show that a day holds a usable number of samples, a <b>daily</b> and a <b>weekly</b> profile
/// (the exponentially weighted value at each time of day / of week). Each keeps a robust spread, an exponentially
/// weighted mean absolute residual with residuals clipped so spikes do not inflate it. The warm model with the smallest
/// spread explains the stream best, and its tests are scored.
/// </para>
/// <para>
/// <b>Tests.</b> Every ready model's residual r feeds three statistics: |r| (spikes), |EWMA of r| (short level shifts and
/// creep) and a two-sided CUSUM of r over the model's spread (sustained shifts). Each is judged against its own recent
/// history, kept per model, by <see cref="EmpiricalTail"/>: empirical below a high quantile, an exponential tail fitted to
/// the exceedances beyond it. No distribution is assumed, so heavy-tailed, skewed and quantised streams are calibrated
/// alike, and a model's residuals are never judged against another model's (e.g. the large level residuals of a seasonal
/// stream's first days).
/// </para>
/// <para>
/// <b>Score.</b> The three tail probabilities are combined by Fisher's method (as if independent: an anomaly that several
/// tests see is stronger evidence than one that only one sees) into p, and the surprise u = log10(1/p) maps to
/// u/(u + u½) with u½ = log10(1/<see cref="StreamingDetectorOptions.HalfScoreProbability"/>): monotone in p, so a fixed
/// threshold is a fixed tail probability. Alarms come in episodes, so a value is reported (otherwise 0) only when its
/// surprise reaches a step of <see cref="StreamingDetectorOptions.SuppressionStep"/> decades above every surprise of the
/// previous <see cref="StreamingDetectorOptions.SuppressionSpan"/> values: for any threshold an episode crosses it at its
/// first crossing, and again only if its evidence grows tenfold.
/// </para>
/// <para>
/// Per value: O(log n) searches plus block moves in the sorted windows, O(1) otherwise; no allocation after construction.
/// Not thread-safe; deterministic (the same values and timestamps give the same scores, bit for bit).
/// </para>
/// </remarks>
public sealed class StreamingAnomalyDetector
{
    private const double MeanAbsToSigma = 1.2533141373155003; // √(π/2): σ / E|X| for a normal X.
    private const double SecondsPerDay = 86_400;
    private const int DaysPerWeek = 7;

    private readonly StreamingDetectorOptions _options;
    private readonly SortedWindow _level;
    private readonly SeasonalProfile _daily;
    private readonly SeasonalProfile _weekly;
    private readonly ResidualTests _levelTests;
    private readonly ResidualTests _dailyTests;
    private readonly ResidualTests _weeklyTests;
    private readonly double[] _intervals;
    private readonly double[] _recentSurprises;
    private readonly long[] _recentIndex;
    private readonly double _halfScoreSurprise;

    private long _count;
    private long _lastTicks;
    private int _intervalCount;
    private double _interval;
    private double _levelMeanAbs;
    private double _quantum;
    private double _lastValue;
    private int _dequeHead;
    private int _dequeCount;

    /// <summary>Creates a detector; throws when <paramref name="options"/> are invalid.</summary>
    public StreamingAnomalyDetector(StreamingDetectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        _options = options;
        _level = new SortedWindow(options.LevelWindow);
        _daily = new SeasonalProfile(options.MaxPeriod, options.ProfileAlpha, options.SpreadAlpha, options.SpreadClip, options.ProfileWarmupCycles);
        _weekly = new SeasonalProfile(options.MaxPeriod * DaysPerWeek, options.ProfileAlpha, options.SpreadAlpha, options.SpreadClip, options.ProfileWarmupCycles);
        _levelTests = new ResidualTests(options);
        _dailyTests = new ResidualTests(options);
        _weeklyTests = new ResidualTests(options);
        _intervals = new double[options.IntervalSamples];
        _recentSurprises = new double[options.SuppressionSpan + 1];
        _recentIndex = new long[options.SuppressionSpan + 1];
        _halfScoreSurprise = Math.Log10(1.0 / options.HalfScoreProbability);
    }

    /// <summary>The daily period in values once the sampling interval is known (0: none found, or not yet known).</summary>
    public int Period => _daily.Period;

    /// <summary>The model that explained the last value.</summary>
    public StreamingModel LastModel { get; private set; }

    /// <summary>The last value's residual under <see cref="LastModel"/>.</summary>
    public double LastResidual { get; private set; }

    /// <summary>The last value's surprise log10(1/p), p the tests' combined tail probability, before suppression.</summary>
    public double LastSurprise { get; private set; }

    /// <summary>The last value's score before suppression.</summary>
    public double LastRawScore { get; private set; }

    /// <summary>Scores <paramref name="value"/> observed at <paramref name="timestamp"/>, then learns from it.</summary>
    /// <returns>The anomaly score in [0, 1]: 0 during warm-up and for values suppressed within an episode.</returns>
    public double Update(DateTime timestamp, double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "must be finite");
        }

        var index = _count++;
        LearnInterval(timestamp.Ticks, index);
        if (index > 0 && value != _lastValue)
        {
            var step = Math.Abs(value - _lastValue);
            _quantum = _quantum == 0 ? step : Math.Min(_quantum, step);
        }

        _lastValue = value;

        // Predict: the ready model with the smallest spread supplies the residual.
        var median = _level.Count > 0 ? _level.Median : value;
        var floor = Math.Max(0.5 * _quantum, 1e-9 * Math.Max(1.0, Math.Abs(median)));
        var levelSigma = Math.Max(_levelMeanAbs * MeanAbsToSigma, floor);
        var dailyPhase = Phase(timestamp, _daily.Period, daily: true);
        var weeklyPhase = Phase(timestamp, _weekly.Period, daily: false);
        var dailySigma = Math.Max(_daily.MeanAbsResidual * MeanAbsToSigma, floor);
        var weeklySigma = Math.Max(_weekly.MeanAbsResidual * MeanAbsToSigma, floor);

        // Each ready model's residual is tested against that model's own history; the warm model with the smallest spread
        // explains the stream best, and its surprise is scored.
        var model = StreamingModel.Level;
        var residual = value - median;
        var sigma = levelSigma;
        var surprise = _levelTests.Observe(residual, levelSigma);
        var candidate = _levelTests.IsWarm;
        if (_daily.IsReady(dailyPhase))
        {
            var dailyResidual = _daily.Residual(dailyPhase, value);
            var dailySurprise = _dailyTests.Observe(dailyResidual, dailySigma);
            if (_dailyTests.IsWarm && (!candidate || dailySigma < sigma))
            {
                (model, residual, sigma, surprise, candidate) = (StreamingModel.Daily, dailyResidual, dailySigma, dailySurprise, true);
            }
        }

        if (_weekly.IsReady(weeklyPhase))
        {
            var weeklyResidual = _weekly.Residual(weeklyPhase, value);
            var weeklySurprise = _weeklyTests.Observe(weeklyResidual, weeklySigma);
            if (_weeklyTests.IsWarm && (!candidate || weeklySigma < sigma))
            {
                (model, residual, surprise, candidate) = (StreamingModel.Weekly, weeklyResidual, weeklySurprise, true);
            }
        }

        if (index < _options.Warmup || !candidate)
        {
            surprise = 0;
        }

        var score = surprise > 0 ? surprise / (surprise + _halfScoreSurprise) : 0.0;
        LastModel = model;
        LastResidual = residual;
        LastSurprise = surprise;
        LastRawScore = score;

        // Learn: the level's spread from the clipped residual, the median, the profiles.
        var levelResidual = value - median;
        var weight = Math.Max(_options.SpreadAlpha, 1.0 / (index + 1));
        var levelAbs = _levelMeanAbs > 0 ? Math.Min(Math.Abs(levelResidual), _options.SpreadClip * levelSigma) : Math.Abs(levelResidual);
        _levelMeanAbs += weight * (levelAbs - _levelMeanAbs);
        _level.Add(value);
        if (dailyPhase >= 0)
        {
            _daily.Learn(dailyPhase, value, dailySigma);
        }

        if (weeklyPhase >= 0)
        {
            _weekly.Learn(weeklyPhase, value, weeklySigma);
        }

        return Suppress(score, surprise, index);
    }

    /// <summary>
    /// Fisher's method: with s = Σ log10(1/pᵢ) over m tests and L = s·ln 10, the probability that m independent uniform
    /// p-values have a product at most 10^(−s) is 10^(−s)·Σ_{k&lt;m} L^k/k!; returns log10 of its inverse (≥ 0).
    /// </summary>
    public static double FisherSurprise(double sum, int tests)
    {
        var l = sum * Math.Log(10);
        double term = 1, total = 1;
        for (var k = 1; k < tests; k++)
        {
            term *= l / k;
            total += term;
        }

        return Math.Max(0.0, sum - Math.Log10(total));
    }

    /// <summary>
    /// Reports <paramref name="score"/> only if its surprise reaches a step (of <see cref="StreamingDetectorOptions.SuppressionStep"/>
    /// decades) above the largest surprise of the suppression span before it; otherwise 0.
    /// </summary>
    private double Suppress(double score, double surprise, long index)
    {
        var span = _options.SuppressionSpan;
        if (span == 0)
        {
            return score;
        }

        // A monotone deque of the span's surprises: the front is the span's maximum.
        var capacity = _recentSurprises.Length;
        while (_dequeCount > 0 && index - _recentIndex[_dequeHead] > span)
        {
            _dequeHead = (_dequeHead + 1) % capacity;
            _dequeCount--;
        }

        var previousMax = _dequeCount > 0 ? _recentSurprises[_dequeHead] : 0.0;
        while (_dequeCount > 0 && _recentSurprises[(_dequeHead + _dequeCount - 1) % capacity] <= surprise)
        {
            _dequeCount--;
        }

        var tail = (_dequeHead + _dequeCount) % capacity;
        _recentSurprises[tail] = surprise;
        _recentIndex[tail] = index;
        _dequeCount++;
        return Math.Floor(surprise / _options.SuppressionStep) > Math.Floor(previousMax / _options.SuppressionStep) ? score : 0.0;
    }

    /// <summary>Estimates the sampling interval from the first intervals; if a day holds a usable period, starts the profiles.</summary>
    private void LearnInterval(long ticks, long index)
    {
        if (index > 0 && _intervalCount < _intervals.Length)
        {
            var seconds = (ticks - _lastTicks) / (double)TimeSpan.TicksPerSecond;
            if (seconds > 0)
            {
                _intervals[_intervalCount++] = seconds;
                if (_intervalCount == _intervals.Length)
                {
                    Array.Sort(_intervals);
                    _interval = _intervals[_intervals.Length / 2];
                    var period = SecondsPerDay / _interval;
                    var rounded = (int)Math.Round(period);
                    if (_options.Seasonal && rounded >= _options.MinPeriod && rounded <= _options.MaxPeriod && Math.Abs(period - rounded) < 0.01 * rounded)
                    {
                        _daily.Start(rounded);
                        if (_options.Weekly)
                        {
                            _weekly.Start(rounded * DaysPerWeek);
                        }
                    }
                }
            }
        }

        _lastTicks = ticks;
    }

    private int Phase(DateTime timestamp, int period, bool daily)
    {
        if (period == 0)
        {
            return -1;
        }

        var seconds = timestamp.TimeOfDay.TotalSeconds + (daily ? 0 : (int)timestamp.DayOfWeek * SecondsPerDay);
        return (int)Math.Round(seconds / _interval) % period;
    }
}

/// <summary>The predictor that explained a value.</summary>
public enum StreamingModel
{
    /// <summary>The rolling median.</summary>
    Level,

    /// <summary>The time-of-day profile.</summary>
    Daily,

    /// <summary>The time-of-week profile.</summary>
    Weekly,
}
