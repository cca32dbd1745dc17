using System.Collections.Concurrent;
using AgentSentinel.Cli.Demo;
using AgentSentinel.Cli.Hosting;
using AgentSentinel.Cli.Tests.Support;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Remediation.Admin;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace AgentSentinel.Cli.Tests.Lifecycle;

/// <summary>
/// The incident lifecycle end to end: librdkafka's mock cluster in, the production composition, a real redis-server, and
/// simulated agents that read their flags with the real client and obey them. Event time runs about ten times faster than
/// the wall clock; every lifecycle decision is taken in event time, so its timing is asserted exactly.
/// </summary>
public sealed class LifecycleEndToEndTests(InfrastructureFixture infrastructure) : IClassFixture<InfrastructureFixture>
{
    private const long Second = 1_000_000_000L;

    private const string Policies = """
        version: 1
        defaults:
          fallback: safe-model
          trigger: { anomalous_traces: 1, window: 1m }
          flag_ttl: 2m
          probe: { after: 6s, ratio: 0.5, min_traces: 5, max_duration: 30s, backoff: { multiplier: 2, max: 1m } }
          recovery: { alpha: 0.1, beta: 0.1, fault_rate_multiplier: 6, min_rate_increase: 0.1 }
        safety: { max_fallback_share: 0.5, min_agents_always_allowed: 1, max_flips_per_agent_per_hour: 20 }
        policies:
          - name: alert-only-signals
            match: { kinds: [silence, model_change, retrieval_degradation, tool_error_surge, token_drift, latency_drift, cost_drift, multivariate_outlier] }
            action: alert_only
          - name: everything-else
            match: {}
        """;

    [Fact]
    public async Task A_fault_is_routed_to_fallback_probed_retripped_with_backoff_and_recovered_once_it_ends()
    {
        await using var run = await Run.StartAsync(infrastructure, Policies);
        var sick = run.Fleet(3, faulty: 1, faultFrom: 25, faultTo: 40)[0];

        await run.Driver.RunAsync(90, () => run.Updates(sick.Name).Any(u => u.Change == IncidentChange.Recovered));

        var steps = run.Updates(sick.Name);
        Assert.Equal(["opened", "probe_started", "probe_failed", "probe_started", "recovered"], steps.Select(u => u.Cause));
        Assert.Single(steps.Select(u => u.Incident).Distinct());
        // Event-time schedule: 6 s in fallback before the first probe, 6 s × 2 after the failed one.
        Assert.Equal(6 * Second, steps[1].AtUnixNano - steps[0].AtUnixNano);
        Assert.Equal(12 * Second, steps[3].AtUnixNano - steps[2].AtUnixNano);
        Assert.True(run.FaultEnd(sick) <= steps[4].AtUnixNano, "recovery is declared only after the fault ended");
        Assert.InRange(steps[2].AtUnixNano, steps[1].AtUnixNano, run.FaultEnd(sick)); // the probe saw the fault

        // The agent obeyed: it served requests from the fallback, and is back on primary now.
        Assert.True(sick.FallbackRequests > 0);
        await Eventually.TrueAsync(() => run.Driver.RouteOf(sick.Name) == FlagRoute.Primary, "the agent back on primary");

        // Every transition is in the audit stream, applied once, with its reason and policy.
        var audit = await run.AuditAsync(sick.Name);
        Assert.Equal(
            ["opened", "probe_started", "probe_failed", "probe_started", "recovered"],
            audit.Where(e => e["outcome"] == "applied" && e["transition"] != "renewed").Select(e => e["transition"]));
        Assert.All(audit, e => Assert.StartsWith("everything-else@", e["policy"], StringComparison.Ordinal));
        Assert.False(await run.Db.HashExistsAsync(run.Prefix + "remediation", sick.Name), "the recovered agent's state is forgotten");

        // Nobody else was touched.
        Assert.All(run.Driver.Agents.Where(a => a != sick), a => Assert.Equal(0, a.FallbackRequests));
    }

