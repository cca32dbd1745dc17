using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Baselines;
using AgentSentinel.Detection.Detectors;
using AgentSentinel.Detection.Features;

namespace AgentSentinel.Detection.Multivariate;

/// <summary>
/// The multivariate detector: judges each trace's feature vector (<see cref="TraceFeatureVector"/>) by its residual
/// off the principal subspace of the agent's recent normal traces (a <see cref="PcaModel"/>), so a trace whose features
/// are each in range but jointly unusual (many tokens for no tool call, a cost that does not match the tokens...) is
/// found. Kind <see cref="AnomalyKinds.MultivariateOutlier"/>, method <c>pca_residual</c>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Warm-up: nothing is judged until the first model is swapped in (after <see cref="MultivariateOptions.MinTrainingTraces"/>
/// traces plus <see cref="MultivariateOptions.SwapAfterTraces"/>).</item>
/// <item>Learning: every trace not beyond threshold enters a ring of the last <see cref="MultivariateOptions.TrainingWindow"/>
/// vectors (so do an episode's traces once it has lasted <see cref="MultivariateOptions.AdoptAfter"/> judged traces).
/// Every <see cref="MultivariateOptions.RetrainEvery"/> traces the ring is copied into a snapshot and a model is trained
/// from it on the thread pool (at most one per detector, and at most <see cref="PcaTrainingGate.MaxConcurrentTrainings"/>
/// across detectors); the stream never pauses for it.</item>
/// <item>Swap: with <see cref="MultivariateOptions.DeterministicSwap"/>, the model from the snapshot taken after trace N
/// judges from trace N + SwapAfterTraces + 1 on, whatever the machine's speed (the detector waits, or trains inline,
/// only when the training is not finished by then); otherwise at the first trace after it finished.</item>
/// <item>Persistence: an episode opens when <see cref="MultivariateOptions.ConfirmCount"/> of the last
/// <see cref="MultivariateOptions.ConfirmWindow"/> judged traces are beyond (distance ≥ 1; 3 of 6 by default), or, only when
/// <see cref="MultivariateOptions.ExtremeFactor"/> is set, at one trace that far; then latched until <c>RearmAfter</c>
/// consecutive normal traces. One episode, one anomaly.</item>
/// </list>
/// Observe allocates nothing except when it returns an anomaly or starts a training (once per <c>RetrainEvery</c> traces).
/// Single-threaded like every detector; dispose it (or its owner) to cancel a training in flight.
/// </remarks>
public sealed class PcaTraceDetector : IAgentDetector, IDisposable
{
    /// <summary>The explanation method of this detector's anomalies.</summary>
    public const string Method = "pca_residual";

    /// <summary>The name of the exposed residual baseline (residual norm over threshold of judged traces).</summary>
    public const string ResidualFeature = "pca_residual";

    private const int Dimension = TraceFeatureVector.Count;
    private const int MaxContributors = 3;

    private readonly MultivariateOptions _options;
    private readonly PcaTrainingGate _gate;
    private readonly double _extremeFactor;
    private readonly int _confirmCount;
    private readonly int _maxExemplars;
    private readonly int _rearmAfter;
    private readonly double[] _ring;
    private readonly double[] _snapshot;
    private readonly double[] _vector = new double[Dimension];
    private readonly double[] _contributions = new double[Dimension];
    private readonly RobustBaseline _residual;
    private readonly bool[] _beyond;
    private readonly TraceId[] _window;
    private readonly CancellationTokenSource _cancel = new();
    private int _ringCount;
    private int _ringNext;
    private int _windowSize;
    private int _windowHead;
    private int _normalStreak;
    private long _episodeLength;
    private long _lastSnapshotAt = long.MinValue;
    private int _versions;
    private PcaTrainingJob? _job;
    private bool _disposed;

