using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;

namespace AgentSentinel.Remediation.Recovery;

/// <summary>Which path served a trace while the agent's flag is in force.</summary>
public enum TracePath
{
    /// <summary>Nothing in the trace tells: leave it out of the recovery test.</summary>
    Unknown,
    /// <summary>The agent's primary path (during a probe: probe traffic).</summary>
    Primary,
    /// <summary>The fallback named in the flag.</summary>
    Fallback,
}

/// <summary>
/// Tells primary traces from fallback traces, so that only the probe's primary traffic is judged by the recovery test.
/// </summary>
/// <remarks>
/// <para>An explicit hint wins: a span tagged <c>agentsentinel.route=fallback</c> (<see cref="SpanRouteHint.Fallback"/>)
/// makes the trace a fallback trace (a trace that touched the fallback is no evidence about the primary path);
/// otherwise a span tagged <c>primary</c> makes it a primary trace.</para>
/// <para>Without hints the model calls decide. The fallback is compared with each call's request and response model
/// ignoring case, a provider path (<c>openai/</c>), a Vertex <c>@version</c> and a trailing release date or build number
/// (<c>gpt-4o-mini</c> matches <c>gpt-4o-mini-2024-07-18</c>, not <c>gpt-4o-mini-tts</c> nor <c>llama-3-70</c> for
/// <c>llama-3</c>):</para>
/// <list type="bullet">
/// <item>a call to the fallback model: <see cref="TracePath.Fallback"/>;</item>
/// <item>a fallback that names no model (<c>cached</c>, <c>cache</c>, <c>human</c>, <c>static</c>, <c>canned</c>):
/// <see cref="TracePath.Primary"/> when the trace has a model call, else <see cref="TracePath.Fallback"/>;</item>
/// <item>a fallback model: <see cref="TracePath.Primary"/> when the trace has a call naming another model, else
/// <see cref="TracePath.Unknown"/> (no calls, or calls without model names).</item>
/// </list>
/// Allocation-free.
/// </remarks>
public static class TracePathClassifier
{
    private static readonly string[] NonModelFallbacks = ["cached", "cache", "human", "static", "canned"];

    /// <summary>The path that served <paramref name="trace"/> given the flag's <paramref name="fallback"/>.</summary>
    public static TracePath Classify(AgentTrace trace, string fallback)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var spans = trace.Spans.AsSpan();
        var hintedPrimary = false;
        foreach (ref readonly var span in spans)
        {
            if (span.RouteHint == SpanRouteHint.Fallback)
            {
                return TracePath.Fallback;
            }

            hintedPrimary |= span.RouteHint == SpanRouteHint.Primary;
        }

        if (hintedPrimary)
        {
            return TracePath.Primary;
        }

        var target = Normalise(fallback);
        if (target.IsEmpty)
        {
            return TracePath.Unknown;
        }

        var calls = 0;
        var named = 0;
        foreach (ref readonly var span in spans)
        {
            if (!span.Operation.IsLlmCall())
            {
                continue;
            }

            calls++;
            if (Matches(span.RequestModel, target) || Matches(span.ResponseModel, target))
            {
                return TracePath.Fallback;
            }

            named += string.IsNullOrWhiteSpace(span.Model) ? 0 : 1;
        }

        if (IsNonModel(target))
        {
            return calls > 0 ? TracePath.Primary : TracePath.Fallback;
        }

        return named > 0 ? TracePath.Primary : TracePath.Unknown;
    }

    /// <summary>Whether <paramref name="model"/> (as a span reports it) is the model <paramref name="fallback"/> names.</summary>
    public static bool IsSameModel(string? model, string fallback) => Matches(model, Normalise(fallback));

    private static bool IsNonModel(ReadOnlySpan<char> fallback)
    {
        foreach (var name in NonModelFallbacks)
        {
            if (fallback.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Matches(string? model, ReadOnlySpan<char> target)
    {
        if (string.IsNullOrEmpty(model) || target.IsEmpty)
        {
            return false;
        }

        var name = Normalise(model);
        if (name.Equals(target, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return name.Length > target.Length + 1
            && name.StartsWith(target, StringComparison.OrdinalIgnoreCase)
            && name[target.Length] is '-' or ':' or '.'
            && IsReleaseSuffix(name[(target.Length + 1)..]);
    }

    /// <summary>Trims, drops a provider path (<c>openai/</c>, <c>models/</c>) and a Vertex <c>@version</c>.</summary>
    private static ReadOnlySpan<char> Normalise(string? name)
    {
        var span = name.AsSpan().Trim();
        var slash = span.LastIndexOf('/');
        if (slash >= 0)
        {
            span = span[(slash + 1)..];
        }

        var at = span.IndexOf('@');
        return at > 0 ? span[..at] : span;
    }

    /// <summary>
    /// A release marker rather than another model: a word like <c>latest</c>, or digit groups separated by
    /// <c>-</c>, <c>.</c> or <c>:</c> that are a date or build (the first group of 3+ digits, or several groups of 2+),
    /// never a short size or version like <c>70</c> or <c>5</c>.
    /// </summary>
    private static bool IsReleaseSuffix(ReadOnlySpan<char> suffix)
    {
        if (suffix.Equals("latest", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        int groups = 0, shortest = int.MaxValue, first = 0, length = 0;
        foreach (var c in suffix)
        {
            if (char.IsAsciiDigit(c))
            {
                length++;
                continue;
            }

            if (c is not ('-' or '.' or ':') || length == 0)
            {
                return false;
            }

            groups++;
            first = groups == 1 ? length : first;
            shortest = Math.Min(shortest, length);
            length = 0;
        }

        if (length == 0)
        {
            return false;
        }

        groups++;
        first = groups == 1 ? length : first;
        shortest = Math.Min(shortest, length);
        return first >= 3 || (groups >= 2 && shortest >= 2);
    }
}
