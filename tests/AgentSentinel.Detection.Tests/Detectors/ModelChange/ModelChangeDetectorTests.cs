using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Detectors.ModelChange;
using AgentSentinel.Detection.Features;
using static AgentSentinel.Detection.Tests.TestSupport.Spans;

namespace AgentSentinel.Detection.Tests.Detectors.ModelChange;

public sealed class ModelChangeDetectorTests
{
    private const string OpenAi = "openai";
    private const string Gpt4o = "gpt-4o";
    private const string Mini = "gpt-4o-mini";
    private int _next;

    /// <summary>Trace n: an agent span holding one model call per entry (innermost calls, response model set).</summary>
    private static AgentTrace TraceOf(int n, params (string? Provider, string Model)[] calls)
    {
        var start = n * 10_000L;
        var spans = new AgentSpan[calls.Length + 1];
        spans[0] = Other(n, 1, 0, start, start + 2000);
        for (var i = 0; i < calls.Length; i++)
        {
            spans[i + 1] = Llm(n, (ulong)(10 + i), 1, start + i, start + 500, 100) with { Provider = calls[i].Provider, ResponseModel = calls[i].Model };
        }

        return new AgentTrace("a", TraceIdOf(n), spans, true, T0 + ((start + 2000) * Ms));
    }

    private Anomaly? Next(ModelChangeDetector detector, params (string? Provider, string Model)[] calls) =>
        detector.Observe(TraceOf(_next++, calls), default(TraceFeatures));

    private List<(int Trace, Anomaly Anomaly)> Feed(ModelChangeDetector detector, int traces, Func<int, (string?, string)[]> calls)
    {
        var found = new List<(int, Anomaly)>();
        for (var i = 0; i < traces; i++)
        {
            var n = _next;
            if (Next(detector, calls(i)) is { } anomaly)
            {
                found.Add((n, anomaly));
            }
        }

        return found;
    }

    private static double BinomialTail(int n, int k, double p)
    {
        var sum = 0.0;
        for (var j = k; j <= n; j++)
        {
            var choose = 1.0;
            for (var i = 1; i <= j; i++)
            {
                choose = choose * (n - j + i) / i;
            }

            sum += choose * Math.Pow(p, j) * Math.Pow(1 - p, n - j);
        }

        return sum;
    }

    [Fact]
    public void A_swap_to_a_new_model_is_reported_when_half_the_window_calls_it_with_the_share_and_the_exemplars()
    {
        var detector = new ModelChangeDetector(new ModelChangeOptions());
        Assert.Empty(Feed(detector, 200, _ => [(OpenAi, Gpt4o)]));

        var found = Feed(detector, 30, _ => [(OpenAi, Mini)]);

        var (at, anomaly) = Assert.Single(found);
        Assert.Equal(209, at); // the 10th call to the new model: 10 of the last 20 traces
        Assert.Equal(("a", AnomalyKinds.ModelChange, TraceOf(209).CompletedAtUnixNano), (anomaly.Agent, anomaly.Kind, anomaly.DetectedAtUnixNano));
        var e = anomaly.Explanation;
        Assert.Equal((ModelChangeDetector.NewModelShare, ModelChangeDetector.Method), (e.Feature, e.Method));
        Assert.Equal(0.5, e.Observed);
        Assert.Equal(0.01, e.Baseline); // no rare model in the baseline: the 1 % floor
        Assert.Equal(-Math.Log10(BinomialTail(20, 10, 0.01)), e.Distance, 9);
        Assert.Equal(e.Distance, anomaly.Score);
        Assert.Equal(Enumerable.Range(205, 5).Select(n => TraceIdOf(n).ToString()), anomaly.TraceIds);
        Assert.Empty(e.Contributors);
        Assert.DoesNotContain("gpt", e.Summary, StringComparison.Ordinal); // model names are untrusted: never in the explanation
        Assert.True(detector.InEpisode);
    }

    [Fact]
    public void The_same_model_from_another_provider_or_with_a_new_version_string_is_a_change()
    {
        foreach (var changed in new (string?, string)[] { ("azure", Gpt4o), (OpenAi, "gpt-4o-2024-11-20"), (null, Gpt4o) })
        {
            var detector = new ModelChangeDetector(new ModelChangeOptions());
            Assert.Empty(Feed(detector, 150, _ => [(OpenAi, Gpt4o)]));
            Assert.Single(Feed(detector, 20, _ => [changed]));
        }
    }

