using AgentSentinel.Tests.Shared.Redis;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Redis.Flags;
using AgentSentinel.Telemetry;
using static AgentSentinel.Tests.Shared.Redis.TestRedis;

namespace AgentSentinel.Redis.Tests.Flags;

/// <summary>Redis down, hung and restarted: each test owns its redis-server, so it can stop it.</summary>
public sealed class RedisFlagStoreOutageTests
{
    [Fact]
    public async Task Write_while_redis_is_down_throws_FlagStoreException_unavailable_and_counts_failed()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var redis = await ConnectAsync(server.ConnectionString);
        using var store = new RedisFlagStore(redis, NewOptions(server.ConnectionString));
        var failed = SentinelMetrics.FlagWrites.WithLabels("fallback", "failed").Value;

        await server.StopAsync();
        Assert.True(await EventuallyAsync(() => !redis.IsConnected, TimeSpan.FromSeconds(5)));
        var error = await Assert.ThrowsAsync<FlagStoreException>(() => store.WriteAsync(Decision("a", 1), CancellationToken.None));

        Assert.Equal(FlagStoreFailure.Unavailable, error.Failure);
        Assert.IsType<StackExchange.Redis.RedisConnectionException>(error.InnerException);
        Assert.True(SentinelMetrics.FlagWrites.WithLabels("fallback", "failed").Value >= failed + 1);
        Assert.Equal(FlagStoreFailure.Unavailable, (await Assert.ThrowsAsync<FlagStoreException>(() => store.ReadAsync("a", CancellationToken.None))).Failure);
        Assert.Equal(FlagStoreFailure.Unavailable, (await Assert.ThrowsAsync<FlagStoreException>(() => store.ListAsync(CancellationToken.None))).Failure);
    }

    [Fact]
    public async Task Write_to_a_hung_redis_times_out_with_FlagStoreException_timeout()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var redis = await ConnectAsync(server.ConnectionString);
        using var store = new RedisFlagStore(redis, NewOptions(server.ConnectionString));

        await server.SuspendAsync();
        try
        {
            var error = await Assert.ThrowsAsync<FlagStoreException>(() => store.WriteAsync(Decision("a", 1), CancellationToken.None));
            Assert.Equal(FlagStoreFailure.Timeout, error.Failure);
        }
        finally
        {
            await server.ResumeAsync();
        }

        // The timed-out write may have run once the server resumed: the retry is fenced either way.
        var retry = await store.WriteAsync(Decision("a", 1), CancellationToken.None);
        Assert.Equal(1, (await store.ReadAsync("a", CancellationToken.None))!.Version);
        Assert.True(retry is FlagWriteOutcome.Applied or FlagWriteOutcome.Stale);
    }

    [Fact]
    public async Task Restart_on_the_same_port_raises_ConnectionRestored_and_writes_apply_again()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var redis = await ConnectAsync(server.ConnectionString);
        using var store = new RedisFlagStore(redis, NewOptions(server.ConnectionString));
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.ConnectionLost += (_, _) => lost.TrySetResult();
        store.ConnectionRestored += (_, _) => restored.TrySetResult();
        Assert.Equal(FlagWriteOutcome.Applied, await store.WriteAsync(Decision("a", 1), CancellationToken.None));
        var port = server.Port;

        await server.StopAsync();
        await lost.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await server.RestartAsync();
        await restored.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(port, server.Port);
        Assert.True(store.IsConnected);
        // No persistence: the restarted server is empty, which is why the remediation layer re-asserts on ConnectionRestored.
        Assert.Null(await store.ReadAsync("a", CancellationToken.None));
        Assert.Equal(FlagWriteOutcome.Applied, await store.WriteAsync(Decision("a", 1), CancellationToken.None));
        Assert.Equal(FlagWriteOutcome.Applied, await store.WriteAsync(Decision("a", 2), CancellationToken.None));
    }

    [Fact]
    public async Task Store_started_while_redis_is_down_connects_later_and_raises_ConnectionRestored()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await server.StopAsync();
        await using var redis = await ConnectAsync(server.ConnectionString, serverIsDown: true);
        using var store = new RedisFlagStore(redis, NewOptions(server.ConnectionString));
        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.ConnectionRestored += (_, _) => restored.TrySetResult();
        Assert.False(store.IsConnected);

        await server.RestartAsync();
        await restored.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(FlagWriteOutcome.Applied, await store.WriteAsync(Decision("a", 1), CancellationToken.None));
    }

    [Fact]
    public async Task Retrier_applies_a_write_once_redis_comes_back()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var redis = await ConnectAsync(server.ConnectionString);
        using var store = new RedisFlagStore(redis, NewOptions(server.ConnectionString));
        var retrier = new FlagWriteRetrier(store, new FlagWriteRetryOptions { InitialDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(200) });
        await server.StopAsync();
        Assert.True(await EventuallyAsync(() => !redis.IsConnected, TimeSpan.FromSeconds(5)));

        var write = retrier.WriteAsync(Decision("a", 1), CancellationToken.None);
        await Task.Delay(300);
        Assert.False(write.IsCompleted);
        await server.RestartAsync();

        Assert.Equal(FlagWriteOutcome.Applied, await write.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, (await store.ReadAsync("a", CancellationToken.None))!.Version);
    }

    [Fact]
    public async Task Retrier_gives_up_when_cancelled_or_out_of_attempts_and_never_retries_an_invalid_decision()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var redis = await ConnectAsync(server.ConnectionString);
        using var store = new RedisFlagStore(redis, NewOptions(server.ConnectionString));
        await server.StopAsync();
        Assert.True(await EventuallyAsync(() => !redis.IsConnected, TimeSpan.FromSeconds(5)));
        var fast = new FlagWriteRetryOptions { InitialDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(20) };

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new FlagWriteRetrier(store, fast).WriteAsync(Decision("a", 1), cancel.Token));
        var limited = new FlagWriteRetrier(store, new FlagWriteRetryOptions { InitialDelay = fast.InitialDelay, MaxDelay = fast.MaxDelay, MaxAttempts = 3 });
        await Assert.ThrowsAsync<FlagStoreException>(() => limited.WriteAsync(Decision("a", 1), CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => new FlagWriteRetrier(store, fast).WriteAsync(Decision("", 1), CancellationToken.None));
    }

    [Fact]
    public async Task Writes_use_the_cached_script_by_sha_and_survive_a_flushed_script_cache()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var redis = await ConnectAsync(server.ConnectionString);
        using var store = new RedisFlagStore(redis, NewOptions(server.ConnectionString));
        var admin = redis.GetServer(redis.GetEndPoints().Single());

        for (var version = 1; version <= 5; version++)
        {
            await store.WriteAsync(Decision("a", version), CancellationToken.None);
        }

        await admin.ScriptFlushAsync();
        await store.WriteAsync(Decision("a", 6), CancellationToken.None);
        var stats = (await redis.GetDatabase().ExecuteAsync("INFO", "commandstats")).ToString();

        Assert.Contains("cmdstat_evalsha:calls=", stats, StringComparison.Ordinal);
        Assert.Equal(6, (await store.ReadAsync("a", CancellationToken.None))!.Version);
    }
}
