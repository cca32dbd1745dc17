using System.Globalization;
using System.Text;
using AgentSentinel.Core.Spans;
using AgentSentinel.Kafka.Consumer;
using AgentSentinel.Kafka.Mock;
using AgentSentinel.Kafka.Tests.Support;
using AgentSentinel.Telemetry;
using Confluent.Kafka;
using static AgentSentinel.Kafka.Tests.Support.KafkaTestKit;

namespace AgentSentinel.Kafka.Tests.Consumer;

/// <summary>The receiver's delivery contract against a real (mock) Kafka: order, dead-lettering, offsets, restarts.</summary>
public sealed class KafkaSpanReceiverTests(MockClusterFixture fixture) : IClassFixture<MockClusterFixture>
{
    private readonly MockCluster _cluster = fixture.Cluster;

    [Fact]
    public async Task Every_record_reaches_the_sink_in_partition_order_and_its_offset_is_committed()
    {
        const int Partitions = 4;
        const int Count = 400;
        var topic = Unique("spans");
        var group = Unique("group");
        _cluster.CreateTopic(topic, Partitions);
        await ProduceGoodAsync(_cluster, topic, Partitions, firstId: 0, Count);

        var sink = new RecordingSink();
        var logger = new CapturingLogger<KafkaSpanReceiver>();
        var decoder = new MarkerDecoder();
        await using (var receiver = Receiver(Options(_cluster, topic, group), sink, decoder, logger))
        {
            await receiver.StartAsync(CancellationToken.None);
            await Eventually(() => sink.Count >= Count, $"{Count} records in the sink");
            await receiver.StopAsync(CancellationToken.None);

            var stats = receiver.Statistics;
            Assert.Equal(KafkaReceiverState.Stopped, stats.State);
            Assert.Equal(Count, stats.RecordsConsumed);
            Assert.Equal(Count, stats.SpansDecoded);
            Assert.Equal(0, stats.InFlightRecords);
            Assert.Equal(0, stats.DecodeFailures);
        }

        Assert.Equal(Count, sink.Count);
        Assert.Equal(Enumerable.Range(0, Count).Select(i => (long)i), sink.Ids.Order());
        foreach (var partition in sink.Accepted.GroupBy(static a => a.Position.Partition))
        {
            Assert.Equal(Enumerable.Range(0, Count / Partitions).Select(i => (long)i), partition.Select(static a => a.Position.Offset));
            Assert.All(partition, a => Assert.Equal(topic, a.Position.Topic));
        }

        Assert.All(Committed(_cluster, group, topic, Partitions), c => Assert.Equal(Count / Partitions, c));
        Assert.True(logger.Lines.Count < 20, $"logging must not be per record, got {logger.Lines.Count} lines");
        Assert.Equal(Count, decoder.Calls);
    }

