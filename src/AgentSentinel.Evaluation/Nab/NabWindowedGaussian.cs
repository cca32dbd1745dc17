using System.Globalization;
using AgentSentinel.Detection.Streaming;

namespace AgentSentinel.Evaluation.Nab;

/// <summary>
/// A reimplementation of NAB's Windowed Gaussian detector (<c>nab/detectors/gaussian/windowedGaussian_detector.py</c>),
/// used to validate the scorer end to end: the score of a value is 1 − Q(|x − mean|/std), Q the normal tail, over the
/// previous values: every value while the window fills (up to 6400), then a window that slides by 100 values at a time.
/// The first row scores 0. NAB stored scores as Python 2 <c>str(float)</c> (12 significant digits) in its results CSVs and
/// scored what it read back, so <see cref="Run"/> rounds the same way: that rounding decides which tails reach 1.0.
/// </summary>
public static class NabWindowedGaussian
{
    /// <summary>NAB's window size.</summary>
    public const int WindowSize = 6400;

    /// <summary>NAB's step size.</summary>
    public const int StepSize = 100;

    /// <summary>Scores one file's values as NAB's detector did, rounded to 12 significant digits as NAB's CSVs hold them.</summary>
    public static double[] Run(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var scores = new double[values.Count];
        var window = new double[WindowSize];
        var count = 0;
        var start = 0;
        var buffered = 0;
        double mean = 0, std = 1;
        double runMean = 0, runM2 = 0;
        for (var i = 0; i < values.Count; i++)
        {
            var x = values[i];
            var score = count > 0 ? 1.0 - NormalTail(x, mean, std) : 0.0;
            scores[i] = RoundAsPython2(score);
            if (count < WindowSize)
            {
                window[count++] = x;
                var delta = x - runMean;
                runMean += delta / count;
                runM2 += delta * (x - runMean);
                mean = runMean;
                std = Math.Sqrt(runM2 / count);
                if (std == 0.0)
                {
                    std = 0.000001;
                }
            }
            else
            {
                // The window is a ring: slot `start` holds the oldest value; 100 new values replace the 100 oldest.
                window[(start + buffered) % WindowSize] = x;
                buffered++;
                if (buffered == StepSize)
                {
                    start = (start + StepSize) % WindowSize;
                    buffered = 0;
                    (mean, std) = MeanStd(window);
                }
            }
        }

        return scores;
    }

    /// <summary>NAB's <c>normalProbability</c>: the probability of a sample beyond x on its side of the mean (the Q function of |z|).</summary>
    public static double NormalTail(double x, double mean, double std)
    {
        if (x < mean)
        {
            x = (2 * mean) - x;
        }

        var z = (x - mean) / std;
        return TailProbability.NormalUpper(z);
    }

    /// <summary>Python 2's <c>str(float)</c>: the value rounded to 12 significant digits.</summary>
    public static double RoundAsPython2(double value) =>
        double.Parse(value.ToString("G12", CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static (double Mean, double Std) MeanStd(double[] window)
    {
        double sum = 0;
        foreach (var v in window)
        {
            sum += v;
        }

        var mean = sum / window.Length;
        double squares = 0;
        foreach (var v in window)
        {
            squares += (v - mean) * (v - mean);
        }

        var std = Math.Sqrt(squares / window.Length);
        return (mean, std == 0.0 ? 0.000001 : std);
    }
}
