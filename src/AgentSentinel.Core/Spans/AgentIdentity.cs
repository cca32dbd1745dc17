namespace AgentSentinel.Core.Spans;

/// <summary>Rules about agent identities that every component applies the same way.</summary>
public static class AgentIdentity
{
    /// <summary>
    /// True for a name that is really an instance id: a UUID (with or without dashes, optionally braced) or a long run
    /// of hex digits. Some instrumentations put a fresh one in <c>gen_ai.agent.id</c> or even <c>gen_ai.agent.name</c>
    /// for every run (JetBrains Koog, unnamed Microsoft Agent Framework agents); taken as the agent, each run would be a
    /// new agent that never warms a baseline, and the agent count would grow without bound. Such a name is used only when
    /// nothing better (a real name, an ancestor's name, the service) names the agent.
    /// </summary>
    public static bool LooksLikeInstanceId(ReadOnlySpan<char> name)
    {
        if (name.Length >= 2 && name[0] == '{' && name[^1] == '}')
        {
            name = name[1..^1];
        }

        if (name.Length == 36)
        {
            for (var i = 0; i < 36; i++)
            {
                var dash = i is 8 or 13 or 18 or 23;
                if (dash ? name[i] != '-' : !char.IsAsciiHexDigit(name[i]))
                {
                    return false;
                }
            }

            return true;
        }

        if (name.Length < 16)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
