using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection;

namespace AgentSentinel.Evaluation.Scenarios;

/// <summary>What a scenario produced: the anomalies, and each agent's trace completion times (for delays in traces).</summary>
internal sealed record ScenarioRun(
    IReadOnlyList<Anomaly> Anomalies,
    IReadOnlyDictionary<string, long[]> TraceTimes,
    TrafficStats Traffic);

/// <summary>Counts of what the generated traffic contained, so that base rates can be checked against the profiles.</summary>
public sealed class TrafficStats
{
    public long Traces { get; set; }
    public long Spans { get; set; }
    public long LlmCalls { get; set; }
    public long ToolCalls { get; set; }
    public long ToolErrors { get; set; }
    public long FinalAnswers { get; set; }
    public long LengthFinishes { get; set; }
    public long ContentFilterFinishes { get; set; }
    public long ErrorTraces { get; set; }
    public long Retrievals { get; set; }
    public long EmptyRetrievals { get; set; }
    public long SilencedTraces { get; set; }

    /// <summary>Adds one trace's counts.</summary>
    public void Add(AgentTrace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        Traces++;
        Spans += trace.Spans.Length;
        var lastChat = -1;
        for (var i = 0; i < trace.Spans.Length; i++)
        {
            ref readonly var span = ref trace.Spans[i];
            switch (span.Operation)
            {
                case SpanOperation.Chat:
                    LlmCalls++;
                    LengthFinishes += (span.FinishReasons & FinishReasons.Length) != 0 ? 1 : 0;
                    ContentFilterFinishes += (span.FinishReasons & FinishReasons.ContentFilter) != 0 ? 1 : 0;
                    if ((span.FinishReasons & FinishReasons.ToolCalls) == 0)
                    {
                        lastChat = i;
                    }

                    break;
                case SpanOperation.ExecuteTool:
                    ToolCalls++;
                    ToolErrors += span.IsError ? 1 : 0;
                    break;
                case SpanOperation.Retrieval:
                    Retrievals++;
                    EmptyRetrievals += span.RetrievalDocuments == 0 ? 1 : 0;
                    break;
                default:
                    break;
            }
        }

        FinalAnswers += lastChat >= 0 ? 1 : 0;
        ErrorTraces += trace.Spans[^1].IsError ? 1 : 0;
    }
}

/// <summary>
/// Runs a scenario through per-agent detection: merges all agents' traces in event-time order (completion time),
/// advances every agent's watermark every <see cref="ScenarioOptions.WatermarkStepSeconds"/> and before each of its
/// traces, and collects the anomalies. Deterministic.
/// </summary>
internal static class ScenarioRunner
{
    public static ScenarioRun Run(ScenarioWorld world, ScenarioOptions options)
    {
        var streams = world.CreateStreams();
        var detections = streams
            .Select(s => new AgentDetection(s.Profile.Name, options.Detection, options.DetectorFactory?.Invoke(options.Detection)))
            .ToArray();
        try
        {
            return Run(world, options, streams, detections);
        }
        finally
        {
            foreach (var detection in detections)
            {
                detection.Dispose();
            }
        }
    }

    private static ScenarioRun Run(ScenarioWorld world, ScenarioOptions options, AgentTrafficStream[] streams, AgentDetection[] detections)
    {
        var times = streams.Select(_ => new List<long>(1024)).ToArray();
        var anomalies = new List<Anomaly>();
        var ready = new List<BaselineReady>();
        var traffic = new TrafficStats();
        var step = (long)Math.Round(options.WatermarkStepSeconds * 1e9);
        var nextTick = world.StartUnixNano + step;

        var queue = new PriorityQueue<(int Agent, AgentTrace Trace), (long, int)>();
        for (var i = 0; i < streams.Length; i++)
        {
            if (streams[i].TryNext(out var first))
            {
                queue.Enqueue((i, first), (first.CompletedAtUnixNano, i));
            }
        }

        while (queue.TryDequeue(out var item, out _))
        {
            var (agent, trace) = item;
            var at = trace.CompletedAtUnixNano;
            for (; nextTick <= at; nextTick += step)
            {
                foreach (var detection in detections)
                {
                    detection.AdvanceTo(nextTick, anomalies);
                }
            }

            try
            {
                detections[agent].AdvanceTo(at, anomalies);
                detections[agent].Observe(trace, anomalies, ready);
            }
            catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or InvalidOperationException or NullReferenceException)
            {
                // A detector bug: name the trace so that it can be reproduced (same seed, same trace).
                throw new InvalidOperationException(
                    $"detection failed on agent {trace.Agent}, trace {trace.TraceId} ({trace.Spans.Length} spans) at {at} ns: {e.Message}", e);
            }

            ready.Clear();
            times[agent].Add(at);
            traffic.Add(trace);
            if (streams[agent].TryNext(out var next))
            {
                queue.Enqueue((agent, next), (next.CompletedAtUnixNano, agent));
            }
        }

        for (; nextTick <= world.EndUnixNano; nextTick += step)
        {
            foreach (var detection in detections)
            {
                detection.AdvanceTo(nextTick, anomalies);
            }
        }

        traffic.SilencedTraces = streams.Sum(s => s.Silenced);
        var byAgent = new Dictionary<string, long[]>(StringComparer.Ordinal);
        for (var i = 0; i < streams.Length; i++)
        {
            byAgent[streams[i].Profile.Name] = [.. times[i]];
        }

        return new ScenarioRun(anomalies, byAgent, traffic);
    }
}
