using AgentSentinel.Core.Spans;
using Confluent.Kafka;
using Microsoft.Extensions.Configuration;

namespace AgentSentinel.Kafka.Tests;

public sealed class KafkaReceiverOptionsTests
{
    private static KafkaReceiverOptions Valid() => new() { BootstrapServers = "kafka-1:9092,kafka-2:9092" };

    [Fact]
    public void Defaults_are_valid_once_bootstrap_servers_is_set_and_read_otlp_spans_as_otlp_proto()
    {
        var options = Valid();

        Assert.Empty(options.Validate());
        var topic = Assert.Single(options.EffectiveTopics());
        Assert.Equal("otlp_spans", topic.Name);
        Assert.True(KafkaReceiverOptions.TryParseEncoding(topic.Encoding, out var encoding));
        Assert.Equal(OtlpEncoding.OtlpProto, encoding);
        Assert.Equal("otlp_spans.dlq", options.DeadLetterTopicFor("otlp_spans"));
        Assert.Equal("agentsentinel", options.GroupId);
        Assert.Equal(1000, options.MaxInFlightRecords);
    }

    [Fact]
    public void Missing_bootstrap_servers_is_reported_by_its_key()
    {
        var errors = new KafkaReceiverOptions().Validate();

        Assert.Contains(errors, e => e.StartsWith("Kafka:BootstrapServers is required", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_encoding_is_reported_with_the_index_of_its_topic()
    {
        var options = Valid();
        options.Topics.Add(new KafkaTopicOptions { Name = "a" });
        options.Topics.Add(new KafkaTopicOptions { Name = "b", Encoding = "jaeger_proto" });

        var error = Assert.Single(options.Validate());

        Assert.StartsWith("Kafka:Topics:1:Encoding must be otlp_proto or otlp_json", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "Kafka:Topics:0:Name is required")]
    [InlineData("bad topic!", "Kafka:Topics:0:Name 'bad topic!' is not a legal Kafka topic name")]
    public void A_bad_topic_name_is_reported_by_its_key(string name, string expected)
    {
        var options = Valid();
        options.Topics.Add(new KafkaTopicOptions { Name = name });

        Assert.Contains(options.Validate(), e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Out_of_range_numbers_and_durations_are_reported_by_their_keys()
    {
        var options = Valid();
        options.MaxInFlightRecords = 0;
        options.LagRefreshInterval = TimeSpan.Zero;
        options.GroupId = " ";
        options.DeadLetterTopic = "otlp_spans";

        var errors = options.Validate();

        Assert.Contains(errors, e => e.StartsWith("Kafka:MaxInFlightRecords must be at least 1", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kafka:LagRefreshInterval must be positive", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kafka:GroupId is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kafka:DeadLetterTopic must differ from the source topic", StringComparison.Ordinal));
    }

    [Fact]
    public void A_revoke_drain_timeout_not_shorter_than_max_poll_interval_is_rejected()
    {
        var options = Valid();
        options.Consumer["max.poll.interval.ms"] = "20000";
        options.RevokeDrainTimeout = TimeSpan.FromSeconds(30);

        var error = Assert.Single(options.Validate());

        Assert.StartsWith("Kafka:RevokeDrainTimeout", error, StringComparison.Ordinal);
        Assert.Contains("max.poll.interval.ms", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Consumer", "enable.auto.commit")]
    [InlineData("Consumer", "enable.auto.offset.store")]
    [InlineData("Consumer", "group.id")]
    [InlineData("Consumer", "bootstrap.servers")]
    [InlineData("Producer", "acks")]
    [InlineData("Client", "enable.auto.commit")]
    public void A_setting_the_receiver_owns_is_rejected_naming_its_key(string section, string key)
    {
        var options = Valid();
        Section(options, section)[key] = "x";

        var error = Assert.Single(options.Validate());

        Assert.StartsWith($"Kafka:{section}:{key} is set by AgentSentinel and cannot be configured", error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_or_invalid_librdkafka_setting_is_rejected_naming_its_key()
    {
        var options = Valid();
        options.Consumer["fetch.wait.max.msec"] = "10";
        options.Client["security.protocol"] = "carrier_pigeon";

        var errors = options.Validate();

        Assert.Contains(errors, e => e.StartsWith("Kafka:Consumer:fetch.wait.max.msec: ", StringComparison.Ordinal) && e.Contains("No such configuration property", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kafka:Client:security.protocol: ", StringComparison.Ordinal) && e.Contains("Invalid value", StringComparison.Ordinal));
    }

    [Fact]
    public void Pass_through_settings_reach_the_Confluent_configs_and_the_owned_semantics_are_forced()
    {
        var options = Valid();
        options.Client["security.protocol"] = "SASL_SSL";
        options.Client["sasl.mechanisms"] = "SCRAM-SHA-512";
        options.Client["client.id"] = "from-client";
        options.Consumer["client.id"] = "from-consumer";
        options.Consumer["fetch.wait.max.ms"] = "10";
        options.Consumer["auto.offset.reset"] = "latest";
        options.Producer["linger.ms"] = "20";
        options.Producer["enable.idempotence"] = "false";

        Assert.Empty(options.Validate());
        var consumer = options.BuildConsumerConfig();
        var producer = options.BuildDeadLetterProducerConfig();

        Assert.Equal("SASL_SSL", consumer.Get("security.protocol"));
        Assert.Equal("SCRAM-SHA-512", consumer.Get("sasl.mechanisms"));
        Assert.Equal("from-consumer", consumer.ClientId); // Consumer wins over Client.
        Assert.Equal(10, consumer.FetchWaitMaxMs);
        Assert.Equal(AutoOffsetReset.Latest, consumer.AutoOffsetReset);
        Assert.Equal("kafka-1:9092,kafka-2:9092", consumer.BootstrapServers);
        Assert.Equal("agentsentinel", consumer.GroupId);
        Assert.False(consumer.EnableAutoOffsetStore);
        Assert.True(consumer.EnableAutoCommit);
        Assert.Equal(PartitionAssignmentStrategy.CooperativeSticky, consumer.PartitionAssignmentStrategy);

        Assert.Equal("SASL_SSL", producer.Get("security.protocol"));
        Assert.Equal("from-client", producer.ClientId);
        Assert.Equal(20, producer.LingerMs);
        Assert.False(producer.EnableIdempotence);
        Assert.Equal(Acks.All, producer.Acks);
        Assert.True(producer.EnableDeliveryReports);
    }

    [Fact]
    public void Defaults_set_in_code_favour_throughput_and_no_loss_and_can_be_overridden()
    {
        var consumer = Valid().BuildConsumerConfig();
        var producer = Valid().BuildDeadLetterProducerConfig();

        Assert.Equal(AutoOffsetReset.Earliest, consumer.AutoOffsetReset);
        Assert.Equal(100, consumer.FetchWaitMaxMs);
        Assert.Null(consumer.Get("queued.min.messages")); // librdkafka's large prefetch default is kept.
        Assert.True(producer.EnableIdempotence);
        Assert.Equal(30_000, producer.MessageTimeoutMs);
    }

    [Fact]
    public void With_the_KIP_848_group_protocol_no_client_side_assignor_is_set()
    {
        var options = Valid();
        options.Consumer["group.protocol"] = "consumer";

        Assert.Null(options.BuildConsumerConfig().PartitionAssignmentStrategy);
    }

    [Fact]
    public void Binding_from_configuration_replaces_the_default_topic_instead_of_adding_to_it()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = "broker:9092",
            ["Kafka:Topics:0:Name"] = "agent_spans",
            ["Kafka:Topics:0:Encoding"] = "otlp_json",
            ["Kafka:MaxInFlightRecords"] = "64",
            ["Kafka:LagRefreshInterval"] = "00:00:02",
            ["Kafka:Client:security.protocol"] = "SASL_SSL",
            ["Kafka:Consumer:fetch.wait.max.ms"] = "50",
        }).Build();

        var options = configuration.GetSection(KafkaReceiverOptions.SectionName).Get<KafkaReceiverOptions>()!;

        Assert.Empty(options.Validate());
        var topic = Assert.Single(options.EffectiveTopics());
        Assert.Equal(("agent_spans", "otlp_json"), (topic.Name, topic.Encoding));
        Assert.Equal("agent_spans.dlq", options.DeadLetterTopicFor(topic.Name));
        Assert.Equal(64, options.MaxInFlightRecords);
        Assert.Equal(TimeSpan.FromSeconds(2), options.LagRefreshInterval);
        Assert.Equal("SASL_SSL", options.Client["security.protocol"]);
        Assert.Equal(50, options.BuildConsumerConfig().FetchWaitMaxMs);
    }

    private static IDictionary<string, string> Section(KafkaReceiverOptions options, string name) => name switch
    {
        "Client" => options.Client,
        "Consumer" => options.Consumer,
        _ => options.Producer,
    };
}
