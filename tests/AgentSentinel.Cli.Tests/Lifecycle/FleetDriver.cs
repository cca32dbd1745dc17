using AgentSentinel.Cli.Demo;
using AgentSentinel.Cli.Hosting;
using AgentSentinel.Client;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Kafka.Producer;
using StackExchange.Redis;

namespace AgentSentinel.Cli.Tests.Lifecycle;

/// <summary>
/// Simulated agents that obey their flags, driven in event time faster than the wall clock: each step every agent reads
/// its flag through the real client (<see cref="FlagPoller"/>: poll and pub/sub), makes the requests that came due on the
/// path its flag chooses (primary, fallback, or primary for probe_ratio of requests during a probe), and the step's spans
/// go to Kafka as one OTLP record. The next step waits until the pipeline has taken and judged the record and every agent
/// has read its flag, so that agents see decisions about as soon (in event time) as real agents would, however loaded the
/// machine is.
/// </summary>
internal sealed class FleetDriver : IAsyncDisposable
{
    private const double StepSeconds = 0.5;
    private readonly ConnectionMultiplexer _redis;
    private readonly Dictionary<string, FlagPoller> _pollers;
    private readonly KafkaRecordProducer _producer;
    private readonly string _topic;
    private readonly long _startUnixNano;
    private long _records;

    private FleetDriver(IReadOnlyList<SimulatedAgent> agents, ConnectionMultiplexer redis, Dictionary<string, FlagPoller> pollers, KafkaRecordProducer producer, string topic)
    {
        Agents = agents;
        _redis = redis;
        _pollers = pollers;
        _producer = producer;
        _topic = topic;
        _startUnixNano = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000L;
        foreach (var agent in agents)
        {
            var poller = pollers[agent.Name];
            agent.Decide = sample => poller.Decide(sample);
        }
    }

    public IReadOnlyList<SimulatedAgent> Agents { get; }

    /// <summary>Event seconds since the start.</summary>
    public double Elapsed { get; private set; }

    private SentinelHost? _host;
    private long _recordsBeforeHost;

    /// <summary>The host whose consumption paces the fleet (null: unpaced, e.g. while it restarts).</summary>
    public SentinelHost? Host
    {
        get => _host;
        set
        {
            _host = value;
            _recordsBeforeHost = _records;
        }
    }

    public long StartUnixNano => _startUnixNano;

    /// <summary>Set while a test holds Redis down: a step then waits at most 500 ms for the drain and the flag reads.</summary>
    public bool StoreHeld { get; set; }

    public static async Task<FleetDriver> StartAsync(IReadOnlyList<SimulatedAgent> agents, string redis, string keyPrefix, string bootstrapServers, string topic)
    {
        var connection = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { redis },
            AbortOnConnectFail = false,
            ConnectTimeout = 1000,
            SyncTimeout = 1000,
            AsyncTimeout = 1000,
        });
        var pollers = new Dictionary<string, FlagPoller>(StringComparer.Ordinal);
        foreach (var agent in agents)
        {
            var poller = new FlagPoller(connection, agent.Name, new FlagPollerOptions { KeyPrefix = keyPrefix, PollInterval = TimeSpan.FromMilliseconds(250) });
            await poller.StartAsync(CancellationToken.None);
            pollers[agent.Name] = poller;
        }

        return new FleetDriver(agents, connection, pollers, new KafkaRecordProducer(bootstrapServers), topic);
    }

    /// <summary>Runs until <paramref name="untilSeconds"/> of event time, or until <paramref name="stop"/> holds.</summary>
    public async Task RunAsync(double untilSeconds, Func<bool>? stop = null)
    {
        var encoder = new OtlpRecordEncoder();
        while (Elapsed < untilSeconds && stop?.Invoke() != true)
        {
            Elapsed += StepSeconds;
            var now = _startUnixNano + (long)(Elapsed * 1e9);
            foreach (var agent in Agents)
            {
                agent.Route = _pollers[agent.Name].CurrentRoute();
                foreach (var trace in agent.Due(Elapsed, now))
                {
                    encoder.Add(agent, trace);
                }
            }

            if (!encoder.IsEmpty)
            {
                await _producer.ProduceAsync(_topic, null, encoder.Drain());
                _records++;
                await WaitTakenAsync();
            }

            await SettleAsync();
        }
    }

    /// <summary>The route the agent's flag selects now, as its client sees it.</summary>
    public FlagRoute RouteOf(string agent) => _pollers[agent].CurrentRoute();

    /// <summary>
    /// Lets the step's decisions reach the agents before the next step, whatever the machine's load: the pipeline has
    /// judged everything and written its flags (a drain), and every agent has read its flag once (as its poller would
    /// within a poll interval).
    /// </summary>
    private async Task SettleAsync()
    {
        // While a test holds Redis down, neither the drain (writes in flight) nor the reads can finish: bounded then.
        // Otherwise a slow machine only slows the step.
        using var patience = new CancellationTokenSource(StoreHeld ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromSeconds(60));
        try
        {
            if (Host is { } host)
            {
                await host.Pipeline.DrainAsync(patience.Token);
            }

            await Task.WhenAll(_pollers.Values.Select(p => p.PollOnceAsync(patience.Token)));
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            // Redis held down by the test, or the host restarting: the flags follow once it is back.
        }
    }

    private async Task WaitTakenAsync()
    {
        if (Host is not { } host)
        {
            return;
        }

        // A restarted host first waits out its predecessor's session (6 s) before it is assigned the partitions.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var stats = host.Receiver.Statistics;
            if (stats.RecordsConsumed >= _records - _recordsBeforeHost && stats.InFlightRecords == 0)
            {
                return;
            }

            await Task.Delay(2);
        }

        throw new TimeoutException($"the host did not take the fleet's records within 60 s ({host.Receiver.Statistics.RecordsConsumed} of {_records - _recordsBeforeHost})");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var poller in _pollers.Values)
        {
            await poller.DisposeAsync();
        }

        _producer.Dispose();
        await _redis.DisposeAsync();
    }
}
