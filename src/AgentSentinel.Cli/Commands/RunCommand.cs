using AgentSentinel.Cli.Admin;
using AgentSentinel.Cli.CommandLine;
using AgentSentinel.Cli.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentSentinel.Cli.Commands;

/// <summary><c>agentsentinel run --config FILE</c>: the production service.</summary>
internal static class RunCommand
{
    public static async Task<int> ExecuteAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var options = CommandArguments.Parse(args, ["config"], []);
        var settings = SentinelSettings.Load(options.Get("config"));
        settings.ThrowIfInvalid(kafka: true, redis: true);

        using var loggers = LoggerFactory.Create(b => b
            .AddSimpleConsole(c =>
            {
                c.SingleLine = true;
                c.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                c.UseUtcTimestamp = true;
            })
            .SetMinimumLevel(LogLevel.Information));
        var logger = loggers.CreateLogger("AgentSentinel");

        await using var host = await SentinelHost.StartAsync(settings, [], loggers, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        await using var endpoint = await MetricsEndpoint.StartAsync(settings.Metrics, () => host.IsLive, () => host.IsReady, loggers, cancellationToken,
            app => AdminApi.Map(app, host.Pipeline.Admin, settings.Admin)).ConfigureAwait(false);
        Log.Started(logger, "run", endpoint.Url + "metrics");
        if (settings.Admin.Enabled && !settings.Metrics.UsesTls && !settings.Metrics.IsLoopbackOnly)
        {
            Log.AdminWithoutTls(logger, endpoint.Url.ToString());
        }

        var exitCode = SentinelCli.Ok;
        try
        {
            await host.Receiver.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // SIGTERM / Ctrl+C: orderly shutdown below.
        }
        catch (Exception e)
        {
            Log.ReceiverFailed(logger, e);
            exitCode = SentinelCli.Failed;
        }

        Log.Stopping(logger);
        await host.StopAsync(settings.Kafka.ShutdownTimeout + TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        return exitCode;
    }
}
