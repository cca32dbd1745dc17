using AgentSentinel.Kafka.Mock;
using Confluent.Kafka;
using static AgentSentinel.Kafka.Tests.Support.KafkaTestKit;

namespace AgentSentinel.Kafka.Tests.Mock;

public sealed class MockClusterTests
{
    [Fact]
    public void It_lists_one_bootstrap_address_per_broker_on_the_loopback_interface()
    {
        using var cluster = new MockCluster(brokerCount: 3);

        var addresses = cluster.BootstrapServers.Split(',');

        Assert.Equal(3, cluster.BrokerCount);
        Assert.Equal(3, addresses.Length);
        Assert.All(addresses, a => Assert.StartsWith("127.0.0.1:", a, StringComparison.Ordinal));
    }

    [Fact]
    public void Dispose_is_idempotent_and_later_calls_throw_ObjectDisposedException()
    {
        var cluster = new MockCluster();
        cluster.Dispose();
        cluster.Dispose();

        Assert.Throws<ObjectDisposedException>(() => cluster.CreateTopic("t", 1));
        Assert.Throws<ObjectDisposedException>(() => cluster.SetBrokerDown(1));
    }

    [Fact]
    public async Task A_created_topic_carries_records_between_Confluent_clients_with_their_keys_and_partitions()
    {
        using var cluster = new MockCluster();
        var topic = Unique("roundtrip");
        cluster.CreateTopic(topic, partitions: 3);

        await ProduceAsync(cluster, topic, [(2, "k"u8.ToArray(), "v"u8.ToArray())]);
        var read = Assert.Single(ReadAll(cluster, topic, 3, 1));

        Assert.Equal(2, read.Partition.Value);
        Assert.Equal("k"u8.ToArray(), read.Message.Key);
        Assert.Equal("v"u8.ToArray(), read.Message.Value);
    }

    [Fact]
    public void Creating_an_existing_topic_is_an_error()
    {
        using var cluster = new MockCluster();
        cluster.CreateTopic("twice", 1);

        var error = Assert.Throws<KafkaException>(() => cluster.CreateTopic("twice", 1));

        Assert.Equal(ErrorCode.TopicAlreadyExists, error.Error.Code);
    }

    [Fact]
    public async Task Pushed_request_errors_fail_the_next_requests_of_that_type_and_then_clear()
    {
        using var cluster = new MockCluster();
        var topic = Unique("faults");
        cluster.CreateTopic(topic, 1);
        using var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            EnableIdempotence = false,
            MessageSendMaxRetries = 0,
        }).Build();
        await producer.ProduceAsync(topic, new Message<Null, byte[]> { Value = [1] }); // Connected and warm.

        cluster.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.MsgSizeTooLarge);
        var failure = await Assert.ThrowsAsync<ProduceException<Null, byte[]>>(() => producer.ProduceAsync(topic, new Message<Null, byte[]> { Value = [2] }));
        var delivered = await producer.ProduceAsync(topic, new Message<Null, byte[]> { Value = [3] });

        Assert.Equal(ErrorCode.MsgSizeTooLarge, failure.Error.Code);
        Assert.Equal(PersistenceStatus.Persisted, delivered.Status);
    }

    [Fact]
    public async Task A_broker_taken_down_refuses_writes_until_it_is_brought_back_up()
    {
        using var cluster = new MockCluster();
        var topic = Unique("outage");
        cluster.CreateTopic(topic, 1);
        using var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            MessageTimeoutMs = 500,
            ReconnectBackoffMs = 10,
            ReconnectBackoffMaxMs = 100,
        }).Build();
        await producer.ProduceAsync(topic, new Message<Null, byte[]> { Value = [1] });

        cluster.SetBrokerDown();
        var failure = await Assert.ThrowsAsync<ProduceException<Null, byte[]>>(() => producer.ProduceAsync(topic, new Message<Null, byte[]> { Value = [2] }));
        cluster.SetBrokerUp();
        var delivered = false;
        for (var attempt = 0; attempt < 60 && !delivered; attempt++) // The client reconnects with back-off.
        {
            try
            {
                delivered = (await producer.ProduceAsync(topic, new Message<Null, byte[]> { Value = [3] })).Status == PersistenceStatus.Persisted;
            }
            catch (ProduceException<Null, byte[]>)
            {
            }
        }

        Assert.Equal(ErrorCode.Local_MsgTimedOut, failure.Error.Code);
        Assert.True(delivered, "no write succeeded after the broker came back up");
    }

    [Fact]
    public async Task Request_tracking_counts_requests_by_api_key()
    {
        using var cluster = new MockCluster();
        var topic = Unique("tracked");
        cluster.CreateTopic(topic, 1);
        cluster.StartRequestTracking();

        await ProduceAsync(cluster, topic, [(0, null, [1]), (0, null, [2])]);

        Assert.InRange(cluster.CountRequests(KafkaApiKey.Produce), 1, 2);
        Assert.True(cluster.CountRequests(KafkaApiKey.Metadata) >= 1);
        cluster.StopRequestTracking();
        Assert.Equal(0, cluster.CountRequests(KafkaApiKey.Produce));
    }
}
