using AgentSentinel.Core.Remediation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentSentinel.Redis.Flags;

/// <summary>Back-off of <see cref="FlagWriteRetrier"/>.</summary>
public sealed class FlagWriteRetryOptions
{
    /// <summary>Delay before the first retry; doubles per attempt up to <see cref="MaxDelay"/>, each with 50–100 % jitter.</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts in all, including the first; 0 retries until the token is cancelled.</summary>
    public int MaxAttempts { get; init; }
}

/// <summary>
/// Retries one decision until the store answers Applied or Stale. Safe because writes are version-fenced: a retry of a
/// write whose first attempt did run (unknown outcome after a timeout) comes back Stale and changes nothing.
/// Retries on any failure except an invalid decision (<see cref="ArgumentException"/>), a disposed store and cancellation.
/// </summary>
/// <remarks>
/// A newer decision for the same agent supersedes an older one that is still retrying: cancel the older call's token
/// (otherwise it still ends harmlessly Stale, once the newer one has applied). Keep the decisions in force in your own
/// state and re-assert them through this retrier when <see cref="RedisFlagStore.ConnectionRestored"/> fires.
/// </remarks>
public sealed class FlagWriteRetrier
{
    private readonly IFlagStore _store;
    private readonly FlagWriteRetryOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    public FlagWriteRetrier(IFlagStore store, FlagWriteRetryOptions? options = null, TimeProvider? timeProvider = null, ILogger<FlagWriteRetrier>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _options = options ?? new FlagWriteRetryOptions();
        if (_options.InitialDelay <= TimeSpan.Zero || _options.MaxDelay < _options.InitialDelay || _options.MaxAttempts < 0)
        {
            throw new ArgumentException("InitialDelay must be positive, MaxDelay at least InitialDelay, and MaxAttempts not negative.", nameof(options));
        }

        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Writes <paramref name="decision"/>, retrying with capped exponential back-off and jitter.</summary>
    /// <exception cref="ArgumentException">The decision is invalid (not retried).</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the last attempt's outcome is unknown.</exception>
    /// <exception cref="FlagStoreException">The last failure, once <see cref="FlagWriteRetryOptions.MaxAttempts"/> is used up.</exception>
    public async Task<FlagWriteOutcome> WriteAsync(FlagDecision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var delay = _options.InitialDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await _store.WriteAsync(decision, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsRetryable(ex, cancellationToken) && (_options.MaxAttempts == 0 || attempt < _options.MaxAttempts))
            {
                var jittered = TimeSpan.FromTicks((long)(delay.Ticks * (0.5 + (Random.Shared.NextDouble() * 0.5))));
                Log.FlagWriteRetrying(_logger, decision.Version, attempt, (long)jittered.TotalMilliseconds, ex);
                await Task.Delay(jittered, _timeProvider, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxDelay.Ticks));
            }
        }
    }

    private static bool IsRetryable(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        ArgumentException or ObjectDisposedException => false,
        OperationCanceledException when cancellationToken.IsCancellationRequested => false,
        _ => true,
    };
}
