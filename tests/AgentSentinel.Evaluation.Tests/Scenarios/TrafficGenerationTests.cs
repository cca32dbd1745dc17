using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;
using AgentSentinel.Evaluation.Scenarios;

namespace AgentSentinel.Evaluation.Tests.Scenarios;

/// <summary>A fault scenario (12 agents × 16 h) and a clean one (8 agents × 24 h), generated once for the class.</summary>
public sealed class GeneratedTraffic
{
    public GeneratedTraffic()
    {
        var options = new ScenarioOptions { Seed = 11, Agents = 12 };
        FaultWorld = ScenarioWorld.Create(options, 16, withFaults: true, stream: 1);
        Faulty = Collect(FaultWorld);
        CleanWorld = ScenarioWorld.Create(new ScenarioOptions { Seed = 11, Agents = 8 }, 24, withFaults: false, stream: 2);
        Clean = Collect(CleanWorld);
    }

    internal ScenarioWorld FaultWorld { get; }
    internal ScenarioWorld CleanWorld { get; }
    internal Dictionary<string, List<AgentTrace>> Faulty { get; }
    internal Dictionary<string, List<AgentTrace>> Clean { get; }

    private static Dictionary<string, List<AgentTrace>> Collect(ScenarioWorld world)
    {
        var result = new Dictionary<string, List<AgentTrace>>();
        foreach (var stream in world.CreateStreams())
        {
            var list = new List<AgentTrace>();
            while (stream.TryNext(out var trace))
            {
                list.Add(trace);
            }

            result[stream.Profile.Name] = list;
        }

        return result;
    }
}

public sealed class TrafficGenerationTests(GeneratedTraffic traffic) : IClassFixture<GeneratedTraffic>
{
    private IEnumerable<(FaultLabel Fault, AgentTrace[] Inside)> FaultsOf(FaultKind kind) =>
        traffic.FaultWorld.Faults.Where(f => f.Kind == kind)
            .Select(f => (f, traffic.Faulty[f.Agent].Where(t => f.Covers(t.CompletedAtUnixNano)).ToArray()));

    private IEnumerable<AgentTrace> OutsideFaults(string agent) =>
        traffic.Faulty[agent].Where(t => !traffic.FaultWorld.Faults.Any(f => f.Agent == agent && f.Covers(t.CompletedAtUnixNano)));

    private static IEnumerable<AgentSpan> Chats(AgentTrace t) => t.Spans.Where(s => s.Operation == SpanOperation.Chat);

    private static int LongestIdenticalToolRun(AgentTrace trace) =>
        trace.Spans.Where(s => s.Operation == SpanOperation.ExecuteTool && !s.IsError)
            .GroupBy(s => (s.ToolName, s.ToolArgumentsHash, s.ToolResultHash))
            .Select(g => g.Count())
            .DefaultIfEmpty(0)
            .Max();

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    [Fact]
    public void The_same_seed_generates_the_same_traces_and_another_seed_does_not()
    {
        var again = ScenarioWorld.Create(new ScenarioOptions { Seed = 11, Agents = 12 }, 16, withFaults: true, stream: 1);
        Assert.Equal(traffic.FaultWorld.Faults, again.Faults);
        var stream = again.CreateStreams()[3];
        foreach (var expected in traffic.Faulty[stream.Profile.Name].Take(300))
        {
            Assert.True(stream.TryNext(out var actual));
            Assert.Equal(expected.TraceId, actual.TraceId);
            Assert.Equal(expected.CompletedAtUnixNano, actual.CompletedAtUnixNano);
            Assert.Equal(expected.Spans, actual.Spans);
        }

        var other = ScenarioWorld.Create(new ScenarioOptions { Seed = 12, Agents = 12 }, 16, withFaults: true, stream: 1);
        Assert.NotEqual(traffic.FaultWorld.Faults, other.Faults);
    }

    [Fact]
    public void Traces_come_in_completion_order_with_the_root_last_and_every_span_inside_it()
    {
        foreach (var traces in traffic.Clean.Values)
        {
            for (var i = 1; i < traces.Count; i++)
            {
                Assert.True(traces[i].CompletedAtUnixNano > traces[i - 1].CompletedAtUnixNano);
            }

            foreach (var trace in traces.Take(200))
            {
                var root = trace.Spans[^1];
                Assert.True(root.ParentSpanId.IsEmpty);
                Assert.Equal(SpanOperation.InvokeAgent, root.Operation);
                Assert.Equal(trace.CompletedAtUnixNano, root.EndUnixNano);
                Assert.All(trace.Spans, s => Assert.True(s.StartUnixNano >= root.StartUnixNano && s.EndUnixNano <= root.EndUnixNano && s.EndUnixNano >= s.StartUnixNano));
                Assert.All(trace.Spans[..^1], s => Assert.Contains(trace.Spans, p => p.SpanId == s.ParentSpanId));
            }
        }
    }

