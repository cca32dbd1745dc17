using System.Runtime.InteropServices;
using AgentSentinel.Kafka.Native;
using Confluent.Kafka;

namespace AgentSentinel.Kafka.Mock;

/// <summary>
/// librdkafka's in-process mock Kafka cluster: real brokers speaking the Kafka protocol on 127.0.0.1
/// (plaintext only; no SASL, TLS or Admin API), with consumer groups, offset commits and fault injection.
/// The embedded demo uses it as its Kafka, and the tests use it instead of a broker. Any Kafka client can
/// connect to <see cref="BootstrapServers"/>, in this process or another.
/// </summary>
/// <remarks>
/// <para>Limits worth knowing (librdkafka 2.16): each partition keeps at most about 5 MiB or 100,000 message
/// sets and drops the oldest beyond that; <see cref="SetBrokerDown"/> does not move partition leaders (call
/// <see cref="SetPartitionLeader"/>); an empty fetch is held for the client's whole <c>fetch.wait.max.ms</c>
/// rather than woken by new data, so consumers of the mock should set it to about 10 ms.</para>
/// <para>Topics are not auto-created for consumers: create them with <see cref="CreateTopic"/>.</para>
/// <para>Thread-safe. <see cref="Dispose"/> is idempotent; every other member throws
/// <see cref="ObjectDisposedException"/> afterwards.</para>
/// </remarks>
public sealed class MockCluster : IDisposable
{
    /// <summary>Targets every broker in <see cref="SetBrokerDown"/>, <see cref="SetBrokerUp"/> and <see cref="SetBrokerRoundTripTime"/>.</summary>
    public const int AllBrokers = -1;

    private readonly Lock _gate = new();
    private IntPtr _handle;   // rd_kafka_t *: owns the mock cluster's threads; must outlive it.
    private IntPtr _cluster;  // rd_kafka_mock_cluster_t *

    /// <summary>Starts a mock cluster with brokers numbered 1..<paramref name="brokerCount"/>.</summary>
    /// <param name="brokerCount">Number of brokers (1 is enough for most tests; 3 for leader moves).</param>
    /// <param name="groupInitialRebalanceDelay">
    /// The broker setting <c>group.initial.rebalance.delay.ms</c>. Defaults to zero, so that the first
    /// member of a new group is assigned at once (real brokers default to 3 s).
    /// </param>
    /// <exception cref="InvalidOperationException">librdkafka could not create the cluster.</exception>
    /// <exception cref="DllNotFoundException">librdkafka could not be loaded.</exception>
    public MockCluster(int brokerCount = 1, TimeSpan? groupInitialRebalanceDelay = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokerCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(brokerCount, 64);
        LibRdKafka.EnsureResolver();

        var errstr = new byte[512];
        var conf = LibRdKafka.ConfNew();
        // The handle only hosts the cluster; its own log lines (to stderr by default) would be noise.
        LibRdKafka.ConfSetLogCallback(conf, IntPtr.Zero);
        var handle = LibRdKafka.New(LibRdKafka.RdKafkaProducer, conf, errstr, (nuint)errstr.Length);
        if (handle == IntPtr.Zero)
        {
            LibRdKafka.ConfDestroy(conf); // rd_kafka_new takes ownership of conf only on success.
            throw new InvalidOperationException("librdkafka could not create the handle for a mock cluster: " + LibRdKafka.ErrorText(errstr));
        }

        var cluster = LibRdKafka.MockClusterNew(handle, brokerCount);
        if (cluster == IntPtr.Zero)
        {
            LibRdKafka.Destroy(handle);
            throw new InvalidOperationException("librdkafka could not start a mock cluster.");
        }

        _handle = handle;
        _cluster = cluster;
        BrokerCount = brokerCount;
        BootstrapServers = Marshal.PtrToStringUTF8(LibRdKafka.MockClusterBootstraps(cluster))
            ?? throw new InvalidOperationException("The mock cluster reported no bootstrap servers.");
        LibRdKafka.MockGroupInitialRebalanceDelayMs(cluster, ToMilliseconds(groupInitialRebalanceDelay ?? TimeSpan.Zero));
    }

    /// <summary>The brokers' addresses, e.g. <c>127.0.0.1:36111,127.0.0.1:42137</c>.</summary>
    public string BootstrapServers { get; }

    /// <summary>Number of brokers; their ids are 1..BrokerCount.</summary>
    public int BrokerCount { get; }

    /// <summary>Creates a topic. Creating an existing topic is an error.</summary>
    /// <exception cref="KafkaException">The mock refused (e.g. the topic exists).</exception>
    public void CreateTopic(string name, int partitions, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        lock (_gate)
        {
            Check(LibRdKafka.MockTopicCreate(Cluster, name, partitions, Math.Min(replicationFactor, BrokerCount)), $"create topic '{name}'");
        }
    }

    /// <summary>
    /// Makes the next <paramref name="errors"/>.Length requests of type <paramref name="apiKey"/>, to any broker,
    /// fail with those errors in order. <see cref="ErrorCode.Local_Transport"/> makes the broker drop the connection.
    /// </summary>
    public void PushRequestErrors(KafkaApiKey apiKey, params ErrorCode[] errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Length == 0)
        {
            return;
        }

