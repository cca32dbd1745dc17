using AgentSentinel.Actors.Agents;
using AgentSentinel.Actors.Tests.TestSupport;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Detection.Detectors;
using AgentSentinel.Core.Spans;
using AgentSentinel.Remediation.Policies;
using Akka.Actor;
using static AgentSentinel.Actors.Tests.TestSupport.TestSpans;

namespace AgentSentinel.Actors.Tests;

public sealed class SentinelPipelineTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    /// <summary>
    /// Every anomaly routes to safe-model, no safety limit holds any (the blast radius compares agents in the order their
    /// anomalies arrive, which is not event time), and the first probe comes after the runs end.
    /// </summary>
    private static readonly Lazy<string> NoLimitsPolicy = new(() => TestPolicies.Write("""
        version: 1
        defaults: { fallback: safe-model, probe: { after: 1h } }
        safety: { max_fallback_share: 1 }
        policies:
          - name: all
            match: {}
        """));

    /// <summary>A pipeline with the shipped default policy unless <paramref name="policyFile"/> names another.</summary>
    private static SentinelPipeline Start(RecordingObserver observer, int shards = 4, IFlagStore? store = null, Action<PipelineOptions>? pipeline = null, TimeProvider? time = null, string? policyFile = null)
    {
        var options = new PipelineOptions { AssemblerShards = shards };
        pipeline?.Invoke(options);
        return SentinelPipeline.Start(new SentinelPipelineSettings
        {
            Pipeline = options,
            Remediation = new RemediationOptions { PolicyFile = policyFile },
            FlagStore = store,
            Observers = [observer],
            TimeProvider = time ?? TimeProvider.System,
        });
    }

    private static async Task Feed(SentinelPipeline pipeline, IEnumerable<IngestedRecord> records)
    {
        foreach (var record in records)
        {
            await pipeline.Sink.AcceptAsync(record, Ct);
        }
    }

    [Fact]
    public async Task A_trace_exported_children_first_over_several_records_closes_once_the_watermark_passes_root_end_plus_grace()
    {
        var observer = new RecordingObserver();
        await using var pipeline = Start(observer);

        await Feed(pipeline, [
            Record(0, Span(1, 3, 2, 100, 400, tokens: 10)),
            Record(1, Span(1, 2, 1, 50, 600, agent: "a", operation: SpanOperation.InvokeAgent)),
            Record(2, Span(1, 1, 0, 0, 1000, agent: "a"), Span(2, 1, 0, 2000, 3000)),
        ]);
        await pipeline.DrainAsync(Ct);
        Assert.Empty(observer.Traces); // watermark 3000 = root end + grace: not passed yet

        await Feed(pipeline, [Record(3, Span(3, 1, 0, 3000, 3001))]);
        await pipeline.DrainAsync(Ct);

        var trace = Assert.Single(observer.Traces);
        Assert.Equal(Trace(1), trace.TraceId);
        Assert.Equal("a", trace.Agent);
        Assert.Equal(3, trace.Spans.Length);
        Assert.True(trace.RootSeen);
        Assert.Equal(At(1000), trace.CompletedAtUnixNano);
    }

    [Fact]
    public async Task Event_time_follows_the_slowest_active_partition_until_it_falls_silent()
    {
        var observer = new RecordingObserver();
        var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(At(0) / 1_000_000).AddHours(1));
        await using var pipeline = Start(observer, time: time, pipeline: o => o.PartitionIdleTimeout = TimeSpan.FromSeconds(30));
        static IngestedRecord On(int partition, long offset, params AgentSpan[] spans) => new(spans, new RecordPosition("spans", partition, offset));

        // Partition 1 is catching up: its trace 1 (root ended at 1 s) must not be closed by partition 0 running ahead.
        await Feed(pipeline, [
            On(1, 0, Span(1, 2, 1, 0, 500, agent: "slow")),
            On(0, 0, Span(2, 1, 0, 0, 10_000, agent: "fast")),
            On(0, 1, Span(3, 1, 0, 10_000, 20_000, agent: "fast")),
        ]);
        await pipeline.DrainAsync(Ct);
        Assert.Empty(observer.Traces); // event time waits for partition 1: 0.5 s + 2 s grace

        await Feed(pipeline, [On(1, 1, Span(1, 1, 0, 0, 1000, agent: "slow"), Span(4, 1, 0, 5000, 15_000, agent: "slow"))]);
        await pipeline.DrainAsync(Ct);
        // Event time 17 s (15 s + grace): trace 1 closes whole, and trace 2 (fast, root end 10 s + 2 s grace) with it; trace 3 (20 s + 2 s) not yet.
        Assert.Equal([Trace(1).ToString(), Trace(2).ToString()], observer.Traces.Select(t => t.TraceId.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal(2, observer.Traces.Single(t => t.TraceId == Trace(1)).Spans.Length);

        // Partition 1 falls silent for longer than the timeout: it stops holding event time back.
        time.Advance(TimeSpan.FromSeconds(31));
        await Feed(pipeline, [On(0, 2, Span(5, 1, 0, 40_000, 50_000, agent: "fast"))]);
        await pipeline.DrainAsync(Ct);
        Assert.Contains(observer.Traces, t => t.TraceId == Trace(3));
    }

    [Fact]
    public async Task A_record_accepted_twice_does_not_double_its_spans()
    {
        var observer = new RecordingObserver();
        await using var pipeline = Start(observer);
        var record = Record(0, Span(1, 2, 1, 0, 100, tokens: 10), Span(1, 1, 0, 0, 200, agent: "a"));

        await Feed(pipeline, [record, record]);
        await pipeline.Sink.FlushAsync(Ct);

        Assert.Equal(2, Assert.Single(observer.Traces).Spans.Length);
    }

    [Fact]
    public async Task An_orphan_closes_by_idle_timeout_in_event_time()
    {
        var observer = new RecordingObserver();
        await using var pipeline = Start(observer);

        await Feed(pipeline, [Record(0, Span(1, 3, 2, 100, 400, resource: "svc-a"))]);
        await Feed(pipeline, [Record(1, Span(2, 1, 0, 30_000, 30_400))]);
        await pipeline.DrainAsync(Ct);
        Assert.Empty(observer.Traces);

        await Feed(pipeline, [Record(2, Span(3, 1, 0, 30_401, 30_401))]);
        await pipeline.DrainAsync(Ct);

        var orphan = Assert.Single(observer.Traces);
        Assert.False(orphan.RootSeen);
        Assert.Equal("svc-a", orphan.Agent);
    }

    [Fact]
    public async Task A_multi_agent_trace_is_judged_per_agent_with_agents_inherited_from_ancestors()
    {
        var observer = new RecordingObserver();
        await using var pipeline = Start(observer);

        await Feed(pipeline, [
            Record(0, Span(1, 21, 20, 100, 300, tokens: 5), Span(1, 11, 1, 10, 90, tokens: 7)),
            Record(1, Span(1, 20, 1, 50, 400, agent: "coder", operation: SpanOperation.InvokeAgent), Span(1, 1, 0, 0, 500, agent: "planner")),
        ]);
        await pipeline.Sink.FlushAsync(Ct);

        var parts = observer.Traces.OrderBy(t => t.Agent, StringComparer.Ordinal).ToList();
        Assert.Equal(["coder", "planner"], parts.Select(p => p.Agent));
        Assert.Equal([21UL, 20UL], parts[0].Spans.Select(s => s.SpanId.Value));
        Assert.Equal([11UL, 1UL], parts[1].Spans.Select(s => s.SpanId.Value));

        var agents = await pipeline.Agents.Ask<AgentProtocol.Agents>(AgentProtocol.GetAgents.Instance, TimeSpan.FromSeconds(5), Ct);
        Assert.Equal(["coder", "planner"], agents.AgentIds);
    }

    [Fact]
    public async Task The_same_records_give_the_same_traces_anomalies_and_decisions_whatever_the_shard_count()
    {
        var records = Workload.Records(steps: 200);
        var transcripts = new List<IReadOnlyList<string>>();
        foreach (var shards in new[] { 4, 4, 1 })
        {
            var observer = new RecordingObserver();
            await using var pipeline = Start(observer, shards, policyFile: NoLimitsPolicy.Value);
            await Feed(pipeline, records);
            await pipeline.Sink.FlushAsync(Ct);
            transcripts.Add(observer.Transcript());
        }

        Assert.Equal(transcripts[0], transcripts[1]);
        Assert.Equal(transcripts[0], transcripts[2]);
        var lines = transcripts[0];
        Assert.Equal(200 * 5, lines.Count(l => l.Contains(": trace ", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("alpha: anomaly token_spike", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("beta: anomaly latency_spike", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("alpha: action Fallback safe-model", StringComparison.Ordinal) && l.EndsWith("token_spike", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("beta: action Fallback safe-model", StringComparison.Ordinal) && l.EndsWith("latency_spike", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("gamma: anomaly", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Flush_returns_after_every_trace_was_judged_and_every_decision_written()
    {
        var observer = new RecordingObserver();
        var store = new InMemoryFlagStore();
        await using var pipeline = Start(observer, store: store);

        await Feed(pipeline, Workload.Records(steps: 80));
        await pipeline.Sink.FlushAsync(Ct);

        Assert.Equal(80 * 5, observer.Traces.Count);
        var anomaly = Assert.Single(observer.Anomalies, a => a.Agent == "alpha");
        Assert.Equal(AnomalyKinds.TokenSpike, anomaly.Kind);
        Assert.Equal(At(Workload.TokenSpikeAt * 1000L) + (900 * Ms), anomaly.DetectedAtUnixNano);
        Assert.Equal(4, observer.Ready.Count(r => r.Agent == "alpha" && r.Feature is FeatureNames.TokensPerTrace or FeatureNames.TokensPerLlmCall or FeatureNames.TraceDurationMs or FeatureNames.LlmCallLatencyMs));
        var write = Assert.Single(store.Applied);
        Assert.Equal("alpha", write.Agent);
        Assert.Equal(FlagRoute.Fallback, write.Route);
        Assert.Equal(anomaly.TraceIds, write.TraceIds);
        Assert.Equal(FlagRoute.Fallback, Assert.Single(observer.Actions).Route);
    }

    [Fact]
    public async Task An_incident_runs_its_whole_lifecycle_through_the_pipeline_and_the_probe_brings_the_agent_back()
    {
        // Model calls name their model, so the agents tell primary traffic from the fallback's; the fault lasts 3 s.
        var path = TestPolicies.Write("""
            version: 1
            defaults:
              fallback: safe-model
              flag_ttl: 1m
              probe: { after: 10s, min_traces: 10, max_duration: 60s, backoff: { multiplier: 2, max: 1m } }
            safety: { max_fallback_share: 1 }
            policies:
              - name: all
                match: {}
            """);
        var observer = new RecordingObserver();
        var store = new InMemoryFlagStore();
        await using var pipeline = Start(observer, store: store, policyFile: path);

        // Paced as live traffic is: each second is judged, and its decisions made, before the next arrives. (A replay
        // at full speed lets remediation run ahead of the agents, so probes would start after the traffic they judge.)
        foreach (var record in Workload.Records(steps: 300, model: "primary-model"))
        {
            await pipeline.Sink.AcceptAsync(record, Ct);
            await pipeline.DrainAsync(Ct);
        }

        await pipeline.Sink.FlushAsync(Ct);

        var alpha = observer.Actions.Where(a => a.Agent == "alpha").ToList();
        Assert.Equal([FlagRoute.Fallback, FlagRoute.Probe], alpha.Take(2).Select(a => a.Route));
        Assert.Equal((FlagRoute.Primary, "recovered"), (alpha[^1].Route, alpha[^1].Reason));
        Assert.Single(alpha.Select(a => a.Incident).Distinct());
        var last = store.Current("alpha")!;
        Assert.Equal((FlagRoute.Primary, "recovered", null), (last.Route, last.Transition, last.State));
        Assert.Contains(store.Applied, d => d.Agent == "alpha" && d.Route == FlagRoute.Probe && d.ProbeRatio == 0.1);
        var recovered = Assert.Single(observer.Incidents, i => i.Agent == "alpha" && i.Change == IncidentChange.Recovered);
        Assert.Contains("probe traces", recovered.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_span_stamped_far_in_the_future_does_not_move_the_watermark()
    {
        var observer = new RecordingObserver();
        await using var pipeline = Start(observer);

        await Feed(pipeline, [
            Record(0, Span(1, 1, 0, 0, 1000)),
            Record(1, Span(2, 1, 0, 0, 1000) with { EndUnixNano = DateTimeOffset.UtcNow.AddYears(50).ToUnixTimeMilliseconds() * Ms }),
        ]);
        await pipeline.DrainAsync(Ct);
        Assert.Empty(observer.Traces);

        await Feed(pipeline, [Record(2, Span(3, 1, 0, 5000, 5000))]);
        await pipeline.DrainAsync(Ct);
        Assert.Equal(Trace(1), Assert.Single(observer.Traces).TraceId);
    }

    [Fact]
    public async Task With_idle_watermark_advance_the_last_trace_closes_when_traffic_stops()
    {
        var observer = new RecordingObserver();
        await using var pipeline = Start(observer, pipeline: o => (o.IdleWatermarkAdvance, o.TraceGrace) = (TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200)));

        await Feed(pipeline, [Record(0, Span(1, 1, 0, 0, 1000))]);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (observer.Traces.Count == 0 && DateTime.UtcNow < deadline)
        {
            await pipeline.DrainAsync(Ct);
        }

        Assert.Single(observer.Traces);
    }

    [Fact]
    public async Task Stop_is_idempotent_and_the_sink_refuses_records_afterwards()
    {
        var observer = new RecordingObserver();
        var pipeline = Start(observer);
        var first = pipeline.StopAsync();
        Assert.Same(first, pipeline.StopAsync());
        await first;
        await pipeline.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => pipeline.Sink.AcceptAsync(Record(0, Span(1, 1, 0, 0, 1)), Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pipeline.Sink.FlushAsync(Ct));
    }

    [Fact]
    public void Invalid_settings_are_refused_with_every_key_named()
    {
        var missing = Path.Combine(Path.GetTempPath(), "agentsentinel-no-such-dir", "policies.yaml");
        var settings = new SentinelPipelineSettings
        {
            Pipeline = new PipelineOptions { AssemblerShards = 0 },
            Detection = new Detection.DetectionOptions { WarmupSamples = 1 },
            Remediation = new RemediationOptions { PolicyFile = missing },
        };

        var error = Assert.Throws<ArgumentException>(() => SentinelPipeline.Start(settings));

        Assert.Contains("Pipeline:AssemblerShards", error.Message, StringComparison.Ordinal);
        Assert.Contains("Detection:WarmupSamples", error.Message, StringComparison.Ordinal);
        Assert.Contains("Remediation:PolicyFile", error.Message, StringComparison.Ordinal);
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_policy_file_is_reported_by_the_remediation_options_naming_the_key()
    {
        var options = new RemediationOptions { PolicyFile = Path.Combine(Path.GetTempPath(), "agentsentinel-no-such-dir", "policies.yaml") };

        var problem = Assert.Single(options.Validate());

        Assert.StartsWith("Remediation:PolicyFile", problem, StringComparison.Ordinal);
        Assert.Empty(new RemediationOptions { PolicyFile = TestPolicies.Write(TestPolicies.Short) }.Validate());
    }

    [Fact]
    public void An_invalid_policy_file_stops_the_start_with_every_key_named()
    {
        var path = TestPolicies.Write(TestPolicies.Short
            .Replace("ratio: 0.25", "ratio: 1.5", StringComparison.Ordinal)
            .Replace("fallback: fast-model", "fallback: fast-model\n    min_severity: fatal", StringComparison.Ordinal));

        var error = Assert.Throws<PolicyValidationException>(() => Start(new RecordingObserver(), policyFile: path));

        Assert.Equal(path, error.PolicySource);
        Assert.Contains(error.Errors, e => e.StartsWith("defaults.probe.ratio", StringComparison.Ordinal) && e.Contains("1.5", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("policies[0].min_severity", StringComparison.Ordinal));
        Assert.Contains("defaults.probe.ratio", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_policy_file_picks_the_fallback_and_a_reload_decides_the_next_incident()
    {
        const string Policy = """
            version: 1
            defaults: { fallback: policy-model }
            safety: { max_fallback_share: 1 }
            policies:
              - name: all
                match: {}
            """;
        var path = TestPolicies.Write(Policy);
        var observer = new RecordingObserver();
        var store = new InMemoryFlagStore();
        var records = Workload.Records(steps: 120);
        await using var pipeline = Start(observer, store: store, policyFile: path);
        var first = pipeline.Policies.Current;
        Assert.Equal(PolicyLoader.LoadFile(path).Fingerprint, first.Fingerprint);

        await Feed(pipeline, records.Take(80)); // alpha's token spike at 60 s
        await pipeline.DrainAsync(Ct);
        var alpha = Assert.Single(store.Applied);
        Assert.Equal(("alpha", "policy-model", "all@" + first.Fingerprint), (alpha.Agent, alpha.Fallback, alpha.Policy));

        await File.WriteAllTextAsync(path, Policy.Replace("policy-model", "reloaded-model", StringComparison.Ordinal), Ct);
        Assert.True(pipeline.Policies.TryReload(out var errors), string.Join("; ", errors));
        await Feed(pipeline, records.Skip(80)); // beta's latency spike at 90 s
        await pipeline.Sink.FlushAsync(Ct);

        var beta = Assert.Single(store.Applied, d => d.Agent == "beta");
        Assert.Equal(("reloaded-model", "all@" + pipeline.Policies.Current.Fingerprint), (beta.Fallback, beta.Policy));
        Assert.NotEqual(first.Fingerprint, pipeline.Policies.Current.Fingerprint);
    }

    [Fact]
    public void Default_options_are_valid()
    {
        Assert.Empty(new SentinelPipelineSettings().Validate());
    }
}
