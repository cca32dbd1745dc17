using AgentSentinel.Core.Spans;

namespace AgentSentinel.Detection.Features;

/// <summary>
/// Repetition in a trace's tool calls, in start order: the longest run of identical calls (same tool, same arguments),
/// the longest such run whose result did not change either, and the most repetitions of a short cycle (A B A B …).
/// Arguments or results that the convention does not report hash to 0 and compare equal: a repeat is then judged
/// against the agent's own history, which carries the same blind spot.
/// </summary>
internal readonly record struct ToolSequence(int DistinctTools, int LongestRepeat, int LongestUnchangedRepeat, int CycleRepeats)
{
    /// <summary>Analyses the tool calls <paramref name="order"/> (indices into <paramref name="spans"/>, sorted by start).</summary>
    public static ToolSequence Analyse(ReadOnlySpan<AgentSpan> spans, ReadOnlySpan<int> order, int maxCyclePeriod)
    {
        if (order.IsEmpty)
        {
            return default;
        }

        int distinct = 0, longest = 1, unchanged = 1, run = 1, unchangedRun = 1;
        for (var i = 0; i < order.Length; i++)
        {
            ref readonly var call = ref spans[order[i]];
            var seen = false;
            for (var j = 0; j < i && !seen; j++)
            {
                seen = string.Equals(spans[order[j]].ToolName, call.ToolName, StringComparison.Ordinal);
            }

            distinct += seen ? 0 : 1;
            if (i == 0)
            {
                continue;
            }

            ref readonly var previous = ref spans[order[i - 1]];
            if (SameCall(previous, call))
            {
                run++;
                unchangedRun = previous.ToolResultHash == call.ToolResultHash ? unchangedRun + 1 : 1;
            }
            else
            {
                run = 1;
                unchangedRun = 1;
            }

            longest = Math.Max(longest, run);
            unchanged = Math.Max(unchanged, unchangedRun);
        }

        return new ToolSequence(distinct, longest, unchanged, CountCycleRepeats(spans, order, maxCyclePeriod));
    }

    private static bool SameCall(in AgentSpan a, in AgentSpan b) =>
        a.ToolArgumentsHash == b.ToolArgumentsHash && string.Equals(a.ToolName, b.ToolName, StringComparison.Ordinal);

    /// <summary>
    /// For each period p in 2..max: the longest stretch where every call equals the call p places earlier and the
    /// calls inside it are not all one call; repetitions = (stretch + p) / p. Returns the largest, or 0.
    /// </summary>
    private static int CountCycleRepeats(ReadOnlySpan<AgentSpan> spans, ReadOnlySpan<int> order, int maxPeriod)
    {
        var best = 0;
        for (var p = 2; p <= maxPeriod && 2 * p <= order.Length; p++)
        {
            int run = 0, varied = 0;
            for (var i = p; i < order.Length; i++)
            {
                if (SameCall(spans[order[i]], spans[order[i - p]]))
                {
                    run++;
                    varied += SameCall(spans[order[i]], spans[order[i - 1]]) ? 0 : 1;
                    if (varied > 0)
                    {
                        best = Math.Max(best, (run + p) / p);
                    }
                }
                else
                {
                    run = 0;
                    varied = 0;
                }
            }
        }

        return best >= 2 ? best : 0;
    }
}
