using AgentSentinel.Actors.Tests.TestSupport;
namespace AgentSentinel.Actors.Tests;
public sealed class DebugTmp
{
    [Fact]
    public async Task Dump()
    {
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
        var records = Workload.Records(steps: 300, model: "primary-model");
        var lines = new List<string>();
        foreach (var shards in new[] { 4, 1 })
        {
            var observer = new RecordingObserver();
            await using (var pipeline = SentinelPipeline.Start(new SentinelPipelineSettings { Pipeline = new PipelineOptions { AssemblerShards = shards }, Observers = [observer], Remediation = new RemediationOptions { PolicyFile = path } }))
            {
                foreach (var r in records) await pipeline.Sink.AcceptAsync(r, default);
                await pipeline.Sink.FlushAsync(default);
            }
            lines.Add($"--- shards {shards}");
            lines.AddRange(observer.Anomalies.Select(a => $"anomaly {a.Agent} {a.Kind} {(a.DetectedAtUnixNano - TestSpans.T0)/1e9} {a.Explanation.Summary}"));
            lines.AddRange(observer.Incidents.Select(i => $"incident {i.Agent} {i.Kind} {i.Phase} {i.Change} {i.Cause} {i.Limit} {(i.AtUnixNano - TestSpans.T0)/1e9} {i.Detail}"));
        }
        File.WriteAllLines("/tmp/g-debug/dump.txt", lines);
    }
}
