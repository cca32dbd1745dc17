namespace AgentSentinel.Detection.Multivariate;

/// <summary>
/// One trained multivariate model of an agent's normal traces: the robust standardisation (per-feature centre and scale),
/// the principal subspace (mean and orthonormal basis, from ML.NET's randomized PCA) and the residual threshold.
/// Immutable: built on a background thread, then read by the agent's detector.
/// </summary>
/// <remarks>
/// A trace's transformed vector <c>x</c> is standardised, <c>z = (x − centre) / scale</c> (NaN → 0, i.e. the centre),
/// centred on the PCA mean, <c>c = z − mean</c>, and projected off the subspace: <c>r = c − Bᵀ B c</c>. The squared
/// residual norm <c>Q = Σ rᵢ²</c> (the "squared prediction error" of PCA monitoring) is large when the trace breaks the
/// correlations the agent's normal traces keep, even if every feature alone lies in its usual range; <c>rᵢ²</c> is
/// feature i's contribution. Scoring allocates nothing.
/// </remarks>
public sealed class PcaModel
{
    private readonly double[] _centre;
    private readonly double[] _scale;
    private readonly double[] _mean;
    private readonly double[] _basis;

    internal PcaModel(int version, int trainingTraces, double[] centre, double[] scale, double[] mean, double[] basis, int rank, double threshold)
    {
        Version = version;
        TrainingTraces = trainingTraces;
        _centre = centre;
        _scale = scale;
        _mean = mean;
        _basis = basis;
        Rank = rank;
        Threshold = threshold;
    }

    /// <summary>1 for the first model of a detector, then 2, 3...</summary>
    public int Version { get; }

    /// <summary>Traces the model was trained on.</summary>
    public int TrainingTraces { get; }

    /// <summary>Principal components in the subspace.</summary>
    public int Rank { get; }

    /// <summary>Features in a vector.</summary>
    public int Dimension => _centre.Length;

    /// <summary>The residual norm (in robust scales) at which a trace counts as beyond: calibrated on the training traces.</summary>
    public double Threshold { get; }

    /// <summary>The training centre (median) of feature <paramref name="index"/> in the feature's own unit.</summary>
    public double Median(int index) => TraceFeatureVector.Inverse(index, _centre[index]);

    /// <summary>
    /// The robust spread of feature <paramref name="index"/> in the feature's own unit: half the width of
    /// centre ± one scale after the inverse transform.
    /// </summary>
    public double Spread(int index) =>
        (TraceFeatureVector.Inverse(index, _centre[index] + _scale[index]) - TraceFeatureVector.Inverse(index, _centre[index] - _scale[index])) / 2;

    /// <summary>The training centre of feature <paramref name="index"/> in transformed units.</summary>
    public double Centre(int index) => _centre[index];

    /// <summary>The training scale of feature <paramref name="index"/> in transformed units.</summary>
    public double Scale(int index) => _scale[index];

    /// <summary>
    /// The squared residual norm of the transformed vector <paramref name="vector"/>; writes each feature's squared residual
    /// into <paramref name="contributions"/> (both at least <see cref="Dimension"/> long). Allocates nothing.
    /// </summary>
    public double Score(ReadOnlySpan<double> vector, Span<double> contributions)
    {
        var d = _centre.Length;
        if (vector.Length < d || contributions.Length < d)
        {
            throw new ArgumentException($"vector and contributions need {d} elements");
        }

        // c (centred, standardised) goes into contributions first; then the projection is removed in place.
        for (var i = 0; i < d; i++)
        {
            var x = vector[i];
            var z = double.IsFinite(x) ? (x - _centre[i]) / _scale[i] : 0;
            contributions[i] = z - _mean[i];
        }

        Span<double> projection = stackalloc double[Rank];
        for (var j = 0; j < Rank; j++)
        {
            var row = _basis.AsSpan(j * d, d);
            double p = 0;
            for (var i = 0; i < d; i++)
            {
                p += row[i] * contributions[i];
            }

            projection[j] = p;
        }

        double q = 0;
        for (var i = 0; i < d; i++)
        {
            var r = contributions[i];
            for (var j = 0; j < Rank; j++)
            {
                r -= _basis[(j * d) + i] * projection[j];
            }

            var r2 = r * r;
            contributions[i] = r2;
            q += r2;
        }

        return q;
    }

    /// <summary>The coordinates of <paramref name="vector"/> in the subspace (its component scores) into <paramref name="scores"/>.</summary>
    public void Project(ReadOnlySpan<double> vector, Span<double> scores)
    {
        var d = _centre.Length;
        for (var j = 0; j < Rank; j++)
        {
            double p = 0;
            for (var i = 0; i < d; i++)
            {
                var x = vector[i];
                var z = double.IsFinite(x) ? (x - _centre[i]) / _scale[i] : 0;
                p += _basis[(j * d) + i] * (z - _mean[i]);
            }

            scores[j] = p;
        }
    }

    /// <summary>The residual norm of <paramref name="vector"/> over <see cref="Threshold"/> (≥ 1: beyond).</summary>
    public double Distance(ReadOnlySpan<double> vector, Span<double> contributions) => Math.Sqrt(Score(vector, contributions)) / Threshold;
}
