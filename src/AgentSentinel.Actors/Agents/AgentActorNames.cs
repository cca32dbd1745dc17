using System.Security.Cryptography;
using System.Text;

namespace AgentSentinel.Actors.Agents;

/// <summary>
/// Actor names for agent ids. Agent ids are untrusted strings (any length, any characters), so a name is
/// <c>agent-</c> + a readable slug (lower-case ASCII letters and digits, at most 32 characters) + <c>-</c> + 16 hex digits
/// of the SHA-256 of the id: always a valid, bounded actor path element, and distinct ids get distinct names.
/// </summary>
internal static class AgentActorNames
{
    private const int MaxSlug = 32;

    public static string For(string agentId)
    {
        ArgumentNullException.ThrowIfNull(agentId);
        var slug = new StringBuilder(MaxSlug);
        var dash = false;
        foreach (var c in agentId)
        {
            if (slug.Length >= MaxSlug)
            {
                break;
            }

            if (char.IsAsciiLetterOrDigit(c))
            {
                slug.Append(char.ToLowerInvariant(c));
                dash = false;
            }
            else if (!dash && slug.Length > 0)
            {
                slug.Append('-');
                dash = true;
            }
        }

        while (slug.Length > 0 && slug[^1] == '-')
        {
            slug.Length--;
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(agentId), hash);
        var hex = Convert.ToHexStringLower(hash[..8]);
        return slug.Length == 0 ? "agent-" + hex : $"agent-{slug}-{hex}";
    }
}
