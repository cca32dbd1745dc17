using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection;
using AgentSentinel.Detection.Baselines;
using AgentSentinel.Detection.Detectors;
using AgentSentinel.Detection.Detectors.Drift;
using AgentSentinel.Detection.Detectors.Patterns;
using AgentSentinel.Detection.Detectors.Rates;
using AgentSentinel.Detection.Features;
using BenchmarkDotNet.Attributes;

namespace AgentSentinel.Benchmarks;

/// <summary>
/// The per-trace cost of detection: one baseline update + score, feature extraction, each family of detectors, and
/// everything an agent actor does per trace (every default detector, per trace and per span). Results:
/// results/DetectionBenchmarks.md.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class DetectionBenchmarks
{
    private const long Ms = 1_000_000;
    private readonly DetectionOptions _options = new();
    private readonly List<Anomaly> _anomalies = [];
    private readonly List<BaselineReady> _ready = [];
    private double[] _values = [];
    private RobustBaseline _baseline = null!;
    private AgentTrace _typical = null!;
    private AgentTrace _large = null!;
    private TraceFeatureExtractor _extractor = null!;
    private TokenSpikeDetector _detector = null!;
    private DriftDetector _drift = null!;
    private RateSurgeDetector _rate = null!;
    private ToolLoopDetector _loop = null!;
    private RunawayDetector _runaway = null!;
    private AgentDetection _agent = null!;
    private AgentDetection _steady = null!;
    private TraceFeatures _typicalFeatures;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _values = [.. Enumerable.Range(0, 4096).Select(_ => 1000 + (random.NextDouble() * 200))];
        _baseline = _options.CreateBaseline(10);
        foreach (var v in _values.Take(_options.WindowSize))
        {
            _baseline.Add(v);
        }

        _typical = BuildTrace(llmCalls: 4, tools: 4);
        _large = BuildTrace(llmCalls: 100, tools: 100);
        _extractor = new TraceFeatureExtractor();
        _typicalFeatures = _extractor.Compute(_typical);
        _detector = new TokenSpikeDetector(_options);
        _drift = new DriftDetector(AnomalyKinds.TokenDrift, FeatureNames.TokensPerTrace, static (in f) => f.TotalTokens, _options);
        _rate = new RateSurgeDetector(AnomalyKinds.LengthSurge, "finish_length_share", static (in f) => (f.LlmCalls, f.TruncatedCalls), _options);
        _loop = new ToolLoopDetector(_options);
        _runaway = new RunawayDetector(_options);
        _agent = new AgentDetection("agent", _options);

        // Every default detector, but the multivariate model is trained once (in warm-up) and never again.
        var steady = new DetectionOptions();
        steady.Multivariate.RetrainEvery = 10_000_000;
        _steady = new AgentDetection("agent", steady);
        for (var i = 0; i < 1200; i++)
        {
            var features = _extractor.Compute(_typical);
            _detector.Observe(_typical, features);
            _drift.Observe(_typical, features);
            _rate.Observe(_typical, features);
            _loop.Observe(_typical, features);
            _runaway.Observe(_typical, features);
            _agent.Observe(_typical, _anomalies, _ready);
            _steady.Observe(_typical, _anomalies, _ready);
        }

        _typicalFeatures = _extractor.Compute(_typical);
    }

    /// <summary>Winsorised insert into a full 256-value window, then the robust distance of the next value (median and MAD recomputed).</summary>
    [Benchmark]
    public double RobustBaseline_add_and_score()
    {
        var i = _next++ & 4095;
        _baseline.Add(_values[i]);
        return _baseline.Distance(_values[(i + 1) & 4095]);
    }

    /// <summary>Features of a typical trace: 1 agent span, 4 model calls, 4 tool calls (9 spans).</summary>
    [Benchmark]
    public long TraceFeatures_typical_trace() => _extractor.Compute(_typical).TotalTokens;

    /// <summary>Features of a large trace: 201 spans (the span-id index of LlmCallAccounting kicks in above 64).</summary>
    [Benchmark]
    public long TraceFeatures_large_trace() => _extractor.Compute(_large).TotalTokens;

    /// <summary>One token spike detector judging and learning one typical trace (features precomputed).</summary>
    [Benchmark]
    public Anomaly? TokenSpikeDetector_observe() => _detector.Observe(_typical, _typicalFeatures);

    /// <summary>One CUSUM drift detector (log scale) judging and learning one trace.</summary>
    [Benchmark]
    public Anomaly? DriftDetector_observe() => _drift.Observe(_typical, _typicalFeatures);

    /// <summary>One share-surge detector: 4 calls into the 200-trial ring, then the windowed beta-binomial test.</summary>
    [Benchmark]
    public Anomaly? RateSurgeDetector_observe() => _rate.Observe(_typical, _typicalFeatures);

    /// <summary>The tool-loop detector: two counts against the tail of 1000 traces.</summary>
    [Benchmark]
    public Anomaly? ToolLoopDetector_observe() => _loop.Observe(_typical, _typicalFeatures);

    /// <summary>The runaway detector: three counts against the tail of 1000 traces.</summary>
    [Benchmark]
    public Anomaly? RunawayDetector_observe() => _runaway.Observe(_typical, _typicalFeatures);

    /// <summary>
    /// Everything an agent actor does per typical trace: features (with catalogue pricing) + every default detector
    /// (spikes, drifts, patterns, share surges, retrieval, multivariate scoring, silence bookkeeping) + readiness.
    /// Includes the multivariate retraining every RetrainEvery (500) traces, amortised: one ML.NET training run (on the
    /// thread pool, or inline when it has not finished 20 traces later, as often in this tight loop) allocates about
    /// 400 KB, which is the whole of this benchmark's allocation.
    /// </summary>
    [Benchmark]
    public int AgentDetection_observe()
    {
        _anomalies.Clear();
        _agent.Observe(_typical, _anomalies, _ready);
        return _anomalies.Count;
    }

    /// <summary>The same between two retrainings (the model trained once in warm-up): the per-trace path alone.</summary>
    [Benchmark]
    public int AgentDetection_observe_between_retrainings()
    {
        _anomalies.Clear();
        _steady.Observe(_typical, _anomalies, _ready);
        return _anomalies.Count;
    }

    /// <summary>The same as <see cref="AgentDetection_observe"/>, reported per span of the 9-span trace: the detection cost each ingested span carries.</summary>
    [Benchmark(OperationsPerInvoke = 9)]
    public int AgentDetection_observe_per_span()
    {
        _anomalies.Clear();
        _agent.Observe(_typical, _anomalies, _ready);
        return _anomalies.Count;
    }

    internal static AgentTrace BuildTrace(int llmCalls, int tools)
    {
        var id = new TraceId(0x0123456789abcdefUL, 0xfedcba9876543210UL);
        var t0 = 1_700_000_000_000_000_000L;
        var spans = new List<AgentSpan>
        {
            new() { TraceId = id, SpanId = new SpanId(1), StartUnixNano = t0, EndUnixNano = t0 + (5000 * Ms), Operation = SpanOperation.InvokeAgent, AgentName = "agent" },
        };
        ulong next = 2;
        for (var i = 0; i < llmCalls; i++)
        {
            spans.Add(new AgentSpan
            {
                TraceId = id,
                SpanId = new SpanId(next++),
                ParentSpanId = new SpanId(1),
                StartUnixNano = t0 + (i * 10 * Ms),
                EndUnixNano = t0 + (((i * 10) + 400 + (i % 7 * 30)) * Ms),
                Operation = SpanOperation.Chat,
                InputTokens = 800 + (i * 13 % 200),
                OutputTokens = 200 + (i * 7 % 50),
                TotalTokens = 1000 + (i * 20 % 250),
                FinishReasons = FinishReasons.Stop,
                ResponseModel = "gpt-4o-2024-08-06",
            });
        }

        for (var i = 0; i < tools; i++)
        {
            spans.Add(new AgentSpan
            {
                TraceId = id,
                SpanId = new SpanId(next++),
                ParentSpanId = new SpanId(1),
                StartUnixNano = t0 + (i * 10 * Ms),
                EndUnixNano = t0 + (((i * 10) + 50) * Ms),
                Operation = SpanOperation.ExecuteTool,
                ToolName = "search",
                ToolArgumentsHash = (ulong)(i + 1),
                ToolResultHash = (ulong)(i + 100),
            });
        }

        return new AgentTrace("agent", id, [.. spans], true, t0 + (5000 * Ms));
    }
}
