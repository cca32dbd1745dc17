using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace AgentSentinel.Detection.Multivariate;

/// <summary>
/// Trains a <see cref="PcaModel"/> on a block of transformed trace vectors: robust standardisation, ML.NET's randomized
/// PCA (<c>AnomalyDetection.Trainers.RandomizedPca</c>) for the principal subspace, then the residual threshold
/// calibrated on the same traces. Deterministic (fixed seed, single-threaded); allocates freely: it runs off the hot
/// path, on the thread pool.
/// </summary>
public static class PcaModelTrainer
{
    private const string FeaturesColumn = "Features";
    private const double MeanAbsoluteDeviationToSigma = 1.2533; // sqrt(pi/2): mean |x - mu| to sigma for normal data
    private const int MinEmpiricalTail = 5;

    /// <summary>Robust z beyond which a warm-up row is dropped before the final fit.</summary>
    private const double TrimCutoff = 6;

    /// <summary>At most this share of the rows is dropped.</summary>
    private const double MaxTrimShare = 0.05;

    /// <summary>
    /// Trains on the first <paramref name="count"/> rows of <paramref name="rows"/> (row-major, <see cref="TraceFeatureVector.Count"/>
    /// values per row, transformed, NaN for missing values).
    /// </summary>
    /// <param name="rows">The training vectors.</param>
    /// <param name="count">Rows to use (more than <see cref="MultivariateOptions.Rank"/>).</param>
    /// <param name="options">Rank, oversampling, seed, budget and margins.</param>
    /// <param name="version">The model's version (also varies the seed).</param>
    public static PcaModel Train(double[] rows, int count, MultivariateOptions options, int version)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(options);
        const int d = TraceFeatureVector.Count;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(count, options.Rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, rows.Length / d);

        var centre = new double[d];
        var scale = new double[d];
        Standardisation(rows, count, centre, scale);
        var standardised = new FeatureRow[count];
        for (var n = 0; n < count; n++)
        {
            var values = new float[d];
            for (var i = 0; i < d; i++)
            {
                var x = rows[(n * d) + i];
                values[i] = double.IsFinite(x) ? (float)((x - centre[i]) / scale[i]) : 0f;
            }

            standardised[n] = new FeatureRow { Features = values };
        }

        var seed = unchecked(options.Seed + (version * 7919));
        var (mean, basis, rank) = Fit(standardised, options, seed);
        var model = new PcaModel(version, count, centre, scale, mean, basis, rank, threshold: 1);

        // Warm-up traffic is learnt unjudged: a few outliers of one kind can capture a minor component and then look
        // normal for ever. Rows far out along a component or off the subspace (robust z > TrimCutoff, at most
        // MaxTrimShare of the rows) are dropped and the subspace is fitted again without them.
        var kept = Trim(rows, count, model);
        if (kept.Length < count)
        {
            (mean, basis, rank) = Fit([.. kept.Select(n => standardised[n])], options, seed);
            model = new PcaModel(version, count, centre, scale, mean, basis, rank, threshold: 1);
        }

        var contributions = new double[d];
        var calibration = new double[kept.Length];
        for (var k = 0; k < kept.Length; k++)
        {
            calibration[k] = model.Score(rows.AsSpan(kept[k] * d, d), contributions);
        }

