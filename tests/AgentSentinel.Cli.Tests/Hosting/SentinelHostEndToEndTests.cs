using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AgentSentinel.Cli.Hosting;
using AgentSentinel.Cli.Reports;
using AgentSentinel.Cli.Tests.Support;
using AgentSentinel.Tests.Shared;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Kafka.Consumer;
using AgentSentinel.Kafka.Producer;
using AgentSentinel.Client;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace AgentSentinel.Cli.Tests.Hosting;

/// <summary>
/// The production composition end to end: librdkafka's mock cluster in, the real pipeline, a real redis-server out.
/// </summary>
public sealed class SentinelHostEndToEndTests(InfrastructureFixture infrastructure) : IClassFixture<InfrastructureFixture>
{
    private static readonly TimeSpan FlagTtl = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task Records_in_give_an_anomaly_and_a_fallback_flag_as_the_contract_says_which_lapses_back_to_primary()
    {
        var (settings, topic) = Settings();
        var recorder = new PipelineRecorder();
        using var redis = await ConnectionMultiplexer.ConnectAsync(infrastructure.Redis.ConnectionString);
        var notices = new ConcurrentQueue<string>();
        await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(settings.Redis.KeyPrefix + "flags"), (_, m) => notices.Enqueue(m.ToString()));

        await using var host = await StartAsync(settings, recorder);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000L;
        var (records, spikeIds) = new OtlpTraceFactory(11).Workload("billing-agent", now - (60 * 1_000_000_000L), normal: 40, spikes: 5);
        Produce(topic, records);

        var key = settings.Redis.KeyPrefix + "flag:billing-agent";
        var flag = await Eventually.ValueAsync(async () =>
        {
            var entries = await redis.GetDatabase().HashGetAllAsync(key);
            return entries.Length == 0 ? null : entries.ToDictionary(e => e.Name.ToString(), e => e.Value.ToString());
        }, "the fallback flag");

        Assert.Equal("fallback", flag["route"]);
        Assert.Equal("safe-model", flag["fallback"]);
        Assert.Equal("token_spike", flag["reason"]);
        Assert.Equal("1", flag["schema"]);
        Assert.StartsWith("inc-", flag["incident"]);
        Assert.True(long.Parse(flag["version"]) > 0);
        Assert.Equal((long)FlagTtl.TotalMilliseconds, long.Parse(flag["expires_at"]) - long.Parse(flag["updated_at"]));
        var traceIds = flag["trace_ids"].Split(',');
        Assert.InRange(traceIds.Length, 1, 5);
        Assert.All(traceIds, id => Assert.Contains(id, spikeIds));
        Assert.Contains("tokens", flag["detail"]);
        Assert.DoesNotContain('\n', flag["detail"]);
        Assert.Equal(["billing-agent"], recorder.Anomalies().Select(a => a.Agent).Distinct());

        // One notice per write (a renewal publishes its own): the one for the version read above.
        var version = long.Parse(flag["version"]);
        var text = await Eventually.ValueAsync(
            () => Task.FromResult(notices.FirstOrDefault(n => JsonDocument.Parse(n).RootElement.GetProperty("version").GetInt64() == version)),
            "the pub/sub notice of the flag's version");
        using (var notice = JsonDocument.Parse(text))
        {
            Assert.Equal("billing-agent", notice.RootElement.GetProperty("agent").GetString());
            Assert.Equal("fallback", notice.RootElement.GetProperty("route").GetString());
        }

        var audit = await redis.GetDatabase().StreamRangeAsync(settings.Redis.KeyPrefix + "audit");
        var entry = Assert.Single(audit, e => e["transition"] == "opened");
        Assert.Equal("billing-agent", entry["agent"].ToString());
        Assert.Equal(flag["incident"], entry["incident"].ToString());
        Assert.Equal("applied", entry["outcome"].ToString());
        Assert.StartsWith("everything-else@", entry["policy"].ToString(), StringComparison.Ordinal);