    [Fact]
    public async Task Dry_run_decides_and_audits_the_lifecycle_but_writes_no_flag()
    {
        await using var run = await Run.StartAsync(infrastructure, Policies, dryRun: true);
        var sick = run.Fleet(3, faulty: 1, faultFrom: 25, faultTo: 40)[0];

        await run.Driver.RunAsync(60, () => run.Updates(sick.Name).Any(u => u.Cause == "probe_started"));

        var steps = run.Updates(sick.Name);
        Assert.Equal(["opened", "probe_started"], steps.Select(u => u.Cause).Take(2));
        Assert.All(steps, u => Assert.True(u.DryRun));
        await run.Host.Pipeline.DrainAsync();
        Assert.Empty(await run.KeysAsync("flag:*")); // the server is shared with other tests: only this run's prefix
        Assert.Empty(await run.KeysAsync("version"));
        Assert.False(await run.Db.KeyExistsAsync(run.Prefix + "remediation"));
        var audit = await run.AuditAsync(sick.Name);
        Assert.NotEmpty(audit);
        Assert.All(audit, e => Assert.Equal("dry_run", e["outcome"]));
        Assert.Equal(0, sick.FallbackRequests);
    }

    [Fact]
    public async Task A_restart_in_the_middle_of_an_incident_resumes_it_from_redis_and_carries_it_to_recovery()
    {
        var slowProbe = Policies.Replace("after: 6s", "after: 15s", StringComparison.Ordinal);
        await using var run = await Run.StartAsync(infrastructure, slowProbe);
        var sick = run.Fleet(3, faulty: 1, faultFrom: 25, faultTo: 45)[0];
        await run.Driver.RunAsync(60, () => run.Updates(sick.Name).Any(u => u.Cause == "opened"));
        var opened = run.Updates(sick.Name).Single();
        await run.Host.Pipeline.DrainAsync(); // the step's settle is bounded: on a loaded machine the write may still be in flight
        var before = await run.FlagAsync(sick.Name);

        await run.RestartHostAsync();
        var after = await Eventually.ValueAsync(async () => (await run.AuditAsync(sick.Name)).FirstOrDefault(e => e["transition"] == "reasserted"), "the re-asserted flag");
        Assert.Equal(opened.Incident, after["incident"]);
        Assert.True(long.Parse(after["version"]) > long.Parse(before["version"]));
        Assert.Equal("restored", run.Updates(sick.Name).Last().Cause);

        await run.Driver.RunAsync(150, () => run.Updates(sick.Name).Any(u => u.Change == IncidentChange.Recovered));

        var resumed = run.Updates(sick.Name).SkipWhile(u => u.Cause != "restored").ToList();
        Assert.Contains(resumed, u => u.Cause == "probe_started");
        Assert.Equal(IncidentChange.Recovered, resumed[^1].Change);
        Assert.All(resumed, u => Assert.Equal(opened.Incident, u.Incident));
        // The schedule survived the restart: the first probe came 15 s (event time) after the incident opened.
        Assert.Equal(opened.AtUnixNano + (15 * Second), resumed.First(u => u.Cause == "probe_started").AtUnixNano);
    }

