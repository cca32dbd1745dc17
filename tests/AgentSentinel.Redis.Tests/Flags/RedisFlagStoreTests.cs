using AgentSentinel.Tests.Shared.Redis;
using System.Text.Json;
using System.Threading.Channels;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Redis.Flags;
using AgentSentinel.Telemetry;
using StackExchange.Redis;
using static AgentSentinel.Tests.Shared.Redis.TestRedis;

namespace AgentSentinel.Redis.Tests.Flags;

public sealed class RedisFlagStoreTests(RedisServerFixture fixture) : IClassFixture<RedisServerFixture>
{
    private static readonly string[] ContractFields =
        ["route", "fallback", "reason", "detail", "trace_ids", "incident", "version", "updated_at", "expires_at", "schema"];

    private readonly ConnectionMultiplexer _redis = fixture.Redis;

    private RedisFlagStore NewStore(Action<RedisFlagStoreOptions>? configure = null)
    {
        var options = fixture.NewOptions();
        configure?.Invoke(options);
        return new RedisFlagStore(_redis, options);
    }

    [Fact]
    public async Task Write_produces_exactly_the_contract_fields_with_schema_1()
    {
        using var store = NewStore();

        var outcome = await store.WriteAsync(Decision("billing-bot", 7), CancellationToken.None);

        Assert.Equal(FlagWriteOutcome.Applied, outcome);
        var hash = await HashAsync(_redis, store.Keys.FlagKeyPrefix + "billing-bot");
        Assert.Equal(ContractFields.Order(), hash.Keys.Order());
        Assert.Equal("fallback", hash["route"]);
        Assert.Equal("cached", hash["fallback"]);
        Assert.Equal("token_spike", hash["reason"]);
        Assert.Equal("tokens p95 1200 -> 9800 (x8.2) over 60 s", hash["detail"]);
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", hash["trace_ids"]);
        Assert.Equal("inc-42", hash["incident"]);
        Assert.Equal("7", hash["version"]);
        Assert.Equal("1700000000000", hash["updated_at"]);
        Assert.Equal("4102444800000", hash["expires_at"]);
        Assert.Equal("1", hash["schema"]);
    }

    [Fact]
    public async Task Probe_write_stores_probe_ratio_and_a_later_non_probe_write_removes_it()
    {
        using var store = NewStore();
        var key = store.Keys.FlagKeyPrefix + "a";

        await store.WriteAsync(Decision("a", 1, FlagRoute.Probe, probeRatio: 0.25), CancellationToken.None);
        var probe = await HashAsync(_redis, key);
        await store.WriteAsync(Decision("a", 2, FlagRoute.Primary, fallback: ""), CancellationToken.None);
        var primary = await HashAsync(_redis, key);

        Assert.Equal("probe", probe["route"]);
        Assert.Equal("0.25", probe["probe_ratio"]);
        Assert.Equal("primary", primary["route"]);
        Assert.False(primary.ContainsKey("probe_ratio"));
        Assert.Equal(ContractFields.Order(), primary.Keys.Order());
    }

    [Fact]
    public async Task Older_or_equal_version_is_stale_leaves_the_hash_unchanged_and_publishes_nothing()
    {
        using var store = NewStore();
        await using var subscriber = await ConnectAsync(fixture.Server.ConnectionString);
        var notices = await SubscribeAsync(subscriber, store.Keys.Channel);
        var key = store.Keys.FlagKeyPrefix + "a";

        Assert.Equal(FlagWriteOutcome.Applied, await store.WriteAsync(Decision("a", 5), CancellationToken.None));
        var applied = await HashAsync(_redis, key);
        var equal = await store.WriteAsync(Decision("a", 5, FlagRoute.Primary, fallback: ""), CancellationToken.None);
        var older = await store.WriteAsync(Decision("a", 4, FlagRoute.Probe, probeRatio: 0.5), CancellationToken.None);
        await store.WriteAsync(Decision("marker", 1), CancellationToken.None);

        Assert.Equal(FlagWriteOutcome.Stale, equal);
        Assert.Equal(FlagWriteOutcome.Stale, older);
        Assert.Equal(applied, await HashAsync(_redis, key));
        // Notices arrive in execution order: after the first write's notice, the next one must be the marker's.
        Assert.Equal("a", AgentOf(await ReadAsync(notices)));
        Assert.Equal("marker", AgentOf(await ReadAsync(notices)));
    }

