using AgentSentinel.Tests.Shared.Redis;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace AgentSentinel.Redis.Tests;

public sealed class RedisServerProcessTests
{
    [Fact]
    public async Task Started_server_answers_ping_on_a_loopback_port_without_persistence()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var redis = await TestRedis.ConnectAsync(server.ConnectionString);
        var admin = redis.GetServer(redis.GetEndPoints().Single());

        await redis.GetDatabase().PingAsync();
        var config = (await admin.ConfigGetAsync("*")).ToDictionary(p => p.Key, p => p.Value);

        Assert.True(server.IsRunning);
        Assert.Equal($"127.0.0.1:{server.Port}", server.ConnectionString);
        Assert.Equal("127.0.0.1", config["bind"]);
        Assert.Equal("", config["save"]);
        Assert.Equal("no", config["appendonly"]);
        Assert.Equal("yes", config["protected-mode"]);
        Assert.Equal(server.DataDirectory, config["dir"]);
        var info = (await redis.GetDatabase().ExecuteAsync("INFO", "server")).ToString();
        var pid = info.Split('\n').Single(l => l.StartsWith("process_id:", StringComparison.Ordinal))["process_id:".Length..].Trim();
        Assert.Equal(server.ProcessId, int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Stop_and_dispose_are_idempotent_and_delete_the_directory()
    {
        var server = await RedisServerProcess.StartAsync();
        var directory = server.DataDirectory;

        await server.StopAsync();
        await server.StopAsync();
        server.Kill();
        Assert.False(server.IsRunning);
        Assert.True(Directory.Exists(directory));
        server.Dispose();
        await server.DisposeAsync();

        Assert.False(Directory.Exists(directory));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => server.RestartAsync());
    }

    [Fact]
    public async Task Dispose_kills_a_running_server()
    {
        var server = await RedisServerProcess.StartAsync();
        var port = server.Port;

        server.Dispose();

        Assert.False(server.IsRunning);
        using var client = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => client.ConnectAsync(IPAddress.Loopback, port));
    }

    [Fact]
    public async Task Restart_serves_again_on_the_same_port_after_a_stop_or_a_crash()
    {
        await using var server = await RedisServerProcess.StartAsync();
        var port = server.Port;
        var firstPid = server.ProcessId;

        await server.StopAsync();
        await server.RestartAsync();
        var secondPid = server.ProcessId;
        server.Kill();
        await server.RestartAsync();
        await server.RestartAsync(); // restarting a running server stops it first

        Assert.Equal(port, server.Port);
        Assert.NotEqual(firstPid, secondPid);
        await using var redis = await TestRedis.ConnectAsync(server.ConnectionString);
        await redis.GetDatabase().PingAsync();
    }

    [Fact]
    public async Task Append_only_server_keeps_data_across_a_crash()
    {
        await using var server = await RedisServerProcess.StartAsync(new RedisServerProcessOptions { AppendOnly = true });
        await using (var redis = await TestRedis.ConnectAsync(server.ConnectionString))
        {
            await redis.GetDatabase().StringSetAsync("k", "v");
            await redis.GetServer(redis.GetEndPoints().Single()).ExecuteAsync("CONFIG", "SET", "appendfsync", "always");
            await redis.GetDatabase().StringSetAsync("k2", "v2");
        }

        server.Kill();
        await server.RestartAsync();

        await using var again = await TestRedis.ConnectAsync(server.ConnectionString);
        Assert.Equal("v2", (string?)await again.GetDatabase().StringGetAsync("k2"));
    }

    [Fact]
    public async Task A_port_taken_before_binding_is_retried_on_another_port()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var taken = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var picks = 0;

        await using var server = await RedisServerProcess.StartAsync(new RedisServerProcessOptions
        {
            PortPicker = () => Interlocked.Increment(ref picks) == 1 ? taken : FreePort(),
        });

        Assert.NotEqual(taken, server.Port);
        Assert.Equal(2, picks);
        await using var redis = await TestRedis.ConnectAsync(server.ConnectionString);
        await redis.GetDatabase().PingAsync();
    }

    [Fact]
    public async Task A_fixed_port_that_is_taken_fails_with_a_clear_error()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var taken = ((IPEndPoint)squatter.LocalEndpoint).Port;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => RedisServerProcess.StartAsync(new RedisServerProcessOptions { Port = taken }));

        Assert.Contains($"could not bind 127.0.0.1:{taken}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_redis_answering_on_the_port_is_not_mistaken_for_ours()
    {
        await using var other = await RedisServerProcess.StartAsync();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => RedisServerProcess.StartAsync(new RedisServerProcessOptions { Port = other.Port }));

        Assert.Contains("could not bind", error.Message, StringComparison.Ordinal);
        Assert.True(other.IsRunning);
    }

    [Fact]
    public async Task Missing_binary_points_the_user_at_the_setup_script()
    {
        var error = await Assert.ThrowsAsync<FileNotFoundException>(
            () => RedisServerProcess.StartAsync(new RedisServerProcessOptions { BinaryPath = "/nonexistent/redis-server" }));

        Assert.Contains("./scripts/setup.sh", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Binary_is_found_on_the_path_or_in_usr_bin()
    {
        var path = RedisServerProcess.LocateBinary();

        Assert.True(File.Exists(path));
        Assert.EndsWith("redis-server", path, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("+PONG\r\n$27\r\n# Server\r\nprocess_id:4242\r\n\r\n", true, 4242)]
    [InlineData("+PONG\r\n$25\r\n# Server\r\nprocess", false, null)]
    [InlineData("-LOADING Redis is loading the dataset in memory\r\n", true, null)]
    [InlineData("+PO", false, null)]
    public void Probe_reply_is_parsed_incrementally(string reply, bool complete, int? processId)
    {
        Assert.Equal(complete, RedisServerProcess.TryParseProbeReply(reply, out var parsed));
        Assert.Equal(processId, parsed);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
