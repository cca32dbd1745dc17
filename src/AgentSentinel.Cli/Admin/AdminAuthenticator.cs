using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace AgentSentinel.Cli.Admin;

/// <summary>
/// Maps an <c>Authorization: Bearer &lt;token&gt;</c> header to the operator whose token it is. Only SHA-256 hashes of the
/// tokens are kept, and the presented token's hash is compared with every one of them in constant time
/// (<see cref="CryptographicOperations.FixedTimeEquals"/>), so timing reveals neither a token's prefix nor which operator matched.
/// </summary>
internal sealed class AdminAuthenticator
{
    private const string Scheme = "Bearer ";

    private readonly byte[][] _hashes;
    private readonly string[] _operators;

    public AdminAuthenticator(IReadOnlyDictionary<string, string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        _operators = [.. tokens.Keys];
        _hashes = [.. tokens.Values.Select(t => SHA256.HashData(Encoding.UTF8.GetBytes(t)))];
    }

    /// <summary>The operator, or null for a missing, malformed or unknown token.</summary>
    public string? Authenticate(StringValues authorization)
    {
        if (authorization.Count != 1 || authorization[0] is not { } header
            || header.Length <= Scheme.Length || header.Length > Scheme.Length + AdminOptions.MaxTokenLength
            || !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = header.AsSpan(Scheme.Length).Trim(' ');
        if (token.IsEmpty || !AdminOptions.IsTokenText(token))
        {
            return null;
        }

        // Visible ASCII only (checked above): one byte per character.
        Span<byte> utf8 = stackalloc byte[AdminOptions.MaxTokenLength];
        var length = Encoding.ASCII.GetBytes(token, utf8);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..length], hash);
        var match = -1;
        for (var i = 0; i < _hashes.Length; i++)
        {
            // No early exit: every hash is compared whatever matched.
            match = CryptographicOperations.FixedTimeEquals(hash, _hashes[i]) ? i : match;
        }

        return match >= 0 ? _operators[match] : null;
    }
}
