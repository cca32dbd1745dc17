using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Features;
using AgentSentinel.Remediation.Policies;
using AgentSentinel.Remediation.Recovery;
using BenchmarkDotNet.Attributes;

namespace AgentSentinel.Benchmarks;

/// <summary>
/// What remediation adds to an agent actor's per-trace work: the healthy reference sample (every trace outside an
/// incident), the path classification (every trace during one), and judging a probe trace (check + sequential test).
/// Results: results/RecoveryBenchmarks.md.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class RecoveryBenchmarks
{
    private static readonly RecoverySettings Recovery = new(0.05, 0.1, 4, 0.1);
    private readonly ReferenceSample _reference = new();
    private AgentTrace _typical = null!;
    private TraceFeatures _features;
    private RecoveryCheck _check = null!;
    private SequentialRecoveryTest _test = null!;

    [GlobalSetup]
    public void Setup()
    {
        _typical = DetectionBenchmarks.BuildTrace(llmCalls: 4, tools: 4);
        _features = new TraceFeatureExtractor().Compute(_typical);
        for (var i = 0; i < 512; i++)
        {
            _reference.Add(_features);
        }

        _check = RecoveryCheck.For(AnomalyKinds.TokenSpike, _reference, Recovery);
        _test = new SequentialRecoveryTest(0.05, 0.3, 0.05, 0.1, int.MaxValue);
    }

    /// <summary>Outside an incident: the trace's compact copy into the 512-trace ring.</summary>
    [Benchmark]
    public int ReferenceSample_add()
    {
        _reference.Add(_features);
        return _reference.Count;
    }

    /// <summary>During an incident: which path served the trace (fallback model named in the flag).</summary>
    [Benchmark]
    public TracePath TracePath_classify() => TracePathClassifier.Classify(_typical, "safe-model");

    /// <summary>During a probe: is the trace bad by the incident kind's rule, and one step of the sequential test.</summary>
    [Benchmark]
    public RecoveryVerdict Probe_trace_judged() => _test.Add(_check.IsBad(_features));

    /// <summary>Once per probe: the check built from the 512-trace reference (quantiles of each feature).</summary>
    [Benchmark]
    public double RecoveryCheck_build() => RecoveryCheck.For(AnomalyKinds.TokenSpike, _reference, Recovery).Threshold;
}
