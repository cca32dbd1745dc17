using System.Collections.Concurrent;
using AgentSentinel.Core.Pipeline;

namespace AgentSentinel.Kafka.Tests.Support;

/// <summary>One record the sink was handed: where it came from and the id the <see cref="MarkerDecoder"/> decoded.</summary>
internal readonly record struct Accepted(RecordPosition Position, long Id);

/// <summary>
/// A thread-safe <see cref="ISpanSink"/> that records every hand-off in arrival order. By default it takes each
/// record at once; <see cref="Hold"/> makes it keep chosen records pending until <see cref="ReleaseAll"/>, and
/// <see cref="FailFirst"/> makes chosen records fail a number of times first.
/// </summary>
internal sealed class RecordingSink : ISpanSink
{
    private readonly ConcurrentQueue<Accepted> _accepted = new();
    private readonly ConcurrentDictionary<long, int> _failuresLeft = new();
    private readonly Lock _gate = new();
    private readonly List<(TaskCompletionSource Done, CancellationTokenRegistration Registration)> _held = [];
    private Func<IngestedRecord, bool> _hold = static _ => false;
    private TimeSpan _completionDelay;
    private int _pendingCount;

    public IReadOnlyList<Accepted> Accepted => [.. _accepted];

    public int Count => _accepted.Count;

    /// <summary>Records currently held (handed over, task not complete).</summary>
    public int Pending => Volatile.Read(ref _pendingCount);

    public IReadOnlyList<long> Ids => [.. _accepted.Select(static a => a.Id)];

    /// <summary>Records matching <paramref name="predicate"/> stay pending until released (or cancelled).</summary>
    public void Hold(Func<IngestedRecord, bool> predicate) => _hold = predicate;

    /// <summary>Every record not held completes only after <paramref name="delay"/> (a slow pipeline).</summary>
    public void CompleteAfter(TimeSpan delay) => _completionDelay = delay;

    /// <summary>The record with id <paramref name="id"/> fails <paramref name="times"/> times before it is taken.</summary>
    public void FailFirst(long id, int times) => _failuresLeft[id] = times;

    /// <summary>Completes every held record and stops holding new ones.</summary>
    public void ReleaseAll()
    {
        List<(TaskCompletionSource Done, CancellationTokenRegistration Registration)> held;
        lock (_gate)
        {
            _hold = static _ => false;
            held = [.. _held];
            _held.Clear();
        }

        foreach (var (done, registration) in held)
        {
            registration.Dispose();
            if (done.TrySetResult())
            {
                Interlocked.Decrement(ref _pendingCount);
            }
        }
    }

    public Task AcceptAsync(IngestedRecord record, CancellationToken cancellationToken)
    {
        var id = (long)record.Spans[0].SpanId.Value;
        if (_failuresLeft.TryGetValue(id, out var left) && left > 0)
        {
            _failuresLeft[id] = left - 1;
            return Task.FromException(new InvalidOperationException("sink refused the record (test)"));
        }

        _accepted.Enqueue(new Accepted(record.Position, id));
        lock (_gate)
        {
            if (!_hold(record))
            {
                return _completionDelay > TimeSpan.Zero ? Task.Delay(_completionDelay, CancellationToken.None) : Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Increment(ref _pendingCount);
            var registration = cancellationToken.Register(() =>
            {
                if (done.TrySetCanceled(cancellationToken))
                {
                    Interlocked.Decrement(ref _pendingCount);
                }
            });
            _held.Add((done, registration));
            return done.Task;
        }
    }

    public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
