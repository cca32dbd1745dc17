namespace AgentSentinel.Cli.Admin;

/// <summary>
/// The admin HTTP API (<c>/admin/v1/</c> on the metrics endpoint): one bearer token per operator. The API is off when no
/// token is configured. Tokens are secrets: they are never logged, and validation messages name the operator, never the token.
/// </summary>
internal sealed class AdminOptions
{
    public const string SectionName = "Admin";

    /// <summary>The shortest accepted token (characters).</summary>
    public const int MinTokenLength = 24;

    /// <summary>The longest accepted token (characters); a longer <c>Authorization</c> header is refused unread.</summary>
    public const int MaxTokenLength = 512;

    /// <summary>The longest operator name (it is recorded in the audit stream).</summary>
    public const int MaxOperatorLength = 64;

    /// <summary>Operator name → bearer token (e.g. <c>AGENTSENTINEL__Admin__Tokens__alice</c>).</summary>
    public Dictionary<string, string> Tokens { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Whether any token is configured, i.e. whether the admin API is served at all.</summary>
    public bool Enabled => Tokens.Count > 0;

    /// <summary>Every problem, each naming its key (<c>Admin:Tokens:alice ...</c>); never the token itself.</summary>
    public IEnumerable<string> Validate()
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, token) in Tokens.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var key = $"{SectionName}:{nameof(Tokens)}:{name}";
            if (!IsValidOperator(name))
            {
                yield return $"{key}: the operator name must be 1–{MaxOperatorLength} characters of letters, digits, '.', '_', '-' or '@'";
            }

            if (string.IsNullOrEmpty(token) || token.Length < MinTokenLength)
            {
                yield return $"{key} must be at least {MinTokenLength} characters";
            }
            else if (token.Length > MaxTokenLength)
            {
                yield return $"{key} must be at most {MaxTokenLength} characters";
            }
            else if (!IsTokenText(token))
            {
                yield return $"{key} must be printable ASCII without spaces";
            }
            else if (seen.TryGetValue(token, out var other))
            {
                yield return $"{key} is the same token as {SectionName}:{nameof(Tokens)}:{other}: each operator needs their own";
            }
            else
            {
                seen.Add(token, name);
            }
        }
    }

    internal static bool IsValidOperator(string name)
    {
        if (name.Length is 0 or > MaxOperatorLength)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-' or '@'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>What may follow <c>Bearer </c> in a header: visible ASCII, no spaces.</summary>
    internal static bool IsTokenText(ReadOnlySpan<char> token)
    {
        foreach (var c in token)
        {
            if (c is <= ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }
}
