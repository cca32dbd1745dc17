using AgentSentinel.Core.Remediation;
using AgentSentinel.Redis;
using AgentSentinel.Redis.Flags;
using StackExchange.Redis;

namespace AgentSentinel.Tests.Shared.Redis;

/// <summary>
/// One real redis-server and one shared multiplexer per test class. Tests isolate themselves by key prefix. Compiled into
/// the test projects that talk to Redis (tests/Directory.Build.props: UsesRedis).
/// </summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    public RedisServerProcess Server { get; private set; } = null!;

    public ConnectionMultiplexer Redis { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await RedisServerProcess.StartAsync();
        Redis = await TestRedis.ConnectAsync(Server.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await Redis.DisposeAsync();
        await Server.DisposeAsync();
    }

    /// <summary>Options with a fresh prefix, so tests sharing the server never see each other's keys.</summary>
    public RedisFlagStoreOptions NewOptions() => TestRedis.NewOptions(Server.ConnectionString);
}

internal static class TestRedis
{
    public static RedisFlagStoreOptions NewOptions(string connectionString) => new()
    {
        ConnectionString = connectionString,
        KeyPrefix = $"t{Guid.NewGuid():N}:",
    };

    /// <summary>
    /// The product configuration (abortConnect off, fail-fast), with short timeouts and quick reconnects for tests. The
    /// command timeout leaves room for a loaded 2-core CI machine running several test projects at once (the first EVAL
    /// of a script has been seen to take a second there).
    /// </summary>
    public static ConfigurationOptions Configuration(string connectionString)
    {
        var configuration = new RedisFlagStoreOptions { ConnectionString = connectionString }.ToConfigurationOptions();
        configuration.ConnectTimeout = 5000;
        configuration.AsyncTimeout = 3000;
        configuration.SyncTimeout = 3000;
        configuration.ReconnectRetryPolicy = new LinearRetry(100);
        configuration.AllowAdmin = true;
        return configuration;
    }

    /// <summary>
    /// Connects and, unless <paramref name="serverIsDown"/>, waits (up to 15 s) until the connection is up: the product
    /// configuration does not abort on a slow first connect and fails commands fast meanwhile, which a loaded CI machine
    /// would turn into spurious failures.
    /// </summary>
    public static async Task<ConnectionMultiplexer> ConnectAsync(string connectionString, bool serverIsDown = false)
    {
        var redis = await ConnectionMultiplexer.ConnectAsync(Configuration(connectionString));
        var deadline = DateTime.UtcNow.AddSeconds(serverIsDown ? 0 : 15);
        while (!redis.IsConnected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        return redis;
    }

    public static FlagDecision Decision(
        string agent,
        long version,
        FlagRoute route = FlagRoute.Fallback,
        string fallback = "cached",
        double? probeRatio = null,
        long expiresAtUnixMs = 4_102_444_800_000, // 2100-01-01
        string detail = "tokens p95 1200 -> 9800 (x8.2) over 60 s",
        IReadOnlyList<string>? traceIds = null) => new()
    {
        Agent = agent,
        Route = route,
        Fallback = fallback,
        ProbeRatio = probeRatio,
        Reason = "token_spike",
        Detail = detail,
        TraceIds = traceIds ?? ["4bf92f3577b34da6a3ce929d0e0e4736"],
        Incident = "inc-42",
        Version = version,
        UpdatedAtUnixMs = 1_700_000_000_000,
        ExpiresAtUnixMs = expiresAtUnixMs,
    };

    public static async Task<Dictionary<string, string>> HashAsync(IConnectionMultiplexer redis, RedisKey key) =>
        (await redis.GetDatabase().HashGetAllAsync(key)).ToDictionary(e => e.Name.ToString(), e => e.Value.ToString());

    /// <summary>Polls <paramref name="condition"/> every 20 ms until it holds or <paramref name="timeout"/> passes.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(20);
        }

        return condition();
    }
}

/// <summary>A clock that moves only when told to.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private long _utcTicks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _utcTicks), TimeSpan.Zero);

    public long NowUnixMs => GetUtcNow().ToUnixTimeMilliseconds();

    public void Advance(TimeSpan by) => Interlocked.Add(ref _utcTicks, by.Ticks);
}
