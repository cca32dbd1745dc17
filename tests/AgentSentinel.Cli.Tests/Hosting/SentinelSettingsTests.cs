using AgentSentinel.Cli.Hosting;
using AgentSentinel.Cli.Tests.Support;
using AgentSentinel.Tests.Shared;

namespace AgentSentinel.Cli.Tests.Hosting;

public sealed class SentinelSettingsTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void An_empty_configuration_is_valid_except_for_the_connections_it_needs()
    {
        var settings = SentinelSettings.Load(Write("{}"), includeEnvironment: false);

        Assert.Empty(settings.Validate(kafka: false, redis: false));
        var errors = settings.Validate(kafka: true, redis: true);
        Assert.Contains(errors, e => e.Contains("Kafka:BootstrapServers", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Redis:ConnectionString", StringComparison.Ordinal));
    }

    [Fact]
    public void The_example_configuration_in_deploy_binds_and_validates()
    {
        var settings = SentinelSettings.Load(Path.Combine(SharedData.RepositoryRoot, "deploy", "agentsentinel.json"), includeEnvironment: false);

        Assert.Empty(settings.Validate(kafka: true, redis: true));
        Assert.Equal("kafka:9092", settings.Kafka.BootstrapServers);
        Assert.Equal("otlp_spans", Assert.Single(settings.Kafka.Topics).Name);
        Assert.Equal(Path.Combine(SharedData.RepositoryRoot, "deploy", "policies.yaml"), settings.Remediation.PolicyFile);
        Assert.Equal(["http://alertmanager:9093"], settings.Alertmanager.Urls);
    }

    [Fact]
    public void A_configured_list_replaces_the_default_list_instead_of_appending_to_it()
    {
        var settings = SentinelSettings.Load(
            Write("""{"Otlp": {"ResourceAgentAttributes": ["k8s.deployment.name"]}, "Kafka": {"Topics": [{"Name": "spans_json", "Encoding": "otlp_json"}]}}"""),
            includeEnvironment: false);

        Assert.Equal(["k8s.deployment.name"], settings.Otlp.EffectiveResourceAgentAttributes);
        Assert.Equal("gen_ai.agent.name", settings.Otlp.EffectiveSpanAgentAttributes[0]);
        Assert.Equal("spans_json", Assert.Single(settings.Kafka.EffectiveTopics()).Name);
        Assert.Empty(settings.Validate(kafka: false, redis: false));
    }

    [Theory]
    [InlineData("""{"Detection": {"WarmupSamples": 1}}""", "Detection:WarmupSamples")]
    [InlineData("""{"Kafka": {"BootstrapServers": "b:9092", "Topics": [{"Name": "otlp_spans", "Encoding": "zipkin_json"}]}}""", "Kafka:Topics:0:Encoding")]
    [InlineData("""{"Redis": {"ConnectionString": "r:6379", "KeyPrefix": "nocolon"}}""", "Redis:KeyPrefix")]
    [InlineData("""{"Metrics": {"Port": 70000}}""", "Metrics:Port")]
    public void An_invalid_value_is_reported_with_its_key(string json, string key)
    {
        var settings = SentinelSettings.Load(Write(json), includeEnvironment: false);

        var error = Assert.Throws<ConfigurationException>(() => settings.ThrowIfInvalid(kafka: true, redis: true));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tls_certificate_without_its_key_or_that_cannot_be_loaded_is_reported_with_its_key()
    {
        var certificate = TestCertificate.Create(_temp);
        var other = TestCertificate.Create(_temp, "other");
        var missingKey = new MetricsOptions { TlsCertificateFile = certificate.CertificateFile };
        var mismatched = new MetricsOptions { TlsCertificateFile = certificate.CertificateFile, TlsKeyFile = other.KeyFile };
        var absent = new MetricsOptions { TlsCertificateFile = _temp.File("absent.crt"), TlsKeyFile = certificate.KeyFile };
        var good = new MetricsOptions { TlsCertificateFile = certificate.CertificateFile, TlsKeyFile = certificate.KeyFile };

        Assert.Contains("Metrics:TlsKeyFile is required", Assert.Single(missingKey.Validate()), StringComparison.Ordinal);
        Assert.StartsWith("Metrics:TlsCertificateFile/TlsKeyFile is not a PEM certificate with its matching private key", Assert.Single(mismatched.Validate()), StringComparison.Ordinal);
        Assert.StartsWith("Metrics:TlsCertificateFile/TlsKeyFile cannot be read", Assert.Single(absent.Validate()), StringComparison.Ordinal);
        Assert.Empty(good.Validate());
        Assert.Contains("Metrics:Host", Assert.Single(new MetricsOptions { Host = "metrics.example" }.Validate()), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"Detection": {"WarmupSamples": "many"}}""", "Detection:WarmupSamples")]
    [InlineData("""{"Detection": {"WarmUp": 10}}""", "WarmUp")]
    [InlineData("""{"Detektion": {}}""", "Detektion")]
    [InlineData("""{"Detection": """, "agentsentinel.json")]
    public void A_value_that_does_not_bind_stops_loading_and_names_the_key(string json, string key)
    {
        var error = Assert.Throws<ConfigurationException>(() => SentinelSettings.Load(Write(json), includeEnvironment: false));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_config_exits_with_a_usage_error_naming_the_key()
    {
        var error = new StringWriter();

        var code = await SentinelCli.RunAsync(["check-config", "--config", Write("""{"Detection": {"TraceThreshold": -1}}""")], TextWriter.Null, error);

        Assert.Equal(SentinelCli.UsageError, code);
        Assert.Contains("Detection:TraceThreshold", error.ToString(), StringComparison.Ordinal);
    }

    private string Write(string json)
    {
        var path = _temp.File("agentsentinel.json");
        File.WriteAllText(path, json);
        return path;
    }
}