    [Fact]
    public void Every_fault_kind_is_planned_at_least_eight_times_in_a_default_run_after_the_burn_in_and_one_at_a_time_per_agent()
    {
        var options = new ScenarioOptions();
        var world = ScenarioWorld.Create(options, options.Hours, withFaults: true, stream: 1);
        foreach (var kind in FaultDetectionMap.AllFaults)
        {
            Assert.True(world.Faults.Count(f => f.Kind == kind) >= 8, kind.WireName());
            Assert.True(world.Faults.Where(f => f.Kind == kind).Select(f => f.Severity).Distinct().Count() >= 2, kind.WireName());
        }

        Assert.Contains(world.Faults, f => f.Onset == "ramp" && f.Kind != FaultKind.TokenCreep);
        Assert.Contains(world.Faults, f => f.Kind == FaultKind.Silence && f.Variant == "until_end" && f.EndUnixNano == world.EndUnixNano);
        var burnIn = world.StartUnixNano + (long)(options.BurnInHours * 3600e9);
        Assert.All(world.Faults, f => Assert.True(f.StartUnixNano >= burnIn && f.EndUnixNano > f.StartUnixNano && f.EndUnixNano <= world.EndUnixNano));
        foreach (var agent in world.Faults.GroupBy(f => f.Agent))
        {
            var ordered = agent.OrderBy(f => f.StartUnixNano).ToArray();
            for (var i = 1; i < ordered.Length; i++)
            {
                Assert.True(ordered[i].StartUnixNano > ordered[i - 1].EndUnixNano);
            }

            var profile = world.Agents.Single(a => a.Name == agent.Key);
            Assert.All(ordered, f => Assert.True(profile.Supports(f.Kind)));
        }
    }

    [Fact]
    public void Normal_traffic_has_the_configured_base_rates_of_benign_events()
    {
        var stats = new TrafficStats();
        var scores = new List<double>();
        foreach (var trace in traffic.Clean.Values.SelectMany(t => t))
        {
            stats.Add(trace);
            scores.AddRange(trace.Spans.Where(s => s.RetrievalTopScore is not null).Select(s => s.RetrievalTopScore!.Value));
        }

        Assert.InRange((double)stats.ToolErrors / stats.ToolCalls, 0.008, 0.035);
        Assert.InRange((double)stats.LengthFinishes / stats.FinalAnswers, 0.007, 0.025);
        Assert.InRange((double)stats.ContentFilterFinishes / stats.FinalAnswers, 0.001, 0.007);
        Assert.InRange((double)stats.ErrorTraces / stats.Traces, 0.002, 0.012);
        Assert.InRange((double)stats.EmptyRetrievals / stats.Retrievals, 0.003, 0.02);
        Assert.InRange(scores.Average(), 0.76, 0.84);

        // Every retried tool error is followed by the same tool with the same arguments.
        foreach (var trace in traffic.Clean.Values.SelectMany(t => t).Where(t => !t.Spans[^1].IsError))
        {
            var spans = trace.Spans;
            for (var i = 0; i < spans.Length; i++)
            {
                if (spans[i].Operation == SpanOperation.ExecuteTool && spans[i].IsError)
                {
                    Assert.Contains(spans[(i + 1)..], s => s.ToolName == spans[i].ToolName && s.ToolArgumentsHash == spans[i].ToolArgumentsHash);
                }
            }
        }
    }

    [Fact]
    public void Agents_of_an_archetype_differ_and_traffic_follows_a_daily_cycle()
    {
        var rags = traffic.CleanWorld.Agents.Where(a => a.Archetype == AgentArchetype.Rag).ToArray();
        Assert.NotEqual(rags[0].InputMedian, rags[1].InputMedian);
        Assert.NotEqual(rags[0].PeakRatePerHour, rags[1].PeakRatePerHour);

        var chat = traffic.CleanWorld.Agents[0];
        var perHour = new int[24];
        foreach (var t in traffic.Clean[chat.Name])
        {
            perHour[(int)((t.CompletedAtUnixNano - traffic.CleanWorld.StartUnixNano) / 3_600_000_000_000L)]++;
        }

        Assert.True(perHour.Max() > 1.6 * perHour.Min(), string.Join(",", perHour));
    }

