using System.Text;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Spans;

namespace AgentSentinel.Remediation.Policies;

/// <summary>
/// Which agents and anomaly kinds a policy covers (<c>match</c> in the policy file). All given parts must match:
/// <list type="bullet">
/// <item><c>agents</c>: the agent name matches one of these globs (absent: every agent);</item>
/// <item><c>except_agents</c>: and none of these;</item>
/// <item><c>resource</c>: every listed resource attribute is present and its value matches the glob;</item>
/// <item><c>kinds</c>: the anomaly kind is one of these (absent or <c>*</c>: every kind).</item>
/// </list>
/// Globs: <c>*</c> any run of characters, <c>?</c> one character, everything else literal; ordinal and case-sensitive.
/// Immutable and thread-safe; <see cref="Matches"/> allocates nothing.
/// </summary>
public sealed class AgentSelector : IEquatable<AgentSelector>
{
    private readonly string[] _agents;
    private readonly string[] _exceptAgents;
    private readonly KeyValuePair<string, string>[] _resource;
    private readonly HashSet<string>? _kinds;
    private readonly string _canonical;

    /// <summary>Every agent, every kind (<c>match: {}</c>).</summary>
    public static AgentSelector All { get; } = new();

    /// <summary>A selector; null or empty parts match everything. A kind list holding <c>*</c> means every kind.</summary>
    public AgentSelector(
        IEnumerable<string>? agents = null,
        IEnumerable<string>? exceptAgents = null,
        IEnumerable<KeyValuePair<string, string>>? resource = null,
        IEnumerable<string>? kinds = null)
    {
        _agents = agents is null ? [] : [.. agents.Distinct(StringComparer.Ordinal)];
        _exceptAgents = exceptAgents is null ? [] : [.. exceptAgents.Distinct(StringComparer.Ordinal)];
        _resource = resource is null ? [] : [.. resource.OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)];
        var kindList = kinds is null ? [] : kinds.ToList();
        _kinds = kindList.Count == 0 || kindList.Contains("*", StringComparer.Ordinal) ? null : new HashSet<string>(kindList, StringComparer.Ordinal);
        Kinds = _kinds is null ? [] : [.. _kinds.OrderBy(k => IndexOfKind(k)).ThenBy(k => k, StringComparer.Ordinal)];
        _canonical = BuildCanonical();
    }

    /// <summary>Agent name globs (empty: every agent).</summary>
    public IReadOnlyList<string> Agents => _agents;

    /// <summary>Agent name globs excluded.</summary>
    public IReadOnlyList<string> ExceptAgents => _exceptAgents;

    /// <summary>Resource attribute → value glob, all of which must match (sorted by key).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Resource => _resource;

    /// <summary>The anomaly kinds covered, in <see cref="AnomalyKinds.All"/> order (empty: every kind).</summary>
    public IReadOnlyList<string> Kinds { get; }

    /// <summary>Whether this selector matches every agent and every kind.</summary>
    public bool MatchesEverything => _agents.Length == 0 && _exceptAgents.Length == 0 && _resource.Length == 0 && _kinds is null;

    /// <summary>Whether the selector covers an anomaly of <paramref name="kind"/> on <paramref name="agent"/> with <paramref name="resource"/>.</summary>
    public bool Matches(string agent, ResourceAttributes? resource, string kind)
    {
        if (_kinds is not null && (kind is null || !_kinds.Contains(kind)))
        {
            return false;
        }

        agent ??= string.Empty;
        if (_agents.Length > 0 && !AnyMatch(_agents, agent))
        {
            return false;
        }

        if (_exceptAgents.Length > 0 && AnyMatch(_exceptAgents, agent))
        {
            return false;
        }

        if (_resource.Length > 0)
        {
            resource ??= ResourceAttributes.Empty;
            foreach (var (key, glob) in _resource)
            {
                if (!resource.TryGetValue(key, out var value) || !Glob.IsMatch(glob, value))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>A canonical one-line description, e.g. <c>agents=["support-*"] kinds=[tool_loop]</c> (<c>*</c> for everything).</summary>
    public override string ToString() => _canonical;

    /// <inheritdoc />
    public bool Equals(AgentSelector? other) => other is not null && string.Equals(_canonical, other._canonical, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as AgentSelector);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_canonical);

    private static bool AnyMatch(string[] globs, string value)
    {
        foreach (var glob in globs)
        {
            if (Glob.IsMatch(glob, value))
            {
                return true;
            }
        }

        return false;
    }

    private static int IndexOfKind(string kind)
    {
        for (var i = 0; i < AnomalyKinds.All.Count; i++)
        {
            if (string.Equals(AnomalyKinds.All[i], kind, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return int.MaxValue;
    }

    private string BuildCanonical()
    {
        if (MatchesEverything)
        {
            return "*";
        }

        var sb = new StringBuilder();
        if (_agents.Length > 0)
        {
            sb.Append("agents=[").AppendJoin(",", _agents.Select(Quote)).Append("] ");
        }

        if (_exceptAgents.Length > 0)
        {
            sb.Append("except_agents=[").AppendJoin(",", _exceptAgents.Select(Quote)).Append("] ");
        }

        if (_resource.Length > 0)
        {
            sb.Append("resource={").AppendJoin(",", _resource.Select(p => Quote(p.Key) + ":" + Quote(p.Value))).Append("} ");
        }

        if (Kinds.Count > 0)
        {
            sb.Append("kinds=[").AppendJoin(",", Kinds).Append("] ");
        }

        return sb.ToString(0, sb.Length - 1);
    }

    private static string Quote(string s) =>
        "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}

/// <summary>Glob matching: <c>*</c> any run (also empty), <c>?</c> exactly one character; ordinal, case-sensitive.</summary>
public static class Glob
{
    /// <summary>Whether <paramref name="text"/> matches <paramref name="pattern"/>. Allocates nothing; O(|pattern|·|text|) at worst.</summary>
    public static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        if (pattern.IndexOfAny('*', '?') < 0)
        {
            return pattern.SequenceEqual(text);
        }

        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || (pattern[p] != '*' && pattern[p] == text[t])))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
