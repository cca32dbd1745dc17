using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Spans;
using AgentSentinel.Detection.Features;
using AgentSentinel.Remediation.Policies;
using AgentSentinel.Remediation.Recovery;

namespace AgentSentinel.Remediation.Tests.Recovery;

public sealed class RecoveryCheckTests
{
    private static readonly RecoverySettings Settings = new(Alpha: 0.05, Beta: 0.1, FaultRateMultiplier: 5, MinRateIncrease: 0.2);

    private static ReferenceSample Reference(int traces = 512, int seed = 1, bool withCost = true)
    {
        var traffic = new ProbeTraffic(seed, withCost);
        var reference = new ReferenceSample();
        for (var i = 0; i < traces; i++)
        {
            reference.Add(traffic.Features());
        }

        return reference;
    }

    private static TraceFeatures Features(Action<TraceBuilder> build, bool rootError = false)
    {
        var builder = new TraceBuilder(1);
        build(builder);
        return TraceFeatures.Compute(builder.Build(rootError));
    }

    /// <summary>A probe of up to 300 primary traces judged by the check; concluded if still undecided.</summary>
    private static RecoveryVerdict Probe(RecoveryCheck check, ProbeTraffic traffic, Fault fault)
    {
        var test = check.StartTest(Settings, minTraces: 20);
        for (var i = 0; i < 300 && test.Verdict == RecoveryVerdict.Undecided; i++)
        {
            test.Add(check.IsBad(traffic.Features(fault)));
        }

        return test.Conclude();
    }

    private static readonly Dictionary<string, Fault> FaultsByName = new()
    {
        ["tokens x5"] = new Fault { TokenFactor = 5 },
        ["tokens x1.8"] = new Fault { TokenFactor = 1.8 },
        ["latency x4"] = new Fault { LatencyFactor = 4 },
        ["latency x1.8"] = new Fault { LatencyFactor = 1.8 },
        ["price x5"] = new Fault { PriceFactor = 5 },
        ["price x2"] = new Fault { PriceFactor = 2 },
        ["loops in half the traces"] = new Fault { LoopShare = 0.5 },
        ["runaway in 40%"] = new Fault { RunawayShare = 0.4 },
        ["30% truncated"] = new Fault { LengthShare = 0.3 },
        ["30% filtered"] = new Fault { FilterShare = 0.3 },
        ["40% tool errors"] = new Fault { ToolErrorShare = 0.4 },
        ["40% failed"] = new Fault { FailShare = 0.4 },
        ["40% answered around"] = new Fault { AnsweredAroundShare = 0.4 },
        ["scores down 0.2"] = new Fault { RetrievalScoreShift = 0.2 },
        ["40% empty retrievals"] = new Fault { EmptyRetrievalShare = 0.4 },
        ["another model, wordier and faster"] = new Fault { Model = "gpt-4o-mini", TokenFactor = 2.5, LatencyFactor = 0.5 },
        ["tokens and latency x2"] = new Fault { TokenFactor = 2, LatencyFactor = 2 },
        ["latency x3"] = new Fault { LatencyFactor = 3 },
    };

    [Theory]
    [InlineData(AnomalyKinds.TokenSpike, "tokens x5")]
    [InlineData(AnomalyKinds.TokenDrift, "tokens x1.8")]
    [InlineData(AnomalyKinds.LatencySpike, "latency x4")]
    [InlineData(AnomalyKinds.LatencyDrift, "latency x1.8")]
    [InlineData(AnomalyKinds.CostSpike, "price x5")]
    [InlineData(AnomalyKinds.CostDrift, "price x2")]
    [InlineData(AnomalyKinds.ToolLoop, "loops in half the traces")]
    [InlineData(AnomalyKinds.RunawayDepth, "runaway in 40%")]
    [InlineData(AnomalyKinds.LengthSurge, "30% truncated")]
    [InlineData(AnomalyKinds.ContentFilterSurge, "30% filtered")]
    [InlineData(AnomalyKinds.ToolErrorSurge, "40% tool errors")]
    [InlineData(AnomalyKinds.TraceErrorSurge, "40% failed")]
    [InlineData(AnomalyKinds.ErrorAnsweredAround, "40% answered around")]
    [InlineData(AnomalyKinds.RetrievalDegradation, "scores down 0.2")]
    [InlineData(AnomalyKinds.RetrievalDegradation, "40% empty retrievals")]
    [InlineData(AnomalyKinds.ModelChange, "another model, wordier and faster")]
    [InlineData(AnomalyKinds.MultivariateOutlier, "tokens and latency x2")]
    [InlineData("some_future_kind", "latency x3")]
    public void A_probe_that_sees_the_fault_again_fails(string kind, string faultName)
    {
        var fault = FaultsByName[faultName];
        var check = RecoveryCheck.For(kind, Reference(), Settings);
        var failed = 0;
        for (var seed = 0; seed < 20; seed++)
        {
            failed += Probe(check, new ProbeTraffic(1000 + seed), fault) == RecoveryVerdict.StillFaulty ? 1 : 0;
        }

        Assert.True(failed >= 19, $"{kind}: {failed}/20 probes failed; {check.Rule}");
    }

