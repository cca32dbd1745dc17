namespace AgentSentinel.Detection.Streaming;

/// <summary>
/// One seasonal predictor: the exponentially weighted value at each phase of a period (time of day, or of week), and the
/// robust spread of its residuals. Updates are clipped towards the profile, so a spike barely moves it.
/// </summary>
internal sealed class SeasonalProfile
{
    private readonly double[] _value;
    private readonly int[] _seen;
    private readonly double _alpha;
    private readonly double _spreadAlpha;
    private readonly double _clip;
    private readonly int _warmupCycles;
    private double _meanAbsResidual;
    private long _residuals;

    public SeasonalProfile(int maxPeriod, double alpha, double spreadAlpha, double clip, int warmupCycles)
    {
        _value = new double[maxPeriod];
        _seen = new int[maxPeriod];
        _alpha = alpha;
        _spreadAlpha = spreadAlpha;
        _clip = clip;
        _warmupCycles = warmupCycles;
    }

    /// <summary>The period in values (0: not in use).</summary>
    public int Period { get; private set; }

    /// <summary>The mean absolute residual (the spread's scale, before any floor).</summary>
    public double MeanAbsResidual => _meanAbsResidual;

    /// <summary>Starts using a period of <paramref name="period"/> values (≤ the capacity).</summary>
    public void Start(int period) => Period = period;

    /// <summary>Whether the phase has been seen for enough cycles for the profile to predict it.</summary>
    public bool IsReady(int phase) => Period > 0 && phase >= 0 && _seen[phase] >= _warmupCycles && _residuals > 0;

    /// <summary>The value minus the profile at <paramref name="phase"/> (0 before the phase is first seen).</summary>
    public double Residual(int phase, double value) => _seen[phase] > 0 ? value - _value[phase] : 0.0;

    /// <summary>Learns <paramref name="value"/> at <paramref name="phase"/>; <paramref name="sigma"/> is the current spread (clip scale).</summary>
    public void Learn(int phase, double value, double sigma)
    {
        if (_seen[phase] == 0)
        {
            _value[phase] = value;
        }
        else
        {
            var residual = value - _value[phase];
            var weight = Math.Max(_spreadAlpha, 1.0 / (_residuals + 1));
            var abs = _meanAbsResidual > 0 ? Math.Min(Math.Abs(residual), _clip * sigma) : Math.Abs(residual);
            _meanAbsResidual += weight * (abs - _meanAbsResidual);
            _residuals++;
            var limit = _clip * sigma;
            _value[phase] += _alpha * Math.Clamp(residual, -limit, limit);
        }

        _seen[phase]++;
    }
}
