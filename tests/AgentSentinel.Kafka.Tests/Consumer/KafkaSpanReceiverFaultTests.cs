using AgentSentinel.Kafka.Consumer;
using AgentSentinel.Kafka.Mock;
using AgentSentinel.Kafka.Tests.Support;
using Confluent.Kafka;
using Xunit.Abstractions;
using static AgentSentinel.Kafka.Tests.Support.KafkaTestKit;

namespace AgentSentinel.Kafka.Tests.Consumer;

/// <summary>Failures around the receiver: dead-letter topic down, pipeline refusing records, brokers down, rebalances.</summary>
public sealed class KafkaSpanReceiverFaultTests(MockClusterFixture fixture, ITestOutputHelper output) : IClassFixture<MockClusterFixture>
{
    private readonly MockCluster _cluster = fixture.Cluster;

    [Fact]
    public async Task A_failing_dead_letter_write_holds_the_offset_and_is_retried_until_the_topic_accepts_it()
    {
        var topic = Unique("spans");
        var group = Unique("group");
        _cluster.CreateTopic(topic, 1);
        await ProduceAsync(_cluster, topic, [(0, null, MarkerDecoder.Good(1)), (0, null, MarkerDecoder.Bad("x")), (0, null, MarkerDecoder.Good(2))]);

        var options = Options(_cluster, topic, group);
        options.Producer["allow.auto.create.topics"] = "false"; // The dead-letter topic does not exist yet.
        options.Producer["message.timeout.ms"] = "300";
        var sink = new RecordingSink();
        await using var receiver = Receiver(options, sink);
        await receiver.StartAsync(CancellationToken.None);

        await Eventually(() => receiver.Statistics.DeadLetterFailures >= 2, "dead-letter writes failing and being retried", state: () => receiver.Statistics);
        await Eventually(() => sink.Count == 2, "good records on both sides of the bad one still reach the pipeline", state: () => receiver.Statistics);
        await Eventually(() => Committed(_cluster, group, topic, 1)[0] == 1, "offset committed up to the bad record");
        Assert.Equal(2, receiver.Statistics.InFlightRecords); // The bad record and the good one behind it.
        Assert.Equal(0, receiver.Statistics.DeadLettered);

        _cluster.CreateTopic(topic + ".dlq", 1);
        await Eventually(() => receiver.Statistics.DeadLettered == 1, "the retry succeeds once the topic exists", state: () => receiver.Statistics);
        await Eventually(() => Committed(_cluster, group, topic, 1)[0] == 3, "offset moves past the bad record");
        Assert.Single(ReadAll(_cluster, topic + ".dlq", 1, 1));
        await receiver.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_record_the_pipeline_refuses_is_retried_and_holds_the_offset_until_taken()
    {
        var topic = Unique("spans");
        var group = Unique("group");
        _cluster.CreateTopic(topic, 1);
        await ProduceGoodAsync(_cluster, topic, 1, firstId: 0, 10);

        var sink = new RecordingSink();
        sink.FailFirst(id: 3, times: 3);
        await using (var receiver = Receiver(Options(_cluster, topic, group), sink))
        {
            await receiver.StartAsync(CancellationToken.None);
            await Eventually(() => sink.Count == 10 && receiver.Statistics.InFlightRecords == 0, "every record taken", state: () => receiver.Statistics);
            Assert.Equal(3, receiver.Statistics.SinkFailures);
            await receiver.StopAsync(CancellationToken.None);
        }

        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), sink.Ids.Order());
        Assert.Equal([10L], Committed(_cluster, group, topic, 1));
    }

    [Fact]
    public async Task When_a_second_member_joins_the_revoked_partitions_are_drained_and_nothing_is_lost()
    {
        const int Partitions = 4;
        var topic = Unique("spans");
        var group = Unique("group");
        _cluster.CreateTopic(topic, Partitions);
        await ProduceGoodAsync(_cluster, topic, Partitions, firstId: 0, 200);

        var firstSink = new RecordingSink();
        firstSink.CompleteAfter(TimeSpan.FromMilliseconds(5)); // Work is in flight when the revoke comes.
        var firstLog = new CapturingLogger<KafkaSpanReceiver>();
        var secondSink = new RecordingSink();
        await using var first = Receiver(Options(_cluster, topic, group), firstSink, logger: firstLog);
        await using var second = Receiver(Options(_cluster, topic, group), secondSink);
        await first.StartAsync(CancellationToken.None);
        await Eventually(() => firstSink.Count > 0, "the first member consuming");

        await second.StartAsync(CancellationToken.None);
        await Eventually(() => first.Statistics.AssignedPartitions == 2 && second.Statistics.AssignedPartitions == 2, "partitions shared 2/2");
        await ProduceGoodAsync(_cluster, topic, Partitions, firstId: 200, 200);
        await Eventually(() => firstSink.Ids.Concat(secondSink.Ids).Distinct().Count() == 400, "all 400 records consumed across both members");
        await second.StopAsync(CancellationToken.None);
        await first.StopAsync(CancellationToken.None);

        Assert.Contains(firstLog.Lines, l => l.EventId.Id == 1011); // Partitions revoked (drained, stored).
        var consumed = firstSink.Ids.Concat(secondSink.Ids).ToList();
        Assert.Superset(Enumerable.Range(0, 400).Select(i => (long)i).ToHashSet(), consumed.ToHashSet());
        Assert.All(Committed(_cluster, group, topic, Partitions), c => Assert.Equal(100, c)); // Final commits landed despite the rebalance.
        // Revoke drains and stores before returning, and librdkafka commits on unassign, so a clean hand-over
        // should not redeliver; at-least-once allows it, so it is reported rather than asserted.
        output.WriteLine($"duplicates after the hand-over: {consumed.Count - consumed.Distinct().Count()}");
    }

    [Fact]
    public async Task After_every_broker_was_down_longer_than_the_session_timeout_consumption_resumes_without_loss()
    {
        using var cluster = new MockCluster(brokerCount: 1); // Its own cluster: the outage must not hit other tests.
        const int Partitions = 2;
        var topic = Unique("spans");
        var group = Unique("group");
        cluster.CreateTopic(topic, Partitions);
        await ProduceGoodAsync(cluster, topic, Partitions, firstId: 0, 100);

        var sink = new RecordingSink();
        var logger = new CapturingLogger<KafkaSpanReceiver>();
        var options = Options(cluster, topic, group);
        options.Consumer["session.timeout.ms"] = "2000"; // the outage below must outlast it
        await using var receiver = Receiver(options, sink, logger: logger);
        await receiver.StartAsync(CancellationToken.None);
        await Eventually(() => sink.Count >= 100, "the first 100 records");

        cluster.SetBrokerDown();
        await Eventually(() => logger.Lines.Any(l => l.EventId.Id == 1012), "partitions lost after the session timeout", TimeSpan.FromSeconds(20));
        cluster.SetBrokerUp();
        await ProduceGoodAsync(cluster, topic, Partitions, firstId: 100, 100);
        await Eventually(() => sink.Ids.Distinct().Count() == 200, "records written after the outage");
        await receiver.StopAsync(CancellationToken.None);

        Assert.Superset(Enumerable.Range(0, 200).Select(i => (long)i).ToHashSet(), sink.Ids.ToHashSet());
        Assert.Equal(KafkaReceiverState.Stopped, receiver.State);
    }

    [Fact]
    public async Task A_fatal_consumer_error_stops_the_loop_and_faults_Completion_with_a_clear_exception()
    {
        using var cluster = new MockCluster(); // Its own cluster: the injected error hits every group's heartbeats.
        var topic = Unique("spans");
        cluster.CreateTopic(topic, 1);
        var options = Options(cluster, topic, Unique("group"));
        options.Consumer["group.instance.id"] = "instance-1"; // Static membership: FENCED_INSTANCE_ID is fatal.
        await using var receiver = Receiver(options, new RecordingSink());
        await receiver.StartAsync(CancellationToken.None);
        await Eventually(() => receiver.Statistics.AssignedPartitions == 1, "assigned");

        cluster.PushRequestErrors(KafkaApiKey.Heartbeat, ErrorCode.FencedInstanceId);

        var error = await Assert.ThrowsAsync<KafkaReceiverException>(() => receiver.Completion.WaitAsync(Patience));
        Assert.Equal(KafkaReceiverState.Faulted, receiver.State);
        Assert.Contains("fatal", error.Message, StringComparison.OrdinalIgnoreCase);
        output.WriteLine(error.Message);
        await receiver.StopAsync(CancellationToken.None); // Safe after a fault; does not throw.
    }
}