    [Fact]
    public async Task Versions_compare_exactly_across_the_whole_long_range()
    {
        using var store = NewStore();

        Assert.Equal(FlagWriteOutcome.Applied, await store.WriteAsync(Decision("a", 9), CancellationToken.None));
        Assert.Equal(FlagWriteOutcome.Applied, await store.WriteAsync(Decision("a", 10), CancellationToken.None));
        Assert.Equal(FlagWriteOutcome.Applied, await store.WriteAsync(Decision("a", long.MaxValue - 1), CancellationToken.None));
        Assert.Equal(FlagWriteOutcome.Applied, await store.WriteAsync(Decision("a", long.MaxValue), CancellationToken.None));
        Assert.Equal(FlagWriteOutcome.Stale, await store.WriteAsync(Decision("a", long.MaxValue - 1), CancellationToken.None));
        Assert.Equal(long.MaxValue, (await store.ReadAsync("a", CancellationToken.None))!.Version);
    }

    [Fact]
    public async Task Applied_write_publishes_the_contract_notice()
    {
        using var store = NewStore();
        await using var subscriber = await ConnectAsync(fixture.Server.ConnectionString);
        var notices = await SubscribeAsync(subscriber, store.Keys.Channel);

        await store.WriteAsync(Decision("billing-bot", 12, FlagRoute.Probe, probeRatio: 0.1), CancellationToken.None);

        Assert.Equal("""{"agent":"billing-bot","route":"probe","version":12}""", await ReadAsync(notices));
    }

    [Fact]
    public async Task Every_decision_appends_an_audit_entry_with_who_what_and_why()
    {
        using var store = NewStore();
        var decision = Decision("a", 3) with { Actor = "operator:alice" };

        await store.WriteAsync(decision, CancellationToken.None);
        await store.WriteAsync(decision, CancellationToken.None);
        await store.AppendAuditAsync(decision with { Version = 4 }, FlagAuditOutcome.DryRun, CancellationToken.None);
        await store.AppendAuditAsync(decision with { Version = 5 }, FlagAuditOutcome.Suppressed, CancellationToken.None);

        var entries = (await _redis.GetDatabase().StreamRangeAsync(store.Keys.Audit))
            .Select(e => e.Values.ToDictionary(v => v.Name.ToString(), v => v.Value.ToString()))
            .ToList();
        Assert.Equal(["applied", "stale", "dry_run", "suppressed"], entries.Select(e => e["outcome"]));
        foreach (var entry in entries)
        {
            Assert.Equal("a", entry["agent"]);
            Assert.Equal("fallback", entry["route"]);
            Assert.Equal("cached", entry["fallback"]);
            Assert.Equal("token_spike", entry["reason"]);
            Assert.Equal("tokens p95 1200 -> 9800 (x8.2) over 60 s", entry["detail"]);
            Assert.Equal("inc-42", entry["incident"]);
            Assert.Equal("operator:alice", entry["actor"]);
        }

        Assert.Equal(["3", "3", "4", "5"], entries.Select(e => e["version"]));
        Assert.Equal("3", entries[1]["stored_version"]);
        Assert.Equal(3, (await store.ReadAsync("a", CancellationToken.None))!.Version);
    }

    [Fact]
    public async Task Stale_writes_are_not_audited_when_turned_off()
    {
        using var store = NewStore(o => o.AuditStaleWrites = false);

        await store.WriteAsync(Decision("a", 3), CancellationToken.None);
        await store.WriteAsync(Decision("a", 3), CancellationToken.None);

        Assert.Equal(1, await _redis.GetDatabase().StreamLengthAsync(store.Keys.Audit));
    }

    [Fact]
    public async Task Audit_stream_is_capped_approximately()
    {
        using var store = NewStore(o => o.AuditMaxLength = 10);

        for (var version = 1; version <= 400; version++)
        {
            await store.WriteAsync(Decision("a", version), CancellationToken.None);
        }

        // MAXLEN ~ trims whole stream nodes (100 entries each by default), so the stream keeps at least 10 and at most ~110.
        var length = await _redis.GetDatabase().StreamLengthAsync(store.Keys.Audit);
        Assert.InRange(length, 10, 110);
    }

