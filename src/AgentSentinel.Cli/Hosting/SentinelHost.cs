using AgentSentinel.Actors;
using AgentSentinel.Alerting;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Kafka;
using AgentSentinel.Kafka.Consumer;
using AgentSentinel.Otlp;
using AgentSentinel.Redis.Flags;
using Microsoft.Extensions.Logging;

namespace AgentSentinel.Cli.Hosting;

/// <summary>
/// The production composition: Redis flag store (and Alertmanager notifier) → actor pipeline → Kafka receiver, started in that order and stopped in
/// reverse (stop consuming and commit, judge the open traces, stop the actors, close Redis). Used by <c>run</c>, by the
/// embedded demo and by the end-to-end tests, so all three exercise the same wiring.
/// </summary>
internal sealed class SentinelHost : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private Task? _stopping;

    private readonly AlertmanagerNotifier? _notifier;

    private SentinelHost(RedisFlagStore store, SentinelPipeline pipeline, KafkaSpanReceiver receiver, AlertmanagerNotifier? notifier, ILogger logger)
    {
        _notifier = notifier;
        FlagStore = store;
        Pipeline = pipeline;
        Receiver = receiver;
        _logger = logger;
    }

    public RedisFlagStore FlagStore { get; }

    public SentinelPipeline Pipeline { get; }

    public KafkaSpanReceiver Receiver { get; }

    /// <summary>Live: the receive loop has not died of a fatal error.</summary>
    public bool IsLive => !Receiver.Completion.IsFaulted;

    /// <summary>Ready: live, consuming, and Redis reachable.</summary>
    public bool IsReady => IsLive && Receiver.State == KafkaReceiverState.Running && FlagStore.IsConnected;

    /// <summary>Validates <paramref name="settings"/> (throwing <see cref="ConfigurationException"/>) and starts every component.</summary>
    public static async Task<SentinelHost> StartAsync(
        SentinelSettings settings,
        IReadOnlyList<SentinelObserver> observers,
        ILoggerFactory loggers,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        settings.ThrowIfInvalid(kafka: true, redis: true);
        var logger = loggers.CreateLogger<SentinelHost>();
        var store = await RedisFlagStore.ConnectAsync(settings.Redis, loggers.CreateLogger<RedisFlagStore>()).ConfigureAwait(false);
        var notifier = settings.Alertmanager.Enabled
            ? new AlertmanagerNotifier(settings.Alertmanager, loggers.CreateLogger<AlertmanagerNotifier>(), time)
            : null;
        if (notifier is not null)
        {
            observers = [.. observers, new IncidentAlertObserver(notifier)];
        }

        SentinelPipeline? pipeline = null;
        try
        {
            pipeline = SentinelPipeline.Start(new SentinelPipelineSettings
            {
                Pipeline = settings.Pipeline,
                Detection = settings.Detection,
                Remediation = settings.Remediation,
                FlagStore = store,
                Observers = observers,
                TimeProvider = time,
                LoggerFactory = loggers,
            });
            var started = pipeline;
            store.ConnectionRestored += (_, _) => started.NotifyStoreReconnected();

            var otlp = settings.Otlp;
            var receiver = new KafkaSpanReceiver(
                settings.Kafka,
                encoding => OtlpDecoders.Create(encoding, otlp),
                pipeline.Sink,
                loggers.CreateLogger<KafkaSpanReceiver>());
            await receiver.StartAsync(cancellationToken).ConfigureAwait(false);
            return new SentinelHost(store, pipeline, receiver, notifier, logger);
        }
        catch
        {
            if (pipeline is not null)
            {
                await pipeline.StopAsync().ConfigureAwait(false);
            }

            await store.DisposeAsync().ConfigureAwait(false);
            if (notifier is not null)
            {
                await notifier.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>Orderly shutdown within <paramref name="timeout"/>. Idempotent.</summary>
    public Task StopAsync(TimeSpan timeout)
    {
        lock (_gate)
        {
            return _stopping ??= StopCoreAsync(timeout);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);

    private async Task StopCoreAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            // 1. Stop consuming: drain in-flight records, store and commit their offsets, leave the group.
            await Receiver.StopAsync(deadline.Token).ConfigureAwait(false);

            // 2. Judge the traces still open, so that an orderly restart loses no detection.
            await Pipeline.Sink.FlushAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            Log.ShutdownIncomplete(_logger, timeout);
        }
        finally
        {
            await Pipeline.StopAsync().ConfigureAwait(false);
            await FlagStore.DisposeAsync().ConfigureAwait(false);
            if (_notifier is not null)
            {
                // Alerts of incidents still open stay firing in Alertmanager until their endsAt lapses.
                await _notifier.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
