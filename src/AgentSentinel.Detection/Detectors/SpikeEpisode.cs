using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;

namespace AgentSentinel.Detection.Detectors;

/// <summary>
/// Noise control shared by the spike detectors: confirms a spike over several traces and latches an episode so that
/// it yields one anomaly.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Armed: an anomaly is emitted when the current trace is beyond threshold and at least <c>ConfirmCount</c> of
/// the last <c>ConfirmWindow</c> judged traces (this one included) were, or at once when the current trace is extreme.</item>
/// <item>Latched: after an anomaly, nothing more is emitted until <c>RearmAfter</c> consecutive judged traces are
/// normal; then the confirmation window is cleared and the detector is armed again.</item>
/// </list>
/// Traces that no warm feature could judge are not counted at all. The anomaly's exemplars are the traces beyond
/// threshold in the confirmation window (at most <c>MaxExemplars</c>, oldest first, the triggering trace last).
/// </remarks>
public sealed class SpikeEpisode
{
    private readonly string _kind;
    private readonly int _confirmCount;
    private readonly int _maxExemplars;
    private readonly int _rearmAfter;
    private readonly bool[] _beyond;
    private readonly TraceId[] _traces;
    private int _size;
    private int _head;
    private int _normalStreak;

    public SpikeEpisode(string kind, DetectionOptions options)
        : this(kind, options?.ConfirmCount ?? 0, options?.ConfirmWindow ?? 0, options?.RearmAfter ?? 0, options?.MaxExemplars ?? 0)
    {
    }

    /// <summary>An episode with its own confirmation rule: <paramref name="confirmCount"/> of the last <paramref name="confirmWindow"/>.</summary>
    public SpikeEpisode(string kind, int confirmCount, int confirmWindow, int rearmAfter, int maxExemplars)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentOutOfRangeException.ThrowIfLessThan(confirmWindow, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(confirmCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rearmAfter, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxExemplars, 1);
        _kind = kind;
        _confirmCount = confirmCount;
        _maxExemplars = maxExemplars;
        _rearmAfter = rearmAfter;
        _beyond = new bool[confirmWindow];
        _traces = new TraceId[confirmWindow];
    }

    /// <summary>Ends the current episode at once (the detector decided the behaviour is the new normal).</summary>
    public void Rearm()
    {
        InEpisode = false;
        _normalStreak = 0;
        _size = 0;
        _head = 0;
    }

    /// <summary>Whether an episode is in progress (an anomaly was emitted and the detector is not yet re-armed).</summary>
    public bool InEpisode { get; private set; }

    /// <summary>Episodes started so far.</summary>
    public long Episodes { get; private set; }

    /// <summary>Feeds one judged trace; returns the anomaly when it starts an episode.</summary>
    public Anomaly? Step(AgentTrace trace, in SpikeJudgement judgement) =>
        Step(trace, judgement.Judged, judgement.Beyond, judgement.Extreme, judgement.ToFinding());

    /// <summary>
    /// Feeds one trace's verdict: <paramref name="judged"/> (a warm detector looked at it), <paramref name="beyond"/>
    /// (it lies beyond threshold), <paramref name="extreme"/> (so far beyond that one trace suffices) and what to say
    /// if it starts an episode.
    /// </summary>
    public Anomaly? Step(AgentTrace trace, bool judged, bool beyond, bool extreme, in Finding finding)
    {
        ArgumentNullException.ThrowIfNull(trace);
        if (!judged)
        {
            return null;
        }

        Push(beyond, trace.TraceId);
        if (InEpisode)
        {
            _normalStreak = beyond ? 0 : _normalStreak + 1;
            if (_normalStreak >= _rearmAfter)
            {
                InEpisode = false;
                _normalStreak = 0;
                _size = 0;
                _head = 0;
            }

            return null;
        }

        if (!beyond || (!extreme && CountBeyond() < _confirmCount))
        {
            return null;
        }

        InEpisode = true;
        _normalStreak = 0;
        Episodes++;
        return new Anomaly(trace.Agent, _kind, trace.CompletedAtUnixNano, finding.Distance, finding.ToExplanation(), Exemplars());
    }

    private void Push(bool beyond, TraceId trace)
    {
        var capacity = _beyond.Length;
        var at = (_head + _size) % capacity;
        if (_size == capacity)
        {
            _head = (_head + 1) % capacity;
        }
        else
        {
            _size++;
        }

        _beyond[at] = beyond;
        _traces[at] = trace;
    }

    private int CountBeyond()
    {
        var n = 0;
        for (var k = 0; k < _size; k++)
        {
            n += _beyond[(_head + k) % _beyond.Length] ? 1 : 0;
        }

        return n;
    }

    private string[] Exemplars()
    {
        var take = Math.Min(CountBeyond(), _maxExemplars);
        var ids = new string[take];
        var filled = take;
        for (var k = _size - 1; k >= 0 && filled > 0; k--)
        {
            var at = (_head + k) % _beyond.Length;
            if (_beyond[at])
            {
                ids[--filled] = _traces[at].ToString();
            }
        }

        return ids;
    }
}
