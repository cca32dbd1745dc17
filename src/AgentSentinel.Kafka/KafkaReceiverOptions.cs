using System.Globalization;
using AgentSentinel.Core.Spans;
using AgentSentinel.Kafka.Native;
using Confluent.Kafka;

namespace AgentSentinel.Kafka;

/// <summary>One topic the receiver reads, and the encoding the Collector's kafka exporter writes to it.</summary>
public sealed class KafkaTopicOptions
{
    /// <summary>The Collector kafka exporter's <c>traces::topic</c>.</summary>
    public string Name { get; set; } = KafkaReceiverOptions.DefaultTopic;

    /// <summary>The exporter's <c>traces::encoding</c>: <c>otlp_proto</c> (default) or <c>otlp_json</c>.</summary>
    public string Encoding { get; set; } = KafkaReceiverOptions.OtlpProto;
}

/// <summary>
/// Configuration of the Kafka receiver (section <c>Kafka</c>). Everything has a default except
/// <see cref="BootstrapServers"/>. librdkafka settings the app does not own (SASL, TLS, timeouts, fetch
/// sizes, ...) pass through <see cref="Client"/>, <see cref="Consumer"/> and <see cref="Producer"/> as
/// librdkafka property names, e.g. <c>Kafka:Client:security.protocol=SASL_SSL</c>.
/// </summary>
/// <remarks>
/// <para>Settings the receiver owns are set in code and may not be overridden (see
/// <see cref="OwnedConsumerKeys"/> and <see cref="OwnedProducerKeys"/>): at-least-once delivery relies on
/// <c>enable.auto.offset.store=false</c> with <c>enable.auto.commit=true</c>, and the dead-letter producer on
/// <c>acks=all</c> and delivery reports.</para>
/// <para>Defaults the receiver sets but which may be overridden: <c>partition.assignment.strategy=cooperative-sticky</c>
/// (as the Collector's receiver; not set when <c>group.protocol=consumer</c>, KIP-848, which assigns on the broker;
/// override it with the same value on every member when joining a group that uses an eager assignor),
/// <c>auto.offset.reset=earliest</c> (a new group reads what is retained rather than losing what was written
/// before it first joined), <c>fetch.wait.max.ms=100</c>, <c>client.id=agentsentinel</c>, and for the
/// dead-letter producer <c>enable.idempotence=true</c>, <c>linger.ms=5</c>, <c>message.timeout.ms=30000</c>.</para>
/// <para>An empty <see cref="Topics"/> list means the single default topic <c>otlp_spans</c>/<c>otlp_proto</c>.
/// The list starts empty because configuration binding appends to a list instead of replacing it: a default item
/// in the initializer would survive next to the configured ones.</para>
/// </remarks>
public sealed class KafkaReceiverOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Kafka";

    /// <summary>The Collector kafka exporter's default traces topic.</summary>
    public const string DefaultTopic = "otlp_spans";

    /// <summary>Encoding name of OTLP protobuf (<c>ExportTraceServiceRequest</c> bytes).</summary>
    public const string OtlpProto = "otlp_proto";

    /// <summary>Encoding name of OTLP/JSON.</summary>
    public const string OtlpJson = "otlp_json";

    /// <summary>Suffix of the derived dead-letter topic: <c>otlp_spans</c> → <c>otlp_spans.dlq</c>.</summary>
    public const string DeadLetterSuffix = ".dlq";

    /// <summary>Consumer settings the receiver sets itself; configuring them is an error.</summary>
    public static readonly IReadOnlySet<string> OwnedConsumerKeys = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "bootstrap.servers", "metadata.broker.list", "group.id", "enable.auto.offset.store", "enable.auto.commit",
    };

    /// <summary>Dead-letter producer settings the receiver sets itself; configuring them is an error.</summary>
    public static readonly IReadOnlySet<string> OwnedProducerKeys = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "bootstrap.servers", "metadata.broker.list", "acks", "request.required.acks", "dotnet.producer.enable.delivery.reports",
    };

    /// <summary>Comma-separated <c>host:port</c> list. Required.</summary>
    public string BootstrapServers { get; set; } = string.Empty;

    /// <summary>The consumer group. Every AgentSentinel instance reading the same topics uses the same group.</summary>
    public string GroupId { get; set; } = "agentsentinel";

    /// <summary>Topics to read with their encodings. Empty means <c>otlp_spans</c> in <c>otlp_proto</c>.</summary>
    public IList<KafkaTopicOptions> Topics { get; set; } = [];

    /// <summary>
    /// Where undecodable records are copied. Empty (the default) derives one per source topic:
    /// <c>{topic}.dlq</c>. The topic must exist, or the broker must auto-create it.
    /// </summary>
    public string? DeadLetterTopic { get; set; }

    /// <summary>
    /// Records handed to the pipeline (or to the dead-letter topic) whose offsets are not yet stored. When reached,
    /// the receiver pauses its partitions and keeps polling; it resumes once half have completed.
    /// </summary>
    public int MaxInFlightRecords { get; set; } = 1000;

    /// <summary>How often the consumer-lag gauge is recomputed (from local watermarks and positions; no broker calls).</summary>
    public TimeSpan LagRefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a revoke waits for in-flight records of the revoked partitions before giving them up to the next owner.</summary>
    public TimeSpan RevokeDrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Used by <c>DisposeAsync</c>, which has no caller deadline: drain, store and close within this.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First back-off after a failed dead-letter write or a failed pipeline hand-off; it doubles up to <see cref="MaxRetryBackoff"/>.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest back-off between retries of one record.</summary>
    public TimeSpan MaxRetryBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>librdkafka settings for both the consumer and the dead-letter producer (security, timeouts, client.rack, ...).</summary>
    public IDictionary<string, string> Client { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>librdkafka settings for the consumer only; they win over <see cref="Client"/>.</summary>
    public IDictionary<string, string> Consumer { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>librdkafka settings for the dead-letter producer only; they win over <see cref="Client"/>.</summary>
    public IDictionary<string, string> Producer { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The topics to read: <see cref="Topics"/>, or the default topic when it is empty.</summary>
    public IReadOnlyList<KafkaTopicOptions> EffectiveTopics() =>
        Topics is { Count: > 0 } ? [.. Topics] : [new KafkaTopicOptions()];

    /// <summary>The dead-letter topic for records read from <paramref name="sourceTopic"/>.</summary>
    public string DeadLetterTopicFor(string sourceTopic) =>
        string.IsNullOrWhiteSpace(DeadLetterTopic) ? sourceTopic + DeadLetterSuffix : DeadLetterTopic;

    /// <summary>Parses an encoding name (<c>otlp_proto</c> or <c>otlp_json</c>, any case).</summary>
    public static bool TryParseEncoding(string? name, out OtlpEncoding encoding)
    {
        if (string.Equals(name, OtlpProto, StringComparison.OrdinalIgnoreCase))
        {
            encoding = OtlpEncoding.OtlpProto;
            return true;
        }

        if (string.Equals(name, OtlpJson, StringComparison.OrdinalIgnoreCase))
        {
            encoding = OtlpEncoding.OtlpJson;
            return true;
        }

        encoding = default;
        return false;
    }

    /// <summary>
    /// Checks every setting and returns one message per problem, each naming its configuration key
    /// (e.g. <c>Kafka:Topics:0:Encoding must be otlp_proto or otlp_json</c>). Empty when valid.
    /// Pass-through keys are checked against librdkafka itself when it can be loaded (unknown property,
    /// invalid value), without connecting anywhere.
    /// </summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        const string S = SectionName;

        if (string.IsNullOrWhiteSpace(BootstrapServers))
        {
            errors.Add($"{S}:BootstrapServers is required (comma-separated host:port list).");
        }

        if (string.IsNullOrWhiteSpace(GroupId))
        {
            errors.Add($"{S}:GroupId is required.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var topics = Topics ?? [];
        for (var i = 0; i < topics.Count; i++)
        {
            var topic = topics[i];
            var key = $"{S}:Topics:{i.ToString(CultureInfo.InvariantCulture)}";
            if (topic is null)
            {
                errors.Add($"{key} is empty.");
                continue;
            }

            if (string.IsNullOrWhiteSpace(topic.Name))
            {
                errors.Add($"{key}:Name is required.");
            }
            else
            {
                if (!IsLegalTopicName(topic.Name))
                {
                    errors.Add($"{key}:Name '{topic.Name}' is not a legal Kafka topic name (1-249 characters of [a-zA-Z0-9._-]).");
                }

                if (!names.Add(topic.Name))
                {
                    errors.Add($"{key}:Name '{topic.Name}' is listed twice.");
                }
            }

            if (!TryParseEncoding(topic.Encoding, out _))
            {
                errors.Add($"{key}:Encoding must be {OtlpProto} or {OtlpJson} (was '{topic.Encoding}').");
            }
        }

        if (!string.IsNullOrWhiteSpace(DeadLetterTopic))
        {
            if (!IsLegalTopicName(DeadLetterTopic))
            {
                errors.Add($"{S}:DeadLetterTopic '{DeadLetterTopic}' is not a legal Kafka topic name.");
            }

            foreach (var topic in EffectiveTopics())
            {
                if (string.Equals(topic.Name, DeadLetterTopic, StringComparison.Ordinal))
                {
                    errors.Add($"{S}:DeadLetterTopic must differ from the source topic '{topic.Name}'.");
                }
            }
        }
        else
        {
            foreach (var topic in EffectiveTopics())
            {
                if (topic.Name is { } name && IsLegalTopicName(name) && !IsLegalTopicName(DeadLetterTopicFor(name)))
                {
                    errors.Add($"{S}:DeadLetterTopic is required because '{DeadLetterTopicFor(name)}' would be too long a topic name.");
                }
            }
        }

        if (MaxInFlightRecords < 1)
        {
            errors.Add($"{S}:MaxInFlightRecords must be at least 1 (was {MaxInFlightRecords}).");
        }

        CheckPositive(errors, $"{S}:LagRefreshInterval", LagRefreshInterval);
        CheckPositive(errors, $"{S}:RevokeDrainTimeout", RevokeDrainTimeout);
        CheckPositive(errors, $"{S}:ShutdownTimeout", ShutdownTimeout);
        CheckPositive(errors, $"{S}:RetryBackoff", RetryBackoff);
        CheckPositive(errors, $"{S}:MaxRetryBackoff", MaxRetryBackoff);
        if (MaxRetryBackoff < RetryBackoff)
        {
            errors.Add($"{S}:MaxRetryBackoff must not be shorter than {S}:RetryBackoff.");
        }

        var maxPollInterval = PassThroughValue("max.poll.interval.ms", Consumer, Client);
        if (int.TryParse(maxPollInterval, NumberStyles.Integer, CultureInfo.InvariantCulture, out var maxPollMs)
            && RevokeDrainTimeout >= TimeSpan.FromMilliseconds(maxPollMs))
        {
            errors.Add($"{S}:RevokeDrainTimeout ({RevokeDrainTimeout}) must be shorter than max.poll.interval.ms ({maxPollMs} ms): a revoke is drained on the polling thread.");
        }

        CheckPassThrough(errors, nameof(Client), Client, OwnedConsumerKeys.Union(OwnedProducerKeys, StringComparer.OrdinalIgnoreCase).ToHashSet(StringComparer.OrdinalIgnoreCase));
        CheckPassThrough(errors, nameof(Consumer), Consumer, OwnedConsumerKeys);
        CheckPassThrough(errors, nameof(Producer), Producer, OwnedProducerKeys);
        return errors;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem <see cref="Validate"/> finds.</summary>
    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid Kafka receiver configuration: " + string.Join(" ", errors));
        }
    }

    /// <summary>
    /// The Confluent consumer configuration: defaults, then <see cref="Client"/>, then <see cref="Consumer"/>,
    /// then the settings the receiver owns.
    /// </summary>
    public ConsumerConfig BuildConsumerConfig()
    {
        var config = new ConsumerConfig
        {
            ClientId = "agentsentinel",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            FetchWaitMaxMs = 100,
        };
        Apply(config, Client);
        Apply(config, Consumer);

        var kip848 = string.Equals(config.Get("group.protocol"), "consumer", StringComparison.OrdinalIgnoreCase);
        if (!kip848 && config.Get("partition.assignment.strategy") is null)
        {
            config.PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky;
        }

        config.BootstrapServers = BootstrapServers;
        config.GroupId = GroupId;
        config.EnableAutoOffsetStore = false;
        config.EnableAutoCommit = true;
        return config;
    }

    /// <summary>
    /// The Confluent configuration of the dead-letter producer: defaults, then <see cref="Client"/>, then
    /// <see cref="Producer"/>, then the settings the receiver owns.
    /// </summary>
    public ProducerConfig BuildDeadLetterProducerConfig()
    {
        var config = new ProducerConfig
        {
            ClientId = "agentsentinel-dlq",
            EnableIdempotence = true,
            LingerMs = 5,
            MessageTimeoutMs = 30_000,
        };
        Apply(config, Client);
        Apply(config, Producer);
        config.BootstrapServers = BootstrapServers;
        config.Acks = Acks.All;
        config.EnableDeliveryReports = true;
        return config;
    }

    private static void Apply(ClientConfig config, IDictionary<string, string>? settings)
    {
        if (settings is null)
        {
            return;
        }

        foreach (var (key, value) in settings)
        {
            config.Set(key.Trim(), value);
        }
    }

    private static string? PassThroughValue(string key, params IDictionary<string, string>?[] sections)
    {
        foreach (var section in sections)
        {
            if (section is not null)
            {
                foreach (var (k, v) in section)
                {
                    if (string.Equals(k?.Trim(), key, StringComparison.OrdinalIgnoreCase))
                    {
                        return v;
                    }
                }
            }
        }

        return null;
    }

    private static void CheckPositive(List<string> errors, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{key} must be positive (was {value}).");
        }
    }

    private static void CheckPassThrough(List<string> errors, string section, IDictionary<string, string>? settings, IReadOnlySet<string> owned)
    {
        if (settings is null)
        {
            return;
        }

        foreach (var (rawKey, value) in settings)
        {
            var key = rawKey?.Trim() ?? string.Empty;
            var path = $"{SectionName}:{section}:{key}";
            if (key.Length == 0)
            {
                errors.Add($"{SectionName}:{section} has an empty key.");
                continue;
            }

            if (owned.Contains(key))
            {
                errors.Add($"{path} is set by AgentSentinel and cannot be configured" + OwnedHint(key));
                continue;
            }

            if (key.StartsWith("dotnet.", StringComparison.OrdinalIgnoreCase))
            {
                continue; // Confluent.Kafka's own settings; librdkafka does not know them.
            }

            if (NativeConfigCheck.Check(key, value) is { } problem)
            {
                errors.Add($"{path}: {problem}");
            }
        }
    }

    private static string OwnedHint(string key) => key.ToLowerInvariant() switch
    {
        "bootstrap.servers" or "metadata.broker.list" => $"; use {SectionName}:BootstrapServers.",
        "group.id" => $"; use {SectionName}:GroupId.",
        "enable.auto.offset.store" or "enable.auto.commit" => " (at-least-once delivery stores offsets only after the pipeline took each record).",
        _ => ".",
    };

    /// <summary>Kafka's rule: 1-249 characters of ASCII letters, digits, '.', '_' and '-', and not "." or "..".</summary>
    internal static bool IsLegalTopicName(string name) =>
        name.Length is > 0 and <= 249
        && name is not "." and not ".."
        && name.All(static c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or '-');
}
