namespace AgentSentinel.Detection.Pricing;

/// <summary>
/// A price catalogue that cannot be used: malformed JSON, or entries that fail validation. <see cref="Errors"/> lists
/// every problem, each naming the JSON path (<c>$.models[3].input</c>) and the entry's id.
/// </summary>
public sealed class PriceCatalogueException : Exception
{
    /// <summary>Creates an exception with one error.</summary>
    public PriceCatalogueException()
        : this("invalid price catalogue")
    {
    }

    /// <summary>Creates an exception with one error.</summary>
    public PriceCatalogueException(string message)
        : this([message])
    {
    }

    /// <summary>Creates an exception with one error and its cause.</summary>
    public PriceCatalogueException(string message, Exception innerException)
        : base(message, innerException) => Errors = [message];

    /// <summary>Creates an exception listing every error.</summary>
    public PriceCatalogueException(IReadOnlyList<string> errors)
        : base(string.Join(Environment.NewLine, errors)) => Errors = errors;

    /// <summary>Every problem found, one line each.</summary>
    public IReadOnlyList<string> Errors { get; }
}
