using AgentSentinel.Otlp.Internal;

namespace AgentSentinel.Otlp.Tests.Internal;

public sealed class Fnv1a64Tests
{
    [Theory]
    [InlineData("", 0xcbf29ce484222325UL)]
    [InlineData("a", 0xaf63dc4c8601ec8cUL)]
    [InlineData("foobar", 0x85944171f73967e8UL)]
    public void Hashes_match_the_published_fnv1a_64_test_vectors(string text, ulong expected)
    {
        Assert.Equal(expected, Fnv1a64.Hash(System.Text.Encoding.ASCII.GetBytes(text)));
    }

    [Fact]
    public void Incremental_hashing_equals_one_shot_hashing()
    {
        var hash = Fnv1a64.Create();
        hash.Append("foo"u8);
        hash.Append((byte)'b');
        hash.Append("ar"u8);
        Assert.Equal(Fnv1a64.Hash("foobar"u8), hash.Value);
    }
}
