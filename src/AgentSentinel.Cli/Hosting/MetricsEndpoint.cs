using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace AgentSentinel.Cli.Hosting;

/// <summary>
/// The HTTP surface: <c>/metrics</c> (prometheus-net), <c>/health/live</c> (the process and its receive loop) and
/// <c>/health/ready</c> (consuming and connected to Redis). Kestrel on <see cref="MetricsOptions"/>' host and port.
/// </summary>
internal sealed class MetricsEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MetricsEndpoint(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    /// <summary>Starts Kestrel; <paramref name="configure"/> maps more endpoints (the admin API) before it starts.</summary>
    public static async Task<MetricsEndpoint> StartAsync(
        MetricsOptions options, Func<bool> isLive, Func<bool> isReady, ILoggerFactory loggers, CancellationToken cancellationToken, Action<WebApplication>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.WebHost.ConfigureKestrel(k =>
        {
            var address = options.Host is "0.0.0.0" or "*" ? IPAddress.Any : IPAddress.Parse(options.Host);
            k.Listen(address, options.Port);
        });
        var app = builder.Build();
        app.MapMetrics("/metrics");
        app.MapGet("/health/live", () => isLive() ? Results.Text("live") : Results.Text("not live", statusCode: 503));
        app.MapGet("/health/ready", () => isReady() ? Results.Text("ready") : Results.Text("not ready", statusCode: 503));
        configure?.Invoke(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = app.Urls.FirstOrDefault() ?? $"http://{options.Host}:{options.Port}";
        return new MetricsEndpoint(app, new Uri(bound.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "127.0.0.1", StringComparison.Ordinal)));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
