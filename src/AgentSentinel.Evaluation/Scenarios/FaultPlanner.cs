namespace AgentSentinel.Evaluation.Scenarios;

/// <summary>
/// Schedules the faults of a scenario: after a clean burn-in, each agent gets a sequence of faults separated by clean
/// gaps, one at a time. The kind is the one the agent supports with the least weight: its use so far over the fleet plus
/// three times its use on this agent (ties broken at random), so that every kind appears about equally often and an
/// agent rarely sees a kind twice. Magnitudes, variants, shares, onsets and durations are drawn per fault.
/// </summary>
internal static class FaultPlanner
{
    private static readonly string[] BlowUpVariants = ["input", "output", "both"];
    private static readonly string[] CreepVariants = ["input", "both"];
    private static readonly string[] LatencyVariants = ["all_calls", "ttft"];
    private static readonly string[] LatencyToolVariants = ["all_calls", "ttft", "calls_and_tools"];
    private static readonly string[] SwapVariants = ["version", "model"];
    private static readonly string[] RetrievalVariants = ["score", "empty", "both"];

    public static List<FaultLabel> Plan(IReadOnlyList<AgentProfile> agents, ScenarioOptions options, long startUnixNano, ScenarioRandom rng)
    {
        var endSeconds = options.Hours * 3600.0;
        var cursors = agents.Select(_ => (options.BurnInHours * 3600.0) + rng.Uniform(0, 3600)).ToArray();
        var done = new bool[agents.Count];
        var counts = new Dictionary<FaultKind, int>();
        foreach (var kind in FaultDetectionMap.AllFaults)
        {
            counts[kind] = 0;
        }

        var perAgent = agents.Select(_ => new Dictionary<FaultKind, int>()).ToArray();
        var labels = new List<FaultLabel>();
        while (true)
        {
            var next = -1;
            for (var i = 0; i < agents.Count; i++)
            {
                if (!done[i] && (next < 0 || cursors[i] < cursors[next]))
                {
                    next = i;
                }
            }

            if (next < 0)
            {
                break;
            }

            var agent = agents[next];
            var start = cursors[next];
            if (start > endSeconds - 3600)
            {
                done[next] = true;
                continue;
            }

            // Balance the kinds overall, and spread them over agents: a kind the agent already had weighs more.
            var candidates = FaultDetectionMap.AllFaults.Where(agent.Supports).ToArray();
            int Weight(FaultKind k) => counts[k] + (3 * perAgent[next].GetValueOrDefault(k));
            var fewest = candidates.Min(Weight);
            var least = candidates.Where(k => Weight(k) == fewest).ToArray();
            var kind = rng.Pick(least);
            var fault = Draw(kind, agent, start, endSeconds, rng);
            if (fault is null)
            {
                done[next] = true;
                continue;
            }

            var (variant, magnitude, severity, share, durationSeconds) = fault.Value;
            var end = Math.Min(start + durationSeconds, endSeconds);
            var onset = kind == FaultKind.TokenCreep ? "ramp" : CanRamp(kind) && rng.Chance(0.3) ? "ramp" : "step";
            counts[kind]++;
            perAgent[next][kind] = perAgent[next].GetValueOrDefault(kind) + 1;
            labels.Add(new FaultLabel(
                agent.Name, kind, variant, Math.Round(magnitude, 4), severity, Math.Round(share, 4), onset,
                startUnixNano + Nanos(start), startUnixNano + Nanos(end)));
            if (end >= endSeconds)
            {
                done[next] = true;
            }

            cursors[next] = end + (rng.Uniform(options.MinGapMinutes, options.MinGapMinutes * 2) * 60);
        }

        return [.. labels.OrderBy(l => l.StartUnixNano).ThenBy(l => l.Agent, StringComparer.Ordinal)];
    }

    /// <summary>Kinds whose strength can grow gradually after the start (the others are discrete behaviours).</summary>
    private static bool CanRamp(FaultKind kind) => kind is FaultKind.TokenBlowUp or FaultKind.LatencyRegression or FaultKind.ToolErrorStorm
        or FaultKind.LengthSurge or FaultKind.ContentFilterSurge or FaultKind.RetrievalDegradation or FaultKind.CostSpike;

    private static long Nanos(double seconds) => (long)Math.Round(seconds * 1e9);

