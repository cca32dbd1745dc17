using System.Net.Http.Headers;
using System.Text;
using AgentSentinel.Cli.Admin;
using AgentSentinel.Cli.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentSentinel.Cli.Tests.Admin;

/// <summary>The real metrics endpoint (Kestrel on a free loopback port) with the admin API mapped over a recording admin.</summary>
internal sealed class AdminServer : IAsyncDisposable
{
    public const string AliceToken = "alice-token-0123456789abcdef";
    public const string BobToken = "bob-token-fedcba9876543210xyz";

    private readonly MetricsEndpoint _endpoint;

    private AdminServer(MetricsEndpoint endpoint, RecordingRemediationAdmin admin)
    {
        _endpoint = endpoint;
        Admin = admin;
    }

    public RecordingRemediationAdmin Admin { get; }

    public Uri Url => _endpoint.Url;

    /// <param name="tls">Serve HTTPS with this certificate.</param>
    public static async Task<AdminServer> StartAsync(bool enabled = true, Support.TestCertificate? tls = null)
    {
        var admin = new RecordingRemediationAdmin();
        var options = new AdminOptions();
        if (enabled)
        {
            options.Tokens["alice"] = AliceToken;
            options.Tokens["bob"] = BobToken;
        }

        var endpoint = await MetricsEndpoint.StartAsync(
            new MetricsOptions { Host = "127.0.0.1", Port = 0, TlsCertificateFile = tls?.CertificateFile, TlsKeyFile = tls?.KeyFile }, () => true, () => true, NullLoggerFactory.Instance, CancellationToken.None,
            app => AdminApi.Map(app, admin, options));
        return new AdminServer(endpoint, admin);
    }

    public HttpClient Client(string? token = AliceToken)
    {
        var http = new HttpClient { BaseAddress = Url };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public ValueTask DisposeAsync() => _endpoint.DisposeAsync();
}
