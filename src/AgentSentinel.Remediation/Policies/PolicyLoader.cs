using System.Text;

namespace AgentSentinel.Remediation.Policies;

/// <summary>
/// Reads and validates policy files. YAML or JSON (same schema, snake_case keys), chosen by extension
/// (<c>.yaml</c>, <c>.yml</c>, <c>.json</c>) or else by the first character (<c>{</c>: JSON).
/// </summary>
/// <remarks>
/// Every problem is reported at once, each naming its key (<c>policies[2].probe.ratio: must be in (0, 1] (was 1.5)</c>):
/// unknown keys (typos), duplicate keys and policy names, unknown anomaly kinds, malformed durations, values out of range,
/// policies that can never be reached behind a catch-all, YAML or JSON syntax errors with line and column.
/// </remarks>
public static class PolicyLoader
{
    /// <summary>Largest policy file accepted.</summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>Loads <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="PolicyValidationException">The file is invalid; <see cref="PolicyValidationException.Errors"/> lists every problem.</exception>
    public static PolicySet LoadFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"Policy file '{full}' does not exist.", full);
        }

        var bytes = File.ReadAllBytes(full);
        return Parse(bytes, full);
    }

    /// <summary>Parses policy text in <paramref name="format"/>; <paramref name="source"/> names it in messages and in <see cref="PolicySet.Source"/>.</summary>
    /// <exception cref="PolicyValidationException">The text is invalid.</exception>
    public static PolicySet Parse(string text, PolicyFormat format, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentException.ThrowIfNullOrEmpty(source);
        if (TryParse(text, format, source, out var set, out var errors))
        {
            return set;
        }

        throw new PolicyValidationException(source, errors);
    }

    /// <summary>As <see cref="Parse(string, PolicyFormat, string)"/>, without throwing.</summary>
    public static bool TryParse(string text, PolicyFormat format, string source, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PolicySet? set, out IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(text);
        set = null;
        if (Encoding.UTF8.GetByteCount(text) > MaxFileBytes)
        {
            errors = [$"(file): larger than {MaxFileBytes} bytes"];
            return false;
        }

        var root = PolicyDocument.Read(text, format, out var syntaxError);
        if (root is null)
        {
            errors = [syntaxError ?? "the file could not be read"];
            return false;
        }

        set = PolicyBinder.Bind(root, source, out errors);
        return set is not null;
    }

    /// <summary>The format of a file: by extension, else sniffed from the content (<c>{</c> first: JSON).</summary>
    public static PolicyFormat DetectFormat(string path, string text)
    {
        var extension = Path.GetExtension(path);
        if (string.Equals(extension, ".json", StringComparison.OrdinalIgnoreCase))
        {
            return PolicyFormat.Json;
        }

        if (string.Equals(extension, ".yaml", StringComparison.OrdinalIgnoreCase) || string.Equals(extension, ".yml", StringComparison.OrdinalIgnoreCase))
        {
            return PolicyFormat.Yaml;
        }

        return text.AsSpan().TrimStart().StartsWith("{") ? PolicyFormat.Json : PolicyFormat.Yaml;
    }

    /// <summary>Parses file bytes (UTF-8, BOM allowed) read from <paramref name="path"/>.</summary>
    internal static PolicySet Parse(byte[] bytes, string path)
    {
        if (bytes.Length > MaxFileBytes)
        {
            throw new PolicyValidationException(path, [$"(file): larger than {MaxFileBytes} bytes (was {bytes.Length})"]);
        }

        var text = Decode(bytes);
        return Parse(text, DetectFormat(path, text), path);
    }

    internal static string Decode(byte[] bytes)
    {
        var span = bytes.AsSpan();
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            span = span[3..];
        }

        return Encoding.UTF8.GetString(span);
    }
}