    /// <param name="options">Detection settings (validated by the caller); the detector's own are <see cref="DetectionOptions.Multivariate"/>.</param>
    /// <param name="gate">Bounds concurrent trainings across detectors; <see cref="PcaTrainingGate.Shared"/> when null.</param>
    public PcaTraceDetector(DetectionOptions options, PcaTrainingGate? gate = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Multivariate ?? throw new ArgumentException("Multivariate options are missing", nameof(options));
        _gate = gate ?? PcaTrainingGate.Shared;
        _extremeFactor = _options.ExtremeFactor ?? double.PositiveInfinity;
        var confirmWindow = _options.ConfirmWindow;
        _confirmCount = Math.Min(_options.ConfirmCount, confirmWindow);
        _maxExemplars = options.MaxExemplars;
        _rearmAfter = options.RearmAfter;
        _ring = new double[_options.TrainingWindow * Dimension];
        _snapshot = new double[_options.TrainingWindow * Dimension];
        _beyond = new bool[confirmWindow];
        _window = new TraceId[confirmWindow];
        _residual = new RobustBaseline(Math.Max(3, options.WindowSize), 1, 0, 0.01, options.WinsorizeSpreads);
        Baselines = [new FeatureBaseline(ResidualFeature, _residual)];
    }

    /// <inheritdoc />
    public string Kind => AnomalyKinds.MultivariateOutlier;

    /// <summary>One baseline, <c>pca_residual</c>: the judged traces' distances (residual norm over threshold); warm at the first judged trace.</summary>
    public IReadOnlyList<FeatureBaseline> Baselines { get; }

    /// <summary>The model judging traces (null during warm-up).</summary>
    public PcaModel? Model { get; private set; }

    /// <summary>Traces observed.</summary>
    public long Traces { get; private set; }

    /// <summary>Trace count at which the current model was swapped in.</summary>
    public long ModelSwappedAtTrace { get; private set; }

    /// <summary>Trainings started.</summary>
    public int TrainingsStarted => _versions;

    /// <summary>Trainings that threw (the detector kept its model and tries again at the next retraining point).</summary>
    public int TrainingFailures { get; private set; }

    /// <summary>Whether a training is in flight (started and not yet swapped in).</summary>
    public bool TrainingInFlight => _job is not null;

    /// <summary>Vectors in the training ring.</summary>
    public int TrainingTraces => _ringCount;

    /// <summary>Whether an episode is in progress.</summary>
    public bool InEpisode { get; private set; }

    /// <summary>Episodes started so far.</summary>
    public long Episodes { get; private set; }

    /// <summary>The last judged trace's distance (residual norm over threshold; NaN before the first judged trace).</summary>
    public double LastDistance { get; private set; } = double.NaN;

    /// <inheritdoc />
    public Anomaly? Observe(AgentTrace trace, in TraceFeatures features)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ObjectDisposedException.ThrowIf(_disposed, this);
        SwapIfDue();
        TraceFeatureVector.Fill(features, _vector);

        Anomaly? anomaly = null;
        var beyond = false;
        if (Model is { } model)
        {
            var distance = model.Distance(_vector, _contributions);
            LastDistance = distance;
            beyond = distance >= 1;
            _residual.Add(distance);
            anomaly = Step(trace, features, model, beyond, distance >= _extremeFactor, distance);
        }

        if (!beyond || (InEpisode && _episodeLength >= _options.AdoptAfter))
        {
            Learn();
        }

