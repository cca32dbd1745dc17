using AgentSentinel.Actors.Agents;
using AgentSentinel.Actors.Assembly;
using AgentSentinel.Actors.Hosting;
using AgentSentinel.Actors.Remediation;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Detection;
using AgentSentinel.Detection.Detectors;
using AgentSentinel.Remediation.Admin;
using AgentSentinel.Remediation.Policies;
using Akka.Actor;
using Akka.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentSentinel.Actors;

/// <summary>Everything a <see cref="SentinelPipeline"/> is built from. Only the options are required (and have defaults).</summary>
public sealed class SentinelPipelineSettings
{
    public PipelineOptions Pipeline { get; init; } = new();

    public DetectionOptions Detection { get; init; } = new();

    public RemediationOptions Remediation { get; init; } = new();

    /// <summary>Where fallback flags are written; null (replay) decides and reports without writing.</summary>
    public IFlagStore? FlagStore { get; init; }

    /// <summary>
    /// The policies (reloadable). Null: the pipeline loads <see cref="RemediationOptions.PolicyFile"/> (or the default policy)
    /// itself, watches it, and disposes the provider when it stops.
    /// </summary>
    public PolicyProvider? Policies { get; init; }

    /// <summary>Told about every completed trace, baseline, anomaly and remediation action (from actor threads).</summary>
    public IReadOnlyList<SentinelObserver> Observers { get; init; } = [];

    /// <summary>Wall clock for flag timestamps (updated_at, expires_at, version) and the future-skew guard.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Receives the pipeline's lifecycle log and Akka's own log.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>The detectors each new agent gets; <see cref="DetectorSet.CreateDefault"/> when null.</summary>
    public Func<DetectionOptions, IReadOnlyList<IAgentDetector>>? DetectorFactory { get; init; }

    /// <summary>
    /// Decide in a canonical order (replay): remediation holds what the agents report until the next
    /// <see cref="SentinelPipeline.DrainAsync"/> or flush and then decides it sorted by event time, agent and kind, so a
    /// replay that drains after every record makes the same decisions whatever the thread timing, including those that
    /// depend on other agents (blast radius). Nothing is decided between drains: live sources leave it off.
    /// </summary>
    public bool CanonicalDecisionOrder { get; init; }

    /// <summary>The actor system's name.</summary>
    public string SystemName { get; init; } = "agentsentinel";

    /// <summary>Every validation problem of the three option sections, each naming its key.</summary>
    public IReadOnlyList<string> Validate() =>
        [.. Detection.Validate(), .. Remediation.Validate(), .. Pipeline.Validate()];
}

