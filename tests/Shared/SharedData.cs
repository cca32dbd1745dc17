namespace AgentSentinel.Tests.Shared;

/// <summary>
/// Finds <c>../shared</c> beside the repository (the CI layout), or the folder named by AGENTSENTINEL_SHARED.
/// </summary>
internal static class SharedData
{
    private static readonly Lazy<string> RootPath = new(Locate);

    public static string Root => RootPath.Value;

    public static string GenAiSpans => Path.Combine(Root, "data", "genai-spans");

    public static string Stream => Path.Combine(GenAiSpans, "stream");

    public static string Nab => Path.Combine(Root, "data", "nab");

    /// <summary>
    /// The repository root: the folder holding AgentSentinel.sln above the test binaries, or AGENTSENTINEL_REPO when the
    /// binaries live elsewhere (builds with --artifacts-path).
    /// </summary>
    public static string RepositoryRoot
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("AGENTSENTINEL_REPO");
            if (!string.IsNullOrEmpty(fromEnv) && File.Exists(Path.Combine(fromEnv, "AgentSentinel.sln")))
            {
                return fromEnv;
            }

            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AgentSentinel.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("AgentSentinel.sln not found above " + AppContext.BaseDirectory);
        }
    }

    private static string Locate()
    {
        var fromEnv = Environment.GetEnvironmentVariable("AGENTSENTINEL_SHARED");
        if (!string.IsNullOrEmpty(fromEnv) && Directory.Exists(fromEnv))
        {
            return fromEnv;
        }

        var candidate = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared"));
        return Directory.Exists(candidate)
            ? candidate
            : throw new DirectoryNotFoundException($"shared/ not found at {candidate}; set AGENTSENTINEL_SHARED");
    }
}