    [Fact]
    public void Planner_traces_nest_sub_agents_three_to_five_levels_deep_and_react_traces_take_one_to_six_steps()
    {
        foreach (var planner in traffic.CleanWorld.Agents.Where(a => a.Archetype == AgentArchetype.Planner))
        {
            var depths = traffic.Clean[planner.Name].Select(Depth).ToArray();
            Assert.Equal(3, depths.Min());
            Assert.InRange(depths.Max(), 4, 5);
        }

        foreach (var react in traffic.CleanWorld.Agents.Where(a => a.Archetype == AgentArchetype.ReactAgent))
        {
            var finals = traffic.Clean[react.Name].Where(t => !t.Spans[^1].IsError)
                .Select(t => t.Spans.Count(s => s.Operation == SpanOperation.Chat && s.FinishReasons == FinishReasons.ToolCalls))
                .ToArray();
            Assert.Equal(1, finals.Min());
            Assert.InRange(finals.Max(), 4, 40);
        }

        static int Depth(AgentTrace trace)
        {
            var parents = trace.Spans.ToDictionary(s => s.SpanId, s => s.ParentSpanId);
            return trace.Spans.Max(s =>
            {
                var depth = 1;
                for (var p = s.ParentSpanId; !p.IsEmpty; p = parents[p])
                {
                    depth++;
                }

                return depth;
            });
        }
    }

    [Fact]
    public void A_tool_loop_fault_repeats_the_same_tool_arguments_and_result_while_normal_repeats_are_short()
    {
        foreach (var (fault, inside) in FaultsOf(FaultKind.ToolLoop))
        {
            var looping = inside.Count(t => LongestIdenticalToolRun(t) >= 4);
            Assert.True(looping >= fault.Share * inside.Length * 0.5, $"{looping} of {inside.Length} (share {fault.Share})");
            Assert.All(OutsideFaults(fault.Agent), t => Assert.True(LongestIdenticalToolRun(t) <= 2));
        }

        // Legitimate repeats exist: the same tool again with new arguments or a new result.
        Assert.Contains(traffic.Clean.Values.SelectMany(t => t), t =>
            t.Spans.Where(s => s.Operation == SpanOperation.ExecuteTool).GroupBy(s => s.ToolName).Any(g => g.Count() >= 3));
    }

    [Fact]
    public void A_silence_fault_has_no_traces_inside_its_window()
    {
        var silences = FaultsOf(FaultKind.Silence).ToArray();
        Assert.NotEmpty(silences);
        foreach (var (fault, inside) in silences)
        {
            Assert.Empty(inside);
            Assert.Contains(traffic.Faulty[fault.Agent], t => t.CompletedAtUnixNano < fault.StartUnixNano);
        }
    }

    [Fact]
    public void An_error_answered_around_fault_has_unretried_tool_errors_followed_by_a_stop_answer_and_clean_traffic_never_does()
    {
        foreach (var (fault, inside) in FaultsOf(FaultKind.ErrorAnsweredAround))
        {
            var answered = inside.Count(AnsweredAround);
            Assert.True(answered >= fault.Share * inside.Length * 0.6, $"{fault}: {answered} of {inside.Length}");
        }

        Assert.DoesNotContain(traffic.Clean.Values.SelectMany(t => t), AnsweredAround);

        static bool AnsweredAround(AgentTrace trace)
        {
            var spans = trace.Spans;
            for (var i = 0; i < spans.Length; i++)
            {
                var failed = spans[i];
                if (failed.Operation == SpanOperation.ExecuteTool && failed.IsError
                    && !spans[(i + 1)..].Any(s => s.Operation == SpanOperation.ExecuteTool && s.ToolName == failed.ToolName && s.ToolArgumentsHash == failed.ToolArgumentsHash))
                {
                    var next = spans[(i + 1)..].FirstOrDefault(s => s.Operation == SpanOperation.Chat && s.ParentSpanId == failed.ParentSpanId);
                    return next.FinishReasons == FinishReasons.Stop && !spans[^1].IsError;
                }
            }

            return false;
        }
    }

