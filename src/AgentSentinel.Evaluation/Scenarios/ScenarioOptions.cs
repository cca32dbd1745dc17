using AgentSentinel.Detection;
using AgentSentinel.Detection.Detectors;

namespace AgentSentinel.Evaluation.Scenarios;

/// <summary>Settings of <c>agentsentinel eval scenarios</c>: the generated fleet, the scoring windows and the detectors.</summary>
public sealed class ScenarioOptions
{
    /// <summary>Seed of everything random: same seed, same traffic, same faults, same report bytes.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Simulated agents (archetypes in rotation: chat, rag, react, planner).</summary>
    public int Agents { get; set; } = 24;

    /// <summary>Simulated hours of the fault scenario.</summary>
    public double Hours { get; set; } = 24;

    /// <summary>Simulated hours of the clean (fault-free) scenario, with the same number of agents (0 = skip it).</summary>
    public double CleanHours { get; set; } = 24;

    /// <summary>Clean traffic before any agent's first fault, so that baselines warm.</summary>
    public double BurnInHours { get; set; } = 3;

    /// <summary>Clean minutes between two faults of one agent (drawn between this and twice this).</summary>
    public double MinGapMinutes { get; set; } = 75;

    /// <summary>Minutes after a fault's end in which a detection still counts (and an anomaly is not false).</summary>
    public double GraceMinutes { get; set; } = 15;

    /// <summary>Anomalies of one agent less than this many minutes apart form one incident.</summary>
    public double IncidentGapMinutes { get; set; } = 30;

    /// <summary>Simulated seconds between two watermark advances of every agent (time-driven detectors such as silence).</summary>
    public double WatermarkStepSeconds { get; set; } = 10;

    /// <summary>The detection settings every agent gets.</summary>
    public DetectionOptions Detection { get; set; } = new();

    /// <summary>The detectors each agent gets; <see cref="DetectorSet.CreateDefault"/> when null.</summary>
    public Func<DetectionOptions, IEnumerable<IAgentDetector>>? DetectorFactory { get; set; }

    /// <summary>Every problem with these settings, each naming its option (empty when valid).</summary>
    public IEnumerable<string> Validate()
    {
        if (Agents is < 1 or > 1000)
        {
            yield return $"agents must be between 1 and 1000 (was {Agents})";
        }

        if (!(Hours >= BurnInHours + 1) || Hours > 24 * 60)
        {
            yield return $"hours must be at least burn-in + 1 ({BurnInHours + 1}) and at most 1440 (was {Hours})";
        }

        if (!(CleanHours >= 0) || CleanHours > 24 * 365)
        {
            yield return $"clean-hours must be between 0 and 8760 (was {CleanHours})";
        }

        if (!(BurnInHours >= 0))
        {
            yield return $"burn-in hours must not be negative (was {BurnInHours})";
        }

        if (!(MinGapMinutes > 0) || !(GraceMinutes >= 0) || !(IncidentGapMinutes > 0) || !(WatermarkStepSeconds > 0))
        {
            yield return "gap, grace, incident gap and watermark step must be positive";
        }

        foreach (var problem in Detection.Validate())
        {
            yield return problem;
        }
    }
}
