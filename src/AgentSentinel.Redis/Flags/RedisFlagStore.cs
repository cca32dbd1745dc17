using System.Buffers;
using System.Text.Json;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace AgentSentinel.Redis.Flags;

/// <summary>
/// The flag store of contract v1 on Redis. Every write is one Lua script (<see cref="FlagWriteScript"/>): version fence,
/// hash, pub/sub notice and audit entry happen together or not at all. Thread-safe; use one instance per process, on the
/// process's one shared <see cref="IConnectionMultiplexer"/>.
/// </summary>
/// <remarks>
/// <para>Failures: every Redis failure surfaces as <see cref="FlagStoreException"/> (never a raw StackExchange.Redis
/// exception); the write's outcome is then unknown and the caller retries the same decision (see
/// <see cref="FlagWriteRetrier"/>). An invalid decision throws <see cref="ArgumentException"/> (do not retry), cancellation
/// throws <see cref="OperationCanceledException"/> (the command may still run), and use after dispose throws
/// <see cref="ObjectDisposedException"/>.</para>
/// <para>After a reconnect (<see cref="ConnectionRestored"/>) the caller re-asserts the flags it believes are in force:
/// Redis may have restarted empty, and a re-asserted version that is still stored is a harmless stale no-op.</para>
/// </remarks>
public sealed class RedisFlagStore : IFlagStore, IAsyncDisposable, IDisposable
{
    private const int ReadBatchSize = 256;

    private readonly IConnectionMultiplexer _redis;
    private readonly bool _ownsConnection;
    private readonly RedisFlagStoreOptions _options;
    private readonly ILogger _logger;
    private readonly IDatabase _database;
    private readonly RedisKey _auditKey;
    private int _disposed;

    /// <summary>Uses <paramref name="redis"/> (shared, not owned: the caller disposes it). Build it from
    /// <see cref="RedisFlagStoreOptions.ToConfigurationOptions"/> so it connects in the background and fails fast.</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message names each key.</exception>
    public RedisFlagStore(IConnectionMultiplexer redis, RedisFlagStoreOptions options, ILogger<RedisFlagStore>? logger = null)
        : this(redis, options, logger, ownsConnection: false)
    {
    }

