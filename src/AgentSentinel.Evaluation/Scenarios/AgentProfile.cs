namespace AgentSentinel.Evaluation.Scenarios;

/// <summary>The kinds of agent the scenarios simulate.</summary>
public enum AgentArchetype
{
    /// <summary>One model call per request (sometimes a follow-up).</summary>
    ChatAssistant,
    /// <summary>Retrieval, then an answer grounded in the documents.</summary>
    Rag,
    /// <summary>A ReAct loop: model call, tool, model call, ... 1–6 steps.</summary>
    ReactAgent,
    /// <summary>A planner delegating to nested sub-agents (depth 3–5), each with its own calls.</summary>
    Planner,
}

/// <summary>A model as the simulation uses it: names, provider and latency shape. Prices come from the catalogue, by name.</summary>
/// <param name="Request">gen_ai.request.model.</param>
/// <param name="Response">gen_ai.response.model (often a dated version of the request name).</param>
/// <param name="Provider">gen_ai.provider.name.</param>
/// <param name="TimeToFirstTokenMs">Median time before the first output token.</param>
/// <param name="MsPerOutputToken">Decode time per output token.</param>
/// <param name="NewVersion">The response model string a silent provider-side upgrade would report.</param>
/// <param name="Sibling">The model a configuration change typically swaps to.</param>
/// <param name="Reasoning">Whether the model reports reasoning tokens.</param>
internal sealed record ModelSpec(
    string Request, string Response, string Provider, double TimeToFirstTokenMs, double MsPerOutputToken,
    string NewVersion, string Sibling, bool Reasoning = false)
{
    public static readonly ModelSpec Gpt4o = new("gpt-4o", "gpt-4o-2024-08-06", "openai", 450, 11, "gpt-4o-2024-11-20", "gpt-4o-mini");
    public static readonly ModelSpec Gpt4oMini = new("gpt-4o-mini", "gpt-4o-mini-2024-07-18", "openai", 320, 7, "gpt-4o-mini-2025-01-15", "gpt-4o");
    public static readonly ModelSpec Sonnet = new("claude-3-5-sonnet-20241022", "claude-3-5-sonnet-20241022", "anthropic", 650, 14, "claude-3-5-sonnet-20240620", "claude-3-5-haiku-20241022");
    public static readonly ModelSpec Haiku = new("claude-3-5-haiku-20241022", "claude-3-5-haiku-20241022", "anthropic", 380, 8, "claude-3-haiku-20240307", "claude-3-5-sonnet-20241022");
    public static readonly ModelSpec Flash = new("gemini-1.5-flash", "gemini-1.5-flash-002", "gcp.gemini", 280, 5, "gemini-1.5-flash-001", "gpt-4o-mini");
    public static readonly ModelSpec O3Mini = new("o3-mini", "o3-mini-2025-01-31", "openai", 1400, 9, "o3-mini-2025-04-16", "gpt-4o", Reasoning: true);

    public static IReadOnlyList<ModelSpec> All { get; } = [Gpt4o, Gpt4oMini, Sonnet, Haiku, Flash, O3Mini];

    public static ModelSpec ByRequest(string request) =>
        All.FirstOrDefault(m => m.Request == request) ?? throw new ArgumentException($"unknown model '{request}'", nameof(request));
}

/// <summary>A smooth dip in an agent's traffic (a lull): the rate falls to <see cref="Depth"/> of normal at the centre.</summary>
internal readonly record struct TrafficDip(double CenterSeconds, double HalfWidthSeconds, double Depth);

/// <summary>
/// One simulated agent's parameters. Agents of the same archetype differ in all of them: rate, diurnal shape, token
/// distributions, models, tools and the base rates of benign events.
/// </summary>
internal sealed class AgentProfile
{
    public required string Name { get; init; }
    public required AgentArchetype Archetype { get; init; }
    public required int Index { get; init; }

    /// <summary>Mean traces per hour at the daily peak.</summary>
    public required double PeakRatePerHour { get; init; }
    /// <summary>Hour of the day (scenario time) of the traffic peak.</summary>
    public required double PeakHour { get; init; }
    /// <summary>Rate at the daily trough as a share of the peak.</summary>
    public required double TroughShare { get; init; }
    public required TrafficDip[] Dips { get; init; }

    public required ModelSpec Primary { get; init; }
    /// <summary>A second (pricier) model a router sends some calls to, else null.</summary>
    public ModelSpec? Secondary { get; init; }
    public double SecondaryShare { get; init; }