    [Fact]
    public async Task A_decision_taken_while_redis_is_down_lands_once_redis_is_back_exactly_once()
    {
        var noProbe = Policies.Replace("after: 6s", "after: 10m", StringComparison.Ordinal).Replace("max: 1m", "max: 20m", StringComparison.Ordinal);
        await using var run = await Run.StartAsync(infrastructure, noProbe, configure: s =>
        {
            s.Remediation.WriteTimeout = TimeSpan.FromMilliseconds(300);
            s.Remediation.RetryInitialDelay = TimeSpan.FromMilliseconds(100);
            s.Remediation.RetryMaxDelay = TimeSpan.FromMilliseconds(400);
        });
        var sick = run.Fleet(3, faulty: 1, faultFrom: 25, faultTo: 200)[0];
        await run.Driver.RunAsync(22);

        run.Driver.StoreHeld = true;
        await infrastructure.Redis.SuspendAsync();
        try
        {
            await run.Driver.RunAsync(60, () => run.Updates(sick.Name).Any(u => u.Cause == "opened"));
            Assert.NotEmpty(run.Updates(sick.Name));
            await Task.Delay(1500); // several write attempts fail while Redis does not answer
        }
        finally
        {
            await infrastructure.Redis.ResumeAsync();
            run.Driver.StoreHeld = false;
        }

        var flag = await Eventually.ValueAsync(async () => (await run.FlagAsync(sick.Name)) is { Count: > 0 } f ? f : null, "the flag after Redis came back");
        Assert.Equal("fallback", flag["route"]);
        Assert.Equal(run.Updates(sick.Name)[0].Incident, flag["incident"]);
        await run.Host.Pipeline.DrainAsync();
        var audit = await run.AuditAsync(sick.Name);
        Assert.Single(audit, e => e["transition"] == "opened" && e["outcome"] == "applied");
        await Eventually.TrueAsync(() => run.Driver.RouteOf(sick.Name) == FlagRoute.Fallback, "the agent on its fallback");
    }

    [Fact]
    public async Task Safety_limits_hold_the_blast_radius_and_the_flip_rate_and_the_kill_switch_returns_everyone_to_primary()
    {
        var tight = Policies
            .Replace("max_fallback_share: 0.5", "max_fallback_share: 0.25", StringComparison.Ordinal)
            .Replace("max_flips_per_agent_per_hour: 20", "max_flips_per_agent_per_hour: 3", StringComparison.Ordinal);
        await using var run = await Run.StartAsync(infrastructure, tight);
        var fleet = run.Fleet(4, faulty: 2, faultFrom: 25, faultTo: 300);
        var (first, second) = (fleet[0], fleet[1]);

        // One agent in four may leave primary; the other faulty one is held (alerted and audited, no flag). The first one
        // opens (flip 1), probes (2) and fails back to fallback (3): its next probe is held by the flip cap.
        await run.Driver.RunAsync(80, () => run.Updates().Any(u => u.Limit == "blast_radius") && run.Updates().Any(u => u.Cause == "probe_failed"));
        await run.Driver.RunAsync(run.Driver.Elapsed + 15);
        await run.Host.Pipeline.DrainAsync();
        var opened = run.Updates().First(u => u.Cause == "opened" && u.Phase == "fallback");
        var held = run.Updates().First(u => u.Limit == "blast_radius");
        Assert.NotEqual(opened.Agent, held.Agent);
        Assert.Equal("suppressed", held.Phase);
        Assert.Empty(await run.FlagAsync(held.Agent));
        Assert.Contains(await run.AuditAsync(held.Agent), e => e["outcome"] == "suppressed" && e["transition"] == "suppressed:blast_radius");
        Assert.Contains(await run.AuditAsync(opened.Agent), e => e["outcome"] == "suppressed" && e["transition"] == "suppressed:flip_rate");
        Assert.Equal(1, run.Updates(opened.Agent).Count(u => u.Cause == "probe_started"));
        Assert.Equal("fallback", (await run.FlagAsync(opened.Agent))["route"]);

        // The kill switch, through the admin interface: automated flags back to primary, new ones held.
        var result = await run.Host.Pipeline.Admin.SetKillSwitchAsync(true, new OperatorNote("ops", "drill"), CancellationToken.None);
        Assert.Equal(AdminStatus.Done, result.Status);
        await Eventually.ValueAsync(async () => (await run.FlagAsync(opened.Agent)) is { } f && f["route"] == "primary" ? f : null, "the kill switch's primary flag");
        Assert.Equal("kill_switch", (await run.AuditAsync(opened.Agent)).Last(e => e["outcome"] == "applied")["transition"]);
        Assert.Equal("1", (await run.Db.HashGetAsync(run.Prefix + "kill_switch", "engaged")).ToString());
        await Eventually.TrueAsync(() => run.Driver.RouteOf(opened.Agent) == FlagRoute.Primary, "the agent back on primary");

        var overview = await run.Host.Pipeline.Admin.ListAsync(CancellationToken.None);
        Assert.True(overview.KillSwitch);
        Assert.Equal(0, overview.AgentsInFallback);
        Assert.Contains(second.Name, new[] { opened.Agent, held.Agent });
        Assert.Contains(first.Name, new[] { opened.Agent, held.Agent });
    }