    private RedisFlagStore(IConnectionMultiplexer redis, RedisFlagStoreOptions options, ILogger? logger, bool ownsConnection)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        _redis = redis;
        _ownsConnection = ownsConnection;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _database = redis.GetDatabase();
        Keys = new FlagKeys(options.KeyPrefix);
        _auditKey = Keys.Audit;
        _redis.ConnectionFailed += OnConnectionFailed;
        _redis.ConnectionRestored += OnConnectionRestored;
        SentinelMetrics.RedisConnected.Set(_redis.IsConnected ? 1 : 0);
    }

    /// <summary>
    /// Raised when the interactive connection to Redis comes back after a failure, including the first successful connect
    /// of a service that started while Redis was down. Re-assert the flags in force (Redis may have restarted empty).
    /// Raised on a StackExchange.Redis thread: return quickly (e.g. send a message to an actor); exceptions are logged.
    /// </summary>
    public event EventHandler? ConnectionRestored;

    /// <summary>Raised when the interactive connection to Redis fails. Same threading rules as <see cref="ConnectionRestored"/>.</summary>
    public event EventHandler? ConnectionLost;

    /// <summary>The key, channel and stream names in use.</summary>
    public FlagKeys Keys { get; }

    /// <summary>The shared multiplexer (for health checks).</summary>
    public IConnectionMultiplexer Connection => _redis;

    /// <summary>Whether a connection to Redis is up right now (the readiness signal).</summary>
    public bool IsConnected => _redis.IsConnected;

    /// <summary>
    /// Creates a store that owns its multiplexer (disposed with the store). Returns while Redis is still down:
    /// the multiplexer keeps connecting in the background and <see cref="ConnectionRestored"/> fires once it is up.
    /// </summary>
    public static async Task<RedisFlagStore> ConnectAsync(RedisFlagStoreOptions options, ILogger<RedisFlagStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var redis = await ConnectionMultiplexer.ConnectAsync(options.ToConfigurationOptions()).ConfigureAwait(false);
        try
        {
            return new RedisFlagStore(redis, options, logger, ownsConnection: true);
        }
        catch
        {
            await redis.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Writes <paramref name="decision"/> in one atomic script: applied only if its version is greater than the stored one
    /// (then the hash is replaced, <c>{"agent","route","version"}</c> is published on <c>{prefix}flags</c>); an audit entry
    /// with <c>outcome=applied</c> or <c>outcome=stale</c> is appended either way (stale ones unless
    /// <see cref="RedisFlagStoreOptions.AuditStaleWrites"/> is off). A stale write leaves the hash untouched and publishes nothing.
    /// Counts <c>agentsentinel_flag_writes_total{route,outcome=applied|stale|failed}</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The decision is invalid (agent name, missing fallback or probe ratio, control characters…).</exception>
    /// <exception cref="FlagStoreException">Redis is unreachable, timed out or refused; the outcome is unknown: retry the same decision.</exception>
    public async Task<FlagWriteOutcome> WriteAsync(FlagDecision decision, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        FlagHashCodec.Validate(decision);
        var route = decision.Route.ToWireName();
        var version = FlagHashCodec.FormatLong(decision.Version);
        var parameters = new
        {
            flagKey = Keys.Flag(decision.Agent),
            auditKey = _auditKey,
            channel = Keys.Channel,
            notice = (RedisValue)Notice(decision.Agent, route, decision.Version),
            agent = decision.Agent,
            route,
            fallback = decision.Fallback,
            probeRatio = decision.Route == FlagRoute.Probe ? FlagHashCodec.FormatRatio(decision.ProbeRatio!.Value) : string.Empty,
            reason = decision.Reason,
            detail = FlagHashCodec.SanitizeDetail(decision.Detail),
            traceIds = FlagHashCodec.JoinTraceIds(decision.TraceIds),
            incident = decision.Incident,
            version,
            updatedAt = FlagHashCodec.FormatLong(decision.UpdatedAtUnixMs),
            expiresAt = FlagHashCodec.FormatLong(decision.ExpiresAtUnixMs),
            actor = decision.Actor,
            transition = decision.Transition,
            policy = decision.Policy,
            stateKey = (RedisKey)Keys.Remediation,
            versionKey = (RedisKey)Keys.Version,
            hasState = decision.State is null ? "0" : "1",
            state = decision.State ?? string.Empty,
            auditStale = _options.AuditStaleWrites ? "1" : "0",
            auditMaxLength = (long)_options.AuditMaxLength,
        };

        RedisResult result;
        try
        {
            result = await _database.ScriptEvaluateAsync(FlagWriteScript.Script, parameters).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ToStoreException(ex, "write") is { } failure)
        {
            SentinelMetrics.FlagWrites.WithLabels(route, "failed").Inc();
            Log.FlagWriteFailed(_logger, route, decision.Version, failure.Failure, ex);
            throw failure;
        }

        if ((long)result == 1)
        {
            SentinelMetrics.FlagWrites.WithLabels(route, "applied").Inc();
            return FlagWriteOutcome.Applied;
        }

        SentinelMetrics.FlagWrites.WithLabels(route, "stale").Inc();
        Log.FlagWriteStale(_logger, route, decision.Version);
        return FlagWriteOutcome.Stale;
    }

    /// <summary>
    /// Appends an audit entry for a decision that agents are not told about (dry run, suppressed by a safety limit), with
    /// the same who/what/why fields as a write and <c>outcome=dry_run|suppressed</c>. The flag hash is not touched.
    /// </summary>
    /// <exception cref="ArgumentException">The decision is invalid.</exception>
    /// <exception cref="FlagStoreException">Redis is unreachable, timed out or refused.</exception>
    public async Task AppendAuditAsync(FlagDecision decision, FlagAuditOutcome outcome, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        FlagHashCodec.Validate(decision);
        var outcomeName = outcome switch
        {
            FlagAuditOutcome.DryRun => "dry_run",
            FlagAuditOutcome.Suppressed => "suppressed",
            FlagAuditOutcome.AlertOnly => "alert_only",
            _ => throw new ArgumentOutOfRangeException(nameof(outcome)),
        };

        var entry = new List<NameValueEntry>(16)
        {
            new("agent", decision.Agent),
            new("route", decision.Route.ToWireName()),
            new("fallback", decision.Fallback),
        };
        if (decision.Route == FlagRoute.Probe)
        {
            entry.Add(new(FlagHashCodec.ProbeRatio, FlagHashCodec.FormatRatio(decision.ProbeRatio!.Value)));
        }

        entry.AddRange(
        [
            new("reason", decision.Reason),
            new("detail", FlagHashCodec.SanitizeDetail(decision.Detail)),
            new("trace_ids", FlagHashCodec.JoinTraceIds(decision.TraceIds)),
            new("incident", decision.Incident),
            new("version", decision.Version),
            new("updated_at", decision.UpdatedAtUnixMs),
            new("expires_at", decision.ExpiresAtUnixMs),
            new("actor", decision.Actor),
            new("transition", decision.Transition),
            new("policy", decision.Policy),
            new("outcome", outcomeName),
        ]);

        try
        {
            await _database.StreamAddAsync(_auditKey, [.. entry], maxLength: _options.AuditMaxLength, useApproximateMaxLength: true)
                .WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ToStoreException(ex, "audit") is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>Reads every agent's saved remediation state (<c>{prefix}remediation</c>) and the kill switch.</summary>
    /// <exception cref="FlagStoreException">Redis is unreachable, timed out or refused.</exception>
    public async Task<StoredRemediation> LoadRemediationAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            var states = await _database.HashGetAllAsync(Keys.Remediation).WaitAsync(cancellationToken).ConfigureAwait(false);
            var kill = await _database.HashGetAllAsync(Keys.KillSwitch).WaitAsync(cancellationToken).ConfigureAwait(false);
            var highest = await _database.StringGetAsync(Keys.Version).WaitAsync(cancellationToken).ConfigureAwait(false);
            _ = long.TryParse(highest.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var maxVersion);
            var map = new Dictionary<string, string>(states.Length, StringComparer.Ordinal);
            foreach (var entry in states)
            {
                var agent = entry.Name.ToString();
                if (FlagKeys.IsValidAgent(agent) && entry.Value.HasValue)
                {
                    map[agent] = entry.Value.ToString();
                }
            }

            return new StoredRemediation(map, ParseKillSwitch(kill), maxVersion);
        }
        catch (Exception ex) when (ToStoreException(ex, "state load") is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>Stores the kill switch (<c>{prefix}kill_switch</c>) and appends an audit entry, in one transaction.</summary>
    /// <exception cref="FlagStoreException">Redis is unreachable, timed out or refused.</exception>
    public async Task WriteKillSwitchAsync(KillSwitchState state, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentNullException.ThrowIfNull(state);
        var note = FlagHashCodec.SanitizeDetail(state.Note);
        var transaction = _database.CreateTransaction();
        _ = transaction.HashSetAsync(Keys.KillSwitch,
        [
            new("engaged", state.Engaged ? "1" : "0"),
            new("actor", state.Actor),
            new("note", note),
            new("updated_at", state.UpdatedAtUnixMs),
        ]);
        _ = transaction.StreamAddAsync(_auditKey,
        [
            new("agent", "*"),
            new("transition", state.Engaged ? "kill_switch_engaged" : "kill_switch_released"),
            new("actor", state.Actor),
            new("detail", note),
            new("updated_at", state.UpdatedAtUnixMs),
            new("outcome", "applied"),
        ], maxLength: _options.AuditMaxLength, useApproximateMaxLength: true);
        try
        {
            await transaction.ExecuteAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ToStoreException(ex, "kill switch write") is { } failure)
        {
            throw failure;
        }
    }

    private static KillSwitchState? ParseKillSwitch(HashEntry[] entries)
    {
        if (entries.Length == 0)
        {
            return null;
        }

        string Get(string name) => entries.FirstOrDefault(e => e.Name == name).Value.ToString() ?? string.Empty;
        _ = long.TryParse(Get("updated_at"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var at);
        return new KillSwitchState(Get("engaged") == "1", Get("actor"), Get("note"), at);
    }

    /// <summary>Reads <c>{prefix}flag:{agent}</c>; null when there is no such key. Missing fields take safe defaults
    /// (unknown route → primary; missing <c>expires_at</c> → 0, i.e. expired).</summary>
    /// <exception cref="ArgumentException">The agent name cannot be a key (see <see cref="FlagKeys.ValidateAgent"/>).</exception>
    /// <exception cref="FlagStoreException">Redis is unreachable, timed out or refused (e.g. WRONGTYPE).</exception>
    public async Task<FlagState?> ReadAsync(string agent, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var key = Keys.Flag(agent);
        try
        {
            var entries = await _database.HashGetAllAsync(key).WaitAsync(cancellationToken).ConfigureAwait(false);
            return FlagHashCodec.Parse(agent, entries);
        }
        catch (Exception ex) when (ToStoreException(ex, "read") is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>
    /// Every flag under the prefix (SCAN <c>{prefix}flag:*</c> on each connected primary, then HGETALL), ordered by agent.
    /// Keys that are not readable hashes are skipped. Not a snapshot: flags written during the scan may or may not appear.
    /// </summary>
    /// <exception cref="FlagStoreException">No primary is connected, or Redis timed out or refused.</exception>
    public async Task<IReadOnlyList<FlagState>> ListAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            var keys = new List<RedisKey>();
            var scanned = false;
            foreach (var endpoint in _redis.GetEndPoints())
            {
                var server = _redis.GetServer(endpoint);
                if (!server.IsConnected || server.IsReplica)
                {
                    continue;
                }

                scanned = true;
                await foreach (var key in server.KeysAsync(_database.Database, Keys.FlagKeyPrefix + "*", pageSize: 500)
                                   .WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    keys.Add(key);
                }
            }

            if (!scanned)
            {
                throw new FlagStoreException(
                    FlagStoreFailure.Unavailable, "Redis is unreachable; the flag list did not complete.", new InvalidOperationException("No connected Redis primary to scan."));
            }

            var states = new List<FlagState>(keys.Count);
            foreach (var batch in keys.Distinct().Chunk(ReadBatchSize))
            {
                var reads = batch.Select(key => ReadKeyAsync(key)).ToArray();
                foreach (var state in await Task.WhenAll(reads).WaitAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (state is not null)
                    {
                        states.Add(state);
                    }
                }
            }

            states.Sort((a, b) => string.CompareOrdinal(a.Agent, b.Agent));
            return states;
        }
        catch (Exception ex) when (ToStoreException(ex, "list") is { } failure)
        {
            throw failure;
        }
    }

    private async Task<FlagState?> ReadKeyAsync(RedisKey key)
    {
        var agent = key.ToString()[Keys.FlagKeyPrefix.Length..];
        try
        {
            return FlagHashCodec.Parse(agent, await _database.HashGetAllAsync(key).ConfigureAwait(false));
        }
        catch (RedisServerException ex)
        {
            Log.FlagListSkippedKey(_logger, ex); // e.g. WRONGTYPE: someone wrote a non-hash under the prefix
            return null;
        }
    }

    /// <summary>The pub/sub notice <c>{"agent":…,"route":…,"version":…}</c>, built by a JSON writer (agent names are untrusted).</summary>
    internal static byte[] Notice(string agent, string route, long version)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + agent.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("agent", agent);
            writer.WriteString("route", route);
            writer.WriteNumber("version", version);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static FlagStoreException? ToStoreException(Exception exception, string operation) => exception switch
    {
        RedisTimeoutException => new FlagStoreException(
            FlagStoreFailure.Timeout, $"Redis did not answer the flag {operation} in time; its outcome is unknown.", exception),
        RedisConnectionException => new FlagStoreException(
            FlagStoreFailure.Unavailable, $"Redis is unreachable; the flag {operation} did not complete.", exception),
        RedisServerException => new FlagStoreException(
            FlagStoreFailure.Rejected, $"Redis refused the flag {operation}: {exception.Message}", exception),
        RedisException => new FlagStoreException(
            FlagStoreFailure.Unavailable, $"The flag {operation} failed: {exception.Message}", exception),
        _ => null,
    };

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Interactive)
        {
            return;
        }

        SentinelMetrics.RedisConnected.Set(0);
        Log.ConnectionFailed(_logger, e.EndPoint, e.ConnectionType, e.FailureType, e.Exception);
        Raise(ConnectionLost);
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Interactive)
        {
            return;
        }

        SentinelMetrics.RedisConnected.Set(1);
        Log.ConnectionRestored(_logger, e.EndPoint, e.ConnectionType);
        Raise(ConnectionRestored);
    }

    private void Raise(EventHandler? handlers)
    {
        if (handlers is null || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList().Cast<EventHandler>())
        {
            try
            {
                handler(this, EventArgs.Empty);
            }
#pragma warning disable CA1031 // One failing subscriber must not starve the others or the multiplexer's thread.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.ConnectionRestoredHandlerFailed(_logger, ex);
            }
        }
    }

    /// <summary>Unhooks the connection events; disposes the multiplexer only if this store created it (<see cref="ConnectAsync"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _redis.ConnectionFailed -= OnConnectionFailed;
        _redis.ConnectionRestored -= OnConnectionRestored;
        if (_ownsConnection)
        {
            await _redis.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc cref="DisposeAsync"/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _redis.ConnectionFailed -= OnConnectionFailed;
        _redis.ConnectionRestored -= OnConnectionRestored;
        if (_ownsConnection)
        {
            _redis.Dispose();
        }
    }
}
