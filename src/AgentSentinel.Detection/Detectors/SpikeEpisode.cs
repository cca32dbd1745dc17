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
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(options);
        _kind = kind;
        _confirmCount = options.ConfirmCount;
        _maxExemplars = options.MaxExemplars;
        _rearmAfter = options.RearmAfter;
        _beyond = new bool[options.ConfirmWindow];
        _traces = new TraceId[options.ConfirmWindow];
    }

    /// <summary>Whether an episode is in progress (an anomaly was emitted and the detector is not yet re-armed).</summary>
    public bool InEpisode { get; private set; }

    /// <summary>Episodes started so far.</summary>
    public long Episodes { get; private set; }

    /// <summary>Feeds one judged trace; returns the anomaly when it starts an episode.</summary>
    public Anomaly? Step(AgentTrace trace, in SpikeJudgement judgement)
    {
        ArgumentNullException.ThrowIfNull(trace);
        if (!judgement.Judged)
        {
            return null;
        }

        Push(judgement.Beyond, trace.TraceId);
        if (InEpisode)
        {
            _normalStreak = judgement.Beyond ? 0 : _normalStreak + 1;
            if (_normalStreak >= _rearmAfter)
            {
                InEpisode = false;
                _normalStreak = 0;
                _size = 0;
                _head = 0;
            }

            return null;
        }

        if (!judgement.Beyond || (!judgement.Extreme && CountBeyond() < _confirmCount))
        {
            return null;
        }

        InEpisode = true;
        _normalStreak = 0;
        Episodes++;
        return new Anomaly(
            trace.Agent,
            _kind,
            trace.CompletedAtUnixNano,
            judgement.Distance,
            judgement.ToExplanation(),
            Exemplars());
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
