using AgentSentinel.Cli.Tests.Support;
using AgentSentinel.Kafka.Producer;
using StackExchange.Redis;

namespace AgentSentinel.Cli.Tests.Commands;

/// <summary><c>agentsentinel run</c> as an operator starts it: a config file, then SIGTERM.</summary>
public sealed class RunCommandTests(InfrastructureFixture infrastructure) : IClassFixture<InfrastructureFixture>, IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Run_serves_health_and_metrics_writes_flags_and_stops_cleanly_on_request()
    {
        var name = "run" + Guid.NewGuid().ToString("N")[..8];
        infrastructure.Kafka.CreateTopic(name, partitions: 2);
        infrastructure.Kafka.CreateTopic(name + ".dlq", partitions: 1);
        var port = FreePort();
        var config = _temp.File("agentsentinel.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "Kafka": { "BootstrapServers": "{{infrastructure.Kafka.BootstrapServers}}", "GroupId": "{{name}}",
                         "Topics": [ { "Name": "{{name}}", "Encoding": "otlp_proto" } ],
                         "Consumer": { "fetch.wait.max.ms": "10" } },
              "Redis": { "ConnectionString": "{{infrastructure.Redis.ConnectionString}}", "KeyPrefix": "{{name}}:" },
              "Pipeline": { "IdleWatermarkAdvance": "00:00:00.200" },
              "Metrics": { "Host": "127.0.0.1", "Port": {{port}} }
            }
            """);
        using var stop = new CancellationTokenSource();
        var output = new StringWriter();
        var run = Task.Run(() => SentinelCli.RunAsync(["run", "--config", config], output, output, stop.Token));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        await Eventually.TrueAsync(() => Ready(http), "/health/ready");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000L;
        var (records, _) = new OtlpTraceFactory(21).Workload("billing-agent", now - (60 * 1_000_000_000L), normal: 40, spikes: 4);
        using (var producer = new KafkaRecordProducer(infrastructure.Kafka.BootstrapServers))
        {
            foreach (var record in records)
            {
                await producer.ProduceAsync(name, null, record);
            }
        }

        using var redis = await ConnectionMultiplexer.ConnectAsync(infrastructure.Redis.ConnectionString);
        await Eventually.TrueAsync(() => redis.GetDatabase().HashGet(name + ":flag:billing-agent", "route") == "fallback", "the fallback flag");
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("agentsentinel_anomalies_detected_total{kind=\"token_spike\"}", metrics, StringComparison.Ordinal);

        await stop.CancelAsync();
        Assert.Equal(SentinelCli.Ok, await run.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    private static bool Ready(HttpClient http)
    {
        try
        {
            return http.GetAsync("/health/ready").GetAwaiter().GetResult().IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
