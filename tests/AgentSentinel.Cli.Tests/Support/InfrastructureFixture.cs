using AgentSentinel.Kafka.Mock;
using AgentSentinel.Redis;

namespace AgentSentinel.Cli.Tests.Support;

/// <summary>One librdkafka mock cluster and one private redis-server, shared by a test class; tests isolate themselves by name.</summary>
public sealed class InfrastructureFixture : IAsyncLifetime
{
    private RedisServerProcess? _redis;

    public MockCluster Kafka { get; } = new(brokerCount: 1);

    public RedisServerProcess Redis => _redis ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _redis = await RedisServerProcess.StartAsync();

    public async Task DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        Kafka.Dispose();
    }
}