    public required double InputMedian { get; init; }
    public required double InputSigma { get; init; }
    public required double OutputMedian { get; init; }
    public required double OutputSigma { get; init; }
    /// <summary>max_tokens: answers whose sampled length reaches it are cut (finish_reason=length).</summary>
    public required long MaxOutputTokens { get; init; }
    public required double LatencySigma { get; init; }
    /// <summary>Share of input tokens served from the prompt cache.</summary>
    public required double CachedShare { get; init; }

    public required double ToolErrorRate { get; init; }
    public required double LengthRate { get; init; }
    public required double ContentFilterRate { get; init; }
    public required double TraceErrorRate { get; init; }
    public required double EmptyRetrievalRate { get; init; }
    /// <summary>Share of traces with a legitimately repeated tool (pagination: same tool, new arguments; polling: same arguments, new result).</summary>
    public required double RepeatedToolRate { get; init; }
    public required double RetrievalScoreMean { get; init; }
    public required double RetrievalScoreSd { get; init; }

    public required string[] Tools { get; init; }
    public required double ToolLatencyMs { get; init; }
    public required string[] SubAgents { get; init; }
    public required int MinSteps { get; init; }
    public required int MaxSteps { get; init; }

    public bool HasTools => Tools.Length > 0;
    public bool HasRetrieval => Archetype == AgentArchetype.Rag || (Archetype == AgentArchetype.Planner && RetrievalInPlanner);
    public bool RetrievalInPlanner { get; init; }

    /// <summary>The rate (traces per second) at <paramref name="secondsSinceStart"/>: diurnal cosine times any lull.</summary>
    public double RatePerSecond(double secondsSinceStart)
    {
        var hour = secondsSinceStart / 3600.0 % 24.0;
        var phase = Math.Cos(2 * Math.PI * (hour - PeakHour) / 24.0);
        var diurnal = TroughShare + ((1 - TroughShare) * (0.5 + (0.5 * phase)));
        foreach (var dip in Dips)
        {
            var d = Math.Abs(secondsSinceStart - dip.CenterSeconds);
            if (d < dip.HalfWidthSeconds)
            {
                diurnal *= 1 - ((1 - dip.Depth) * 0.5 * (1 + Math.Cos(Math.PI * d / dip.HalfWidthSeconds)));
            }
        }

        return diurnal * PeakRatePerHour / 3600.0;
    }

    /// <summary>Whether the fault kind can be injected into this agent.</summary>
    public bool Supports(FaultKind kind) => kind switch
    {
        FaultKind.ToolLoop or FaultKind.ToolErrorStorm or FaultKind.ErrorAnsweredAround => HasTools,
        FaultKind.RetrievalDegradation => HasRetrieval,
        _ => true,
    };