    [Fact]
    public void Share_faults_raise_their_share_to_about_the_labelled_magnitude()
    {
        foreach (var (fault, inside) in FaultsOf(FaultKind.LengthSurge))
        {
            var share = inside.Count(t => Chats(t).Any(c => c.FinishReasons == FinishReasons.Length)) / (double)inside.Length;
            Assert.InRange(share, fault.Magnitude * 0.5, Math.Min(1, (fault.Magnitude * 1.8) + 0.1));
        }

        foreach (var (fault, inside) in FaultsOf(FaultKind.ContentFilterSurge))
        {
            var share = inside.Count(t => Chats(t).Any(c => c.FinishReasons == FinishReasons.ContentFilter)) / (double)inside.Length;
            Assert.InRange(share, fault.Magnitude * 0.4, (fault.Magnitude * 1.8) + 0.1);
        }

        foreach (var (fault, inside) in FaultsOf(FaultKind.ToolErrorStorm))
        {
            var tools = inside.SelectMany(t => t.Spans).Where(s => s.Operation == SpanOperation.ExecuteTool).ToArray();
            Assert.InRange(tools.Count(s => s.IsError) / (double)tools.Length, fault.Magnitude * 0.6, (fault.Magnitude * 1.4) + 0.05);
        }
    }

    [Fact]
    public void Token_latency_and_cost_faults_move_their_feature_by_about_the_labelled_factor()
    {
        foreach (var (fault, inside) in FaultsOf(FaultKind.TokenBlowUp))
        {
            Func<AgentTrace, double> tokens = fault.Variant == "output" ? t => Chats(t).Sum(c => c.OutputTokens ?? 0) : t => Chats(t).Sum(c => c.InputTokens ?? 0);
            var before = Median(OutsideFaults(fault.Agent).Select(tokens));
            Assert.True(Median(inside.Select(tokens)) > before * fault.Magnitude * 0.6, fault.ToString());
        }

        foreach (var (fault, inside) in FaultsOf(FaultKind.TokenCreep))
        {
            var third = inside.Length / 3;
            Assert.True(Median(inside[^third..].Select(TotalTokens)) > Median(inside[..third].Select(TotalTokens)) * (1 + (fault.Magnitude * 0.25)), fault.ToString());
        }

        foreach (var (fault, inside) in FaultsOf(FaultKind.LatencyRegression))
        {
            var before = Median(OutsideFaults(fault.Agent).Select(t => (double)Chats(t).Max(c => c.DurationNanos)));
            Assert.True(Median(inside.Select(t => (double)Chats(t).Max(c => c.DurationNanos))) > before * 1.4, fault.ToString());
        }

        foreach (var (fault, inside) in FaultsOf(FaultKind.CostSpike))
        {
            var profile = traffic.FaultWorld.Agents.Single(a => a.Name == fault.Agent);
            if (fault.Variant == "more_calls")
            {
                var before = Median(OutsideFaults(fault.Agent).Select(t => (double)Chats(t).Count()));
                Assert.True(Median(inside.Select(t => (double)Chats(t).Count())) >= before * 2.5, fault.ToString());
            }
            else
            {
                var pricier = inside.SelectMany(Chats).Count(c => c.RequestModel == profile.Secondary!.Request) / (double)inside.SelectMany(Chats).Count();
                Assert.True(pricier > 0.8, fault.ToString());
            }
        }

        static double TotalTokens(AgentTrace t) => Chats(t).Sum(c => c.TotalTokens ?? 0);
    }

    [Fact]
    public void A_model_swap_answers_with_a_model_the_agent_never_used_and_retrieval_degradation_lowers_scores_or_empties_results()
    {
        foreach (var (fault, inside) in FaultsOf(FaultKind.ModelSwap))
        {
            var usual = OutsideFaults(fault.Agent).SelectMany(Chats).Select(c => c.ResponseModel).ToHashSet();
            var swapped = inside.Count(t => Chats(t).Any(c => !usual.Contains(c.ResponseModel)));
            Assert.True(swapped >= fault.Share * inside.Length * 0.6, $"{swapped} of {inside.Length}");
        }

        foreach (var (fault, inside) in FaultsOf(FaultKind.RetrievalDegradation))
        {
            var outside = OutsideFaults(fault.Agent).SelectMany(t => t.Spans).Where(s => s.Operation == SpanOperation.Retrieval).ToArray();
            var during = inside.SelectMany(t => t.Spans).Where(s => s.Operation == SpanOperation.Retrieval).ToArray();
            var scoreDrop = outside.Where(s => s.RetrievalTopScore is not null).Average(s => s.RetrievalTopScore!.Value)
                - during.Where(s => s.RetrievalTopScore is not null).Average(s => s.RetrievalTopScore!.Value);
            var empty = during.Count(s => s.RetrievalDocuments == 0) / (double)during.Length;
            Assert.True(scoreDrop > 0.07 || empty > 0.08, $"{fault}: drop {scoreDrop}, empty {empty}");
        }
    }
}
