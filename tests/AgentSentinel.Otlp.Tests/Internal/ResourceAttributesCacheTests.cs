using System.Text;
using AgentSentinel.Core.Spans;
using AgentSentinel.Otlp.Internal;

namespace AgentSentinel.Otlp.Tests.Internal;

public sealed class ResourceAttributesCacheTests
{
    [Fact]
    public void The_same_encoded_resource_gives_the_same_instance_and_another_one_a_different_instance()
    {
        var cache = new ResourceAttributesCache(new Utf8StringCache(), 16);
        var a = Encode(("service.name", "billing"), ("deployment.environment", "prod"));
        var b = Encode(("service.name", "billing"), ("deployment.environment", "staging"));

        var first = cache.GetOrAdd(a);
        Assert.Same(first, cache.GetOrAdd(a.ToArray()));
        var other = cache.GetOrAdd(b);
        Assert.NotSame(first, other);
        Assert.Equal("prod", Value(first, "deployment.environment"));
        Assert.Equal("staging", Value(other, "deployment.environment"));
        Assert.Same(first, cache.GetOrAdd(a));
    }

    [Fact]
    public void An_empty_encoding_is_the_shared_empty_set()
    {
        var cache = new ResourceAttributesCache(new Utf8StringCache(), 16);
        Assert.Same(ResourceAttributes.Empty, cache.GetOrAdd([]));
    }

    [Fact]
    public void More_resources_than_entries_are_evicted_but_never_confused()
    {
        var cache = new ResourceAttributesCache(new Utf8StringCache(), 16);
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 200; i++)
            {
                var resource = cache.GetOrAdd(Encode(("service.name", "agent-" + i), ("service.instance.id", "pod-" + (i % 7))));
                Assert.Equal("agent-" + i, Value(resource, "service.name"));
                Assert.Equal("pod-" + (i % 7), Value(resource, "service.instance.id"));
            }
        }
    }

    [Fact]
    public void Keys_and_values_too_long_to_fit_the_bounds_in_any_encoding_are_not_appended()
    {
        var buffer = new byte[16];
        var length = 0;
        Assert.False(ResourceAttributesCache.TryAppend(ref buffer, ref length, [], "x"u8));
        Assert.False(ResourceAttributesCache.TryAppend(ref buffer, ref length, new byte[ResourceAttributesCache.MaxKeyBytes + 1], "x"u8));
        Assert.False(ResourceAttributesCache.TryAppend(ref buffer, ref length, "k"u8, new byte[ResourceAttributesCache.MaxValueBytes + 1]));
        Assert.Equal(0, length);

        Assert.True(ResourceAttributesCache.TryAppend(ref buffer, ref length, "team"u8, "payments"u8));
        Assert.Equal(8 + 4 + 8, length);
        Assert.True(buffer.Length >= length);
    }

    [Fact]
    public void The_encoding_stops_growing_at_its_bound_and_keeps_the_attributes_before_it()
    {
        var buffer = new byte[16];
        var length = 0;
        var value = new string('v', 200);
        var appended = 0;
        while (ResourceAttributesCache.TryAppend(ref buffer, ref length, Encoding.UTF8.GetBytes("key." + appended), Encoding.UTF8.GetBytes(value)))
        {
            appended++;
        }

        Assert.True(length <= ResourceAttributesCache.MaxEncodedLength);
        Assert.True(buffer.Length <= ResourceAttributesCache.MaxEncodedLength);
        var decoded = ResourceAttributesCache.Decode(buffer.AsSpan(0, length), new Utf8StringCache());
        Assert.Equal(Math.Min(appended, ResourceAttributes.MaxCount), decoded.Count);
        Assert.Equal(value, Value(decoded, "key.0"));
    }

    [Fact]
    public void Decoding_follows_the_rules_of_resource_attributes_later_duplicates_win_and_over_long_values_are_dropped()
    {
        var decoded = ResourceAttributesCache.Decode(
            Encode(("team", "a"), ("note", new string('é', ResourceAttributes.MaxValueLength + 1)), ("team", "b"), ("ok", new string('é', ResourceAttributes.MaxValueLength))),
            new Utf8StringCache());

        Assert.Equal(2, decoded.Count);
        Assert.Equal("b", Value(decoded, "team"));
        Assert.Equal(ResourceAttributes.MaxValueLength, Value(decoded, "ok").Length);
        Assert.False(decoded.TryGetValue("note", out _));
    }

    [Fact]
    public void The_hash_covers_every_byte()
    {
        var a = Encoding.UTF8.GetBytes(new string('a', 100));
        var seen = new HashSet<ulong> { ResourceAttributesCache.Hash(a) };
        for (var i = 0; i < a.Length; i++)
        {
            var b = (byte[])a.Clone();
            b[i] = (byte)'b';
            Assert.True(seen.Add(ResourceAttributesCache.Hash(b)), $"byte {i} did not change the hash");
        }
    }

    internal static byte[] Encode(params (string Key, string Value)[] attributes)
    {
        var buffer = new byte[64];
        var length = 0;
        foreach (var (key, value) in attributes)
        {
            ResourceAttributesCache.TryAppend(ref buffer, ref length, Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value));
        }

        return buffer[..length];
    }

    private static string Value(ResourceAttributes resource, string key) =>
        resource.TryGetValue(key, out var value) ? value : throw new Xunit.Sdk.XunitException($"no {key} in the resource");
}
