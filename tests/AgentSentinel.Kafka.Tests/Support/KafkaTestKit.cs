using System.Diagnostics;
using AgentSentinel.Kafka.Consumer;
using AgentSentinel.Kafka.Mock;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace AgentSentinel.Kafka.Tests.Support;

/// <summary>Helpers shared by the tests that run against a <see cref="MockCluster"/>.</summary>
internal static class KafkaTestKit
{
    /// <summary>Upper bound for any wait; generous for a loaded 2-core machine, never reached when things work.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    /// <summary>Receiver options tuned for the mock: short fetch wait, fast commits and heartbeats.</summary>
    public static KafkaReceiverOptions Options(MockCluster cluster, string topic, string group, int maxInFlight = 1000)
    {
        var options = new KafkaReceiverOptions
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = group,
            Topics = [new KafkaTopicOptions { Name = topic, Encoding = KafkaReceiverOptions.OtlpProto }],
            MaxInFlightRecords = maxInFlight,
            LagRefreshInterval = TimeSpan.FromMilliseconds(200),
            RetryBackoff = TimeSpan.FromMilliseconds(20),
            MaxRetryBackoff = TimeSpan.FromMilliseconds(200),
            RevokeDrainTimeout = TimeSpan.FromSeconds(10),
            ShutdownTimeout = TimeSpan.FromSeconds(10),
        };
        options.Consumer["fetch.wait.max.ms"] = "10";
        options.Consumer["auto.commit.interval.ms"] = "100";
        options.Consumer["session.timeout.ms"] = "6000"; // a heartbeat thread starved on a loaded machine must not cost the membership
        options.Consumer["heartbeat.interval.ms"] = "200";
        options.Producer["linger.ms"] = "1";
        return options;
    }

    public static KafkaSpanReceiver Receiver(KafkaReceiverOptions options, RecordingSink sink, MarkerDecoder? decoder = null, ILogger<KafkaSpanReceiver>? logger = null)
    {
        decoder ??= new MarkerDecoder();
        return new KafkaSpanReceiver(options, _ => decoder, sink, logger);
    }

    /// <summary>Writes records to chosen partitions and waits for every acknowledgement.</summary>
    public static async Task ProduceAsync(MockCluster cluster, string topic, IEnumerable<(int Partition, byte[]? Key, byte[]? Value)> records)
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            LingerMs = 1,
            EnableIdempotence = false,
            Acks = Acks.All,
        }).Build();
        var pending = records
            .Select(r => producer.ProduceAsync(new TopicPartition(topic, r.Partition), new Message<byte[]?, byte[]?> { Key = r.Key, Value = r.Value }))
            .ToList();
        await Task.WhenAll(pending);
    }

    /// <summary>Writes good records with ids <paramref name="firstId"/>.. spread round-robin over the partitions.</summary>
    public static Task ProduceGoodAsync(MockCluster cluster, string topic, int partitions, long firstId, int count) =>
        ProduceAsync(cluster, topic, Enumerable.Range(0, count).Select(i =>
            ((int)((firstId + i) % partitions), (byte[]?)null, (byte[]?)MarkerDecoder.Good(firstId + i))));

    /// <summary>Reads a topic from the beginning (no group membership) until <paramref name="expected"/> records arrived.</summary>
    public static List<ConsumeResult<byte[]?, byte[]?>> ReadAll(MockCluster cluster, string topic, int partitions, int expected)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = Unique("reader"),
            EnableAutoCommit = false,
            FetchWaitMaxMs = 10,
        }).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var results = new List<ConsumeResult<byte[]?, byte[]?>>();
        var clock = Stopwatch.StartNew();
        while (results.Count < expected && clock.Elapsed < Patience)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } result)
            {
                results.Add(result);
            }
        }

        return results;
    }

    /// <summary>The group's committed offsets for each partition (-1001 when none), asked of the coordinator.</summary>
    public static long[] Committed(MockCluster cluster, string group, string topic, int partitions)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = group,
            EnableAutoCommit = false,
        }).Build();
        var committed = consumer.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10));
        return [.. committed.OrderBy(static c => c.Partition.Value).Select(static c => c.Offset.Value)];
    }

    /// <summary>
    /// Polls <paramref name="condition"/> until true; after <see cref="Patience"/> fails the test with <paramref name="what"/>
    /// and, if given, <paramref name="state"/> (e.g. the receiver's statistics).
    /// </summary>
    public static async Task Eventually(Func<bool> condition, string what, TimeSpan? timeout = null, Func<object>? state = null)
    {
        var limit = timeout ?? Patience;
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit)
            {
                Assert.Fail($"Timed out after {limit.TotalSeconds:0.#} s waiting for: {what}. State: {state?.Invoke()}");
            }

            await Task.Delay(20);
        }
    }
}

/// <summary>One mock cluster for all tests of a class (each test uses its own topics and groups).</summary>
public sealed class MockClusterFixture : IDisposable
{
    public MockCluster Cluster { get; } = new(brokerCount: 1);

    public void Dispose() => Cluster.Dispose();
}
