using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Baselines;
using AgentSentinel.Detection.Detectors;
using AgentSentinel.Detection.Features;
using AgentSentinel.Detection.Pricing;

namespace AgentSentinel.Detection;

/// <summary>
/// Everything one agent is judged by: its detectors (and their baselines) and a feature extractor. Computes the
/// features of each trace once, runs every detector in order, and reports each baseline once when it finishes its
/// warm-up. Pure and deterministic; not thread-safe (one per agent actor).
/// </summary>
public sealed class AgentDetection : IDisposable
{
    private readonly IAgentDetector[] _detectors;
    private readonly (FeatureBaseline Feature, bool Ready)[] _baselines;
    private readonly TraceFeatureExtractor _extractor;
    private readonly EpisodeBudget[] _budgets;

    /// <param name="agent">The agent judged.</param>
    /// <param name="options">Detection settings (validated by the caller).</param>
    /// <param name="detectors">The detectors to run; <see cref="DetectorSet.CreateDefault"/> when null.</param>
    /// <param name="prices">Prices model calls that report no cost; <see cref="PriceCatalogue.Default"/> when null.</param>
    public AgentDetection(string agent, DetectionOptions options, IEnumerable<IAgentDetector>? detectors = null, PriceCatalogue? prices = null)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(options);
        Agent = agent;
        _extractor = new TraceFeatureExtractor(prices ?? PriceCatalogue.Default);
        _detectors = [.. detectors ?? DetectorSet.CreateDefault(options)];
        _baselines = [.. _detectors.SelectMany(d => d.Baselines).Select(b => (b, false))];
        _budgets = [.. _detectors.Select(_ => new EpisodeBudget(options.MaxEpisodesPerDay))];
    }

    /// <summary>Anomalies held back because their detector had used up its daily budget (see <see cref="DetectionOptions.MaxEpisodesPerDay"/>).</summary>
    public long Suppressed { get; private set; }

    /// <summary>The agent judged.</summary>
    public string Agent { get; }

    /// <summary>
    /// Lets the time-driven detectors (<see cref="IWatermarkDetector"/>) judge the passage of event time up to
    /// <paramref name="watermarkUnixNano"/>, appending what they find to <paramref name="anomalies"/>.
    /// </summary>
    public void AdvanceTo(long watermarkUnixNano, ICollection<Anomaly> anomalies)
    {
        ArgumentNullException.ThrowIfNull(anomalies);
        for (var i = 0; i < _detectors.Length; i++)
        {
            if (_detectors[i] is IWatermarkDetector timed && timed.OnWatermark(Agent, watermarkUnixNano) is { } anomaly)
            {
                Admit(i, anomaly, anomalies);
            }
        }
    }

    /// <summary>The detectors, in the order they run.</summary>
    public IReadOnlyList<IAgentDetector> Detectors => _detectors;

    /// <summary>Traces observed.</summary>
    public long Traces { get; private set; }

    /// <summary>
    /// Judges one trace with every detector, appending what it finds to <paramref name="anomalies"/> and any baseline
    /// whose warm-up completed to <paramref name="baselinesReady"/> (stamped with the trace's event time).
    /// </summary>
    /// <returns>The trace's features (per-call memories valid until the next call).</returns>
    public TraceFeatures Observe(AgentTrace trace, ICollection<Anomaly> anomalies, ICollection<BaselineReady> baselinesReady)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(anomalies);
        ArgumentNullException.ThrowIfNull(baselinesReady);
        Traces++;
        var features = _extractor.Compute(trace);
        for (var i = 0; i < _detectors.Length; i++)
        {
            if (_detectors[i].Observe(trace, features) is { } anomaly)
            {
                Admit(i, anomaly, anomalies);
            }
        }

        for (var i = 0; i < _baselines.Length; i++)
        {
            ref var entry = ref _baselines[i];
            var baseline = entry.Feature.Baseline;
            if (entry.Ready || !baseline.IsWarm)
            {
                continue;
            }

            entry.Ready = true;
            baselinesReady.Add(new BaselineReady(
                Agent, entry.Feature.Feature, entry.Feature.LogScale ? Math.Exp(baseline.Median) : baseline.Median, baseline.Spread, (int)Math.Min(int.MaxValue, baseline.TotalSamples), trace.CompletedAtUnixNano));
        }

        return features;
    }

    /// <summary>Disposes the detectors that hold resources (the multivariate detector's background training).</summary>
    public void Dispose()
    {
        foreach (var detector in _detectors)
        {
            (detector as IDisposable)?.Dispose();
        }
    }

    private void Admit(int detector, Anomaly anomaly, ICollection<Anomaly> anomalies)
    {
        if (_budgets[detector].TryTake(anomaly.DetectedAtUnixNano))
        {
            anomalies.Add(anomaly);
        }
        else
        {
            Suppressed++;
        }
    }

    /// <summary>
    /// At most <c>max</c> episodes per detector in any 24 hours of event time (0 = no limit): a detector that keeps
    /// firing on one agent is noise, not news. A ring of the last <c>max</c> episode times.
    /// </summary>
    private sealed class EpisodeBudget(int max)
    {
        private const long Day = 86_400L * 1_000_000_000L;
        private readonly long[] _times = new long[Math.Max(max, 1)];
        private int _count;

        public bool TryTake(long atUnixNano)
        {
            if (max <= 0)
            {
                return true;
            }

            var oldest = _times[_count % _times.Length];
            if (_count >= _times.Length && atUnixNano - oldest < Day)
            {
                return false;
            }

            _times[_count % _times.Length] = atUnixNano;
            _count++;
            return true;
        }
    }
}
