using AgentSentinel.Detection.Features;

namespace AgentSentinel.Detection.Multivariate;

/// <summary>
/// The trace feature vector the multivariate detector judges: a fixed list of <see cref="TraceFeatures"/> fields with
/// stable snake-case names (they appear in explanations, reports and flags), each with a transform that makes
/// relative changes comparable: <c>log1p</c> for counts, tokens, durations and cost (in micro-USD), identity for
/// relevance scores.
/// </summary>
/// <remarks>
/// A value is NaN when the trace does not carry the quantity (token features without token usage, cost without a known
/// price, retrieval score without a scored retrieval); the model imputes NaN with the training centre, so a missing
/// value contributes nothing. Each feature has a floor on its robust scale in transformed units (<see cref="ScaleFloor"/>),
/// so a feature that was constant in training does not make the smallest change infinitely far.
/// </remarks>
public static class TraceFeatureVector
{
    /// <summary>Features in the vector.</summary>
    public const int Count = 22;

    private const double CountFloor = 0.25;   // log1p units: 0 → 1 is 2.8 scales, 3 → 4 is 0.9
    private const double AmountFloor = 0.05;  // log units: about 5 % of the value, as the spike detectors' relative floor
    private const double ScoreFloor = 0.02;   // relevance scores live in [0, 1]

    private static readonly string[] FeatureNames =
    [
        "span_count",
        "llm_calls",
        "tool_calls",
        "distinct_tools",
        "errors",
        "tool_errors",
        "truncated_calls",
        "content_filtered_calls",
        "longest_tool_repeat",
        "depth",
        "retrieval_calls",
        "empty_retrievals",
        "retrieval_top_score",
        "tokens_per_trace",
        "input_tokens",
        "output_tokens",
        "reasoning_tokens",
        "max_call_tokens",
        "cost_usd",
        "trace_duration_ms",
        "max_llm_call_latency_ms",
        "total_llm_latency_ms",
    ];

    private const int RetrievalTopScore = 12;
    private const int FirstAmount = 13;
    private const int CostUsd = 18;
    private const double MicroUsdPerUsd = 1_000_000;

    /// <summary>The feature names, in vector order.</summary>
    public static IReadOnlyList<string> Names => FeatureNames;

    /// <summary>The name of feature <paramref name="index"/>.</summary>
    public static string Name(int index) => FeatureNames[index];

    /// <summary>The index of the feature named <paramref name="name"/>, or -1.</summary>
    public static int IndexOf(string name) => Array.IndexOf(FeatureNames, name);

    /// <summary>Fills <paramref name="destination"/> (at least <see cref="Count"/> long) with the transformed vector; allocates nothing.</summary>
    public static void Fill(in TraceFeatures features, Span<double> destination)
    {
        if (destination.Length < Count)
        {
            throw new ArgumentException($"needs {Count} elements (was {destination.Length})", nameof(destination));
        }

        for (var i = 0; i < Count; i++)
        {
            destination[i] = Transform(i, Raw(features, i));
        }
    }

    /// <summary>Feature <paramref name="index"/> in its own unit (count, tokens, USD, ms, score); NaN when the trace does not carry it.</summary>
    public static double Raw(in TraceFeatures features, int index)
    {
        var tokens = features.HasTokens;
        return index switch
        {
            0 => features.SpanCount,
            1 => features.LlmCalls,
            2 => features.ToolCalls,
            3 => features.DistinctTools,
            4 => features.Errors,
            5 => features.ToolErrors,
            6 => features.TruncatedCalls,
            7 => features.ContentFilteredCalls,
            8 => features.LongestToolRepeat,
            9 => features.Depth,
            10 => features.RetrievalCalls,
            11 => features.EmptyRetrievals,
            RetrievalTopScore => features.RetrievalTopScore,
            13 => tokens ? features.TotalTokens : double.NaN,
            14 => tokens ? features.InputTokens : double.NaN,
            15 => tokens ? features.OutputTokens : double.NaN,
            16 => tokens ? features.ReasoningTokens : double.NaN,
            17 => tokens ? features.MaxCallTokens : double.NaN,
            CostUsd => features.CallsWithCost > 0 ? features.CostUsd : double.NaN,
            19 => features.DurationMs,
            20 => features.MaxLlmLatencyMs,
            21 => features.TotalLlmLatencyMs,
            _ => throw new ArgumentOutOfRangeException(nameof(index), index, $"must be between 0 and {Count - 1}"),
        };
    }

    /// <summary>The transform of feature <paramref name="index"/>: log1p of the (non-negative) value, identity for scores; NaN stays NaN.</summary>
    public static double Transform(int index, double raw)
    {
        if (!double.IsFinite(raw))
        {
            return double.NaN;
        }

        return index switch
        {
            RetrievalTopScore => raw,
            CostUsd => Math.Log(1 + Math.Max(0, raw * MicroUsdPerUsd)),
            _ => Math.Log(1 + Math.Max(0, raw)),
        };
    }

    /// <summary>The inverse of <see cref="Transform"/> (back to the feature's own unit).</summary>
    public static double Inverse(int index, double transformed) => index switch
    {
        RetrievalTopScore => transformed,
        CostUsd => Math.Max(0, Math.Exp(transformed) - 1) / MicroUsdPerUsd,
        _ => Math.Max(0, Math.Exp(transformed) - 1),
    };

    /// <summary>The smallest robust scale of feature <paramref name="index"/>, in transformed units.</summary>
    public static double ScaleFloor(int index) => index switch
    {
        RetrievalTopScore => ScoreFloor,
        >= FirstAmount => AmountFloor,
        _ => CountFloor,
    };
}