    [Fact]
    public async Task An_operator_pins_and_clears_an_agent_with_the_cli_through_the_admin_api_and_the_flag_follows()
    {
        await using var run = await Run.StartAsync(infrastructure, Policies, configure: s => s.Admin.Tokens["alice"] = OperatorCli.Token);
        await using var cli = await OperatorCli.StartAsync(run);

        var (pinned, pinOutput) = await cli.RunAsync("flags", "pin", "--agent", "support/eu-1", "--route", "fallback", "--fallback", "human", "--note", "investigating");
        Assert.Equal((SentinelCli.Ok, "done: "), (pinned, pinOutput[..6]));

        // "done" means written: the flag and its audit entry are in Redis when the command returns.
        var flag = await run.FlagAsync("support/eu-1");
        Assert.Equal(("fallback", "human"), (flag["route"], flag["fallback"]));
        var audit = Assert.Single(await run.AuditAsync("support/eu-1"));
        Assert.Equal(("pinned", "operator:alice", "investigating"), (audit["transition"], audit["actor"], audit["detail"]));

        var (listed, listOutput) = await cli.RunAsync("flags", "list", "--json");
        Assert.Equal(SentinelCli.Ok, listed);
        Assert.Contains("support/eu-1", listOutput, StringComparison.Ordinal);

        var (cleared, _) = await cli.RunAsync("flags", "clear", "--agent", "support/eu-1");
        Assert.Equal(SentinelCli.Ok, cleared);
        Assert.Equal("primary", (await run.FlagAsync("support/eu-1"))["route"]);
        Assert.Equal("cleared", (await run.AuditAsync("support/eu-1"))[^1]["transition"]);
    }

    [Fact]
    public async Task An_operators_pin_while_redis_is_down_answers_pending_and_the_flag_lands_once_redis_is_back()
    {
        await using var run = await Run.StartAsync(infrastructure, Policies, configure: s =>
        {
            s.Admin.Tokens["alice"] = OperatorCli.Token;
            s.Remediation.WriteTimeout = TimeSpan.FromMilliseconds(300);
            s.Remediation.RetryInitialDelay = TimeSpan.FromMilliseconds(100);
            s.Remediation.RetryMaxDelay = TimeSpan.FromMilliseconds(400);
        });
        await using var cli = await OperatorCli.StartAsync(run);

        await infrastructure.Redis.SuspendAsync();
        int pinned;
        string output;
        try
        {
            (pinned, output) = await cli.RunAsync("flags", "pin", "--agent", "support/eu-2", "--route", "fallback", "--fallback", "cached");
        }
        finally
        {
            await infrastructure.Redis.ResumeAsync();
        }

        Assert.Equal(SentinelCli.Pending, pinned);
        Assert.StartsWith("pending: pinned to fallback", output, StringComparison.Ordinal);
        var flag = await Eventually.ValueAsync(async () => (await run.FlagAsync("support/eu-2")) is { Count: > 0 } f ? f : null, "the pin's flag after Redis came back");
        Assert.Equal(("fallback", "cached"), (flag["route"], flag["fallback"]));
        // Applied once; a retry of a write that did land while Redis was held is fenced (audited as outcome=stale).
        var pins = (await run.AuditAsync("support/eu-2")).Where(e => e["transition"] == "pinned").ToList();
        Assert.Single(pins, e => e["outcome"] == "applied");
        Assert.All(pins, e => Assert.Contains(e["outcome"], new[] { "applied", "stale" }));
    }

    private static async Task<(int Code, string Output)> CliAsync(params string[] args)
    {
        var output = new StringWriter();
        var code = await SentinelCli.RunAsync(args, output, output);
        return (code, output.ToString());
    }

