using System.Text;
using AgentSentinel.Otlp.Internal;

namespace AgentSentinel.Otlp.Tests.Internal;

public sealed class Utf8StringCacheTests
{
    [Fact]
    public void Repeated_names_return_the_same_instance_without_allocating()
    {
        var cache = new Utf8StringCache(64);
        var first = cache.GetOrAdd("gpt-4o-mini"u8);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var second = cache.GetOrAdd("gpt-4o-mini"u8);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Same(first, second);
        Assert.Equal("gpt-4o-mini", first);
    }

    [Fact]
    public void The_table_stays_bounded_whatever_the_cardinality_and_still_returns_correct_strings()
    {
        var cache = new Utf8StringCache(16);
        for (var i = 0; i < 10_000; i++)
        {
            var text = "agent-" + i;
            Assert.Equal(text, cache.GetOrAdd(Encoding.UTF8.GetBytes(text)));
        }

        Assert.Equal(16, cache.Capacity);
        Assert.Equal("agent-3", cache.GetOrAdd("agent-3"u8));
    }

    [Fact]
    public void Long_values_are_decoded_but_not_cached_and_empty_is_empty()
    {
        var cache = new Utf8StringCache(16);
        var longValue = new string('m', Utf8StringCache.MaxCachedLength + 1);
        var bytes = Encoding.UTF8.GetBytes(longValue);
        Assert.Equal(longValue, cache.GetOrAdd(bytes));
        Assert.NotSame(cache.GetOrAdd(bytes), cache.GetOrAdd(bytes));
        Assert.Same(string.Empty, cache.GetOrAdd([]));
    }

    [Fact]
    public void Non_ascii_names_round_trip()
    {
        Assert.Equal("agent-é-😀", new Utf8StringCache(16).GetOrAdd(Encoding.UTF8.GetBytes("agent-é-😀")));
    }
}