        // The agent's side: on fallback now; and once AgentSentinel stops renewing (it stopped), back on primary when
        // the last expires_at passes (no write needed).
        await using var poller = new FlagPoller(redis, "billing-agent", new FlagPollerOptions { KeyPrefix = settings.Redis.KeyPrefix });
        Assert.True(await poller.PollOnceAsync(CancellationToken.None));
        Assert.Equal(FlagRoute.Fallback, poller.CurrentRoute(poller.LastKnown!.ExpiresAtUnixMs - 1)); // not the wall clock: the 4 s TTL may lapse between renewals
        await host.StopAsync(TimeSpan.FromSeconds(30));
        Assert.True(await poller.PollOnceAsync(CancellationToken.None));
        var expiresAt = poller.LastKnown!.ExpiresAtUnixMs;
        Assert.Equal(FlagRoute.Fallback, poller.CurrentRoute(expiresAt - 1));
        await Eventually.TrueAsync(() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() > expiresAt, "the flag's TTL", TimeSpan.FromSeconds(30));
        Assert.True(await poller.PollOnceAsync(CancellationToken.None));
        Assert.Equal(FlagRoute.Primary, poller.CurrentRoute());
    }

    [Fact]
    public async Task One_incident_writes_its_flag_once_however_many_anomalous_traces_follow()
    {
        var (settings, topic) = Settings();

        // The whole workload inside one incident: later anomalies (other detectors, later traces) join it.
        var recorder = new PipelineRecorder();
        using var redis = await ConnectionMultiplexer.ConnectAsync(infrastructure.Redis.ConnectionString);
        await using var host = await StartAsync(settings, recorder);
        var factory = new OtlpTraceFactory(12);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000L;
        var (records, _) = factory.Workload("ledger-agent", now - (120 * 1_000_000_000L), normal: 40, spikes: 30);
        Produce(topic, records);

        await Eventually.TrueAsync(() => Taken(host, records.Count), "every record taken");
        await Eventually.TrueAsync(() => recorder.TraceCount == records.Count, "every trace judged");
        await host.Pipeline.DrainAsync();

        var audit = await redis.GetDatabase().StreamRangeAsync(settings.Redis.KeyPrefix + "audit");
        Assert.Single(audit, e => e["route"] == "fallback" && e["outcome"] == "applied" && e["transition"] == "opened");
    }

    [Fact]
    public async Task A_bad_record_is_dead_lettered_with_its_reason_while_good_records_still_flow()
    {
        var (settings, topic) = Settings();
        var recorder = new PipelineRecorder();
        await using var host = await StartAsync(settings, recorder);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000L;
        var (records, _) = new OtlpTraceFactory(13).Workload("search-agent", now - (10 * 1_000_000_000L), normal: 4, spikes: 0);
        byte[] bad = [0x0A, 0xFF, 0xFF, 0x7F, 0x01];
        var positions = Produce(topic, [records[0], records[1], bad, records[2], records[3]]);

        await Eventually.TrueAsync(() => host.Receiver.Statistics.DeadLettered == 1 && recorder.TraceCount == 4, "four traces and one dead letter");

        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = infrastructure.Kafka.BootstrapServers,
            GroupId = "dlq-reader-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        consumer.Subscribe(settings.Kafka.DeadLetterTopicFor(topic));
        var dead = consumer.Consume(TimeSpan.FromSeconds(30));
        Assert.NotNull(dead);
        Assert.Equal(bad, dead.Message.Value);
        Assert.Equal("truncated", Encoding.UTF8.GetString(dead.Message.Headers.GetLastBytes(DeadLetterHeaders.ErrorKind)));
        Assert.Equal(topic, Encoding.UTF8.GetString(dead.Message.Headers.GetLastBytes(DeadLetterHeaders.SourceTopic)));
        Assert.Equal(positions[2].Partition.ToString(CultureInfo.InvariantCulture), Encoding.UTF8.GetString(dead.Message.Headers.GetLastBytes(DeadLetterHeaders.SourcePartition)));
        Assert.Equal(positions[2].Offset.ToString(CultureInfo.InvariantCulture), Encoding.UTF8.GetString(dead.Message.Headers.GetLastBytes(DeadLetterHeaders.SourceOffset)));
        consumer.Close();
    }

    [Fact]
    public async Task A_restarted_host_resumes_from_the_offsets_it_committed()
    {
        var (settings, topic) = Settings();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000L;
        var (records, _) = new OtlpTraceFactory(14).Workload("search-agent", now - (30 * 1_000_000_000L), normal: 15, spikes: 0);
        Produce(topic, records.Take(10));

        var first = new PipelineRecorder();
        await using (var host = await StartAsync(settings, first))
        {
            await Eventually.TrueAsync(() => Taken(host, 10), "ten records taken");
            await host.StopAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(10, host.Receiver.Statistics.RecordsConsumed);
        }

        Produce(topic, records.Skip(10));
        var second = new PipelineRecorder();
        await using (var host = await StartAsync(settings, second))
        {
            await Eventually.TrueAsync(() => Taken(host, 5), "five more records taken");
            await host.StopAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(5, host.Receiver.Statistics.RecordsConsumed);
        }

        Assert.Equal(10, first.TraceCount);
        Assert.Equal(5, second.TraceCount);
    }

    private (SentinelSettings Settings, string Topic) Settings()
    {
        var name = "t" + Guid.NewGuid().ToString("N")[..10];
        var topic = "otlp_spans_" + name;
        infrastructure.Kafka.CreateTopic(topic, partitions: 3);
        infrastructure.Kafka.CreateTopic(topic + ".dlq", partitions: 1);
        var settings = new SentinelSettings();
        settings.Kafka.BootstrapServers = infrastructure.Kafka.BootstrapServers;
        settings.Kafka.GroupId = "agentsentinel-" + name;
        settings.Kafka.Topics = [new AgentSentinel.Kafka.KafkaTopicOptions { Name = topic, Encoding = "otlp_proto" }];
        settings.Kafka.Consumer["fetch.wait.max.ms"] = "10";
        settings.Kafka.Consumer["auto.offset.reset"] = "earliest";
        settings.Redis.ConnectionString = infrastructure.Redis.ConnectionString;
        settings.Redis.KeyPrefix = name + ":";
        settings.Remediation.PolicyFile = WritePolicies(name);
        settings.Pipeline.IdleWatermarkAdvance = TimeSpan.FromMilliseconds(200);
        return (settings, topic);
    }

    /// <summary>
    /// The shipped policies with a short flag TTL and no probe within a test's span, so that the flag stays on fallback
    /// until the test stops the host.
    /// </summary>
    private static string WritePolicies(string name)
    {
        var path = Path.Combine(Path.GetTempPath(), $"agentsentinel-policies-{name}.yaml");
        var yaml = File.ReadAllText(Path.Combine(SharedData.RepositoryRoot, "deploy", "policies.yaml"))
            .Replace("flag_ttl: 5m ", $"flag_ttl: {FlagTtl.TotalSeconds:0}s ", StringComparison.Ordinal)
            .Replace("after: 5m ", "after: 1h ", StringComparison.Ordinal);
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>The host consumed <paramref name="count"/> records and the pipeline has taken every one of them.</summary>
    private static bool Taken(SentinelHost host, int count)
    {
        var stats = host.Receiver.Statistics;
        return stats.RecordsConsumed >= count && stats.InFlightRecords == 0;
    }

    private static Task<SentinelHost> StartAsync(SentinelSettings settings, PipelineRecorder recorder) =>
        SentinelHost.StartAsync(settings, [recorder], NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);

    /// <summary>Produces in order, each record acknowledged before the next, and returns where each landed.</summary>
    private List<RecordPosition> Produce(string topic, IEnumerable<byte[]> records)
    {
        using var producer = new KafkaRecordProducer(infrastructure.Kafka.BootstrapServers);
        return [.. records.Select(record => producer.ProduceAsync(topic, null, record).GetAwaiter().GetResult())];
    }
}