        var codes = Array.ConvertAll(errors, static e => (int)e);
        lock (_gate)
        {
            LibRdKafka.MockPushRequestErrorsArray(Cluster, (short)apiKey, (nuint)codes.Length, codes);
        }
    }

    /// <summary>Drops the errors still queued for <paramref name="apiKey"/>.</summary>
    public void ClearRequestErrors(KafkaApiKey apiKey)
    {
        lock (_gate)
        {
            LibRdKafka.MockClearRequestErrors(Cluster, (short)apiKey);
        }
    }

    /// <summary>Takes a broker down: its connections close and it refuses new ones. Leaders do not move.</summary>
    public void SetBrokerDown(int brokerId = AllBrokers) => ForBrokers(brokerId, "set broker down", LibRdKafka.MockBrokerSetDown);

    /// <summary>Brings a broker taken down by <see cref="SetBrokerDown"/> back.</summary>
    public void SetBrokerUp(int brokerId = AllBrokers) => ForBrokers(brokerId, "set broker up", LibRdKafka.MockBrokerSetUp);

    /// <summary>Delays every response of a broker by <paramref name="roundTripTime"/> (a slow network or broker).</summary>
    public void SetBrokerRoundTripTime(int brokerId, TimeSpan roundTripTime)
    {
        var ms = ToMilliseconds(roundTripTime);
        ForBrokers(brokerId, "set broker rtt", (c, id) => LibRdKafka.MockBrokerSetRtt(c, id, ms));
    }

    /// <summary>Moves a partition's leadership (use with <see cref="SetBrokerDown"/> to simulate a fail-over); -1 leaves it leaderless.</summary>
    public void SetPartitionLeader(string topic, int partition, int brokerId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        lock (_gate)
        {
            Check(LibRdKafka.MockPartitionSetLeader(Cluster, topic, partition, brokerId), $"set leader of {topic}[{partition}]");
        }
    }

    /// <summary>Makes <paramref name="brokerId"/> the coordinator of consumer group <paramref name="groupId"/>.</summary>
    public void SetGroupCoordinator(string groupId, int brokerId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        lock (_gate)
        {
            Check(LibRdKafka.MockCoordinatorSet(Cluster, "group", groupId, brokerId), $"set coordinator of group '{groupId}'");
        }
    }

    /// <summary>Starts recording every request the brokers receive (see <see cref="CountRequests"/>).</summary>
    public void StartRequestTracking()
    {
        lock (_gate)
        {
            LibRdKafka.MockStartRequestTracking(Cluster);
        }
    }

    /// <summary>Stops recording requests and forgets those recorded.</summary>
    public void StopRequestTracking()
    {
        lock (_gate)
        {
            LibRdKafka.MockStopRequestTracking(Cluster);
            LibRdKafka.MockClearRequests(Cluster);
        }
    }

    /// <summary>How many requests of type <paramref name="apiKey"/> were received since tracking started.</summary>
    public int CountRequests(KafkaApiKey apiKey)
    {
        lock (_gate)
        {
            var requests = LibRdKafka.MockGetRequests(Cluster, out var count);
            if (requests == IntPtr.Zero)
            {
                return 0;
            }

            try
            {
                var matching = 0;
                for (nuint i = 0; i < count; i++)
                {
                    var request = Marshal.ReadIntPtr(requests, checked((int)i * IntPtr.Size));
                    if (LibRdKafka.MockRequestApiKey(request) == (short)apiKey)
                    {
                        matching++;
                    }
                }

                return matching;
            }
            finally
            {
                LibRdKafka.MockRequestDestroyArray(requests, count);
            }
        }
    }

    /// <summary>Stops the brokers and frees the cluster. Clients still connected see their connections drop.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_cluster == IntPtr.Zero)
            {
                return;
            }

            LibRdKafka.MockClusterDestroy(_cluster);
            LibRdKafka.Destroy(_handle);
            _cluster = IntPtr.Zero;
            _handle = IntPtr.Zero;
        }
    }

    private IntPtr Cluster
    {
        get
        {
            ObjectDisposedException.ThrowIf(_cluster == IntPtr.Zero, this);
            return _cluster;
        }
    }

    private void ForBrokers(int brokerId, string what, Func<IntPtr, int, int> action)
    {
        lock (_gate)
        {
            var cluster = Cluster;
            if (brokerId == AllBrokers)
            {
                for (var id = 1; id <= BrokerCount; id++)
                {
                    Check(action(cluster, id), $"{what} {id}");
                }
            }
            else
            {
                Check(action(cluster, brokerId), $"{what} {brokerId}");
            }
        }
    }

    private static void Check(int error, string what)
    {
        if (error != 0)
        {
            throw new KafkaException(new Error((ErrorCode)error, $"Mock cluster could not {what}: {(ErrorCode)error}"));
        }
    }

    private static int ToMilliseconds(TimeSpan value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
        return (int)Math.Min(int.MaxValue, value.TotalMilliseconds);
    }
}
