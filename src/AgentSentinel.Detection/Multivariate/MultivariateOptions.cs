namespace AgentSentinel.Detection.Multivariate;

/// <summary>Settings of the multivariate (PCA) detector: section <c>Detection:Multivariate</c>.</summary>
public sealed class MultivariateOptions
{
    /// <summary>Whether every agent gets the multivariate detector.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Validation errors, each naming its key.</summary>
    public IEnumerable<string> Validate(string prefix)
    {
        if (!Enabled && prefix.Length == 0)
        {
            yield return "Multivariate: a prefix is required";
        }
    }
}
