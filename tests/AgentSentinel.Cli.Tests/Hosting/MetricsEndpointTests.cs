using AgentSentinel.Cli.Hosting;
using AgentSentinel.Cli.Reports;
using AgentSentinel.Cli.Tests.Support;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using AgentSentinel.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentSentinel.Cli.Tests.Hosting;

public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task Metrics_and_health_are_served_and_health_follows_the_host()
    {
        var ready = false;
        await using var endpoint = await MetricsEndpoint.StartAsync(
            new MetricsOptions { Host = "127.0.0.1", Port = 0 }, () => true, () => ready, NullLoggerFactory.Instance, CancellationToken.None);
        using var http = new HttpClient { BaseAddress = endpoint.Url };

        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("agentsentinel_records_consumed_total{source=\"kafka\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("agentsentinel_decode_failures_total{reason=\"truncated\"}", metrics, StringComparison.Ordinal);
        Assert.Equal(200, (int)(await http.GetAsync("/health/live")).StatusCode);
        Assert.Equal(503, (int)(await http.GetAsync("/health/ready")).StatusCode);
        ready = true;
        Assert.Equal(200, (int)(await http.GetAsync("/health/ready")).StatusCode);
    }

    [Fact]
    public async Task No_metric_label_carries_an_agent_model_or_tool_name_after_a_replay()
    {
        var recorder = new PipelineRecorder();
        await AgentSentinel.Cli.Commands.ReplayCommand.ReplayAsync(Path.Combine(SharedData.Stream, "otlp_proto"), null, new SentinelSettings(), recorder, CancellationToken.None);
        await using var endpoint = await MetricsEndpoint.StartAsync(
            new MetricsOptions { Host = "127.0.0.1", Port = 0 }, () => true, () => true, NullLoggerFactory.Instance, CancellationToken.None);
        using var http = new HttpClient { BaseAddress = endpoint.Url };

        var metrics = await http.GetStringAsync("/metrics");

        var names = recorder.Agents().SelectMany(a => a.Value.Models.Append(a.Key)).ToList();
        Assert.NotEmpty(names);
        Assert.All(names, name => Assert.DoesNotContain("\"" + name + "\"", metrics, StringComparison.Ordinal));
        Assert.DoesNotContain("get_weather", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_tls_certificate_the_endpoint_serves_https_only()
    {
        using var temp = new TempDirectory();
        var certificate = TestCertificate.Create(temp);
        await using var endpoint = await MetricsEndpoint.StartAsync(
            new MetricsOptions { Host = "127.0.0.1", Port = 0, TlsCertificateFile = certificate.CertificateFile, TlsKeyFile = certificate.KeyFile },
            () => true, () => true, NullLoggerFactory.Instance, CancellationToken.None);
        Assert.Equal("https", endpoint.Url.Scheme);

        // A client that trusts the certificate gets the endpoints…
        using var trusting = new SocketsHttpHandler();
        trusting.SslOptions.CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        trusting.SslOptions.CertificateChainPolicy.CustomTrustStore.ImportFromPemFile(certificate.CertificateFile);
        using var https = new HttpClient(trusting, disposeHandler: false) { BaseAddress = endpoint.Url };
        Assert.Equal("live", await https.GetStringAsync("/health/live"));

        // …one that does not trust it is refused, and plain HTTP on the same port gets nothing.
        using var untrusting = new HttpClient { BaseAddress = endpoint.Url };
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.GetStringAsync("/health/live"));
        Assert.IsType<AuthenticationException>(refused.InnerException);
        using var plain = new HttpClient { BaseAddress = new UriBuilder(endpoint.Url) { Scheme = "http" }.Uri };
        await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetStringAsync("/health/live"));
    }
}
