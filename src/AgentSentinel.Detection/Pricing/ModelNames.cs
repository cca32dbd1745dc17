namespace AgentSentinel.Detection.Pricing;

/// <summary>
/// Allocation-free normalisation of the model strings instrumentations report, as slices of the original string.
/// Case is left alone: the catalogue compares ignoring case.
/// </summary>
internal static class ModelNames
{
    // Bedrock cross-region inference profiles ("us.anthropic.claude-...") and Bedrock model vendors ("anthropic.claude-...").
    private static readonly string[] RegionPrefixes = ["us.", "eu.", "apac.", "au.", "jp.", "ca.", "us-gov.", "global."];

    private static readonly string[] VendorPrefixes =
        ["anthropic.", "meta.", "mistral.", "cohere.", "amazon.", "ai21.", "deepseek.", "openai.", "qwen.", "writer."];

    // A trailing segment made of one of these words is a release tag, not part of the model's name.
    private static readonly string[] VersionWords = ["latest", "preview", "exp", "experimental"];

    /// <summary>
    /// Drops what says where the model is served rather than which model it is: a path (<c>openai/</c>, <c>models/</c>,
    /// <c>projects/p/locations/l/publishers/google/models/</c>), a Vertex <c>@version</c>, and Bedrock's region and vendor
    /// prefixes (<c>us.anthropic.</c>).
    /// </summary>
    public static ReadOnlySpan<char> StripProvider(ReadOnlySpan<char> name)
    {
        name = name.Trim();
        var slash = name.LastIndexOf('/');
        if (slash >= 0)
        {
            name = name[(slash + 1)..];
        }

        var at = name.IndexOf('@');
        if (at > 0)
        {
            name = name[..at];
        }

        var withoutRegion = StripOnePrefix(name, RegionPrefixes);
        var withoutVendor = StripOnePrefix(withoutRegion, VendorPrefixes);
        // A region prefix only counts in front of a vendor prefix: "us.anthropic.x", never a bare "us.x".
        return withoutVendor.Length < withoutRegion.Length ? withoutVendor : StripOnePrefix(name, VendorPrefixes);
    }

    /// <summary>Whether the name carries a Bedrock region prefix (<c>eu.anthropic.</c>): regional endpoints may price apart.</summary>
    public static bool HasRegionPrefix(ReadOnlySpan<char> name)
    {
        var slash = name.LastIndexOf('/');
        name = slash >= 0 ? name[(slash + 1)..] : name.Trim();
        var withoutRegion = StripOnePrefix(name, RegionPrefixes);
        return withoutRegion.Length < name.Length && StripOnePrefix(withoutRegion, VendorPrefixes).Length < withoutRegion.Length;
    }

    /// <summary>
    /// Removes one trailing release marker: a date (<c>-2024-08-06</c>, <c>-20241022</c>, <c>-08-2024</c>, <c>-05-20</c>),
    /// a build number of three or more digits (<c>-0125</c>, <c>-001</c>, <c>-2411</c>), a Bedrock version (<c>-v2</c>,
    /// <c>:0</c>) or a release word (<c>-latest</c>, <c>-preview</c>, <c>-exp</c>). Short numbers (<c>-4</c>, <c>-70</c>)
    /// are versions or sizes of the model itself and stay.
    /// </summary>
    public static bool TryStripVersion(ReadOnlySpan<char> name, out ReadOnlySpan<char> stripped)
    {
        stripped = name;
        if (EndsWithDigitGroups(name, 4, 2, 2) is var ymd and > 0)
        {
            stripped = name[..^ymd];
            return stripped.Length > 0;
        }

        if (EndsWithDigitGroups(name, 2, 4, 0) is var my and > 0)
        {
            stripped = name[..^my];
            return stripped.Length > 0;
        }

        if (EndsWithDigitGroups(name, 2, 2, 0) is var md and > 0)
        {
            stripped = name[..^md];
            return stripped.Length > 0;
        }

        var separator = name.LastIndexOfAny('-', ':');
        if (separator <= 0)
        {
            return false;
        }

        var segment = name[(separator + 1)..];
        var isVersion =
            (IsDigits(segment) && (segment.Length >= 3 || name[separator] == ':'))
            || (segment.Length >= 2 && (segment[0] is 'v' or 'V') && IsDigits(segment[1..]))
            || IsVersionWord(segment);
        if (!isVersion)
        {
            return false;
        }

        stripped = name[..separator];
        return true;
    }

    /// <summary>Whether a prefix match may end before <paramref name="index"/>: at a separator followed by a name, never by a number.</summary>
    public static bool IsPrefixBoundary(ReadOnlySpan<char> name, int index) =>
        index > 0
        && index + 1 < name.Length
        && name[index] is '-' or ':'
        && !char.IsAsciiDigit(name[index + 1]);

    private static ReadOnlySpan<char> StripOnePrefix(ReadOnlySpan<char> name, string[] prefixes)
    {
        foreach (var prefix in prefixes)
        {
            if (name.Length > prefix.Length && name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return name[prefix.Length..];
            }
        }

        return name;
    }

    /// <summary>The length of a trailing <c>-d{a}-d{b}[-d{c}]</c> (digit groups of exactly those sizes), else 0.</summary>
    private static int EndsWithDigitGroups(ReadOnlySpan<char> name, int a, int b, int c)
    {
        var length = 1 + a + 1 + b + (c > 0 ? 1 + c : 0);
        if (name.Length <= length)
        {
            return 0;
        }

        var tail = name[^length..];
        if (tail[0] != '-' || !IsDigits(tail.Slice(1, a)) || tail[1 + a] != '-' || !IsDigits(tail.Slice(2 + a, b)))
        {
            return 0;
        }

        if (c > 0 && (tail[2 + a + b] != '-' || !IsDigits(tail[(3 + a + b)..])))
        {
            return 0;
        }

        return length;
    }

    private static bool IsDigits(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return false;
        }

        foreach (var ch in text)
        {
            if (!char.IsAsciiDigit(ch))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsVersionWord(ReadOnlySpan<char> segment)
    {
        foreach (var word in VersionWords)
        {
            if (segment.Equals(word, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
