using System.Buffers.Binary;

namespace AgentSentinel.Remediation.Recovery;

/// <summary>
/// The text form of a <see cref="ReferenceSample"/> (<see cref="ReferenceSample.ToSnapshot"/>,
/// <see cref="ReferenceSample.TryImport"/>), kept in the incident state so a restart mid-incident still judges the probe
/// against the agent's healthy reference.
/// </summary>
/// <remarks>
/// <para><c>v1:</c> followed by the base64 of, oldest trace first, <see cref="ReferenceTrace.EncodedSize"/> (49) bytes per
/// trace (6 little-endian <see cref="float"/>s: total tokens, largest call's tokens, duration ms, slowest call ms,
/// cost USD, retrieval top score, NaN when not reported; 12 little-endian <see cref="ushort"/> counts in
/// <see cref="RecoveryFeature"/> order from model calls to cycle repeats; the failed flag as 0 or 1), then the
/// FNV-1a 32-bit hash of those bytes (little-endian). 128 traces: 8 371 characters.</para>
/// <para>Culture-invariant and deterministic (NaNs written as one bit pattern). Decoding rejects, without throwing,
/// another version, bad base64, a length that is not whole traces plus the hash, a hash mismatch (a changed or
/// truncated text) and a failed flag other than 0 or 1. Numbers only: no span content.</para>
/// </remarks>
internal static class ReferenceSnapshot
{
    /// <summary>The version prefix of the current format.</summary>
    public const string Prefix = "v1:";

    /// <summary>Longer texts are refused unread (≈ 16 000 traces, far beyond any capacity in use).</summary>
    public const int MaxChars = 1 << 20;

    private const int HashSize = 4;

    public static string Encode(ReadOnlySpan<ReferenceTrace> traces)
    {
        var bytes = new byte[(traces.Length * ReferenceTrace.EncodedSize) + HashSize];
        for (var i = 0; i < traces.Length; i++)
        {
            traces[i].WriteTo(bytes.AsSpan(i * ReferenceTrace.EncodedSize, ReferenceTrace.EncodedSize));
        }

        var body = bytes.AsSpan(0, bytes.Length - HashSize);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(body.Length), Fnv1a(body));
        return Prefix + Convert.ToBase64String(bytes);
    }

    public static bool TryDecode(string? snapshot, out ReferenceTrace[] traces)
    {
        traces = [];
        if (snapshot is null || snapshot.Length > MaxChars || !snapshot.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var text = snapshot.AsSpan(Prefix.Length);
        var bytes = new byte[(text.Length / 4 * 3) + 3];
        if (!Convert.TryFromBase64Chars(text, bytes, out var written) || written < HashSize
            || (written - HashSize) % ReferenceTrace.EncodedSize != 0)
        {
            return false;
        }

        var body = bytes.AsSpan(0, written - HashSize);
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(body.Length)) != Fnv1a(body))
        {
            return false;
        }

        var decoded = new ReferenceTrace[body.Length / ReferenceTrace.EncodedSize];
        for (var i = 0; i < decoded.Length; i++)
        {
            if (!ReferenceTrace.TryRead(body.Slice(i * ReferenceTrace.EncodedSize, ReferenceTrace.EncodedSize), out decoded[i]))
            {
                return false;
            }
        }

        traces = decoded;
        return true;
    }

    /// <summary>FNV-1a, 32-bit: catches a changed or cut text (not an adversary; the incident state is ours).</summary>
    internal static uint Fnv1a(ReadOnlySpan<byte> bytes)
    {
        var hash = 2166136261u;
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash;
    }
}
