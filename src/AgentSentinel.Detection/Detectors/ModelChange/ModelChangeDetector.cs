using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Features;

namespace AgentSentinel.Detection.Detectors.ModelChange;

/// <summary>
/// Model swap: the agent's model calls silently moved to another model (gpt-4o → gpt-4o-mini, a new version string, the
/// same model from another provider). Judges the counted (innermost, <see cref="LlmCallAccounting"/>) model calls of each
/// trace, keyed by provider and model (<see cref="AgentSpan.Model"/>: the response model, else the requested one).
/// </summary>
/// <remarks>
/// <para>
/// Baseline: a bounded table (<see cref="ModelChangeOptions.MaxModels"/>; the rarest entry is forgotten first) of
/// decayed, trace-weighted model shares: each learnt trace adds weight 1, split evenly over its calls. Recent window: the
/// last <see cref="ModelChangeOptions.Window"/> traces with a model call. Both count traces, not calls, because the calls
/// of one trace are not independent (a router picks the model per request).
/// </para>
/// <para>
/// A change is reported when either
/// <list type="bullet">
/// <item>the share k/N of window traces whose calls mostly (≥ half) go to new or rare models (baseline share below
/// <see cref="ModelChangeOptions.RareShare"/>) reaches <see cref="ModelChangeOptions.MinShare"/> and −log10 P(Binomial(N, p0) ≥ k)
/// reaches <see cref="ModelChangeOptions.Threshold"/>, p0 being the baseline share of all rare models together, forgotten
/// ones included (at least 1 %): an agent that calls a new name all the time (a fine-tuned model per customer) has a large
/// p0 and is not reported for doing so;
/// feature <c>new_model_share</c>; or</item>
/// <item>the dominant model (baseline share ≥ <see cref="ModelChangeOptions.DominantShare"/>) is absent from the whole
/// window: distance −N·log10(1 − share); feature <c>dominant_model_share</c>.</item>
/// </list>
/// Router agents that mix a few models at stable shares do not fire: their models are not rare, and none of them is
/// dominant enough to be missed by chance.
/// </para>
/// <para>
/// Learning: calls to common models are learnt at once; calls to new or rare models are held while their trace is in the
/// window and learnt when it leaves, unless an episode started meanwhile. During an episode nothing is learnt, until the
/// change has lasted <see cref="ModelChangeOptions.AcceptAfterTraces"/> traces: then it is accepted and learnt, and the
/// episode ends once the window looks normal against the updated baseline. An episode also ends when the agent goes back.
/// </para>
/// <para>
/// Model names are untrusted strings: they never leave the detector (not in the explanation, which goes to flags and
/// logs, nor in metric labels). Names are compared by ordinal equality on their first 256 characters; the table keeps
/// references to the span's strings, so learning allocates only when a name longer than that is first stored.
/// </para>
/// </remarks>
public sealed class ModelChangeDetector : IAgentDetector
{
    /// <summary>Feature of a change to new or rare models: the window's share of traces calling them.</summary>
    public const string NewModelShare = "new_model_share";

    /// <summary>Feature of a change away from the dominant model: its share of the window's traces (zero).</summary>
    public const string DominantModelShare = "dominant_model_share";

    /// <summary>The explanation's method.</summary>
    public const string Method = "share";

    private const int MaxNameLength = 256;
    private const int HeldPerTrace = 4;
    private const double MinNullShare = 0.01;
    private const double MaxNullShare = 0.99;

    private readonly int _window;
    private readonly double _minShare;
    private readonly double _threshold;
    private readonly double _rareShare;
    private readonly double _dominantShare;
    private readonly int _warmup;
    private readonly int _acceptAfter;
    private readonly int _maxExemplars;
    private readonly double _growth;

    // Baseline table.
    private readonly string?[] _providers;
    private readonly string[] _models;
    private readonly double[] _weights;
    private int _size;
    private double _total;   // every learnt weight, forgotten models included
    private double _other;   // the weight of forgotten (evicted) models: how much the agent churns through names
    private double _scale = 1;