/// <summary>
/// The detection pipeline: an actor system with trace assembly (<c>/user/traces</c>), one actor per agent
/// (<c>/user/agents</c>) and remediation (<c>/user/remediation</c>). Sources feed <see cref="Sink"/>.
/// </summary>
/// <example>
/// <code>
/// await using var pipeline = SentinelPipeline.Start(new SentinelPipelineSettings { FlagStore = store, Observers = [recorder] });
/// await pipeline.Sink.AcceptAsync(record, ct);   // per record, from the Kafka loop or a replay
/// await pipeline.Sink.FlushAsync(ct);            // end of replay / orderly shutdown: judge every open trace
/// store.ConnectionRestored += (_, _) => pipeline.NotifyStoreReconnected();
/// await pipeline.StopAsync();
/// </code>
/// </example>
public sealed class SentinelPipeline : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly IActorRef _remediation;
    private readonly Lock _gate = new();
    private readonly TimeSpan _flushTimeout;
    private readonly PolicyProvider? _ownedPolicies;
    private readonly PolicyProvider _policies;
    private readonly Action<PolicySet> _onPoliciesChanged;
    private Task? _stopping;

    private SentinelPipeline(ActorSystem system, IActorRef assembly, IActorRef agents, IActorRef remediation, PipelineOptions options, PolicyProvider policies, bool ownsPolicies, ILogger logger)
    {
        _policies = policies;
        _ownedPolicies = ownsPolicies ? policies : null;
        _onPoliciesChanged = set => remediation.Tell(new RemediationProtocol.PoliciesChanged(set));
        policies.Changed += _onPoliciesChanged;
        Admin = new ActorRemediationAdmin(remediation, options.FlushTimeout);
        System = system;
        Assembly = assembly;
        Agents = agents;
        _remediation = remediation;
        _logger = logger;
        _flushTimeout = options.FlushTimeout;
        Sink = new ActorSpanSink(assembly, options, () => Volatile.Read(ref _stopping) is not null);
    }

    /// <summary>Where sources hand records: see <see cref="ISpanSink"/>.</summary>
    public ISpanSink Sink { get; }

    /// <summary>Manual operations (list, pin, unpin, acknowledge, clear, kill switch) for the CLI and the admin API.</summary>
    public IRemediationAdmin Admin { get; }

    /// <summary>The policies in force (reloadable).</summary>
    public PolicyProvider Policies => _policies;

    internal ActorSystem System { get; }

    internal IActorRef Assembly { get; }

    internal IActorRef Agents { get; }

    internal IActorRef Remediation => _remediation;

    /// <summary>Validates the options (throwing <see cref="ArgumentException"/> that lists every problem by key) and starts the actors.</summary>
    public static SentinelPipeline Start(SentinelPipelineSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var errors = settings.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid pipeline settings:\n  " + string.Join("\n  ", errors), nameof(settings));
        }

        var loggers = settings.LoggerFactory;
        var logger = loggers.CreateLogger<SentinelPipeline>();
        var setup = BootstrapSetup.Create().WithConfig(Hocon()).And(new LoggerFactorySetup(loggers));
        var ownsPolicies = settings.Policies is null;
        var policies = settings.Policies ?? new PolicyProvider(
            string.IsNullOrEmpty(settings.Remediation.PolicyFile) ? null : settings.Remediation.PolicyFile, loggers.CreateLogger<PolicyProvider>());
        var system = ActorSystem.Create(settings.SystemName, setup);
        try
        {
            var observers = new ObserverFanout(settings.Observers, loggers.CreateLogger<ObserverFanout>());
            var remediation = system.ActorOf(
                RemediationActor.Props(
                    settings.Remediation, policies.Current, settings.FlagStore, observers, settings.TimeProvider, loggers.CreateLogger<RemediationActor>(), settings.CanonicalDecisionOrder),
                "remediation");
            var detectorFactory = settings.DetectorFactory ?? DetectorSet.CreateDefault;
            var agentSettings = new AgentActorSettings(settings.Detection, detectorFactory, remediation, observers, settings.Pipeline.AgentPassivation)
            {
                SilenceWatch = settings.Pipeline.AgentSilenceWatch,
            };
            var agents = system.ActorOf(AgentRouter.Props(agentSettings, loggers.CreateLogger<AgentRouter>()), "agents");
            remediation.Tell(new RemediationProtocol.AgentsAttached(agents));
            var assembly = system.ActorOf(TraceAssemblyActor.Props(settings.Pipeline, agents, remediation, settings.TimeProvider, loggers), "traces");
            var mode = !settings.Remediation.Enabled ? "disabled" : settings.FlagStore is null ? "report-only (no store)" : settings.Remediation.DryRun ? "dry run" : "writing flags";
            Log.PipelineStarted(logger, system.Name, settings.Pipeline.AssemblerShards, mode);
            return new SentinelPipeline(system, assembly, agents, remediation, settings.Pipeline, policies, ownsPolicies, logger);
        }
        catch
        {
            system.Terminate().Wait(TimeSpan.FromSeconds(5));
            if (ownsPolicies)
            {
                policies.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// Waits until every trace closed so far has been judged and every resulting decision made and reported, without
    /// closing open traces (unlike <see cref="ISpanSink.FlushAsync"/>). For consoles and tests that want a consistent view.
    /// </summary>
    public Task DrainAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _stopping) is not null, this);
        return Assembly.Ask<RemediationProtocol.BarrierPassed>(TraceAssemblyProtocol.Drain.Instance, _flushTimeout, cancellationToken);
    }

    /// <summary>
    /// Tells remediation that the flag store is reachable again: it re-writes the decisions it believes are in force.
    /// Call it from the store's reconnect notification.
    /// </summary>
    public void NotifyStoreReconnected() => _remediation.Tell(RemediationProtocol.StoreReconnected.Instance);

    /// <summary>
    /// Stops the actors (coordinated shutdown). Open traces are dropped: call <see cref="ISpanSink.FlushAsync"/> first to
    /// judge them. Idempotent: every call returns the same task.
    /// </summary>
    public Task StopAsync()
    {
        lock (_gate)
        {
            return _stopping ??= StopCoreAsync();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task StopCoreAsync()
    {
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ActorSystemTerminateReason.Instance).ConfigureAwait(false);
        await System.WhenTerminated.ConfigureAwait(false);
        _policies.Changed -= _onPoliciesChanged;
        _ownedPolicies?.Dispose();
        Log.PipelineStopped(_logger, System.Name);
    }

    private static Config Hocon() => ConfigurationFactory.ParseString(
        """
        akka {
          loglevel = INFO
          stdout-loglevel = OFF
          loggers = ["AgentSentinel.Actors.Hosting.AkkaLoggerBridge, AgentSentinel.Actors"]
          log-config-on-start = off
          log-dead-letters = 10
          log-dead-letters-during-shutdown = off
          actor.debug.unhandled = off
          coordinated-shutdown {
            run-by-clr-shutdown-hook = off
            exit-clr = off
            terminate-actor-system = on
          }
        }
        """);
}
