using AgentSentinel.Actors.Agents;
using AgentSentinel.Actors.Assembly;
using AgentSentinel.Actors.Tests.TestSupport;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Core.Spans;
using AgentSentinel.Detection.Detectors.Silence;
using Akka.TestKit.Xunit2;
using Microsoft.Extensions.Logging.Abstractions;
using static AgentSentinel.Actors.Tests.TestSupport.TestSpans;

namespace AgentSentinel.Actors.Tests;

/// <summary>Event time flows from the records through trace assembly to the agents, so a silent agent is found end to end.</summary>
public sealed class SilencePipelineTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    /// <summary>Silence is routed to the <c>cached</c> fallback (the shipped default only alerts on it); no probe within the run.</summary>
    private static readonly Lazy<string> SilencePolicy = new(() => TestPolicies.Write("""
        version: 1
        defaults: { flag_ttl: 10m, probe: { after: 1h } }
        policies:
          - name: silence-to-cache
            match: { kinds: [silence] }
            fallback: cached
        """));

    private static SentinelPipeline Start(RecordingObserver observer, int shards = 4) => SentinelPipeline.Start(new SentinelPipelineSettings
    {
        Pipeline = new PipelineOptions { AssemblerShards = shards },
        Remediation = new RemediationOptions { PolicyFile = SilencePolicy.Value },
        Observers = [observer],
        DetectorFactory = _ => [new SilenceDetector(new SilenceOptions())],
    });

    /// <summary>
    /// One record every 10 s of event time, with one single-span trace per agent: "steady" for 2 h 30 min, "quiet" for
    /// the first 2 h only.
    /// </summary>
    private static List<IngestedRecord> Records()
    {
        var records = new List<IngestedRecord>();
        var n = 0;
        for (var step = 0; step < 900; step++)
        {
            var start = step * 10_000L;
            var spans = new List<AgentSpan> { Span(++n, 1, 0, start, start + 500, agent: "steady") };
            if (step < 720)
            {
                spans.Add(Span(++n, 1, 0, start + 100, start + 400, agent: "quiet"));
            }

            records.Add(Record(step, [.. spans]));
        }

        return records;
    }

    [Fact]
    public async Task An_agent_that_goes_silent_while_others_keep_talking_is_reported_and_flagged()
    {
        var observer = new RecordingObserver();
        await using (var pipeline = Start(observer))
        {
            foreach (var record in Records())
            {
                await pipeline.Sink.AcceptAsync(record, Ct);
            }

            await pipeline.Sink.FlushAsync(Ct);
        }

        var anomaly = Assert.Single(observer.Anomalies);
        var lastQuiet = At((719 * 10_000L) + 400);
        Assert.Equal(("quiet", AnomalyKinds.Silence), (anomaly.Agent, anomaly.Kind));
        Assert.Equal(SilenceDetector.Feature, anomaly.Explanation.Feature);
        Assert.Equal("poisson_gap", anomaly.Explanation.Method);
        Assert.Equal(lastQuiet + (300_100 * Ms), anomaly.DetectedAtUnixNano); // the first watermark 5 min past its last trace
        Assert.Equal(300.1, anomaly.Explanation.Observed, 6);
        Assert.Equal(10, anomaly.Explanation.Baseline, 0.1);
        Assert.Equal([Trace((719 * 2) + 2).ToString()], anomaly.TraceIds);

        var action = Assert.Single(observer.Actions, a => a.Route == FlagRoute.Fallback);
        Assert.Equal(("quiet", AnomalyKinds.Silence, anomaly.DetectedAtUnixNano, "cached"), (action.Agent, action.Reason, action.AtUnixNano, action.Fallback));
        var opened = Assert.Single(observer.Incidents, i => i.Change == IncidentChange.Opened);
        Assert.Equal(("silence-to-cache", "fallback"), (opened.Policy, opened.Phase));
    }

    [Fact]
    public async Task The_same_records_give_the_same_silences_whatever_the_shard_count()
    {
        var records = Records();
        var transcripts = new List<IReadOnlyList<string>>();
        foreach (var shards in new[] { 4, 1 })
        {
            var observer = new RecordingObserver();
            await using var pipeline = Start(observer, shards);
            foreach (var record in records)
            {
                await pipeline.Sink.AcceptAsync(record, Ct);
            }

            await pipeline.Sink.FlushAsync(Ct);
            transcripts.Add(observer.Transcript());
        }

        Assert.Equal(transcripts[0], transcripts[1]);
        Assert.Contains(transcripts[0], l => l.StartsWith("quiet: anomaly silence", StringComparison.Ordinal));
    }
}

/// <summary>How trace assembly passes event time on to the agents.</summary>
public sealed class TraceAssemblyWatermarkTests : SentinelTestKit
{
    [Fact]
    public void The_watermark_goes_to_the_agents_after_the_steps_traces_at_most_once_per_interval()
    {
        var agents = CreateTestProbe();
        var options = new PipelineOptions { AssemblerShards = 2, AgentWatermarkInterval = TimeSpan.FromSeconds(1) };
        var assembly = Sys.ActorOf(TraceAssemblyActor.Props(options, agents.Ref, CreateTestProbe().Ref, TimeProvider.System, NullLoggerFactory.Instance));

        // Records 400 ms apart in event time; trace 1 closes (root end + 2 s grace) when the watermark reaches 2.4 s.
        for (var i = 0; i < 8; i++)
        {
            assembly.Tell(new TraceAssemblyProtocol.Ingest(Record(i, Span(i + 1, 1, 0, i * 400L, (i * 400L) + 100, agent: "a"))), TestActor);
        }

        var seen = new List<object>();
        for (var i = 0; i < 8; i++)
        {
            ExpectMsg<TraceAssemblyProtocol.Accepted>();
        }

        agents.ReceiveWhile(TimeSpan.FromMilliseconds(500), m => m, 100).ToList().ForEach(seen.Add);
        var watermarks = seen.OfType<AgentProtocol.AdvanceWatermark>().Select(w => (w.WatermarkUnixNano - T0) / Ms).ToList();
        Assert.Equal([100L, 1300, 2500], watermarks); // ends at 100, 500, …, 2900 ms: told at 100, then ≥ 1 s later

        var traceAt = seen.FindIndex(m => m is AgentProtocol.ObserveTrace);
        var tellAt = seen.FindIndex(m => m is AgentProtocol.AdvanceWatermark w && w.WatermarkUnixNano == At(2500));
        Assert.True(traceAt >= 0 && traceAt < tellAt, "the trace closed by a step goes out before that step's watermark");
    }

    [Fact]
    public void Without_an_interval_agents_are_not_told_about_event_time()
    {
        var agents = CreateTestProbe();
        var options = new PipelineOptions { AssemblerShards = 1, AgentWatermarkInterval = null };
        var assembly = Sys.ActorOf(TraceAssemblyActor.Props(options, agents.Ref, CreateTestProbe().Ref, TimeProvider.System, NullLoggerFactory.Instance));

        assembly.Tell(new TraceAssemblyProtocol.Ingest(Record(0, Span(1, 1, 0, 0, 100, agent: "a"))), TestActor);
        assembly.Tell(new TraceAssemblyProtocol.Ingest(Record(1, Span(2, 1, 0, 5000, 5100, agent: "a"))), TestActor);
        ExpectMsg<TraceAssemblyProtocol.Accepted>();
        ExpectMsg<TraceAssemblyProtocol.Accepted>();

        Assert.IsType<AgentProtocol.ObserveTrace>(agents.ExpectMsg<object>());
        agents.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }
}
