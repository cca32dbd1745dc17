namespace AgentSentinel.Redis;

/// <summary>How <see cref="RedisServerProcess"/> starts its private <c>redis-server</c>.</summary>
public sealed class RedisServerProcessOptions
{
    /// <summary>The <c>redis-server</c> binary; null looks on PATH, then <see cref="RedisServerProcess.DefaultBinaryPath"/>.</summary>
    public string? BinaryPath { get; init; }

    /// <summary>A fixed port. Null (the default) picks a free loopback port, and another one if that was taken before redis-server bound it.</summary>
    public int? Port { get; init; }

    /// <summary>Turn on the append-only file (<c>appendonly yes</c>, fsync every second) so data survives a restart; off by default.</summary>
    public bool AppendOnly { get; init; }

    /// <summary>How long to wait for the server to answer PING.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Extra <c>redis.conf</c> lines (e.g. <c>aclfile …</c>, <c>maxmemory 64mb</c>), appended after the defaults so they win.</summary>
    public IReadOnlyList<string> ExtraConfig { get; init; } = [];

    /// <summary>Test hook: the port picker (to simulate a port taken between picking and binding).</summary>
    internal Func<int>? PortPicker { get; init; }
}