    /// <summary>The admin API of a run's host on a free loopback port, and the CLI pointed at it with an operator's token file.</summary>
    private sealed class OperatorCli : IAsyncDisposable
    {
        public const string Token = "a-long-enough-operator-token-0123456789";
        private readonly MetricsEndpoint _endpoint;
        private readonly string _tokenFile;

        private OperatorCli(MetricsEndpoint endpoint, string tokenFile)
        {
            _endpoint = endpoint;
            _tokenFile = tokenFile;
        }

        public static async Task<OperatorCli> StartAsync(Run run)
        {
            var settings = run.Settings;
            settings.Metrics.Host = "127.0.0.1";
            settings.Metrics.Port = 0;
            var endpoint = await MetricsEndpoint.StartAsync(settings.Metrics, () => true, () => true, NullLoggerFactory.Instance, CancellationToken.None,
                app => AgentSentinel.Cli.Admin.AdminApi.Map(app, run.Host.Pipeline.Admin, settings.Admin));
            var tokenFile = Path.Combine(Path.GetTempPath(), "agentsentinel-token-" + Guid.NewGuid().ToString("N"));
            await File.WriteAllTextAsync(tokenFile, Token);
            return new OperatorCli(endpoint, tokenFile);
        }

        public Task<(int Code, string Output)> RunAsync(params string[] args) =>
            CliAsync([.. args, "--url", _endpoint.Url.ToString(), "--token-file", _tokenFile]);

        public async ValueTask DisposeAsync()
        {
            await _endpoint.DisposeAsync();
            File.Delete(_tokenFile);
        }
    }

    /// <summary>One test's world: its own topic, key prefix and consumer group on the shared mock cluster and redis-server.</summary>
    private sealed class Run : IAsyncDisposable
    {
        private readonly InfrastructureFixture _infrastructure;
        private readonly SentinelSettings _settings;
        private readonly string _policyFile;
        private readonly IncidentRecorder _incidents = new();
        private readonly ConnectionMultiplexer _redis;
        private FleetDriver? _driver;

        private Run(InfrastructureFixture infrastructure, SentinelSettings settings, string policyFile, string topic, ConnectionMultiplexer redis, SentinelHost host)
        {
            _infrastructure = infrastructure;
            _settings = settings;
            _policyFile = policyFile;
            Topic = topic;
            _redis = redis;
            Host = host;
        }

        public SentinelHost Host { get; private set; }

        public string Topic { get; }

        public string Prefix => _settings.Redis.KeyPrefix;

        public SentinelSettings Settings => _settings;

        public IDatabase Db => _redis.GetDatabase();

        public FleetDriver Driver => _driver ?? throw new InvalidOperationException("no fleet");

        public static async Task<Run> StartAsync(InfrastructureFixture infrastructure, string policies, bool dryRun = false, Action<SentinelSettings>? configure = null)
        {
            var name = "l" + Guid.NewGuid().ToString("N")[..10];
            var topic = "otlp_spans_" + name;
            infrastructure.Kafka.CreateTopic(topic, partitions: 2);
            infrastructure.Kafka.CreateTopic(topic + ".dlq", partitions: 1);
            var policyFile = Path.Combine(Path.GetTempPath(), $"agentsentinel-{name}.yaml");
            await File.WriteAllTextAsync(policyFile, policies);
            var settings = new SentinelSettings();
            settings.Kafka.BootstrapServers = infrastructure.Kafka.BootstrapServers;
            settings.Kafka.GroupId = "agentsentinel-" + name;
            settings.Kafka.Topics = [new AgentSentinel.Kafka.KafkaTopicOptions { Name = topic, Encoding = "otlp_proto" }];
            settings.Kafka.Consumer["fetch.wait.max.ms"] = "10";
            settings.Kafka.Consumer["auto.offset.reset"] = "earliest";
            // The mock cluster waits out the departed member's session before it assigns a restarted host's partitions.
            settings.Kafka.Consumer["session.timeout.ms"] = "6000";
            settings.Kafka.Consumer["heartbeat.interval.ms"] = "500";
            settings.Redis.ConnectionString = infrastructure.Redis.ConnectionString;
            settings.Redis.KeyPrefix = name + ":";
            settings.Remediation.PolicyFile = policyFile;
            settings.Remediation.DryRun = dryRun;
            settings.Pipeline.IdleWatermarkAdvance = TimeSpan.FromMilliseconds(200);
            settings.Remediation.WriteTimeout = TimeSpan.FromSeconds(30); // a loaded machine slows a write; only a down Redis fails it
            configure?.Invoke(settings);
            var redis = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
            {
                EndPoints = { infrastructure.Redis.ConnectionString },
                AbortOnConnectFail = false,
            });
            var run = new Run(infrastructure, settings, policyFile, topic, redis, null!);
            run.Host = await run.StartHostAsync();
            return run;
        }

