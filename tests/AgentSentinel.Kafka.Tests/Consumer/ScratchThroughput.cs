using System.Diagnostics;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Spans;
using AgentSentinel.Kafka.Consumer;
using AgentSentinel.Kafka.Mock;
using AgentSentinel.Kafka.Tests.Support;
using Confluent.Kafka;
using Xunit.Abstractions;
using static AgentSentinel.Kafka.Tests.Support.KafkaTestKit;

namespace AgentSentinel.Kafka.Tests.Consumer;

public sealed class ScratchThroughput(ITestOutputHelper output)
{
    private sealed class AnyDecoder : ISpanDecoder
    {
        public bool TryDecode(ReadOnlySpan<byte> payload, SpanBatch into, out DecodeFailure failure)
        {
            ref var s = ref into.Add();
            s.SpanId = new SpanId((ulong)payload.Length);
            failure = DecodeFailure.None;
            return true;
        }
    }

    private sealed class CountingSink : ISpanSink
    {
        public int Count;
        public bool Async;
        public Task AcceptAsync(IngestedRecord record, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Count);
            return Async ? Task.Run(() => { }, CancellationToken.None) : Task.CompletedTask;
        }
        public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    [Theory]
    [InlineData(1024, 100_000, false)]
    [InlineData(32 * 1024, 20_000, false)]
    [InlineData(1024, 100_000, true)]
    public async Task Measure(int size, int count, bool async)
    {
        using var cluster = new MockCluster();
        var topic = Unique("tp");
        cluster.CreateTopic(topic, 4);
        using (var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers, LingerMs = 5 }).Build())
        {
            var payload = new byte[size];
            for (var i = 0; i < count; i++)
            {
                while (true)
                {
                    try { producer.Produce(topic, new Message<Null, byte[]> { Value = payload }); break; }
                    catch (ProduceException<Null, byte[]>) { producer.Poll(TimeSpan.FromMilliseconds(10)); }
                }
            }
            producer.Flush(TimeSpan.FromSeconds(60));
        }

        var sink = new CountingSink { Async = async };
        var options = Options(cluster, topic, Unique("g"));
        options.MaxInFlightRecords = 1000;
        await using var receiver = new KafkaSpanReceiver(options, _ => new AnyDecoder(), sink);
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await receiver.StartAsync(CancellationToken.None);
        await Eventually(() => sink.Count >= count, "all", TimeSpan.FromSeconds(120));
        var elapsed = clock.Elapsed;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
        await receiver.StopAsync(CancellationToken.None);
        output.WriteLine($"size {size} count {count} async {async}: {count / elapsed.TotalSeconds:N0} rec/s, {elapsed.TotalSeconds:N2} s, process CPU {cpu.TotalMicroseconds / count:N1} us/record, pauses {receiver.Statistics.PartitionPauses}, maxInFlight {receiver.Statistics.MaxInFlightRecordsObserved}");
    }
}
