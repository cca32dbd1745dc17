using System.Text.Json;
using AgentSentinel.Core.Remediation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace AgentSentinel.Client;

/// <summary>
/// The agent side of flag contract v1: polls <c>HGETALL {prefix}flag:{agent}</c> every
/// <see cref="FlagPollerOptions.PollInterval"/>, polls at once when a notice on <c>{prefix}flags</c> names the agent (or the
/// connection comes back), and applies the reader rules of <see cref="FlagReader"/>. While Redis is unreachable it keeps the
/// last flag read, which lapses to primary at its <c>expires_at</c> (fail static, then open). Thread-safe.
/// </summary>
/// <remarks>
/// Share one <see cref="IConnectionMultiplexer"/> among all pollers of a process; the poller never disposes it. For
/// request-level decisions (probe ratio, span attribute) use a <see cref="RouteSelector"/> over the poller.
/// </remarks>
public sealed class FlagPoller : IAsyncDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly FlagPollerOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly RedisKey _key;
    private readonly RedisChannel _channel;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly SemaphoreSlim _pollGate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Action<RedisChannel, RedisValue> _onNotice;
    private Snapshot _snapshot = new(null, FlagReadStatus.Absent, null, false, 0);
    private string? _lastProblem;
    private Task _loop = Task.CompletedTask;
    private int _subscribed;
    private int _subscribeFailures;
    private int _started;
    private int _disposed;

    /// <summary>Creates a poller for <paramref name="agent"/>; call <see cref="StartAsync"/> to begin polling.</summary>
    /// <exception cref="ArgumentException">The agent name cannot be a key, or the options are invalid.</exception>
    public FlagPoller(IConnectionMultiplexer redis, string agent, FlagPollerOptions? options = null, TimeProvider? timeProvider = null, ILogger<FlagPoller>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        _options = options ?? new FlagPollerOptions();
        var errors = _options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        FlagContract.ValidateAgent(agent, nameof(agent));
        _key = FlagContract.FlagKey(_options.KeyPrefix, agent);
        _channel = RedisChannel.Literal(FlagContract.Channel(_options.KeyPrefix));
        _redis = redis;
        Agent = agent;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _onNotice = OnNotice;
    }

    /// <summary>The agent whose flag this poller reads.</summary>
    public string Agent { get; }

    /// <summary>The last flag read that can be followed (null: none read yet, no key, or a flag that was ignored).
    /// Kept while Redis is unreachable.</summary>
    public FlagState? LastKnown => Volatile.Read(ref _snapshot).State;

    /// <summary>What the last successful read found (a malformed flag or an unsupported schema reads as primary).</summary>
    public FlagReadStatus LastReadStatus => Volatile.Read(ref _snapshot).Status;

    /// <summary>Whether the last poll reached Redis.</summary>
    public bool IsReachable => Volatile.Read(ref _snapshot).Reachable;

    /// <summary>When Redis last answered a poll.</summary>
    public DateTimeOffset? LastSuccessfulRead => Volatile.Read(ref _snapshot).LastSuccess;

    /// <summary>The route in force now (by the injected <see cref="TimeProvider"/>).</summary>
    public FlagRoute CurrentRoute() => CurrentRoute(NowUnixMs());

    /// <summary>The route in force at <paramref name="nowUnixMs"/>: primary, fallback or probe (see <see cref="FlagReader.EffectiveRoute"/>).</summary>
    public FlagRoute CurrentRoute(long nowUnixMs) => FlagReader.EffectiveRoute(LastKnown, nowUnixMs);

    /// <summary>Routes one request now with a uniform <paramref name="sample"/> in [0, 1) (see <see cref="RouteSelector"/> for the random draw).</summary>
    public RouteDecision Decide(double sample) => Decide(NowUnixMs(), sample);

    /// <summary>Routes one request at <paramref name="nowUnixMs"/> with a uniform <paramref name="sample"/> in [0, 1) (deterministic, for tests).</summary>
    public RouteDecision Decide(long nowUnixMs, double sample) => FlagReader.Choose(LastKnown, nowUnixMs, sample);

    /// <summary>Subscribes to notices (if enabled), polls once, then keeps polling in the background until disposed.
    /// Returns even when Redis is unreachable (the poller then reads primary until it can read a flag).</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The poller is already started.");
        }

        _redis.ConnectionRestored += OnConnectionRestored;
        if (_options.SubscribeToNotices)
        {
            await TrySubscribeAsync().ConfigureAwait(false);
        }

        await PollOnceAsync(cancellationToken).ConfigureAwait(false);
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>
    /// Reads the flag once. True when Redis answered (the flag, or its absence, is now known); false when it was
    /// unreachable, timed out or refused, in which case the last flag read is kept.
    /// </summary>
    public async Task<bool> PollOnceAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _pollGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            HashEntry[] entries;
            try
            {
                entries = await _redis.GetDatabase().HashGetAllAsync(_key).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
            {
                var failed = Volatile.Read(ref _snapshot);
                if (failed.ConsecutiveFailures == 0)
                {
                    Log.PollerUnreachable(_logger, ex);
                }
                else
                {
                    Log.PollFailed(_logger, ex);
                }

                Volatile.Write(ref _snapshot, failed with { Reachable = false, ConsecutiveFailures = failed.ConsecutiveFailures + 1 });
                return false;
            }

            var previous = Volatile.Read(ref _snapshot);
            if (previous.ConsecutiveFailures > 0)
            {
                Log.PollerReachableAgain(_logger, previous.ConsecutiveFailures);
            }

            var read = Parse(entries);
            if (!string.Equals(read.Problem, _lastProblem, StringComparison.Ordinal))
            {
                _lastProblem = read.Problem;
                if (read.Problem is not null)
                {
                    Log.FlagNotFollowed(_logger, read.Status, read.Problem);
                }
            }

            Volatile.Write(ref _snapshot, new Snapshot(read.State, read.Status, _timeProvider.GetUtcNow(), true, 0));
            return true;
        }
        finally
        {
            _pollGate.Release();
        }
    }

    private FlagRead Parse(HashEntry[] entries)
    {
        if (entries.Length == 0)
        {
            return new FlagRead(FlagReadStatus.Absent, null, null);
        }

        var fields = new Dictionary<string, string>(entries.Length, StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            fields[entry.Name.ToString()] = entry.Value.ToString();
        }

        return FlagReader.Parse(Agent, fields);
    }

    private async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                _ = await _wake.WaitAsync(_options.PollInterval, stop).ConfigureAwait(false);
                if (_options.SubscribeToNotices && Volatile.Read(ref _subscribed) == 0)
                {
                    await TrySubscribeAsync().ConfigureAwait(false);
                }

                _ = await PollOnceAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return; // the multiplexer was disposed under us
            }
        }
    }

    private async Task TrySubscribeAsync()
    {
        try
        {
            await _redis.GetSubscriber().SubscribeAsync(_channel, _onNotice).ConfigureAwait(false);
            Volatile.Write(ref _subscribed, 1);
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
        {
            if (Interlocked.Increment(ref _subscribeFailures) == 1)
            {
                Log.PollerSubscribeFailed(_logger, ex);
            }
        }
    }

    private void OnNotice(RedisChannel channel, RedisValue message)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        try
        {
            using var notice = JsonDocument.Parse((ReadOnlyMemory<byte>)message);
            if (notice.RootElement.ValueKind == JsonValueKind.Object
                && notice.RootElement.TryGetProperty("agent", out var agent)
                && agent.ValueKind == JsonValueKind.String
                && agent.ValueEquals(Agent))
            {
                Wake();
            }
        }
        catch (JsonException)
        {
            Log.PollerNoticeMalformed(_logger);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Interactive && Volatile.Read(ref _disposed) == 0)
        {
            Wake();
        }
    }

    private void Wake()
    {
        try
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // a wake-up is already pending
        }
        catch (ObjectDisposedException)
        {
            // disposed concurrently
        }
    }

    private long NowUnixMs() => _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Stops polling and unsubscribes. The multiplexer is left open. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _redis.ConnectionRestored -= OnConnectionRestored;
        if (Volatile.Read(ref _subscribed) != 0)
        {
            try
            {
                await _redis.GetSubscriber().UnsubscribeAsync(_channel, _onNotice).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
            {
                // Redis is gone: nothing to unsubscribe from; the handler ignores notices once disposed.
            }
        }

        _stop.Dispose(); // the semaphores hold no wait handle and stay usable by callers still inside PollOnceAsync
    }

    private sealed record Snapshot(FlagState? State, FlagReadStatus Status, DateTimeOffset? LastSuccess, bool Reachable, int ConsecutiveFailures);
}