        return new PcaModel(version, count, centre, scale, mean, basis, rank, Threshold(calibration, options));
    }

    private static (double[] Mean, double[] Basis, int Rank) Fit(FeatureRow[] standardised, MultivariateOptions options, int seed)
    {
        const int d = TraceFeatureVector.Count;
        var ml = new MLContext(seed);
        var schema = SchemaDefinition.Create(typeof(FeatureRow));
        schema[0].ColumnType = new VectorDataViewType(NumberDataViewType.Single, d);
        var data = ml.Data.LoadFromEnumerable(standardised, schema);
        var trainer = ml.AnomalyDetection.Trainers.RandomizedPca(new RandomizedPcaTrainer.Options
        {
            FeatureColumnName = FeaturesColumn,
            Rank = options.Rank,
            Oversampling = options.Oversampling,
            EnsureZeroMean = true,
            Seed = seed,
        });
        var parameters = trainer.Fit(data).Model;

        var meanBuffer = default(VBuffer<float>);
        parameters.GetMean(ref meanBuffer);
        var mean = new double[d];
        var k = 0;
        foreach (var value in meanBuffer.DenseValues())
        {
            mean[k++] = value;
        }

        VBuffer<float>[] vectors = [];
        parameters.GetEigenVectors(ref vectors, out var rank);
        var basis = new double[rank * d];
        for (var j = 0; j < rank; j++)
        {
            var i = 0;
            foreach (var value in vectors[j].DenseValues())
            {
                basis[(j * d) + i++] = value;
            }
        }

        Orthonormalise(basis, rank, d);
        return (mean, basis, rank);
    }

    /// <summary>
    /// The rows to keep: all but those whose outlyingness (the largest robust z of their component scores and of their
    /// log residual) exceeds <see cref="TrimCutoff"/>, most outlying first, at most <see cref="MaxTrimShare"/> of the rows.
    /// </summary>
    private static int[] Trim(double[] rows, int count, PcaModel model)
    {
        const int d = TraceFeatureVector.Count;
        var logResidual = new double[count];
        var contributions = new double[d];
        var scores = new double[model.Rank * count];
        var projection = new double[model.Rank];
        for (var n = 0; n < count; n++)
        {
            var row = rows.AsSpan(n * d, d);
            logResidual[n] = Math.Log(model.Score(row, contributions) + 1e-9);
            model.Project(row, projection);
            for (var j = 0; j < model.Rank; j++)
            {
                scores[(j * count) + n] = projection[j];
            }
        }

        var outlyingness = new double[count];
        var column = new double[count];
        for (var j = 0; j <= model.Rank; j++)
        {
            var values = j < model.Rank ? scores.AsSpan(j * count, count) : logResidual.AsSpan();
            values.CopyTo(column);
            var (median, mad) = MedianAndMad(column);
            double meanAbsolute = 0;
            foreach (var v in values)
            {
                meanAbsolute += Math.Abs(v - median);
            }

            var sigma = Math.Max(RobustSigma(mad, meanAbsolute / count), 1e-6);
            for (var n = 0; n < count; n++)
            {
                // Both directions along a component; only upwards for the residual (a small residual is not odd).
                var z = j < model.Rank ? Math.Abs(values[n] - median) / sigma : (values[n] - median) / sigma;
                outlyingness[n] = Math.Max(outlyingness[n], z);
            }
        }

        var candidates = Enumerable.Range(0, count).Where(n => outlyingness[n] > TrimCutoff)
            .OrderByDescending(n => outlyingness[n]).ThenBy(n => n)
            .Take((int)(MaxTrimShare * count))
            .ToHashSet();
        return candidates.Count == 0 ? [.. Enumerable.Range(0, count)] : [.. Enumerable.Range(0, count).Where(n => !candidates.Contains(n))];
    }

    /// <summary>
    /// The residual-norm threshold from the training residuals <paramref name="squared"/> (Q values; reordered):
    /// the larger of a robust log-normal fit of Q at the 1 − budget quantile and the empirical quantile (at least the
    /// 5th largest), times the margin, and at least <see cref="MultivariateOptions.MinResidualThreshold"/>.
    /// </summary>
    internal static double Threshold(double[] squared, MultivariateOptions options)
    {
        var n = squared.Length;
        Array.Sort(squared);
        var tail = Math.Max(MinEmpiricalTail, (int)Math.Ceiling(options.FalsePositiveBudget * n));
        var empirical = squared[Math.Max(0, n - tail)];

        // log Q of a chi-square-like residual has a lighter right tail than a normal one: the fit is conservative.
        var logs = new double[n];
        var floor = 1e-9;
        for (var i = 0; i < n; i++)
        {
            logs[i] = Math.Log(squared[i] + floor);
        }

        var (median, mad) = MedianAndMad(logs);
        var z = InverseStandardNormal(1 - options.FalsePositiveBudget);
        var parametric = Math.Exp(median + (z * RobustSigma(mad, 0)));
        var q = Math.Max(parametric, empirical);
        return Math.Max(Math.Sqrt(q) * options.ThresholdMargin, options.MinResidualThreshold);
    }

    private static void Standardisation(double[] rows, int count, double[] centre, double[] scale)
    {
        const int d = TraceFeatureVector.Count;
        var column = new double[count];
        for (var i = 0; i < d; i++)
        {
            var m = 0;
            for (var n = 0; n < count; n++)
            {
                var x = rows[(n * d) + i];
                if (double.IsFinite(x))
                {
                    column[m++] = x;
                }
            }

            var floor = TraceFeatureVector.ScaleFloor(i);
            if (m == 0)
            {
                centre[i] = 0;
                scale[i] = floor;
                continue;
            }

            var values = column.AsSpan(0, m);
            var (median, mad) = MedianAndMad(values);
            double meanAbsolute = 0;
            foreach (var x in values)
            {
                meanAbsolute += Math.Abs(x - median);
            }

            centre[i] = median;
            scale[i] = Math.Max(RobustSigma(mad, meanAbsolute / m), floor);
        }
    }

    /// <summary>1.4826·MAD, or (for a feature that is constant in more than half the traces) 1.2533 × the mean absolute deviation.</summary>
    private static double RobustSigma(double mad, double meanAbsoluteDeviation) =>
        mad > 0 ? Baselines.RobustBaseline.MadToSigma * mad : MeanAbsoluteDeviationToSigma * meanAbsoluteDeviation;

    /// <summary>Median and MAD of <paramref name="values"/> (sorted in place; a scratch copy holds the deviations).</summary>
    private static (double Median, double Mad) MedianAndMad(Span<double> values)
    {
        values.Sort();
        var median = MedianOfSorted(values);
        var deviations = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            deviations[i] = Math.Abs(values[i] - median);
        }

        Array.Sort(deviations);
        return (median, MedianOfSorted(deviations));
    }

    private static double MedianOfSorted(ReadOnlySpan<double> sorted)
    {
        var n = sorted.Length;
        return (n & 1) == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>Modified Gram-Schmidt on the rows of <paramref name="basis"/> (in double; a degenerate row becomes zero).</summary>
    private static void Orthonormalise(double[] basis, int rank, int d)
    {
        for (var j = 0; j < rank; j++)
        {
            var row = basis.AsSpan(j * d, d);
            for (var p = 0; p < j; p++)
            {
                var previous = basis.AsSpan(p * d, d);
                var dot = Dot(row, previous);
                for (var i = 0; i < d; i++)
                {
                    row[i] -= dot * previous[i];
                }
            }

            var norm = Math.Sqrt(Dot(row, row));
            if (norm < 1e-9)
            {
                row.Clear();
                continue;
            }

            for (var i = 0; i < d; i++)
            {
                row[i] /= norm;
            }
        }
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (var i = 0; i < a.Length; i++)
        {
            s += a[i] * b[i];
        }

        return s;
    }

    /// <summary>The standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9).</summary>
    internal static double InverseStandardNormal(double p)
    {
        if (!(p is > 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "must be in (0, 1)");
        }

        ReadOnlySpan<double> a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
        ReadOnlySpan<double> b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        ReadOnlySpan<double> c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
        ReadOnlySpan<double> e = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        const double low = 0.02425;
        if (p < low)
        {
            var q = Math.Sqrt(-2 * Math.Log(p));
            return (((((((((c[0] * q) + c[1]) * q) + c[2]) * q) + c[3]) * q) + c[4]) * q + c[5]) /
                ((((((((e[0] * q) + e[1]) * q) + e[2]) * q) + e[3]) * q) + 1);
        }

        if (p > 1 - low)
        {
            var q = Math.Sqrt(-2 * Math.Log(1 - p));
            return -(((((((((c[0] * q) + c[1]) * q) + c[2]) * q) + c[3]) * q) + c[4]) * q + c[5]) /
                ((((((((e[0] * q) + e[1]) * q) + e[2]) * q) + e[3]) * q) + 1);
        }

        var r = p - 0.5;
        var s = r * r;
        return (((((((((a[0] * s) + a[1]) * s) + a[2]) * s) + a[3]) * s) + a[4]) * s + a[5]) * r /
            (((((((((b[0] * s) + b[1]) * s) + b[2]) * s) + b[3]) * s) + b[4]) * s + 1);
    }

    /// <summary>One training row for ML.NET (the vector size is set on the schema at run time).</summary>
    public sealed class FeatureRow
    {
        /// <summary>The standardised vector.</summary>
        public float[] Features { get; set; } = [];
    }
}