    [Fact]
    public void The_dominant_model_vanishing_into_a_known_secondary_model_is_reported()
    {
        var detector = new ModelChangeDetector(new ModelChangeOptions());
        Assert.Empty(Feed(detector, 1000, i => [(OpenAi, i % 10 == 0 ? Mini : Gpt4o)])); // 90 % / 10 %: the mini is known, not rare

        var found = Feed(detector, 30, _ => [(OpenAi, Mini)]);

        var (at, anomaly) = Assert.Single(found);
        Assert.Equal(1019, at); // the 20th trace without the dominant model
        var e = anomaly.Explanation;
        Assert.Equal((ModelChangeDetector.DominantModelShare, 0.0), (e.Feature, e.Observed));
        Assert.InRange(e.Baseline, 0.85, 0.9); // as it stood when judged (the known secondary model was being learnt)
        Assert.Equal(-20 * Math.Log10(1 - e.Baseline), e.Distance, 9);
        Assert.Equal(5, anomaly.TraceIds.Count);
    }

    [Fact]
    public void Routers_that_mix_models_at_stable_shares_are_not_reported()
    {
        var random = new Random(7);
        var routers = new (string Model, double Share)[][]
        {
            [("a", 0.5), ("b", 0.3), ("c", 0.2)],
            [("a", 0.70), ("b", 0.26), ("c", 0.04)],
            [("a", 0.62), ("b", 0.38)],
        };
        foreach (var mix in routers)
        {
            var detector = new ModelChangeDetector(new ModelChangeOptions());
            var found = Feed(detector, 20_000, _ =>
            {
                // The router picks one model per request; a request makes 1 to 4 calls to it.
                var u = random.NextDouble();
                var model = mix[^1].Model;
                foreach (var (name, share) in mix)
                {
                    if ((u -= share) < 0)
                    {
                        model = name;
                        break;
                    }
                }

                return [.. Enumerable.Repeat(((string?)OpenAi, model), 1 + random.Next(4))];
            });
            Assert.True(found.Count == 0, string.Join(',', mix.Select(m => m.Model)) + ": " + string.Join("; ", found.Select(f => $"{f.Trace} {f.Anomaly.Explanation.Summary}")));
            Assert.Equal(mix.Length, detector.ModelsTracked);
        }
    }

