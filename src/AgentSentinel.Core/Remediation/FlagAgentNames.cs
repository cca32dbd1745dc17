using System.Text;

namespace AgentSentinel.Core.Remediation;

/// <summary>
/// Which agent names can name a flag (<c>{prefix}flag:{agent}</c>): one rule for the writer, the agents' clients and the
/// admin operations. Agent names come from span attributes, so they are untrusted: any printable text is accepted verbatim
/// (quotes, colons, slashes, unicode); refused are empty names, names over <see cref="MaxLength"/>, control characters
/// (CR/LF in a key invites log injection wherever keys are printed) and invalid UTF-16, which would map distinct names to
/// one key.
/// </summary>
public static class FlagAgentNames
{
    /// <summary>The longest agent name (UTF-16 code units) accepted in a key.</summary>
    public const int MaxLength = 512;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Whether <paramref name="agent"/> may name a flag.</summary>
    public static bool IsValid(string? agent)
    {
        if (string.IsNullOrEmpty(agent) || agent.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in agent)
        {
            if (char.IsControl(c) || c is '\u2028' or '\u2029')
            {
                return false;
            }
        }

        try
        {
            _ = StrictUtf8.GetByteCount(agent);
            return true;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }
}