    /// <summary>Creates agent <paramref name="index"/> of a fleet: archetypes in rotation, parameters drawn from <paramref name="rng"/>.</summary>
    public static AgentProfile Create(int index, ScenarioRandom rng, double scenarioSeconds)
    {
        var archetype = (AgentArchetype)(index % 4);
        var name = archetype switch
        {
            AgentArchetype.ChatAssistant => "chat",
            AgentArchetype.Rag => "rag",
            AgentArchetype.ReactAgent => "react",
            _ => "planner",
        } + "-" + (index / 4 + 1).ToString("00", System.Globalization.CultureInfo.InvariantCulture);

        var (primary, secondary) = PickModels(archetype, rng);
        var outputSigma = rng.Uniform(0.4, 0.75);
        var outputMedian = archetype switch
        {
            AgentArchetype.ChatAssistant => rng.Uniform(150, 420),
            AgentArchetype.Rag => rng.Uniform(200, 500),
            AgentArchetype.ReactAgent => rng.Uniform(150, 350),
            _ => rng.Uniform(250, 600),
        };
        var lengthRate = rng.Uniform(0.01, 0.02);
        var maxTokens = (long)Math.Round(outputMedian * Math.Exp(outputSigma * Statistics.NormalQuantile(1 - lengthRate)));

        var dips = new List<TrafficDip>();
        for (var t = rng.Uniform(2, 10) * 3600; t < scenarioSeconds; t += rng.Uniform(6, 14) * 3600)
        {
            dips.Add(new TrafficDip(t, rng.Uniform(15, 45) * 60, rng.Uniform(0.35, 0.65)));
        }

        string[] tools = archetype switch
        {
            AgentArchetype.ReactAgent => PickSome(rng, ReactTools, rng.Between(3, 6)),
            AgentArchetype.Planner => PickSome(rng, PlannerTools, rng.Between(3, 5)),
            _ => [],
        };

        return new AgentProfile
        {
            Name = name,
            Archetype = archetype,
            Index = index,
            PeakRatePerHour = archetype switch
            {
                AgentArchetype.ChatAssistant => rng.Uniform(180, 480),
                AgentArchetype.Rag => rng.Uniform(120, 320),
                AgentArchetype.ReactAgent => rng.Uniform(90, 240),
                _ => rng.Uniform(60, 140),
            },
            PeakHour = rng.Uniform(9, 17),
            TroughShare = rng.Uniform(0.25, 0.5),
            Dips = [.. dips],
            Primary = primary,
            Secondary = secondary,
            SecondaryShare = secondary is null ? 0 : rng.Uniform(0.2, 0.35),
            InputMedian = archetype switch
            {
                AgentArchetype.ChatAssistant => rng.Uniform(400, 1500),
                AgentArchetype.Rag => rng.Uniform(300, 700),
                AgentArchetype.ReactAgent => rng.Uniform(800, 2000),
                _ => rng.Uniform(1000, 2500),
            },
            InputSigma = rng.Uniform(0.35, 0.7),
            OutputMedian = outputMedian,
            OutputSigma = outputSigma,
            MaxOutputTokens = maxTokens,
            LatencySigma = rng.Uniform(0.15, 0.3),
            CachedShare = rng.Chance(0.5) ? rng.Uniform(0.2, 0.6) : 0,
            ToolErrorRate = rng.Uniform(0.01, 0.03),
            LengthRate = lengthRate,
            ContentFilterRate = rng.Uniform(0.002, 0.005),
            TraceErrorRate = rng.Uniform(0.003, 0.007),
            EmptyRetrievalRate = rng.Uniform(0.005, 0.015),
            RepeatedToolRate = rng.Uniform(0.03, 0.08),
            RetrievalScoreMean = rng.Uniform(0.77, 0.83),
            RetrievalScoreSd = rng.Uniform(0.06, 0.08),
            Tools = tools,
            ToolLatencyMs = rng.Uniform(120, 600),
            SubAgents = archetype == AgentArchetype.Planner ? PickSome(rng, SubAgentNames, 4) : [],
            MinSteps = 1,
            MaxSteps = archetype == AgentArchetype.ReactAgent ? rng.Between(4, 6) : 3,
            RetrievalInPlanner = archetype == AgentArchetype.Planner && rng.Chance(0.5),
        };
    }

    private static readonly string[] ReactTools =
        ["search_web", "get_weather", "run_sql", "fetch_url", "send_email", "lookup_order", "get_stock_price", "list_files", "read_file", "calculator"];

    private static readonly string[] PlannerTools =
        ["create_ticket", "query_crm", "search_docs", "run_python", "schedule_meeting", "fetch_report", "translate"];

    private static readonly string[] SubAgentNames = ["researcher", "coder", "reviewer", "writer", "analyst", "critic"];

    private static (ModelSpec Primary, ModelSpec? Secondary) PickModels(AgentArchetype archetype, ScenarioRandom rng)
    {
        // A router pairs a cheap model with a pricier one of the same family.
        if (rng.Chance(0.3))
        {
            return rng.Between(0, 2) switch
            {
                0 => (ModelSpec.Gpt4oMini, ModelSpec.Gpt4o),
                1 => (ModelSpec.Haiku, ModelSpec.Sonnet),
                _ => (ModelSpec.Flash, ModelSpec.Gpt4o),
            };
        }

        ModelSpec[] choices = archetype switch
        {
            AgentArchetype.ChatAssistant => [ModelSpec.Gpt4o, ModelSpec.Gpt4oMini, ModelSpec.Haiku, ModelSpec.Flash],
            AgentArchetype.Rag => [ModelSpec.Sonnet, ModelSpec.Gpt4o, ModelSpec.Flash, ModelSpec.Gpt4oMini],
            AgentArchetype.ReactAgent => [ModelSpec.Gpt4o, ModelSpec.Sonnet, ModelSpec.O3Mini, ModelSpec.Gpt4oMini],
            _ => [ModelSpec.Sonnet, ModelSpec.Gpt4o, ModelSpec.O3Mini],
        };
        return (rng.Pick(choices), null);
    }

    private static string[] PickSome(ScenarioRandom rng, string[] pool, int count)
    {
        var copy = (string[])pool.Clone();
        for (var i = copy.Length - 1; i > 0; i--)
        {
            var j = rng.Between(0, i);
            (copy[i], copy[j]) = (copy[j], copy[i]);
        }

        return copy[..Math.Min(count, copy.Length)];
    }
}
