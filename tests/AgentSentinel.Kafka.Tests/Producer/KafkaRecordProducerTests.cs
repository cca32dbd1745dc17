using System.Text;
using AgentSentinel.Core.Spans;
using AgentSentinel.Kafka.Producer;
using AgentSentinel.Kafka.Tests.Support;
using static AgentSentinel.Kafka.Tests.Support.KafkaTestKit;

namespace AgentSentinel.Kafka.Tests.Producer;

public sealed class KafkaRecordProducerTests(MockClusterFixture fixture) : IClassFixture<MockClusterFixture>
{
    [Fact]
    public async Task Records_are_written_as_the_Collector_writes_them_raw_value_hex_trace_id_or_null_key_and_no_headers()
    {
        var cluster = fixture.Cluster;
        var topic = Unique("otlp");
        cluster.CreateTopic(topic, 1);
        var traceId = new TraceId(0x00112233_44556677, 0x8899aabb_ccddeeff);

        using (var producer = new KafkaRecordProducer(cluster.BootstrapServers))
        {
            var position = await producer.ProduceAsync(topic, traceId, [0x0a, 0x01, 0x02]);
            producer.Produce(topic, null, [0x0a, 0x03]);
            Assert.Equal(0, producer.Flush(Patience));

            Assert.Equal((topic, 0, 0L), (position.Topic, position.Partition, position.Offset));
            Assert.Equal(2, producer.Delivered);
            Assert.Equal(0, producer.DeliveryFailures);
        }

        var records = ReadAll(cluster, topic, 1, 2);
        Assert.Equal("00112233445566778899aabbccddeeff", Encoding.ASCII.GetString(records[0].Message.Key!));
        Assert.Equal([0x0a, 0x01, 0x02], records[0].Message.Value);
        Assert.Null(records[1].Message.Key);
        Assert.All(records, r => Assert.Empty(r.Message.Headers));
    }

    [Fact]
    public void Dispose_is_idempotent()
    {
        var producer = new KafkaRecordProducer(fixture.Cluster.BootstrapServers);
        producer.Dispose();
        producer.Dispose();
    }
}
