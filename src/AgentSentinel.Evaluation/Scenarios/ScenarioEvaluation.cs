using System.Diagnostics;
using System.Globalization;
using AgentSentinel.Detection;

namespace AgentSentinel.Evaluation.Scenarios;

/// <summary>
/// <c>agentsentinel eval scenarios</c>: generates a seeded fleet with labelled faults and a clean fleet, runs both
/// through per-agent detection and scores the anomalies. Same options, same report, byte for byte.
/// </summary>
public static class ScenarioEvaluation
{
    /// <summary>Runs the fault scenario and (unless <see cref="ScenarioOptions.CleanHours"/> is 0) the clean one.</summary>
    /// <param name="options">Validated settings.</param>
    /// <param name="progress">Where progress lines go (wall-clock timings appear there, never in the report).</param>
    public static ScenarioReport Run(ScenarioOptions options, TextWriter progress)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        var problems = options.Validate().ToArray();
        if (problems.Length > 0)
        {
            throw new ArgumentException("invalid scenario options: " + string.Join("; ", problems), nameof(options));
        }

        var grace = TimeSpan.FromMinutes(options.GraceMinutes);
        var gap = TimeSpan.FromMinutes(options.IncidentGapMinutes);

        var stopwatch = Stopwatch.StartNew();
        var world = ScenarioWorld.Create(options, options.Hours, withFaults: true, stream: 1);
        var run = ScenarioRunner.Run(world, options);
        var score = ScenarioScorer.Score(world.Faults, run.Anomalies, run.TraceTimes, world.StartUnixNano, world.EndUnixNano, grace, gap);
        progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fault scenario: {options.Agents} agents x {options.Hours} h, {world.Faults.Count} faults, {run.Traffic.Traces} traces, {run.Anomalies.Count} anomalies ({stopwatch.Elapsed.TotalSeconds:0.0} s)"));

        ScenarioScore? clean = null;
        TrafficStats? cleanTraffic = null;
        if (options.CleanHours > 0)
        {
            stopwatch.Restart();
            var cleanWorld = ScenarioWorld.Create(options, options.CleanHours, withFaults: false, stream: 2);
            var cleanRun = ScenarioRunner.Run(cleanWorld, options);
            clean = ScenarioScorer.Score([], cleanRun.Anomalies, cleanRun.TraceTimes, cleanWorld.StartUnixNano, cleanWorld.EndUnixNano, grace, gap);
            cleanTraffic = cleanRun.Traffic;
            progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"clean scenario: {options.Agents} agents x {options.CleanHours} h, {cleanRun.Traffic.Traces} traces, {cleanRun.Anomalies.Count} anomalies ({stopwatch.Elapsed.TotalSeconds:0.0} s)"));
        }

        string[] detectorKinds;
        using (var probe = new AgentDetection("probe", options.Detection, options.DetectorFactory?.Invoke(options.Detection)))
        {
            detectorKinds = [.. probe.Detectors.Select(d => d.Kind).Distinct(StringComparer.Ordinal)];
        }
        var config = new ScenarioConfig(
            options.Seed, options.Agents, options.Hours, options.CleanHours, options.BurnInHours, options.GraceMinutes,
            options.IncidentGapMinutes, options.WatermarkStepSeconds, detectorKinds);
        return new ScenarioReport(
            config,
            score.Kinds,
            score.CrossDetections,
            score.Detectors,
            score.Incidents,
            run.Traffic,
            clean?.Incidents,
            clean?.Detectors ?? [],
            cleanTraffic,
            score.Events,
            score.FalseByAgent,
            clean?.FalseByAgent ?? []);
    }
}