    [Fact]
    public async Task Trace_ids_are_capped_at_five_lower_cased_and_hex_only()
    {
        using var store = NewStore();
        string[] ids =
        [
            "4BF92F3577B34DA6A3CE929D0E0E4736", "not-hex", "00f067aa0ba902b7", "4bf92f3577b34da6a3ce929d0e0e4736",
            "a", " B ", "c", "d", "e", "f",
            new string('a', 33),
        ];

        await store.WriteAsync(Decision("a", 1, traceIds: ids), CancellationToken.None);

        var hash = await HashAsync(_redis, store.Keys.FlagKeyPrefix + "a");
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736,00f067aa0ba902b7,a,b,c", hash["trace_ids"]);
    }

    [Fact]
    public async Task Detail_is_one_line_of_at_most_256_characters()
    {
        using var store = NewStore();
        var detail = "line one\r\nline two\u2028three\0" + new string('x', 400);

        await store.WriteAsync(Decision("a", 1, detail: detail), CancellationToken.None);

        var stored = (await HashAsync(_redis, store.Keys.FlagKeyPrefix + "a"))["detail"];
        Assert.Equal(256, stored.Length);
        Assert.StartsWith("line one  line two three ", stored);
        Assert.DoesNotContain(stored, char.IsControl);
    }