    // Window ring, one slot per trace; each slot holds up to HeldPerTrace distinct new/rare models awaiting learning.
    private readonly bool[] _rare;
    private readonly bool[] _dominantSeen;
    private readonly int[] _dominantOf;     // the dominant model (table index, -1: none) each slot was judged against
    private readonly TraceId[] _traceIds;
    private readonly string?[] _heldProviders;
    private readonly string?[] _heldModels;
    private readonly double[] _heldWeights;
    private readonly int[] _heldCount;
    private int _head;
    private int _filled;

    private bool[] _counted = new bool[64];
    private int _episodeTraces;
    private bool _accepted;

    /// <param name="options">Validated settings (<see cref="ModelChangeOptions.Validate"/>).</param>
    /// <param name="maxExemplars">Exemplar trace ids an anomaly carries (the flag contract allows at most 5).</param>
    public ModelChangeDetector(ModelChangeOptions options, int maxExemplars = 5)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxExemplars, 1);
        _window = options.Window;
        _minShare = options.MinShare;
        _threshold = options.Threshold;
        _rareShare = options.RareShare;
        _dominantShare = options.DominantShare;
        _warmup = options.WarmupTraces;
        _acceptAfter = options.AcceptAfterTraces;
        _maxExemplars = maxExemplars;
        _growth = Math.Pow(2, 1.0 / options.BaselineHalfLifeTraces);
        _providers = new string?[options.MaxModels];
        _models = new string[options.MaxModels];
        _weights = new double[options.MaxModels];
        _rare = new bool[_window];
        _dominantSeen = new bool[_window];
        _dominantOf = new int[_window];
        _traceIds = new TraceId[_window];
        _heldProviders = new string?[_window * HeldPerTrace];
        _heldModels = new string?[_window * HeldPerTrace];
        _heldWeights = new double[_window * HeldPerTrace];
        _heldCount = new int[_window];
    }

    /// <inheritdoc />
    public string Kind => AnomalyKinds.ModelChange;

    /// <inheritdoc />
    public IReadOnlyList<FeatureBaseline> Baselines => [];

    /// <summary>Traces with model calls learnt into the baseline.</summary>
    public long LearntTraces { get; private set; }

    /// <summary>Whether warm-up is done.</summary>
    public bool IsWarm => LearntTraces >= _warmup;

    /// <summary>Whether a change was reported and the detector is not yet re-armed.</summary>
    public bool InEpisode { get; private set; }

    /// <summary>Whether the change of the current episode has been accepted as the new normal (and is being learnt).</summary>
    public bool Accepted => InEpisode && _accepted;

    /// <summary>Changes reported so far.</summary>
    public long Episodes { get; private set; }

    /// <summary>Distinct models in the baseline table.</summary>
    public int ModelsTracked => _size;

    /// <summary>The baseline share of a model (0 when unknown), for diagnostics and tests.</summary>
    public double BaselineShare(string? provider, string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var i = IndexOf(provider, model);
        return i < 0 || _total <= 0 ? 0 : _weights[i] / _total;
    }

    /// <inheritdoc />
    public Anomaly? Observe(AgentTrace trace, in TraceFeatures features)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var spans = trace.Spans.AsSpan();
        if (_counted.Length < spans.Length)
        {
            _counted = new bool[Math.Max(spans.Length, _counted.Length * 2)];
        }

        var counted = _counted.AsSpan(0, spans.Length);
        if (LlmCallAccounting.MarkCountedCalls(spans, counted) == 0)
        {
            return null;
        }

        var calls = 0;
        for (var i = 0; i < spans.Length; i++)
        {
            calls += counted[i] && spans[i].Model is not null ? 1 : 0;
        }

        if (calls == 0)
        {
            return null;
        }

        var warm = IsWarm;
        var learning = !InEpisode || _accepted;
        var dominant = warm ? Dominant() : -1;
        var slot = NextSlot(learning);
        var callWeight = 1.0 / calls;
        var rareCalls = 0;
        var dominantSeen = false;
        if (learning)
        {
            Decay();
        }

        for (var i = 0; i < spans.Length; i++)
        {
            if (!counted[i] || spans[i].Model is not { } model)
            {
                continue;
            }

            var provider = spans[i].Provider;
            var index = IndexOf(provider, model);
            dominantSeen |= index >= 0 && index == dominant;
            var rare = warm && (index < 0 || _weights[index] < _rareShare * _total);
            if (rare)
            {
                rareCalls++;
                if (learning)
                {
                    Hold(slot, provider, model, callWeight);
                }
            }
            else if (learning)
            {
                Learn(index, provider, model, callWeight);
            }
        }

        if (learning)
        {
            LearntTraces++;
        }

        var rareTrace = 2 * rareCalls >= calls;
        _rare[slot] = rareTrace;
        _dominantSeen[slot] = dominantSeen;
        _dominantOf[slot] = warm ? dominant : -1;
        _traceIds[slot] = trace.TraceId;
        if (!warm || _filled < _window)
        {
            return null;
        }

        return Judge(trace, rareTrace, dominant);
    }

    private Anomaly? Judge(AgentTrace trace, bool rareTrace, int dominant)
    {
        var k = 0;
        var dominantPresent = false;
        for (var i = 0; i < _window; i++)
        {
            k += _rare[i] ? 1 : 0;
            dominantPresent |= _dominantSeen[i] || _dominantOf[i] != dominant; // judged against another (or no) dominant: not a miss
        }

        var share = (double)k / _window;
        var vanished = dominant >= 0 && !dominantPresent;
        if (InEpisode)
        {
            _episodeTraces++;
            _accepted |= _episodeTraces >= _acceptAfter;
            if (share < _minShare / 2 && !vanished)
            {
                InEpisode = false;
                _accepted = false;
                _episodeTraces = 0;
            }

            return null;
        }

        if (rareTrace && share >= _minShare)
        {
            var p0 = Math.Clamp(RareMass(), MinNullShare, MaxNullShare);
            var distance = -Math.Log10(BinomialTail(_window, k, p0));
            if (distance >= _threshold)
            {
                return Fire(trace, NewModelShare, share, p0, distance, onlyRare: true);
            }
        }

        if (vanished)
        {
            var baseline = _weights[dominant] / _total;
            var distance = -_window * Math.Log10(1 - Math.Min(baseline, MaxNullShare));
            if (distance >= _threshold)
            {
                return Fire(trace, DominantModelShare, 0, baseline, distance, onlyRare: false);
            }
        }

        return null;
    }

    private Anomaly Fire(AgentTrace trace, string feature, double observed, double baseline, double distance, bool onlyRare)
    {
        InEpisode = true;
        _accepted = false;
        _episodeTraces = 0;
        Episodes++;
        DropHeld(); // the calls of the change are not learnt unless it is accepted later
        var explanation = new AnomalyExplanation(feature, observed, baseline, 0, distance) { Method = Method };
        return new Anomaly(trace.Agent, Kind, trace.CompletedAtUnixNano, distance, explanation, Exemplars(onlyRare));
    }

    /// <summary>The window's traces (only those calling mostly new/rare models when <paramref name="onlyRare"/>), latest last.</summary>
    private string[] Exemplars(bool onlyRare)
    {
        var take = 0;
        for (var k = 0; k < _window && take < _maxExemplars; k++)
        {
            take += !onlyRare || _rare[SlotAt(_window - 1 - k)] ? 1 : 0;
        }

        var ids = new string[take];
        var filled = take;
        for (var k = _window - 1; k >= 0 && filled > 0; k--)
        {
            var slot = SlotAt(k);
            if (!onlyRare || _rare[slot])
            {
                ids[--filled] = _traceIds[slot].ToString();
            }
        }

        return ids;
    }

    /// <summary>The slot of the k-th oldest trace in the (full) window.</summary>
    private int SlotAt(int k) => (_head + 1 + k) % _window;

    /// <summary>Advances the ring to a new slot, learning (or dropping) what the evicted trace held.</summary>
    private int NextSlot(bool learning)
    {
        var slot = _filled == 0 ? 0 : (_head + 1) % _window;
        if (_filled == _window)
        {
            var held = _heldCount[slot];
            for (var j = 0; j < held; j++)
            {
                var at = (slot * HeldPerTrace) + j;
                if (learning)
                {
                    Learn(IndexOf(_heldProviders[at], _heldModels[at]!), _heldProviders[at], _heldModels[at]!, _heldWeights[at]);
                }

                _heldProviders[at] = null;
                _heldModels[at] = null;
            }
        }
        else
        {
            _filled++;
        }

        _heldCount[slot] = 0;
        _head = slot;
        return slot;
    }

    private void DropHeld()
    {
        Array.Clear(_heldProviders);
        Array.Clear(_heldModels);
        Array.Clear(_heldCount);
    }

    private void Hold(int slot, string? provider, string model, double weight)
    {
        var start = slot * HeldPerTrace;
        var held = _heldCount[slot];
        for (var j = 0; j < held; j++)
        {
            if (Same(_heldProviders[start + j], _heldModels[start + j]!, provider, model))
            {
                _heldWeights[start + j] += weight;
                return;
            }
        }

        if (held < HeldPerTrace)
        {
            _heldProviders[start + held] = provider;
            _heldModels[start + held] = model;
            _heldWeights[start + held] = weight;
            _heldCount[slot] = held + 1;
        }
    }

    /// <summary>One learnt trace's worth of decay: instead of shrinking every weight, later weights grow.</summary>
    private void Decay()
    {
        _scale *= _growth;
        if (_scale > 1e100)
        {
            for (var i = 0; i < _size; i++)
            {
                _weights[i] /= _scale;
            }

            _total /= _scale;
            _other /= _scale;
            _scale = 1;
        }
    }

    private void Learn(int index, string? provider, string model, double weight)
    {
        var w = weight * _scale;
        if (index < 0)
        {
            if (_size < _models.Length)
            {
                index = _size++;
            }
            else
            {
                index = 0;
                for (var i = 1; i < _size; i++)
                {
                    if (_weights[i] < _weights[index])
                    {
                        index = i;
                    }
                }

                _other += _weights[index];
            }

            _providers[index] = provider;
            _models[index] = model.Length <= MaxNameLength ? model : model[..MaxNameLength];
            _weights[index] = 0;
        }

        _weights[index] += w;
        _total += w;
    }

    private int Dominant()
    {
        var best = -1;
        for (var i = 0; i < _size; i++)
        {
            if (best < 0 || _weights[i] > _weights[best])
            {
                best = i;
            }
        }

        return best >= 0 && _weights[best] >= _dominantShare * _total ? best : -1;
    }

    /// <summary>The baseline share of every rare model together, forgotten ones included.</summary>
    private double RareMass()
    {
        var mass = _other;
        for (var i = 0; i < _size; i++)
        {
            if (_weights[i] < _rareShare * _total)
            {
                mass += _weights[i];
            }
        }

        return _total > 0 ? mass / _total : 0;
    }

    private int IndexOf(string? provider, string model)
    {
        for (var i = 0; i < _size; i++)
        {
            if (Same(_providers[i], _models[i], provider, model))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool Same(string? storedProvider, string stored, string? provider, string model)
    {
        if (ReferenceEquals(stored, model))
        {
            return string.Equals(storedProvider, provider, StringComparison.Ordinal);
        }

        var key = model.AsSpan(0, Math.Min(model.Length, MaxNameLength));
        return key.SequenceEqual(stored) && string.Equals(storedProvider, provider, StringComparison.Ordinal);
    }

    /// <summary>P(X ≥ k) for X ~ Binomial(n, p), 0 &lt; p &lt; 1, summed in log space.</summary>
    internal static double BinomialTail(int n, int k, double p)
    {
        if (k <= 0)
        {
            return 1;
        }

        var lnP = Math.Log(p);
        var lnQ = Math.Log(1 - p);
        var lnChoose = 0.0; // ln C(n, k)
        for (var i = 1; i <= k; i++)
        {
            lnChoose += Math.Log((double)(n - k + i) / i);
        }

        var sum = 0.0;
        for (var j = k; j <= n; j++)
        {
            sum += Math.Exp(lnChoose + (j * lnP) + ((n - j) * lnQ));
            lnChoose += Math.Log((double)(n - j) / (j + 1));
        }

        return Math.Max(sum, double.Epsilon);
    }
}