        /// <summary>Builds the fleet (chat assistants, the first <paramref name="faulty"/> with a token blow-up over the given event seconds).</summary>
        public List<SimulatedAgent> Fleet(int agents, int faulty, double faultFrom, double faultTo)
        {
            var fleet = Enumerable.Range(0, agents)
                .Select(i => new SimulatedAgent($"agent-{i:00}", AgentArchetype.ChatAssistant, SpanConvention.OtelGenAi, 4242 + i))
                .ToList();
            foreach (var agent in fleet.Take(faulty))
            {
                agent.InjectFault(FaultKind.TokenBlowUp, faultFrom, faultTo);
            }

            _driver = FleetDriver.StartAsync(fleet, _infrastructure.Redis.ConnectionString, Prefix, _infrastructure.Kafka.BootstrapServers, Topic).GetAwaiter().GetResult();
            _driver.Host = Host;
            return fleet;
        }

        public long FaultEnd(SimulatedAgent agent) => Driver.StartUnixNano + (long)(agent.FaultEndSeconds * 1e9);

        public List<IncidentUpdate> Updates(string? agent = null) => _incidents.For(agent);

        public async Task RestartHostAsync()
        {
            Driver.Host = null;
            await Host.StopAsync(TimeSpan.FromSeconds(30));
            Host = await StartHostAsync();
            Driver.Host = Host;
        }

        public async Task<Dictionary<string, string>> FlagAsync(string agent) =>
            (await Db.HashGetAllAsync(Prefix + "flag:" + agent)).ToDictionary(e => e.Name.ToString(), e => e.Value.ToString());

        public async Task<List<Dictionary<string, string>>> AuditAsync(string agent) =>
            [.. (await Db.StreamRangeAsync(Prefix + "audit"))
                .Select(e => e.Values.ToDictionary(v => v.Name.ToString(), v => v.Value.ToString()))
                .Where(e => e.GetValueOrDefault("agent") == agent)];

        public async Task<List<string>> KeysAsync(string pattern)
        {
            var server = _redis.GetServer(_redis.GetEndPoints()[0]);
            var keys = new List<string>();
            await foreach (var key in server.KeysAsync(pattern: Prefix + pattern))
            {
                keys.Add(key.ToString());
            }

            return keys;
        }

        /// <summary>Starts a host and waits until it is connected to Redis (before that, writes fail at once and are retried).</summary>
        private async Task<SentinelHost> StartHostAsync()
        {
            var host = await SentinelHost.StartAsync(_settings, [_incidents], NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
            await Eventually.TrueAsync(() => host.FlagStore.IsConnected, "the host connected to Redis");
            return host;
        }

        public async ValueTask DisposeAsync()
        {
            if (_driver is not null)
            {
                await _driver.DisposeAsync();
            }

            await Host.DisposeAsync();
            await _redis.DisposeAsync();
            File.Delete(_policyFile);
        }
    }

    private sealed class IncidentRecorder : SentinelObserver
    {
        private readonly ConcurrentQueue<IncidentUpdate> _updates = new();

        public override void OnIncident(IncidentUpdate update) => _updates.Enqueue(update);

        public List<IncidentUpdate> For(string? agent) => [.. _updates.Where(u => agent is null || u.Agent == agent)];
    }
}