    [Theory]
    [InlineData("he said \"hi\" \\ {}")]
    [InlineData("team:billing:bot-7")]
    [InlineData("ünïcødé agent 🚀 代理")]
    [InlineData("</script><script>alert(1)</script>")]
    public async Task Agent_names_with_quotes_unicode_and_colons_round_trip(string agent)
    {
        using var store = NewStore();
        await using var subscriber = await ConnectAsync(fixture.Server.ConnectionString);
        var notices = await SubscribeAsync(subscriber, store.Keys.Channel);

        await store.WriteAsync(Decision(agent, 1), CancellationToken.None);

        Assert.True(await _redis.GetDatabase().KeyExistsAsync(store.Keys.FlagKeyPrefix + agent));
        Assert.Equal(agent, (await store.ReadAsync(agent, CancellationToken.None))!.Agent);
        Assert.Equal([agent], (await store.ListAsync(CancellationToken.None)).Select(s => s.Agent));
        using var notice = JsonDocument.Parse(await ReadAsync(notices));
        Assert.Equal(agent, notice.RootElement.GetProperty("agent").GetString());
        Assert.Equal(1, notice.RootElement.GetProperty("version").GetInt64());
        var audit = await _redis.GetDatabase().StreamRangeAsync(store.Keys.Audit);
        Assert.Equal(agent, audit.Single().Values.Single(v => v.Name == "agent").Value.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("line\nbreak")]
    [InlineData("bell\a")]
    [InlineData(null)] // a lone surrogate, built at run time: attribute strings cannot hold one
    public async Task Agent_names_that_cannot_be_keys_are_rejected(string? agent)
    {
        agent ??= "lone " + '\ud800' + " surrogate";
        using var store = NewStore();

        await Assert.ThrowsAsync<ArgumentException>(() => store.WriteAsync(Decision(agent, 1), CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => store.ReadAsync(agent, CancellationToken.None));
    }

    [Fact]
    public async Task Decisions_no_reader_could_follow_are_rejected_before_touching_redis()
    {
        using var store = NewStore();

        await Assert.ThrowsAsync<ArgumentException>(() => store.WriteAsync(Decision("a", 1, FlagRoute.Probe, probeRatio: null), CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => store.WriteAsync(Decision("a", 1, FlagRoute.Probe, probeRatio: 1.5), CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => store.WriteAsync(Decision("a", 1, fallback: ""), CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => store.WriteAsync(Decision("a", 1, fallback: "gpt\n4"), CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => store.WriteAsync(Decision("a", -1), CancellationToken.None));
        Assert.False(await _redis.GetDatabase().KeyExistsAsync(store.Keys.FlagKeyPrefix + "a"));
        Assert.False(await _redis.GetDatabase().KeyExistsAsync(store.Keys.Audit));
    }

    [Fact]
    public async Task Read_returns_null_without_a_key_and_tolerates_missing_fields()
    {
        using var store = NewStore();
        await _redis.GetDatabase().HashSetAsync(store.Keys.FlagKeyPrefix + "partial", [new("route", "fallback"), new("fallback", "human")]);
        await _redis.GetDatabase().HashSetAsync(store.Keys.FlagKeyPrefix + "odd", [new("route", "sideways"), new("version", "x"), new("probe_ratio", "NaN")]);

        var missing = await store.ReadAsync("nobody", CancellationToken.None);
        var partial = await store.ReadAsync("partial", CancellationToken.None);
        var odd = await store.ReadAsync("odd", CancellationToken.None);

        Assert.Null(missing);
        Assert.NotNull(partial);
        Assert.Equal(FlagRoute.Fallback, partial.Route);
        Assert.Equal("human", partial.Fallback);
        Assert.Equal(0, partial.ExpiresAtUnixMs);
        Assert.Equal(FlagRoute.Primary, partial.EffectiveRoute(1)); // no expires_at: already lapsed
        Assert.Empty(partial.TraceIds);
        Assert.Equal(0, partial.Schema);
        Assert.NotNull(odd);
        Assert.Equal(FlagRoute.Primary, odd.Route);
        Assert.Equal(0, odd.Version);
        Assert.Null(odd.ProbeRatio);
    }

    [Fact]
    public async Task Read_returns_what_was_written()
    {
        using var store = NewStore();
        var decision = Decision("a", 3, FlagRoute.Probe, probeRatio: 0.3, traceIds: ["AB", "cd"]);

        await store.WriteAsync(decision, CancellationToken.None);
        var state = await store.ReadAsync("a", CancellationToken.None);

        string[] none = [];
        Assert.Equal(
            new FlagState("a", FlagRoute.Probe, "cached", 0.3, "token_spike", decision.Detail, none, "inc-42", 3, 1_700_000_000_000, 4_102_444_800_000, 1),
            state! with { TraceIds = none });
        Assert.Equal(["ab", "cd"], state.TraceIds);
    }

    [Fact]
    public async Task List_returns_every_flag_under_its_prefix_only_and_skips_foreign_keys()
    {
        using var store = NewStore();
        using var other = NewStore();
        for (var i = 0; i < 600; i++)
        {
            await store.WriteAsync(Decision($"agent-{i:D3}", 1), CancellationToken.None);
        }

        await other.WriteAsync(Decision("elsewhere", 1), CancellationToken.None);
        await _redis.GetDatabase().StringSetAsync(store.Keys.FlagKeyPrefix + "not-a-hash", "x");

        var states = await store.ListAsync(CancellationToken.None);

        Assert.Equal(600, states.Count);
        Assert.Equal(Enumerable.Range(0, 600).Select(i => $"agent-{i:D3}"), states.Select(s => s.Agent));
    }

    [Fact]
    public async Task Writes_are_counted_by_route_and_outcome()
    {
        using var store = NewStore();
        var applied = SentinelMetrics.FlagWrites.WithLabels("probe", "applied").Value;
        var stale = SentinelMetrics.FlagWrites.WithLabels("probe", "stale").Value;

        await store.WriteAsync(Decision("a", 2, FlagRoute.Probe, probeRatio: 0.5), CancellationToken.None);
        await store.WriteAsync(Decision("a", 1, FlagRoute.Probe, probeRatio: 0.5), CancellationToken.None);

        // Other test classes write in parallel, so only a lower bound is exact.
        Assert.True(SentinelMetrics.FlagWrites.WithLabels("probe", "applied").Value >= applied + 1);
        Assert.True(SentinelMetrics.FlagWrites.WithLabels("probe", "stale").Value >= stale + 1);
    }

    [Fact]
    public async Task Concurrent_writers_of_one_agent_end_with_the_highest_version()
    {
        using var store = NewStore();

        var outcomes = await Task.WhenAll(Enumerable.Range(1, 200).Reverse().Select(v =>
            store.WriteAsync(Decision("a", v, v % 2 == 0 ? FlagRoute.Fallback : FlagRoute.Probe, probeRatio: 0.2), CancellationToken.None)));

        Assert.Contains(FlagWriteOutcome.Applied, outcomes);
        var state = await store.ReadAsync("a", CancellationToken.None);
        Assert.Equal(200, state!.Version);
        Assert.Equal(FlagRoute.Fallback, state.Route);
        Assert.Null(state.ProbeRatio);
    }

    private static async Task<ChannelReader<string>> SubscribeAsync(ConnectionMultiplexer subscriber, string channel)
    {
        var notices = Channel.CreateUnbounded<string>();
        await subscriber.GetSubscriber().SubscribeAsync(RedisChannel.Literal(channel), (_, message) => notices.Writer.TryWrite(message.ToString()));
        return notices.Reader;
    }

    private static async Task<string> ReadAsync(ChannelReader<string> notices)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        return await notices.ReadAsync(timeout.Token);
    }

    private static string? AgentOf(string notice)
    {
        using var json = JsonDocument.Parse(notice);
        return json.RootElement.GetProperty("agent").GetString();
    }
}
