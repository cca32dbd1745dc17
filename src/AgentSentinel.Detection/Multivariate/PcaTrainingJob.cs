namespace AgentSentinel.Detection.Multivariate;

/// <summary>
/// Bounds how many multivariate models train at once across all agents, so that hundreds of agents reaching their
/// retraining point together do not take every core. Thread-safe; one shared instance is the default.
/// </summary>
public sealed class PcaTrainingGate : IDisposable
{
    private readonly SemaphoreSlim _slots;

    /// <param name="maxConcurrentTrainings">Trainings allowed at once (at least 1).</param>
    public PcaTrainingGate(int maxConcurrentTrainings)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrentTrainings, 1);
        MaxConcurrentTrainings = maxConcurrentTrainings;
        _slots = new SemaphoreSlim(maxConcurrentTrainings, maxConcurrentTrainings);
    }

    /// <summary>The process-wide gate: half the cores (at least one), leaving the rest to the stream.</summary>
    public static PcaTrainingGate Shared { get; } = new(Math.Max(1, Environment.ProcessorCount / 2));

    /// <summary>Trainings allowed at once.</summary>
    public int MaxConcurrentTrainings { get; }

    /// <summary>Trainings running right now.</summary>
    public int Running => MaxConcurrentTrainings - _slots.CurrentCount;

    /// <summary>Takes a slot (other background work may share the gate); pair with <see cref="Release"/>.</summary>
    public Task WaitAsync(CancellationToken cancellationToken) => _slots.WaitAsync(cancellationToken);

    /// <summary>Gives a slot back.</summary>
    public void Release() => _slots.Release();

    /// <inheritdoc />
    public void Dispose() => _slots.Dispose();
}

/// <summary>
/// One training run, started on the thread pool behind a <see cref="PcaTrainingGate"/> and claimed exactly once:
/// either by the background task when it gets a slot, or inline by the detector when it needs the model before the
/// background task started (so a detector that must wait never waits for a gate slot held by other agents).
/// </summary>
internal sealed class PcaTrainingJob
{
    private const int Pending = 0;
    private const int Running = 1;
    private readonly Func<PcaModel> _train;
    private readonly TaskCompletionSource<PcaModel> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;

    public PcaTrainingJob(Func<PcaModel> train, long snapshotAtTrace, long swapAtTrace)
    {
        _train = train;
        SnapshotAtTrace = snapshotAtTrace;
        SwapAtTrace = swapAtTrace;
    }

    /// <summary>Traces observed when the snapshot was taken.</summary>
    public long SnapshotAtTrace { get; }

    /// <summary>In deterministic mode: the trace count at which the model is swapped in.</summary>
    public long SwapAtTrace { get; }

    /// <summary>Whether the run has finished (with a model or an error).</summary>
    public bool IsCompleted => _done.Task.IsCompleted;

    /// <summary>Queues the run on the thread pool behind <paramref name="gate"/>.</summary>
    public void Start(PcaTrainingGate gate, CancellationToken cancellationToken) =>
        _ = Task.Run(
            async () =>
            {
                try
                {
                    await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    _done.TrySetCanceled(cancellationToken);
                    return;
                }
                catch (ObjectDisposedException)
                {
                    _done.TrySetCanceled(cancellationToken);
                    return;
                }

                try
                {
                    if (!cancellationToken.IsCancellationRequested)
                    {
                        TryRun();
                    }
                    else
                    {
                        _done.TrySetCanceled(cancellationToken);
                    }
                }
                finally
                {
                    gate.Release();
                }
            },
            CancellationToken.None);

    /// <summary>
    /// The model, waiting for it if needed: runs the training inline when the background task has not claimed it yet.
    /// Throws what the training threw.
    /// </summary>
    public PcaModel Complete()
    {
        TryRun();
        return _done.Task.GetAwaiter().GetResult();
    }

    private void TryRun()
    {
        if (Interlocked.CompareExchange(ref _state, Running, Pending) != Pending)
        {
            return;
        }

        try
        {
            _done.TrySetResult(_train());
        }
#pragma warning disable CA1031 // the error is handed to the detector, which keeps its current model and counts the failure
        catch (Exception error)
#pragma warning restore CA1031
        {
            _done.TrySetException(error);
        }
    }
}