    [Fact]
    public async Task Undecodable_null_and_empty_records_are_dead_lettered_with_error_headers_and_good_records_around_them_still_flow()
    {
        var topic = Unique("spans");
        var group = Unique("group");
        _cluster.CreateTopic(topic, 1);
        _cluster.CreateTopic(topic + ".dlq", 1);
        var traceKey = KafkaRecordKey(new TraceId(0x0123456789abcdef, 0xfedcba9876543210));
        var secret = MarkerDecoder.Bad("secret-prompt-text");
        await ProduceAsync(_cluster, topic,
        [
            (0, null, MarkerDecoder.Good(10)),
            (0, traceKey, secret),
            (0, null, null),
            (0, null, []),
            (0, null, MarkerDecoder.Good(11)),
        ]);

        var sink = new RecordingSink();
        var logger = new CapturingLogger<KafkaSpanReceiver>();
        var malformedBefore = SentinelMetrics.DecodeFailures.WithLabels("malformed").Value;
        var emptyBefore = SentinelMetrics.DecodeFailures.WithLabels("empty").Value;
        var deadLetteredBefore = SentinelMetrics.DeadLettered.Value;
        await using (var receiver = Receiver(Options(_cluster, topic, group), sink, logger: logger))
        {
            await receiver.StartAsync(CancellationToken.None);
            await Eventually(() => sink.Count == 2 && receiver.Statistics.DeadLettered == 3, "2 records in the sink and 3 dead-lettered", state: () => receiver.Statistics);
            await receiver.StopAsync(CancellationToken.None);
            Assert.Equal(3, receiver.Statistics.DecodeFailures);
            Assert.Equal(0, receiver.Statistics.DeadLetterFailures);
        }

        // Process-wide metrics (other tests run in parallel, so only lower bounds hold).
        Assert.True(SentinelMetrics.DecodeFailures.WithLabels("malformed").Value >= malformedBefore + 1);
        Assert.True(SentinelMetrics.DecodeFailures.WithLabels("empty").Value >= emptyBefore + 2);
        Assert.True(SentinelMetrics.DeadLettered.Value >= deadLetteredBefore + 3);

        Assert.Equal([10L, 11L], sink.Ids);
        Assert.Equal([0L, 4L], sink.Accepted.Select(static a => a.Position.Offset));
        Assert.Equal([5L], Committed(_cluster, group, topic, 1));

        var dead = ReadAll(_cluster, topic + ".dlq", 1, 3);
        Assert.Equal(3, dead.Count);
        Assert.Equal(traceKey, dead[0].Message.Key);
        Assert.Equal(secret, dead[0].Message.Value);
        Assert.Null(dead[1].Message.Value);
        Assert.Equal(0, dead[2].Message.Value?.Length);
        Assert.Equal(["malformed", "empty", "empty"], dead.Select(static d => Header(d, DeadLetterHeaders.ErrorKind)));
        Assert.Equal(["1", "2", "3"], dead.Select(static d => Header(d, DeadLetterHeaders.SourceOffset)));
        Assert.All(dead, d =>
        {
            Assert.Equal(topic, Header(d, DeadLetterHeaders.SourceTopic));
            Assert.Equal("0", Header(d, DeadLetterHeaders.SourcePartition));
            Assert.Equal("otlp_proto", Header(d, DeadLetterHeaders.SourceEncoding));
            Assert.False(string.IsNullOrEmpty(Header(d, DeadLetterHeaders.ErrorReason)));
            var timestamp = long.Parse(Header(d, DeadLetterHeaders.SourceTimestamp), CultureInfo.InvariantCulture);
            Assert.InRange(DateTimeOffset.FromUnixTimeMilliseconds(timestamp), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        });
        Assert.Equal("missing ok: marker", Header(dead[0], DeadLetterHeaders.ErrorReason));
        Assert.DoesNotContain(logger.Lines, l => l.Message.Contains("secret-prompt-text", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_restarted_receiver_in_the_same_group_resumes_from_committed_offsets_without_redelivery_after_a_clean_stop()
    {
        const int Partitions = 3;
        var topic = Unique("spans");
        var group = Unique("group");
        _cluster.CreateTopic(topic, Partitions);
        await ProduceGoodAsync(_cluster, topic, Partitions, firstId: 0, 150);

        var first = new RecordingSink();
        await using (var receiver = Receiver(Options(_cluster, topic, group), first))
        {
            await receiver.StartAsync(CancellationToken.None);
            await Eventually(() => first.Count >= 150, "150 records in the first sink");
            await receiver.StopAsync(CancellationToken.None);
        }

        await ProduceGoodAsync(_cluster, topic, Partitions, firstId: 150, 60);
        var second = new RecordingSink();
        await using (var receiver = Receiver(Options(_cluster, topic, group), second))
        {
            await receiver.StartAsync(CancellationToken.None);
            await Eventually(() => second.Count >= 60, "60 new records in the second sink");
            await receiver.StopAsync(CancellationToken.None);
        }

        Assert.Equal(Enumerable.Range(0, 150).Select(i => (long)i), first.Ids.Order());
        Assert.Equal(Enumerable.Range(150, 60).Select(i => (long)i), second.Ids.Order()); // No redelivery after a clean stop.
    }

    [Fact]
    public async Task Offsets_are_not_stored_past_a_record_the_sink_has_not_finished_so_a_crash_redelivers_it_and_everything_after()
    {
        var topic = Unique("spans");
        var group = Unique("group");
        _cluster.CreateTopic(topic, 1);
        await ProduceGoodAsync(_cluster, topic, 1, firstId: 0, 20);

        var first = new RecordingSink();
        first.Hold(r => r.Position.Offset == 5); // The pipeline never finishes record 5; 6..19 finish at once.
        var crashed = Receiver(Options(_cluster, topic, group), first);
        await crashed.StartAsync(CancellationToken.None);
        await Eventually(() => first.Count == 20 && crashed.Statistics.InFlightRecords == 15, "20 handed over, 5..19 in flight", state: () => crashed.Statistics);
        await Eventually(() => Committed(_cluster, group, topic, 1)[0] == 5, "offset 5 committed (records 0..4 done)");
        await crashed.AbortAsync(); // kill -9: no drain, no final commit, no leave-group.
        Assert.Equal([5L], Committed(_cluster, group, topic, 1));

        var second = new RecordingSink();
        await using (var receiver = Receiver(Options(_cluster, topic, group), second))
        {
            await receiver.StartAsync(CancellationToken.None);
            await Eventually(() => second.Count >= 15, "records 5..19 redelivered");
            await receiver.StopAsync(CancellationToken.None);
        }

        Assert.Equal(Enumerable.Range(5, 15).Select(i => (long)i), second.Ids);
        var consumed = first.Ids.Concat(second.Ids).ToHashSet();
        Assert.Superset(Enumerable.Range(0, 20).Select(i => (long)i).ToHashSet(), consumed); // at-least-once: consumed ⊇ produced
        Assert.Equal([20L], Committed(_cluster, group, topic, 1));
    }

    [Fact]
    public async Task Backpressure_pauses_the_partitions_at_the_in_flight_limit_and_resumes_once_the_sink_drains()
    {
        const int Partitions = 2;
        const int Count = 100;
        const int Limit = 8;
        var topic = Unique("spans");
        var group = Unique("group");
        _cluster.CreateTopic(topic, Partitions);
        await ProduceGoodAsync(_cluster, topic, Partitions, firstId: 0, Count);

        var sink = new RecordingSink();
        sink.Hold(static _ => true);
        var pausesBefore = SentinelMetrics.PartitionPauses.Value;
        await using var receiver = Receiver(Options(_cluster, topic, group, maxInFlight: Limit), sink);
        await receiver.StartAsync(CancellationToken.None);

        await Eventually(() => receiver.Statistics is { IsPaused: true, InFlightRecords: Limit }, "paused with the limit in flight", state: () => receiver.Statistics);
        await Eventually(() => receiver.Statistics.ConsumerLag == Count - Limit, "lag reported while paused", state: () => receiver.Statistics);
        Assert.Equal(Limit, sink.Count); // Still polling, but nothing more was handed over.
        Assert.Equal(1, receiver.Statistics.PartitionPauses);
        Assert.True(SentinelMetrics.PartitionPauses.Value >= pausesBefore + 1);

        sink.ReleaseAll();
        await Eventually(() => sink.Count == Count, "every record after resuming", state: () => receiver.Statistics);
        await Eventually(() => receiver.Statistics.ConsumerLag == 0, "lag back to zero");
        var stats = receiver.Statistics;
        Assert.False(stats.IsPaused);
        Assert.InRange(stats.MaxInFlightRecordsObserved, 1, Limit); // Memory bounded by the limit.
        await receiver.StopAsync(CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, Count).Select(i => (long)i), sink.Ids.Order());
    }

    private static byte[] KafkaRecordKey(TraceId id) => AgentSentinel.Kafka.Producer.KafkaRecordProducer.KeyFor(id);

    private static string Header(ConsumeResult<byte[]?, byte[]?> record, string key) =>
        record.Message.Headers.TryGetLastBytes(key, out var bytes) ? Encoding.UTF8.GetString(bytes) : string.Empty;
}
