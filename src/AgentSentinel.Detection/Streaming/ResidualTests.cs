namespace AgentSentinel.Detection.Streaming;

/// <summary>
/// The three tests on one model's residuals, each judged against that model's own history: |r| (spikes), |EWMA of r|
/// (short shifts, creep) and a two-sided CUSUM of r over the model's spread (sustained shifts). Their tail probabilities are
/// combined by Fisher's method.
/// </summary>
internal sealed class ResidualTests
{
    private const int Tests = 3;

    private readonly StreamingDetectorOptions _options;
    private readonly EmpiricalTail _point;
    private readonly EmpiricalTail _drift;
    private readonly EmpiricalTail _shift;
    private double _ewma;
    private double _cusumUp;
    private double _cusumDown;

    public ResidualTests(StreamingDetectorOptions options)
    {
        _options = options;
        _point = new EmpiricalTail(options.HistoryWindow, options.TailShare, options.MinExceedances);
        _drift = new EmpiricalTail(options.HistoryWindow, options.TailShare, options.MinExceedances);
        _shift = new EmpiricalTail(options.HistoryWindow, options.TailShare, options.MinExceedances);
    }

    /// <summary>Residuals observed so far.</summary>
    public long Count { get; private set; }

    /// <summary>Whether enough residuals have been seen for the tests to judge.</summary>
    public bool IsWarm => Count >= _options.Warmup;

    /// <summary>Judges <paramref name="residual"/> (spread <paramref name="sigma"/>), then adds it to the history.</summary>
    /// <returns>The combined surprise log10(1/p) (0 while not warm).</returns>
    public double Observe(double residual, double sigma)
    {
        var clipped = Math.Clamp(residual / sigma, -_options.CusumClip, _options.CusumClip);
        _cusumUp = Math.Max(0, _cusumUp + clipped - _options.CusumDrift);
        _cusumDown = Math.Max(0, _cusumDown - clipped - _options.CusumDrift);
        _ewma += _options.EwmaAlpha * (residual - _ewma);
        var point = Math.Abs(residual);
        var drift = Math.Abs(_ewma);
        var shift = Math.Max(_cusumUp, _cusumDown);

        var surprise = IsWarm
            ? StreamingAnomalyDetector.FisherSurprise(_point.Surprise(point) + _drift.Surprise(drift) + _shift.Surprise(shift), Tests)
            : 0.0;
        _point.Add(point);
        _drift.Add(drift);
        _shift.Add(shift);
        Count++;
        return surprise;
    }
}
