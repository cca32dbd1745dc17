using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Features;

namespace AgentSentinel.Detection.Detectors.Patterns;

/// <summary>Reads a count off a trace's features.</summary>
public delegate int CountSelector(in TraceFeatures features);

/// <summary>One count a <see cref="TailCountDetector"/> watches.</summary>
public sealed record CountFeature(string Name, CountSelector Select);

/// <summary>
/// Counts per trace judged against the tail of the agent's own recent history: a trace is beyond when a count reaches
/// <see cref="Threshold"/> of the agent's normal maximum (the <see cref="PatternOptions.TailShare"/> upper quantile of
/// the last <see cref="PatternOptions.TailWindow"/> traces). Traces beyond are not learnt, so an episode cannot teach
/// the tail its own shape. Confirmation and latching as in <see cref="SpikeEpisode"/>.
/// </summary>
public abstract class TailCountDetector : IAgentDetector
{
    private readonly CountFeature[] _features;
    private readonly CountTail[] _tails;
    private readonly int[] _values;
    private readonly PatternOptions _options;
    private readonly SpikeEpisode _episode;
    private long _traces;

    protected TailCountDetector(string kind, IReadOnlyList<CountFeature> features, DetectionOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(options);
        Kind = kind;
        _options = options.Patterns;
        _features = [.. features];
        _tails = [.. _features.Select(_ => new CountTail(_options.TailWindow, 1024))];
        _values = new int[_features.Length];
        _episode = new SpikeEpisode(kind, _options.ConfirmCount, _options.ConfirmWindow, _options.RearmAfter, options.MaxExemplars);
    }

    /// <inheritdoc />
    public string Kind { get; }

    /// <inheritdoc />
    public IReadOnlyList<FeatureBaseline> Baselines => [];

    /// <summary>The settings (for thresholds in subclasses).</summary>
    protected PatternOptions Options => _options;

    /// <summary>The episode state (diagnostics and tests).</summary>
    public SpikeEpisode Episode => _episode;

    /// <summary>The count at which a trace is beyond, given the agent's normal maximum <paramref name="normalMax"/>.</summary>
    protected abstract int Threshold(int normalMax);

    /// <inheritdoc />
    public Anomaly? Observe(AgentTrace trace, in TraceFeatures features)
    {
        ArgumentNullException.ThrowIfNull(trace);
        for (var i = 0; i < _features.Length; i++)
        {
            _values[i] = _features[i].Select(features);
        }

        _traces++;
        if (_traces <= _options.WarmupTraces)
        {
            Learn();
            return null;
        }

        var best = -1;
        var bestSeverity = 0d;
        int bestThreshold = 0, bestNormal = 0;
        for (var i = 0; i < _features.Length; i++)
        {
            var normal = _tails[i].UpperQuantile(_options.TailShare);
            var threshold = Threshold(normal);
            var severity = (double)_values[i] / threshold;
            if (_values[i] >= threshold && severity > bestSeverity)
            {
                best = i;
                bestSeverity = severity;
                bestThreshold = threshold;
                bestNormal = normal;
            }
        }

        var beyond = best >= 0;
        var finding = beyond
            ? new Finding(_features[best].Name, _values[best], bestNormal, 1, _values[best] - bestNormal, Finding.Count)
            : default;
        var anomaly = _episode.Step(trace, judged: true, beyond, extreme: beyond && _values[best] >= 2 * bestThreshold, finding);
        if (!beyond)
        {
            Learn();
        }

        return anomaly;
    }

    private void Learn()
    {
        for (var i = 0; i < _features.Length; i++)
        {
            _tails[i].Add(_values[i]);
        }
    }
}

/// <summary>
/// Tool loops: the same tool called again and again with the same arguments and an unchanged result, or a short cycle
/// of calls repeating (A B A B …). A trace is beyond when its longest such run reaches
/// max(<see cref="PatternOptions.MinLoopLength"/>, the agent's normal maximum + 1).
/// </summary>
public sealed class ToolLoopDetector(DetectionOptions options) : TailCountDetector(
    AnomalyKinds.ToolLoop,
    [
        new CountFeature("identical_tool_calls", static (in f) => f.LongestUnchangedToolRepeat),
        new CountFeature("tool_cycle_repeats", static (in f) => f.ToolCycleRepeats),
    ],
    options)
{
    /// <inheritdoc />
    protected override int Threshold(int normalMax) => Math.Max(Options.MinLoopLength, normalMax + 1);
}

/// <summary>
/// Runaway traces: span-tree depth, model calls or tool calls far beyond the agent's own range. Beyond when a count
/// reaches max(⌈normal maximum × <see cref="PatternOptions.RunawayFactor"/>⌉, normal maximum +
/// <see cref="PatternOptions.RunawayMinExcess"/>).
/// </summary>
public sealed class RunawayDetector(DetectionOptions options) : TailCountDetector(
    AnomalyKinds.RunawayDepth,
    [
        new CountFeature("span_depth", static (in f) => f.Depth),
        new CountFeature("llm_calls", static (in f) => f.LlmCalls),
        new CountFeature("tool_calls", static (in f) => f.ToolCalls),
    ],
    options)
{
    /// <inheritdoc />
    protected override int Threshold(int normalMax) =>
        Math.Max((int)Math.Ceiling(normalMax * Options.RunawayFactor), normalMax + Options.RunawayMinExcess);
}
