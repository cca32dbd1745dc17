using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection;
using AgentSentinel.Detection.Features;
using AgentSentinel.Detection.Multivariate;
using BenchmarkDotNet.Attributes;

namespace AgentSentinel.Benchmarks;

/// <summary>
/// The multivariate (PCA residual) detector: the per-trace cost on the stream (vector + score + episode + learning,
/// model in, no retraining) and one background training run (ML.NET randomized PCA + standardisation + calibration)
/// on the default 1000-trace window and on a 200-trace warm-up set. Results: results/MultivariateBenchmarks.md.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class MultivariateBenchmarks
{
    private const int Dimension = TraceFeatureVector.Count;
    private readonly MultivariateOptions _trainingOptions = new();
    private TraceFeatures[] _features = [];
    private AgentTrace _trace = null!;
    private PcaTraceDetector _detector = null!;
    private PcaModel _model = null!;
    private double[] _rows = [];
    private readonly double[] _vector = new double[Dimension];
    private readonly double[] _contributions = new double[Dimension];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _features = [.. Enumerable.Range(0, 4096).Select(_ => Normal(random))];
        _rows = new double[1000 * Dimension];
        for (var n = 0; n < 1000; n++)
        {
            TraceFeatureVector.Fill(_features[n], _rows.AsSpan(n * Dimension, Dimension));
        }

        _model = PcaModelTrainer.Train(_rows, 1000, _trainingOptions, 1);
        var options = new DetectionOptions();
        options.Multivariate.RetrainEvery = int.MaxValue; // the steady state between two retrainings
        options.Multivariate.SwapAfterTraces = 0;
        _detector = new PcaTraceDetector(options);
        var id = new TraceId(0x0123456789abcdefUL, 0xfedcba9876543210UL);
        var span = new AgentSpan { TraceId = id, SpanId = new SpanId(1), StartUnixNano = 1, EndUnixNano = 2, Operation = SpanOperation.InvokeAgent };
        _trace = new AgentTrace("agent", id, [span], true, 2);
        for (var i = 0; i < 1200; i++)
        {
            _detector.Observe(_trace, _features[i & 4095]);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _detector.Dispose();

    /// <summary>Transformed feature vector of one trace (22 features, log1p).</summary>
    [Benchmark]
    public double Vector_fill()
    {
        TraceFeatureVector.Fill(_features[_next++ & 4095], _vector);
        return _vector[0];
    }

    /// <summary>Standardise, project on the rank-4 subspace, residual and per-feature contributions.</summary>
    [Benchmark]
    public double PcaModel_score()
    {
        TraceFeatureVector.Fill(_features[_next++ & 4095], _vector);
        return _model.Score(_vector, _contributions);
    }

    /// <summary>Everything the detector does per trace once its model is in (no training started).</summary>
    [Benchmark]
    public Anomaly? PcaTraceDetector_observe() => _detector.Observe(_trace, _features[_next++ & 4095]);

    /// <summary>One training run on the default window (1000 traces): what runs on the thread pool every RetrainEvery traces.</summary>
    [Benchmark]
    public double Train_1000_traces() => PcaModelTrainer.Train(_rows, 1000, _trainingOptions, 1).Threshold;

    /// <summary>One training run on the warm-up set (200 traces).</summary>
    [Benchmark]
    public double Train_200_traces() => PcaModelTrainer.Train(_rows, 200, _trainingOptions, 1).Threshold;

    private static TraceFeatures Normal(Random random)
    {
        double Gaussian() => Math.Sqrt(-2 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var size = Gaussian();
        var calls = 2 + random.Next(2);
        var total = Math.Exp(7.5 + (0.3 * size) + (0.02 * Gaussian()));
        var duration = Math.Exp(8 + (0.25 * Gaussian()) + (0.1 * size));
        return new TraceFeatures
        {
            SpanCount = 2 * calls,
            LlmCalls = calls,
            LlmCallsWithTokens = calls,
            ToolCalls = calls - 1,
            DistinctTools = Math.Min(calls - 1, 2),
            LongestToolRepeat = 1,
            Depth = 2,
            TotalTokens = (long)total,
            InputTokens = (long)(total * 0.8),
            OutputTokens = (long)(total * 0.2),
            MaxCallTokens = (long)(total / calls * 1.3),
            CostUsd = total * 3e-6 * Math.Exp(0.02 * Gaussian()),
            CallsWithCost = calls,
            DurationMs = duration,
            MaxLlmLatencyMs = duration * 0.4,
            TotalLlmLatencyMs = duration * 0.7,
            RetrievalTopScore = double.NaN,
        };
    }
}
