using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using AgentSentinel.Cli.Admin;
using AgentSentinel.Cli.CommandLine;
using AgentSentinel.Cli.Demo;
using AgentSentinel.Cli.Hosting;
using AgentSentinel.Cli.Reports;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Kafka;
using AgentSentinel.Kafka.Mock;
using AgentSentinel.Kafka.Producer;
using AgentSentinel.Redis;
using AgentSentinel.Client;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace AgentSentinel.Cli.Commands;

/// <summary>
/// <c>agentsentinel demo</c>: the whole loop on one machine with no running services. librdkafka's mock cluster and a
/// private redis-server on free loopback ports; the production composition (<see cref="SentinelHost"/>) consuming the
/// topic; a fleet of simulated agents that write OTLP records and poll their flags; faults injected after warm-up.
/// </summary>
internal static class DemoCommand
{
    private const string Topic = KafkaReceiverOptions.DefaultTopic;

    public static async Task<int> ExecuteAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var options = CommandArguments.Parse(args, ["agents", "duration", "seed", "report", "config"], []);
        var agentCount = options.GetInt("agents", 20, 1, 500);
        var duration = options.GetDuration("duration", TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(45), TimeSpan.FromHours(24));
        var seed = options.GetInt("seed", 7, 0, int.MaxValue);
        var reportPath = options.Get("report");
        var settings = SentinelSettings.Load(options.Get("config"));

        var time = TimeProvider.System;
        using var loggers = LoggerFactory.Create(b => b
            .AddSimpleConsole(c => c.SingleLine = true)
            .SetMinimumLevel(LogLevel.Warning));

        output.WriteLine($"AgentSentinel demo: {agentCount} agents for {duration.TotalSeconds:0}s (seed {seed})");
        using var cluster = new MockCluster(brokerCount: 3);
        cluster.CreateTopic(Topic, partitions: 6);
        cluster.CreateTopic(Topic + KafkaReceiverOptions.DeadLetterSuffix, partitions: 1);
        await using var redis = await RedisServerProcess.StartAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        output.WriteLine($"  kafka  mock cluster at {cluster.BootstrapServers}, topic {Topic} (6 partitions)");
        output.WriteLine($"  redis  private redis-server at {redis.ConnectionString}");

        var policyFile = settings.Remediation.PolicyFile is { Length: > 0 } ? null : WriteDemoPolicies();
        settings.Kafka.BootstrapServers = cluster.BootstrapServers;
        settings.Kafka.GroupId = "agentsentinel-demo";
        // The mock holds an empty fetch for the whole wait instead of answering when data arrives (kafka-in-tests.md).
        settings.Kafka.Consumer.TryAdd("fetch.wait.max.ms", "10");
        settings.Redis.ConnectionString = redis.ConnectionString;
        settings.Remediation.PolicyFile = policyFile ?? settings.Remediation.PolicyFile;
        settings.Remediation.RenewInterval = TimeSpan.FromSeconds(1);
        settings.Pipeline.IdleWatermarkAdvance ??= TimeSpan.FromSeconds(1);
        settings.Metrics.Port = 0;
        settings.Metrics.Host = "127.0.0.1";