    /// <summary>Draws one fault's shape, or null when it no longer fits before the end.</summary>
    private static (string Variant, double Magnitude, string Severity, double Share, double Seconds)? Draw(
        FaultKind kind, AgentProfile agent, double start, double endSeconds, ScenarioRandom rng)
    {
        var rate = agent.RatePerSecond(start);
        double ForTraces(double min, double max) => Math.Clamp(rng.Uniform(min, max) / rate, 30 * 60, 3 * 3600);
        string variant;
        double magnitude, share = 1, seconds;
        string severity;
        switch (kind)
        {
            case FaultKind.TokenBlowUp:
                variant = rng.Pick(BlowUpVariants);
                (magnitude, severity) = LogRange(rng, 3, 10);
                seconds = ForTraces(40, 120);
                break;
            case FaultKind.TokenCreep:
                variant = rng.Pick(CreepVariants);
                (magnitude, severity) = LinearRange(rng, 0.5, 1.5);
                seconds = rng.Uniform(2.5, 5) * 3600;
                break;
            case FaultKind.LatencyRegression:
                variant = rng.Pick(agent.HasTools ? LatencyToolVariants : LatencyVariants);
                (magnitude, severity) = LogRange(rng, 1.8, 4);
                seconds = ForTraces(40, 120);
                break;
            case FaultKind.ToolLoop:
                variant = "same_args_same_result";
                (magnitude, severity) = LogRange(rng, 4, 30);
                share = rng.Uniform(0.3, 1.0);
                seconds = ForTraces(50, 140);
                break;
            case FaultKind.ToolErrorStorm:
                variant = "retried";
                (magnitude, severity) = LinearRange(rng, 0.2, 0.7);
                seconds = ForTraces(60, 160);
                break;
            case FaultKind.ErrorAnsweredAround:
                variant = "no_retry_stop";
                (magnitude, severity) = LinearRange(rng, 0.3, 1.0);
                share = magnitude;
                seconds = ForTraces(50, 140);
                break;
            case FaultKind.LengthSurge:
                variant = "max_tokens_lowered";
                (magnitude, severity) = LinearRange(rng, 0.1, 0.5);
                seconds = ForTraces(60, 160);
                break;
            case FaultKind.ContentFilterSurge:
                variant = "filtered";
                (magnitude, severity) = LinearRange(rng, 0.05, 0.3);
                seconds = ForTraces(60, 160);
                break;
            case FaultKind.ModelSwap:
                variant = rng.Pick(SwapVariants);
                (magnitude, severity) = LinearRange(rng, 0.5, 1.0);
                share = magnitude;
                seconds = ForTraces(40, 120);
                break;
            case FaultKind.RetrievalDegradation:
                variant = rng.Pick(RetrievalVariants);
                (magnitude, severity) = variant switch
                {
                    "score" => LinearRange(rng, 0.15, 0.4),
                    "empty" => LinearRange(rng, 0.15, 0.5),
                    _ => LinearRange(rng, 0.1, 0.25),
                };
                seconds = ForTraces(50, 140);
                break;
            case FaultKind.CostSpike:
                variant = agent.Secondary is not null && rng.Chance(0.5) ? "router_shift" : "more_calls";
                (magnitude, severity) = variant == "router_shift" ? LinearRange(rng, 0.9, 1.0) : LinearRange(rng, 3, 8);
                seconds = ForTraces(40, 120);
                break;
            case FaultKind.Silence:
                (magnitude, severity) = LogRange(rng, 8, 20);
                variant = "gap";
                seconds = magnitude / rate;
                if (endSeconds - start < 5 * 3600 && rng.Chance(0.5))
                {
                    variant = "until_end";
                    seconds = endSeconds - start;
                    magnitude = seconds * rate;
                    severity = "high";
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown fault kind");
        }

        // The fault must fit, with room after it to observe the end (a silence until the end is the exception).
        if (variant != "until_end" && start + seconds > endSeconds - (15 * 60))
        {
            return null;
        }

        return (variant, magnitude, severity, share, seconds);
    }

    private static (double Value, string Severity) LogRange(ScenarioRandom rng, double min, double max)
    {
        var u = rng.NextDouble();
        return (Math.Exp(Math.Log(min) + (u * (Math.Log(max) - Math.Log(min)))), Severity(u));
    }

    private static (double Value, string Severity) LinearRange(ScenarioRandom rng, double min, double max)
    {
        var u = rng.NextDouble();
        return (min + (u * (max - min)), Severity(u));
    }

    private static string Severity(double u) => u < 1.0 / 3 ? "low" : u < 2.0 / 3 ? "medium" : "high";
}
