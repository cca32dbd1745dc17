using System.Collections.Concurrent;
using System.Diagnostics;
using AgentSentinel.Core.Spans;
using AgentSentinel.Kafka.Consumer;
using AgentSentinel.Kafka.Mock;
using AgentSentinel.Kafka.Tests.Support;
using static AgentSentinel.Kafka.Tests.Support.KafkaTestKit;

namespace AgentSentinel.Kafka.Tests.Consumer;

/// <summary>Start, stop, deadlines, construction: the component conformance checks.</summary>
public sealed class KafkaSpanReceiverLifecycleTests(MockClusterFixture fixture) : IClassFixture<MockClusterFixture>
{
    private readonly MockCluster _cluster = fixture.Cluster;

    [Fact]
    public async Task Stop_before_start_is_a_no_op_and_the_receiver_cannot_be_started_afterwards()
    {
        var receiver = Receiver(Options(_cluster, Unique("spans"), Unique("group")), new RecordingSink());

        await receiver.StopAsync(CancellationToken.None);
        await receiver.StopAsync(CancellationToken.None);
        await receiver.DisposeAsync();

        Assert.Equal(KafkaReceiverState.Stopped, receiver.State);
        Assert.True(receiver.Completion.IsCompletedSuccessfully);
        await Assert.ThrowsAsync<InvalidOperationException>(() => receiver.StartAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Starting_twice_is_refused_and_stopping_twice_or_disposing_after_stop_is_safe()
    {
        var topic = Unique("spans");
        _cluster.CreateTopic(topic, 1);
        var receiver = Receiver(Options(_cluster, topic, Unique("group")), new RecordingSink());

        await receiver.StartAsync(CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => receiver.StartAsync(CancellationToken.None));
        await Task.WhenAll(receiver.StopAsync(CancellationToken.None), receiver.StopAsync(CancellationToken.None));
        await receiver.StopAsync(CancellationToken.None);
        await receiver.DisposeAsync();

        Assert.Equal(KafkaReceiverState.Stopped, receiver.State);
        Assert.True(receiver.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Stop_honours_its_deadline_when_the_pipeline_never_finishes_and_leaves_the_unfinished_record_uncommitted()
    {
        var topic = Unique("spans");
        var group = Unique("group");
        _cluster.CreateTopic(topic, 1);
        await ProduceGoodAsync(_cluster, topic, 1, firstId: 0, 5);
        var sink = new RecordingSink();
        sink.Hold(static r => r.Position.Offset == 2);
        var log = new CapturingLogger<KafkaSpanReceiver>();
        var receiver = Receiver(Options(_cluster, topic, group), sink, logger: log);
        await receiver.StartAsync(CancellationToken.None);
        await Eventually(() => sink.Count == 5, "every record handed over");

        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();
        await receiver.StopAsync(deadline.Token);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"StopAsync returned after {clock.Elapsed}, long past its deadline");

        await receiver.Completion.WaitAsync(Patience); // The close still completes in the background.
        Assert.Contains(log.Lines, l => l.EventId.Id == 1003); // "shutdown deadline passed ... will be redelivered"
        Assert.Equal(KafkaReceiverState.Stopped, receiver.State);
        Assert.Equal([2L], Committed(_cluster, group, topic, 1)); // 0 and 1 committed; 2 (and 3, 4 behind it) redelivered later.
        Assert.Equal(0, sink.Pending); // The held hand-off was cancelled.
    }

    [Fact]
    public async Task One_decoder_is_created_per_encoding_and_each_topic_is_decoded_with_its_own()
    {
        var protoTopic = Unique("proto");
        var jsonTopic = Unique("json");
        _cluster.CreateTopic(protoTopic, 1);
        _cluster.CreateTopic(jsonTopic, 1);
        await ProduceGoodAsync(_cluster, protoTopic, 1, firstId: 0, 10);
        await ProduceGoodAsync(_cluster, jsonTopic, 1, firstId: 100, 10);

        var options = Options(_cluster, protoTopic, Unique("group"));
        options.Topics.Add(new KafkaTopicOptions { Name = jsonTopic, Encoding = "otlp_json" });
        var decoders = new ConcurrentDictionary<OtlpEncoding, MarkerDecoder>();
        var sink = new RecordingSink();
        await using (var receiver = new KafkaSpanReceiver(options, e => decoders.GetOrAdd(e, _ => new MarkerDecoder()), sink))
        {
            await receiver.StartAsync(CancellationToken.None);
            await Eventually(() => sink.Count == 20, "records of both topics");
            await receiver.StopAsync(CancellationToken.None);
        }

        Assert.Equal([OtlpEncoding.OtlpProto, OtlpEncoding.OtlpJson], decoders.Keys.Order());
        Assert.Equal(10, decoders[OtlpEncoding.OtlpProto].Calls);
        Assert.Equal(10, decoders[OtlpEncoding.OtlpJson].Calls);
        Assert.Equal(decoders[OtlpEncoding.OtlpProto].ThreadId, decoders[OtlpEncoding.OtlpJson].ThreadId); // The consume thread only.
        Assert.All(sink.Accepted.Where(a => a.Id >= 100), a => Assert.Equal(jsonTopic, a.Position.Topic));
    }

    [Fact]
    public void Invalid_options_are_rejected_at_construction_naming_every_bad_key()
    {
        var options = new KafkaReceiverOptions { MaxInFlightRecords = 0 };
        options.Consumer["enable.auto.commit"] = "false";

        var error = Assert.Throws<ArgumentException>(() => new KafkaSpanReceiver(options, _ => new MarkerDecoder(), new RecordingSink()));

        Assert.Contains("Kafka:BootstrapServers is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("Kafka:MaxInFlightRecords", error.Message, StringComparison.Ordinal);
        Assert.Contains("Kafka:Consumer:enable.auto.commit", error.Message, StringComparison.Ordinal);
    }
}