        var start = time.GetTimestamp();
        var fleet = BuildFleet(agentCount, duration, seed);
        var console = new DemoConsole(output, time, start);
        var scorer = new DemoScorer(fleet, time, start);
        var recorder = new PipelineRecorder();
        output.WriteLine($"  fleet  {string.Join(", ", AgentArchetype.All.Select(a => $"{fleet.Count(f => f.Archetype == a)} {a.Name}"))}");
        output.WriteLine($"  faults {string.Join(", ", fleet.Where(a => a.Fault != FaultKind.None).Select(a => $"{a.Fault.Describe()} on {a.Name} from {a.FaultStartSeconds:0}s to {a.FaultEndSeconds:0}s"))}");
        output.WriteLine($"  policy {settings.Remediation.PolicyFile}{(policyFile is null ? string.Empty : " (the demo's: fallback 'safe-model', probe after 6s at 50%, backoff ×2)")}");
        output.WriteLine();

        await using var host = await SentinelHost.StartAsync(settings, [console, scorer, recorder], loggers, time, cancellationToken).ConfigureAwait(false);
        await using var endpoint = await MetricsEndpoint.StartAsync(settings.Metrics, () => host.IsLive, () => host.IsReady, loggers, cancellationToken,
            app => AdminApi.Map(app, host.Pipeline.Admin, settings.Admin)).ConfigureAwait(false);
        console.Line("start", $"pipeline consuming; metrics on {endpoint.Url}metrics");

        // The agents' side: their own Redis connection and one poller each, exactly as a client library would.
        using var agentRedis = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString).ConfigureAwait(false);
        var pollers = fleet.ToDictionary(
            a => a.Name,
            a => new FlagPoller(agentRedis, a.Name, new FlagPollerOptions { PollInterval = TimeSpan.FromSeconds(1) }, time),
            StringComparer.Ordinal);
        foreach (var poller in pollers.Values)
        {
            await poller.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        using var producer = new KafkaRecordProducer(cluster.BootstrapServers);
        var driver = new DemoFleet(
            fleet,
            (_, value, ct) =>
            {
                producer.Produce(Topic, null, value);
                return Task.CompletedTask;
            },
            new PollerRoutes(pollers),
            time,
            seed);
        driver.RouteChanged += console.AgentRoute;

        using var status = new CancellationTokenSource();
        var statusLoop = StatusLoopAsync(console, host, recorder, driver, status.Token);
        try
        {
            await driver.RunAsync(duration, start, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await status.CancelAsync().ConfigureAwait(false);
            await statusLoop.ConfigureAwait(false);
            producer.Flush(TimeSpan.FromSeconds(10));
            foreach (var poller in pollers.Values)
            {
                await poller.DisposeAsync().ConfigureAwait(false);
            }
        }

        console.Line("stop", "fleet stopped; draining the pipeline");
        await host.StopAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);

        var summary = scorer.Summarize(driver.RecordsWritten, driver.SpansWritten);
        PrintSummary(output, summary, host.Receiver.Statistics.DeadLettered);
        if (reportPath is not null)
        {
            await WriteReportAsync(reportPath, summary).ConfigureAwait(false);
            output.WriteLine($"report written to {reportPath}");
        }

        if (policyFile is not null)
        {
            File.Delete(policyFile);
        }

        return SentinelCli.Ok;
    }

    /// <summary>Writes the demo's embedded policies (short timings) to a temporary file and returns its path.</summary>
    private static string WriteDemoPolicies()
    {
        var path = Path.Combine(Path.GetTempPath(), $"agentsentinel-demo-policies-{Environment.ProcessId}.yaml");
        using var resource = typeof(DemoCommand).Assembly.GetManifestResourceStream("AgentSentinel.Cli.Demo.demo-policies.yaml")
            ?? throw new InvalidOperationException("The demo's policies are not embedded.");
        using var file = File.Create(path);
        resource.CopyTo(file);
        return path;
    }

    /// <summary>The agents' flag clients: one poller each, exactly as the client library is used in an agent.</summary>
    private sealed class PollerRoutes(IReadOnlyDictionary<string, FlagPoller> pollers) : IRouteSource
    {
        public (FlagRoute Route, string Fallback) Current(string agent)
        {
            var poller = pollers[agent];
            return (poller.CurrentRoute(), poller.LastKnown?.Fallback ?? string.Empty);
        }

        public RouteDecision Decide(string agent, double sample) => pollers[agent].Decide(sample);
    }

    /// <summary>
    /// The fleet: archetypes in turn, conventions in turn, and faults on about 15% of the agents (at least one), chosen
    /// by the seed, starting after warm-up and staggered so that each one's detection and recovery can be seen.
    /// </summary>
    internal static IReadOnlyList<SimulatedAgent> BuildFleet(int count, TimeSpan duration, int seed)
    {
        var conventions = Enum.GetValues<SpanConvention>();
        var agents = new List<SimulatedAgent>(count);
        for (var i = 0; i < count; i++)
        {
            var archetype = AgentArchetype.All[i % AgentArchetype.All.Count];
            var name = string.Create(CultureInfo.InvariantCulture, $"{archetype.Name}-{(i / AgentArchetype.All.Count) + 1:00}");
            agents.Add(new SimulatedAgent(name, archetype, conventions[(i / AgentArchetype.All.Count) % conventions.Length], seed * 7919 + i));
        }

        var rng = new Random(seed);
        var faulted = agents.OrderBy(_ => rng.Next()).Take(Math.Max(1, (int)Math.Round(count * 0.15))).ToList();
        // The slowest archetype needs ~20 s for its 30-trace warm-up: a fault that began earlier would be learnt as normal.
        var first = Math.Max(duration.TotalSeconds * 0.35, 25);
        var stagger = duration.TotalSeconds * 0.05;
        // Each fault lasts long enough for the first probe to see it (and fail: a re-trip with backoff) and ends in time
        // for a later probe to pass.
        var length = Math.Max(duration.TotalSeconds * 0.15, 15);
        for (var i = 0; i < faulted.Count; i++)
        {
            var kind = i % 2 == 0 ? FaultKind.TokenBlowUp : FaultKind.LatencyRegression;
            var at = first + (stagger * (i % 4));
            faulted[i].InjectFault(kind, at, at + length);
        }

        return agents;
    }

    private static async Task StatusLoopAsync(DemoConsole console, SentinelHost host, PipelineRecorder recorder, DemoFleet fleet, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(10));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var stats = host.Receiver.Statistics;
                var onFallback = fleet.Agents.Count(a => a.Route != FlagRoute.Primary);
                console.Line("status", string.Create(CultureInfo.InvariantCulture,
                    $"records {stats.RecordsConsumed}, spans {stats.SpansDecoded}, traces {recorder.TraceCount}, anomalies {recorder.Anomalies().Count}, agents on fallback {onFallback}, lag {stats.ConsumerLag}"));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static void PrintSummary(TextWriter output, DemoSummary summary, long deadLettered)
    {
        output.WriteLine();
        output.WriteLine("summary");
        output.WriteLine($"  records {summary.Records}, spans {summary.Spans}, agents {summary.Agents}, dead-lettered {deadLettered}");
        foreach (var fault in summary.Faults)
        {
            var detected = fault.Detected
                ? string.Create(CultureInfo.InvariantCulture, $"detected after {fault.SecondsToAnomaly:0.0}s, flagged after {fault.SecondsToFlag?.ToString("0.0", CultureInfo.InvariantCulture) ?? "-"}s, {fault.Probes} probes ({fault.FailedProbes} failed), recovered {(fault.SecondsToRecovery is { } r ? r.ToString("0.0", CultureInfo.InvariantCulture) + "s after the incident opened" : "-")}")
                : "MISSED";
            output.WriteLine($"  {fault.Fault,-19} on {fault.Agent,-20} at {fault.StartedAtSeconds,5:0.0}s: {detected}");
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  faults injected {summary.FaultsInjected}, detected {summary.FaultsDetected}, false flags {summary.FalseFlags}, false anomalies {summary.FalseAnomalies}, median seconds to flag {summary.MedianSecondsToFlag?.ToString("0.0", CultureInfo.InvariantCulture) ?? "-"}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  incidents opened {summary.IncidentsOpened}, recovered {summary.IncidentsRecovered}, probes {summary.ProbesStarted} ({summary.ProbesFailed} failed), median seconds to recovery {summary.MedianSecondsToRecovery?.ToString("0.0", CultureInfo.InvariantCulture) ?? "-"}"));
    }

    private static async Task WriteReportAsync(string path, DemoSummary summary)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        await using var file = File.Create(path);
        await using var json = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteNumber("faults_injected", summary.FaultsInjected);
        json.WriteNumber("faults_detected", summary.FaultsDetected);
        json.WriteNumber("false_flags", summary.FalseFlags);
        WriteNullable(json, "median_seconds_to_flag", summary.MedianSecondsToFlag);
        json.WriteNumber("incidents_opened", summary.IncidentsOpened);
        json.WriteNumber("incidents_recovered", summary.IncidentsRecovered);
        WriteNullable(json, "median_seconds_to_recovery", summary.MedianSecondsToRecovery);
        json.WriteNumber("probes_started", summary.ProbesStarted);
        json.WriteNumber("probes_failed", summary.ProbesFailed);

        json.WriteNumber("false_anomalies", summary.FalseAnomalies);
        json.WriteNumber("flag_flips", summary.FlagFlips);
        json.WriteNumber("agents", summary.Agents);
        json.WriteNumber("records", summary.Records);
        json.WriteNumber("spans", summary.Spans);
        json.WriteStartArray("faults");
        foreach (var fault in summary.Faults)
        {
            json.WriteStartObject();
            json.WriteString("agent", fault.Agent);
            json.WriteString("fault", fault.Fault);
            json.WriteNumber("started_at_seconds", fault.StartedAtSeconds);
            WriteNullable(json, "ended_at_seconds", fault.EndedAtSeconds);
            json.WriteBoolean("detected", fault.Detected);
            WriteNullable(json, "seconds_to_anomaly", fault.SecondsToAnomaly);
            WriteNullable(json, "seconds_to_flag", fault.SecondsToFlag);
            json.WriteNumber("probes", fault.Probes);
            json.WriteNumber("failed_probes", fault.FailedProbes);
            WriteNullable(json, "seconds_to_recovery", fault.SecondsToRecovery);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
