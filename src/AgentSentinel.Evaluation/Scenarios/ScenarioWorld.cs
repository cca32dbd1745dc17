namespace AgentSentinel.Evaluation.Scenarios;

/// <summary>
/// A generated scenario before it runs: the fleet's profiles, the labelled faults and the time span. Streams of traces
/// are created from it on demand (nothing is held in memory beyond one trace per agent).
/// </summary>
internal sealed class ScenarioWorld
{
    /// <summary>Scenario time zero: Monday 2026-01-05 00:00 UTC.</summary>
    public const long EpochUnixNano = 1_767_571_200L * 1_000_000_000L;

    private ScenarioWorld(ulong seed, AgentProfile[] agents, FaultLabel[] faults, double hours)
    {
        Seed = seed;
        Agents = agents;
        Faults = faults;
        Hours = hours;
    }

    public ulong Seed { get; }
    public IReadOnlyList<AgentProfile> Agents { get; }
    public IReadOnlyList<FaultLabel> Faults { get; }
    public double Hours { get; }
    public long StartUnixNano { get; } = EpochUnixNano;
    public long EndUnixNano => EpochUnixNano + (long)Math.Round(Hours * 3600 * 1e9);

    /// <summary>
    /// Generates a fleet of <see cref="ScenarioOptions.Agents"/> agents over <paramref name="hours"/>, with faults
    /// planned by <see cref="FaultPlanner"/> when <paramref name="withFaults"/>. <paramref name="stream"/> separates
    /// the fault scenario's fleet from the clean one's (different agents, same seed).
    /// </summary>
    public static ScenarioWorld Create(ScenarioOptions options, double hours, bool withFaults, ulong stream)
    {
        var seed = (ulong)(uint)options.Seed;
        var profileRng = new ScenarioRandom(seed, stream, 100);
        var agents = new AgentProfile[options.Agents];
        for (var i = 0; i < agents.Length; i++)
        {
            agents[i] = AgentProfile.Create(i, profileRng, hours * 3600);
        }

        var faults = withFaults
            ? FaultPlanner.Plan(agents, new ScenarioOptions
            {
                Hours = hours,
                BurnInHours = options.BurnInHours,
                MinGapMinutes = options.MinGapMinutes,
            }, EpochUnixNano, new ScenarioRandom(seed, stream, 200))
            : [];
        return new ScenarioWorld(seed ^ (stream * 0x5851F42D4C957F2DUL), agents, [.. faults], hours);
    }

    /// <summary>One fresh traffic stream per agent, in agent order.</summary>
    public AgentTrafficStream[] CreateStreams() =>
        [.. Agents.Select(a => new AgentTrafficStream(a, Faults, StartUnixNano, Hours * 3600, Seed))];
}