        Traces++;
        StartTrainingIfDue();
        return anomaly;
    }

    /// <summary>Cancels a training in flight; the detector must not be used afterwards. Idempotent.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _job = null;
        _cancel.Cancel(); // not disposed: a background task may still be registering on its token
    }

    private void SwapIfDue()
    {
        if (_job is not { } job)
        {
            return;
        }

        if (_options.DeterministicSwap ? Traces < job.SwapAtTrace : !job.IsCompleted)
        {
            return;
        }

        _job = null;
        try
        {
            Model = job.Complete();
            ModelSwappedAtTrace = Traces;
        }
#pragma warning disable CA1031 // a failed training keeps the current model; the next retraining point tries again
        catch (Exception)
#pragma warning restore CA1031
        {
            TrainingFailures++;
        }
    }

    private void StartTrainingIfDue()
    {
        if (_job is not null || _ringCount < _options.MinTrainingTraces)
        {
            return;
        }

        if (_lastSnapshotAt != long.MinValue && Traces - _lastSnapshotAt < _options.RetrainEvery)
        {
            return;
        }

        // Oldest first, so the training sees the traces in arrival order whatever the ring's position.
        var count = _ringCount;
        var start = _ringCount < _options.TrainingWindow ? 0 : _ringNext;
        var tail = (count - start) * Dimension;
        if (start == 0)
        {
            Array.Copy(_ring, 0, _snapshot, 0, count * Dimension);
        }
        else
        {
            Array.Copy(_ring, start * Dimension, _snapshot, 0, tail);
            Array.Copy(_ring, 0, _snapshot, tail, start * Dimension);
        }

        _lastSnapshotAt = Traces;
        _job = StartTraining(_snapshot, count, _options, ++_versions, Traces);
    }

    // A separate method: the lambda's closure would otherwise be allocated on every call of the caller.
    private PcaTrainingJob StartTraining(double[] snapshot, int count, MultivariateOptions options, int version, long traces)
    {
        var job = new PcaTrainingJob(() => PcaModelTrainer.Train(snapshot, count, options, version), traces, traces + options.SwapAfterTraces);
        job.Start(_gate, _cancel.Token);
        return job;
    }

    private void Learn()
    {
        Array.Copy(_vector, 0, _ring, _ringNext * Dimension, Dimension);
        _ringNext = (_ringNext + 1) % _options.TrainingWindow;
        _ringCount = Math.Min(_ringCount + 1, _options.TrainingWindow);
    }

    private Anomaly? Step(AgentTrace trace, in TraceFeatures features, PcaModel model, bool beyond, bool extreme, double distance)
    {
        Push(beyond, trace.TraceId);
        if (InEpisode)
        {
            _episodeLength++;
            _normalStreak = beyond ? 0 : _normalStreak + 1;
            if (_normalStreak >= _rearmAfter)
            {
                InEpisode = false;
                _normalStreak = 0;
                _episodeLength = 0;
                _windowSize = 0;
                _windowHead = 0;
            }

            return null;
        }

        if (!beyond || (!extreme && CountBeyond() < _confirmCount))
        {
            return null;
        }

        InEpisode = true;
        _normalStreak = 0;
        _episodeLength = 0;
        Episodes++;
        return new Anomaly(trace.Agent, Kind, trace.CompletedAtUnixNano, distance, Explain(features, model, distance), Exemplars());
    }

    private AnomalyExplanation Explain(in TraceFeatures features, PcaModel model, double distance)
    {
        double total = 0;
        foreach (var c in _contributions)
        {
            total += c;
        }

        Span<int> top = stackalloc int[MaxContributors];
        var found = 0;
        for (var i = 0; i < Dimension; i++)
        {
            // Insertion into the top list: larger contribution first, lower index first on ties (deterministic).
            var at = found;
            while (at > 0 && _contributions[i] > _contributions[top[at - 1]])
            {
                at--;
            }

            if (at >= MaxContributors)
            {
                continue;
            }

            for (var k = Math.Min(found, MaxContributors - 1); k > at; k--)
            {
                top[k] = top[k - 1];
            }

            top[at] = i;
            found = Math.Min(found + 1, MaxContributors);
        }

        var contributors = new FeatureContribution[found];
        for (var k = 0; k < found; k++)
        {
            var i = top[k];
            contributors[k] = new FeatureContribution(
                TraceFeatureVector.Name(i), TraceFeatureVector.Raw(features, i), model.Median(i), total > 0 ? _contributions[i] / total : 0);
        }

        var first = top[0];
        return new AnomalyExplanation(
            TraceFeatureVector.Name(first), TraceFeatureVector.Raw(features, first), model.Median(first), model.Spread(first), distance)
        {
            Method = Method,
            Contributors = contributors,
        };
    }

    private void Push(bool beyond, TraceId trace)
    {
        var capacity = _beyond.Length;
        var at = (_windowHead + _windowSize) % capacity;
        if (_windowSize == capacity)
        {
            _windowHead = (_windowHead + 1) % capacity;
        }
        else
        {
            _windowSize++;
        }

        _beyond[at] = beyond;
        _window[at] = trace;
    }

    private int CountBeyond()
    {
        var n = 0;
        for (var k = 0; k < _windowSize; k++)
        {
            n += _beyond[(_windowHead + k) % _beyond.Length] ? 1 : 0;
        }

        return n;
    }

    private string[] Exemplars()
    {
        var take = Math.Min(CountBeyond(), _maxExemplars);
        var ids = new string[take];
        var filled = take;
        for (var k = _windowSize - 1; k >= 0 && filled > 0; k--)
        {
            var at = (_windowHead + k) % _beyond.Length;
            if (_beyond[at])
            {
                ids[--filled] = _window[at].ToString();
            }
        }

        return ids;
    }
}
