using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace AgentSentinel.Client;

/// <summary>
/// One started <see cref="FlagPoller"/> (and <see cref="RouteSelector"/>) per agent name, created on first use and shared
/// by all callers: the convenient entry point for a process that hosts one or a few agents, and what the
/// Microsoft.FeatureManagement filter uses. Thread-safe. Meant for a fixed, small set of agent names (one poller each).
/// </summary>
public sealed class AgentFlags : IAsyncDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly FlagPollerOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;
    private readonly Random? _random;
    private readonly ConcurrentDictionary<string, Lazy<Task<RouteSelector>>> _selectors = new(StringComparer.Ordinal);
    private int _disposed;

    /// <summary>Reads flags over <paramref name="redis"/> (shared, not owned).</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public AgentFlags(
        IConnectionMultiplexer redis,
        FlagPollerOptions? options = null,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        _options = options ?? new FlagPollerOptions();
        var errors = _options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        _redis = redis;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _random = random;
    }

    /// <summary>
    /// The selector for <paramref name="agent"/>; the first call starts its poller (one read; returns even when Redis is
    /// unreachable, the agent then reads primary until a flag can be read).
    /// </summary>
    /// <exception cref="ArgumentException">The agent name cannot name a key.</exception>
    public Task<RouteSelector> GetSelectorAsync(string agent, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        FlagContract.ValidateAgent(agent, nameof(agent));
        var lazy = _selectors.GetOrAdd(agent, static (name, self) => new Lazy<Task<RouteSelector>>(() => self.StartAsync(name)), this);
        return lazy.Value.IsCompletedSuccessfully ? lazy.Value : lazy.Value.WaitAsync(cancellationToken);
    }

    /// <summary>Routes one request of <paramref name="agent"/> now.</summary>
    public async Task<RouteDecision> DecideAsync(string agent, CancellationToken cancellationToken)
    {
        var selector = await GetSelectorAsync(agent, cancellationToken).ConfigureAwait(false);
        return selector.Decide();
    }

    private async Task<RouteSelector> StartAsync(string agent)
    {
        var poller = new FlagPoller(_redis, agent, _options, _timeProvider, _loggerFactory.CreateLogger<FlagPoller>());
        await poller.StartAsync(CancellationToken.None).ConfigureAwait(false);
        return new RouteSelector(poller, _random);
    }

    /// <summary>Stops every poller. The multiplexer is left open. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var lazy in _selectors.Values)
        {
            if (!lazy.IsValueCreated)
            {
                continue;
            }

            try
            {
                var selector = await lazy.Value.ConfigureAwait(false);
                await selector.Poller.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
            {
                // the poller never started
            }
        }
    }
}