    [Fact]
    public void Untrusted_model_names_cannot_grow_memory_nor_make_an_agent_with_name_churn_fire()
    {
        var random = new Random(3);
        var detector = new ModelChangeDetector(new ModelChangeOptions());
        var names = Enumerable.Range(0, 5000).Select(i => "ft:gpt-4o:acme:customer-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + new string('x', i % 500)).ToArray();

        // 70 % of requests go to the base model, 30 % to a customer's fine-tuned model: a new name almost every time.
        var found = Feed(detector, 5000, i => [(OpenAi, random.NextDouble() < 0.7 ? Gpt4o : names[i])]);

        Assert.Empty(found);
        Assert.Equal(32, detector.ModelsTracked);
        Assert.InRange(detector.BaselineShare(OpenAi, Gpt4o), 0.6, 0.8);

        // Every request to a new name: still nothing.
        var churn = new ModelChangeDetector(new ModelChangeOptions());
        Assert.Empty(Feed(churn, 2000, i => [(OpenAi, names[i])]));
    }

    [Fact]
    public void Only_counted_calls_are_judged_so_a_wrapper_span_renamed_is_no_change()
    {
        static AgentTrace Wrapped(int n, string wrapperModel, string innerModel)
        {
            var start = n * 10_000L;
            AgentSpan[] spans =
            [
                Other(n, 1, 0, start, start + 2000),
                Llm(n, 2, 1, start, start + 600, 100) with { RequestModel = wrapperModel },
                Llm(n, 3, 2, start + 10, start + 500, 100) with { Provider = OpenAi, ResponseModel = innerModel },
            ];
            return new AgentTrace("a", TraceIdOf(n), spans, true, T0 + ((start + 2000) * Ms));
        }

        var detector = new ModelChangeDetector(new ModelChangeOptions());
        var n = 0;
        for (; n < 150; n++)
        {
            Assert.Null(detector.Observe(Wrapped(n, "framework-default", Gpt4o), default(TraceFeatures)));
        }

        for (; n < 200; n++)
        {
            Assert.Null(detector.Observe(Wrapped(n, "framework-v2", Gpt4o), default(TraceFeatures)));
        }

        Anomaly? anomaly = null;
        for (; n < 220 && anomaly is null; n++)
        {
            anomaly = detector.Observe(Wrapped(n, "framework-v2", Mini), default(TraceFeatures));
        }

        Assert.NotNull(anomaly);
        Assert.Equal(0, detector.BaselineShare(null, "framework-v2"));
    }

    [Fact]
    public void Nothing_is_judged_during_warm_up()
    {
        var detector = new ModelChangeDetector(new ModelChangeOptions());
        Assert.Empty(Feed(detector, 50, _ => [(OpenAi, Gpt4o)]));
        Assert.Empty(Feed(detector, 49, _ => [(OpenAi, Mini)]));
        Assert.False(detector.IsWarm);
    }

    [Fact]
    public void The_detector_re_arms_once_the_agent_goes_back_and_reports_the_next_swap()
    {
        var detector = new ModelChangeDetector(new ModelChangeOptions());
        Feed(detector, 200, _ => [(OpenAi, Gpt4o)]);

        Assert.Single(Feed(detector, 30, _ => [(OpenAi, Mini)]));
        Assert.Empty(Feed(detector, 40, _ => [(OpenAi, Gpt4o)]));
        Assert.False(detector.InEpisode);
        Assert.Single(Feed(detector, 30, _ => [("azure", Gpt4o)]));
        Assert.Equal(2, detector.Episodes);
        Assert.Equal(0, detector.BaselineShare(OpenAi, Mini)); // a change that went away was never learnt
    }

    [Fact]
    public void A_change_is_not_learnt_during_its_episode_until_accepted_and_then_becomes_the_baseline()
    {
        var options = new ModelChangeOptions();
        var detector = new ModelChangeDetector(options);
        Feed(detector, 200, _ => [(OpenAi, Gpt4o)]);
        Assert.Single(Feed(detector, 20, _ => [(OpenAi, Mini)]));

        Assert.Empty(Feed(detector, options.AcceptAfterTraces - 20, _ => [(OpenAi, Mini)]));
        Assert.True(detector.InEpisode);
        Assert.Equal(0, detector.BaselineShare(OpenAi, Mini));
        Assert.Equal(1, detector.BaselineShare(OpenAi, Gpt4o));

        // Still there: accepted, learnt, and once the window looks normal against the new baseline, re-armed.
        Assert.Empty(Feed(detector, 3000, _ => [(OpenAi, Mini)]));
        Assert.False(detector.InEpisode);
        Assert.Equal(1, detector.Episodes);
        Assert.True(detector.BaselineShare(OpenAi, Mini) > 0.8);

        // The old model coming back is now the change.
        Assert.Single(Feed(detector, 20, _ => [(OpenAi, Gpt4o)]));
    }

    [Fact]
    public void The_same_traces_give_the_same_anomalies_bit_for_bit()
    {
        List<Anomaly> Run()
        {
            _next = 0;
            var random = new Random(42);
            var detector = new ModelChangeDetector(new ModelChangeOptions());
            var found = Feed(detector, 3000, i => [(OpenAi, i > 2000 && random.NextDouble() < 0.8 ? Mini : random.NextDouble() < 0.7 ? Gpt4o : "o3")]);
            return [.. found.Select(f => f.Anomaly)];
        }

        var first = Run();
        var second = Run();

        Assert.NotEmpty(first);
        Assert.Equal(first.Count, second.Count);
        for (var i = 0; i < first.Count; i++)
        {
            Assert.Equal(first[i] with { TraceIds = [] }, second[i] with { TraceIds = [] });
            Assert.Equal(first[i].TraceIds, second[i].TraceIds);
        }
    }

    [Fact]
    public void Traces_without_model_calls_or_model_names_are_ignored()
    {
        var detector = new ModelChangeDetector(new ModelChangeOptions());
        Feed(detector, 200, _ => [(OpenAi, Gpt4o)]);
        var learnt = detector.LearntTraces;

        Assert.Null(detector.Observe(new AgentTrace("a", TraceIdOf(9999), [Other(9999, 1, 0, 0, 10)], true, T0), default(TraceFeatures)));
        Assert.Null(detector.Observe(new AgentTrace("a", TraceIdOf(9998), [Llm(9998, 1, 0, 0, 10, 5)], true, T0), default(TraceFeatures)));

        Assert.Equal(learnt, detector.LearntTraces);
    }

    [Fact]
    public void Judging_and_learning_allocate_nothing_once_the_models_are_known()
    {
        var detector = new ModelChangeDetector(new ModelChangeOptions());
        var traces = Enumerable.Range(0, 2000).Select(n => TraceOf(n, (OpenAi, n % 3 == 0 ? Mini : Gpt4o), (OpenAi, Gpt4o))).ToArray();
        for (var i = 0; i < 1000; i++)
        {
            detector.Observe(traces[i], default(TraceFeatures));
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 1000; i < traces.Length; i++)
        {
            Assert.Null(detector.Observe(traces[i], default(TraceFeatures)));
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
