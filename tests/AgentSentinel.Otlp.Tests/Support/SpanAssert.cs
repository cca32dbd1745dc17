using AgentSentinel.Core.Spans;

namespace AgentSentinel.Otlp.Tests.Support;

/// <summary>
/// Compares decoded spans field by field, resource attribute sets by content (<see cref="ResourceAttributes"/> is a class
/// shared per decoder, so two decoders give equal but distinct instances), and checks every span has one.
/// </summary>
internal static class SpanAssert
{
    public static void Equal(IEnumerable<AgentSpan> expected, IEnumerable<AgentSpan> actual)
    {
        var e = expected.ToArray();
        var a = actual.ToArray();
        Assert.Equal(e.Select(WithoutResource), a.Select(WithoutResource));
        for (var i = 0; i < a.Length; i++)
        {
            Assert.NotNull(a[i].Resource);
            Assert.True(a[i].Resource!.ContentEquals(e[i].Resource), $"span {i}: resource [{Describe(a[i].Resource)}], expected [{Describe(e[i].Resource)}]");
        }
    }

    public static string Describe(ResourceAttributes? resource) =>
        resource is null ? "null" : string.Join(", ", resource.Select(kv => $"{kv.Key}={kv.Value}"));

    private static AgentSpan WithoutResource(AgentSpan span) => span with { Resource = null };
}