    public static TheoryData<string> Kinds => [.. AnomalyKinds.All.Append("some_future_kind")];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_probe_of_a_healthy_agent_recovers(string kind)
    {
        var check = RecoveryCheck.For(kind, Reference(), Settings);
        var recovered = 0;
        for (var seed = 0; seed < 50; seed++)
        {
            recovered += Probe(check, new ProbeTraffic(2000 + seed), Fault.None) == RecoveryVerdict.Recovered ? 1 : 0;
        }

        // Beta = 10 %: about 45 of 50.
        Assert.True(recovered >= 40, $"{kind}: {recovered}/50 probes recovered; {check.Rule}");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_baseline_rate_predicts_the_bad_share_of_new_healthy_traffic(string kind)
    {
        var check = RecoveryCheck.For(kind, Reference(), Settings);
        var traffic = new ProbeTraffic(77);
        var bad = 0;
        const int Traces = 3000;
        for (var i = 0; i < Traces; i++)
        {
            bad += check.IsBad(traffic.Features()) ? 1 : 0;
        }

        var share = bad / (double)Traces;
        Assert.True(share <= check.BaselineRate + 0.015 && (share >= check.BaselineRate - 0.03 || kind == AnomalyKinds.Silence),
            $"{kind}: {share:P1} of healthy traces bad, baseline rate {check.BaselineRate:P1}");
    }

    [Fact]
    public void A_token_spike_is_judged_above_the_reference_95th_percentile()
    {
        var reference = Reference();
        var check = RecoveryCheck.For(AnomalyKinds.TokenSpike, reference, Settings);
        var totals = Enumerable.Range(0, 512).Select(_ => 0.0).ToArray();
        var traffic = new ProbeTraffic(1);
        for (var i = 0; i < totals.Length; i++)
        {
            totals[i] = traffic.Features().TotalTokens;
        }

        Array.Sort(totals);
        Assert.Equal("total_tokens", check.Feature);
        Assert.Equal(totals[511 - 25], check.Threshold, 0);
        Assert.InRange(check.BaselineRate, 0.05, 0.15);
        Assert.Equal(512, check.ReferenceCount);
        Assert.False(check.IsBad(Features(b => b.Llm(1200, 200))));
        Assert.True(check.IsBad(Features(b => b.Llm(1200, 200).Llm(1200 * 5, 1000))));
        Assert.StartsWith("with total_tokens > ", check.Rule, StringComparison.Ordinal);
        Assert.Contains("max_call_tokens > ", check.Rule, StringComparison.Ordinal);
        Assert.EndsWith(" or failed", check.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Any_kind_but_silence_counts_a_failed_trace_as_bad()
    {
        var failed = Features(b => b.Llm(1200, 200, error: true));

        foreach (var kind in AnomalyKinds.All)
        {
            var check = RecoveryCheck.For(kind, Reference(), Settings);
            Assert.Equal(kind != AnomalyKinds.Silence, check.IsBad(failed));
        }
    }

    [Fact]
    public void Silence_counts_every_trace_as_good()
    {
        var check = RecoveryCheck.For(AnomalyKinds.Silence, Reference(), Settings);

        Assert.Equal("none", check.Feature);
        Assert.Equal(RecoveryCheck.MinBaselineRate, check.BaselineRate);
        Assert.False(check.IsBad(Features(b => b.Llm(1_000_000, 100_000, error: true))));
        Assert.Contains("traffic resumed", check.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Latency_is_judged_on_the_trace_and_its_slowest_call()
    {
        var check = RecoveryCheck.For(AnomalyKinds.LatencySpike, Reference(), Settings);

        Assert.Equal("duration_ms", check.Feature);
        Assert.False(check.IsBad(Features(b => b.Llm(1200, 200, ms: 600))));
        Assert.True(check.IsBad(Features(b => b.Llm(1200, 200, ms: 6000))));
        Assert.Contains("max_llm_latency_ms > ", check.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Cost_is_judged_on_cost_when_the_reference_has_costs()
    {
        var check = RecoveryCheck.For(AnomalyKinds.CostSpike, Reference(), Settings);
        var pricier = Features(b => b.Llm(1200, 200, cost: 1400 * 2.5e-6 * 10));

        Assert.Equal("cost_usd", check.Feature);
        Assert.True(check.IsBad(pricier));
        Assert.False(check.IsBad(Features(b => b.Llm(1200, 200, cost: 1400 * 2.5e-6))));
    }

    [Fact]
    public void Cost_falls_back_to_tokens_when_the_reference_has_no_costs()
    {
        var check = RecoveryCheck.For(AnomalyKinds.CostSpike, Reference(withCost: false), Settings);

        Assert.Equal("total_tokens", check.Feature);
        Assert.True(check.IsBad(Features(b => b.Llm(12_000, 2000))));
    }

    [Fact]
    public void A_tight_reference_still_leaves_a_margin_above_its_median()
    {
        var reference = new ReferenceSample();
        for (var i = 0; i < 200; i++)
        {
            reference.Add(Features(b => b.Llm(800, 200 + (i % 5))));
        }

        var check = RecoveryCheck.For(AnomalyKinds.TokenDrift, reference, Settings);

        Assert.Equal(1002 * 1.2, check.Threshold, 3);
        Assert.False(check.IsBad(Features(b => b.Llm(900, 250))));
        Assert.True(check.IsBad(Features(b => b.Llm(1100, 250))));
        Assert.Equal(RecoveryCheck.MinBaselineRate, check.BaselineRate);
    }

    [Fact]
    public void A_tool_loop_is_three_identical_calls_when_the_agent_never_repeats()
    {
        var check = RecoveryCheck.For(AnomalyKinds.ToolLoop, Reference(), Settings);

        Assert.Equal("longest_unchanged_tool_repeat", check.Feature);
        Assert.Equal(2, check.Threshold);
        Assert.False(check.IsBad(Features(b => b.Llm(1200, 200).Tool("fetch", 1, 2).Tool("fetch", 1, 2).Llm(1200, 200))));
        Assert.True(check.IsBad(Features(b => b.Llm(1200, 200).Tool("fetch", 1, 2).Tool("fetch", 1, 2).Tool("fetch", 1, 2))));
        Assert.True(check.IsBad(Features(b => b.Tool("a", 1, 1).Tool("b", 2, 2).Tool("a", 1, 1).Tool("b", 2, 2).Tool("a", 1, 1).Tool("b", 2, 2))));
    }

    [Fact]
    public void A_tool_loop_is_judged_above_what_the_agent_normally_repeats()
    {
        // A poller: every trace calls its status tool 5 times in a row with the same result.
        var reference = new ReferenceSample();
        for (var i = 0; i < 300; i++)
        {
            reference.Add(Features(b =>
            {
                b.Llm(1200, 200);
                for (var k = 0; k < 5; k++)
                {
                    b.Tool("status", 9, 9);
                }
            }));
        }

        var check = RecoveryCheck.For(AnomalyKinds.ToolLoop, reference, Settings);

        Assert.Equal(5, check.Threshold);
        Assert.False(check.IsBad(Features(b => b.Tool("status", 9, 9).Tool("status", 9, 9).Tool("status", 9, 9).Tool("status", 9, 9).Tool("status", 9, 9))));
        Assert.True(check.IsBad(Features(b =>
        {
            for (var k = 0; k < 6; k++)
            {
                b.Tool("status", 9, 9);
            }
        })));
    }

    [Fact]
    public void Runaway_depth_is_judged_on_depth_and_call_counts()
    {
        var check = RecoveryCheck.For(AnomalyKinds.RunawayDepth, Reference(), Settings);

        Assert.Equal("depth", check.Feature);
        Assert.False(check.IsBad(Features(b => b.Llm(1200, 200).Tool("search", 1, 2).Llm(1200, 200))));
        Assert.True(check.IsBad(Features(b =>
        {
            for (var k = 0; k < 8; k++)
            {
                b.Llm(100, 10, nested: true);
            }
        })));
        Assert.True(check.IsBad(Features(b =>
        {
            for (var k = 0; k < 8; k++)
            {
                b.Tool("search", (ulong)k, (ulong)k);
            }
        })));
    }

    [Theory]
    [InlineData(AnomalyKinds.LengthSurge, "truncated_calls")]
    [InlineData(AnomalyKinds.ContentFilterSurge, "content_filtered_calls")]
    [InlineData(AnomalyKinds.ToolErrorSurge, "tool_errors")]
    [InlineData(AnomalyKinds.ErrorAnsweredAround, "errors_answered_around")]
    [InlineData(AnomalyKinds.TraceErrorSurge, "failed")]
    public void Share_surges_count_a_trace_with_the_event_as_bad(string kind, string feature)
    {
        var check = RecoveryCheck.For(kind, Reference(), Settings);
        var clean = Features(b => b.Llm(1200, 200, finish: FinishReasons.ToolCalls).Tool("search", 1, 2).Llm(1200, 200));
        var withEvent = kind switch
        {
            AnomalyKinds.LengthSurge => Features(b => b.Llm(1200, 200, finish: FinishReasons.Length)),
            AnomalyKinds.ContentFilterSurge => Features(b => b.Llm(1200, 200, finish: FinishReasons.ContentFilter)),
            AnomalyKinds.ToolErrorSurge => Features(b => b.Llm(1200, 200, finish: FinishReasons.ToolCalls).Tool("search", 1, 2, error: true).Tool("search", 1, 3).Llm(1200, 200)),
            AnomalyKinds.ErrorAnsweredAround => Features(b => b.Llm(1200, 200, finish: FinishReasons.ToolCalls).Tool("lookup", 1, 2, error: true).Llm(1200, 200)),
            _ => Features(b => b.Llm(1200, 200), rootError: true),
        };

        Assert.Equal(feature, check.Feature);
        Assert.Equal(0, check.Threshold);
        Assert.False(check.IsBad(clean));
        Assert.True(check.IsBad(withEvent));
        Assert.InRange(check.BaselineRate, RecoveryCheck.MinBaselineRate, 0.1);
    }

    [Fact]
    public void The_baseline_rate_is_the_agents_own_share_of_events()
    {
        // An agent whose tools fail in about a third of its traces, normally.
        var reference = new ReferenceSample();
        for (var i = 0; i < 300; i++)
        {
            var failing = i % 3 == 0;
            reference.Add(Features(b => b.Llm(1200, 200, finish: FinishReasons.ToolCalls).Tool("search", 1, 2, error: failing).Llm(1200, 200)));
        }

        var check = RecoveryCheck.For(AnomalyKinds.ToolErrorSurge, reference, Settings);

        Assert.Equal(101.0 / 301, check.BaselineRate, 9);
        Assert.InRange(check.FaultRate, 0.6, 0.8);
    }

    [Fact]
    public void Retrieval_degradation_counts_empty_retrievals_and_low_scores()
    {
        var check = RecoveryCheck.For(AnomalyKinds.RetrievalDegradation, Reference(), Settings);

        Assert.Equal("retrieval_top_score", check.Feature);
        Assert.InRange(check.Threshold, 0.6, 0.74);
        Assert.False(check.IsBad(Features(b => b.Retrieval(5, 0.8).Llm(1200, 200))));
        Assert.True(check.IsBad(Features(b => b.Retrieval(5, 0.5).Llm(1200, 200))));
        Assert.True(check.IsBad(Features(b => b.Retrieval(0, null).Llm(1200, 200))));
        Assert.False(check.IsBad(Features(b => b.Llm(1200, 200))));
        Assert.Contains("retrieval_top_score < ", check.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void A_kind_it_does_not_know_gets_the_composite_rule()
    {
        var check = RecoveryCheck.For("prompt_injection_surge", Reference(), Settings);

        Assert.Equal("prompt_injection_surge", check.Kind);
        Assert.Equal("total_tokens", check.Feature);
        foreach (var part in new[] { "duration_ms", "cost_usd", "llm_calls", "tool_calls", "errors", "truncated_calls", "failed" })
        {
            Assert.Contains(part, check.Rule, StringComparison.Ordinal);
        }

        Assert.InRange(check.BaselineRate, 0.03, 0.2);
        Assert.True(check.IsBad(Features(b => b.Llm(1200, 200, ms: 20_000))));
    }

    [Fact]
    public void A_small_reference_uses_its_maximum_with_a_wide_margin_and_says_so()
    {
        var reference = new ReferenceSample();
        foreach (var output in new[] { 180, 200, 220, 190, 210 })
        {
            reference.Add(Features(b => b.Llm(1000, output)));
        }

        var check = RecoveryCheck.For(AnomalyKinds.TokenDrift, reference, Settings);

        Assert.Equal(1200 * 1.5, check.Threshold, 3);
        Assert.Equal(1.0 / 6, check.BaselineRate, 9);
        Assert.Contains("small reference of 5 traces", check.Rule, StringComparison.Ordinal);
        Assert.False(check.IsBad(Features(b => b.Llm(1100, 300))));
        Assert.True(check.IsBad(Features(b => b.Llm(3000, 300))));
    }

    [Fact]
    public void Without_reference_traces_only_failures_are_judged()
    {
        var check = RecoveryCheck.For(AnomalyKinds.TokenSpike, new ReferenceSample(), Settings);

        Assert.Equal(0.05, check.BaselineRate);
        Assert.Equal("failed", check.Feature);
        Assert.False(check.IsBad(Features(b => b.Llm(100_000, 100))));
        Assert.True(check.IsBad(Features(b => b.Llm(100, 100, error: true))));
        Assert.Contains("no reference traces", check.Rule, StringComparison.Ordinal);
        Assert.Contains("total_tokens, max_call_tokens", check.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void The_check_is_frozen_when_built()
    {
        var reference = Reference(100);
        var check = RecoveryCheck.For(AnomalyKinds.TokenSpike, reference, Settings);
        var threshold = check.Threshold;
        var spike = Features(b => b.Llm(50_000, 5000));
        for (var i = 0; i < 600; i++)
        {
            reference.Add(spike);
        }

        Assert.Equal(threshold, check.Threshold);
        Assert.True(check.IsBad(spike));
        Assert.False(RecoveryCheck.For(AnomalyKinds.TokenSpike, reference, Settings).IsBad(spike));
    }

    [Theory]
    [InlineData(0.01, 5, 0.2, 0.21)]
    [InlineData(0.05, 5, 0.2, 0.25)]
    [InlineData(0.10, 5, 0.1, 0.3571428571)]
    [InlineData(0.50, 5, 0.1, 0.8333333333)]
    [InlineData(0.90, 5, 0.2, 0.99)]
    [InlineData(0.05, 1, 0.0, 0.06)]
    public void The_fault_rate_scales_the_odds_and_adds_at_least_the_minimum_increase(double p0, double multiplier, double increase, double p1) =>
        Assert.Equal(p1, RecoveryCheck.FaultRateFor(p0, new RecoverySettings(0.05, 0.1, multiplier, increase)), 9);

    [Fact]
    public void Judging_a_trace_allocates_nothing()
    {
        var check = RecoveryCheck.For("some_future_kind", Reference(), Settings);
        var trace = Features(b => b.Retrieval(5, 0.8).Llm(1200, 200).Tool("search", 1, 2).Llm(1200, 200));
        var bad = check.IsBad(trace);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            bad ^= check.IsBad(trace);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void A_blank_kind_is_refused() =>
        Assert.Throws<ArgumentException>(() => RecoveryCheck.For(" ", new ReferenceSample(), Settings));
}
