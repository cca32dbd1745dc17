using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace AgentSentinel.Cli.Hosting;

/// <summary>
/// The HTTP surface: <c>/metrics</c> (prometheus-net), <c>/health/live</c> (the process and its receive loop) and
/// <c>/health/ready</c> (consuming and connected to Redis), and the admin API when configured. Kestrel on
/// <see cref="MetricsOptions"/>' host and port, HTTPS only when a TLS certificate is configured.
/// </summary>
internal sealed class MetricsEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly X509Certificate2? _certificate;

    private MetricsEndpoint(WebApplication app, Uri url, X509Certificate2? certificate)
    {
        _app = app;
        Url = url;
        _certificate = certificate;
    }

    public Uri Url { get; }

    /// <summary>Starts Kestrel; <paramref name="configure"/> maps more endpoints (the admin API) before it starts.</summary>
    public static async Task<MetricsEndpoint> StartAsync(
        MetricsOptions options, Func<bool> isLive, Func<bool> isReady, ILoggerFactory loggers, CancellationToken cancellationToken, Action<WebApplication>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        var certificate = options.UsesTls ? options.LoadCertificate() : null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            var address = options.Host switch
            {
                "0.0.0.0" or "*" => IPAddress.Any,
                "localhost" => IPAddress.Loopback,
                _ => IPAddress.Parse(options.Host),
            };
            k.Listen(address, options.Port, listen =>
            {
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
        });
        var app = builder.Build();
        app.MapMetrics("/metrics");
        app.MapGet("/health/live", () => isLive() ? Results.Text("live") : Results.Text("not live", statusCode: 503));
        app.MapGet("/health/ready", () => isReady() ? Results.Text("ready") : Results.Text("not ready", statusCode: 503));
        configure?.Invoke(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = app.Urls.FirstOrDefault() ?? $"{(certificate is null ? "http" : "https")}://{options.Host}:{options.Port}";
        return new MetricsEndpoint(app, new Uri(bound.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "127.0.0.1", StringComparison.Ordinal)), certificate);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _certificate?.Dispose();
    }
}
