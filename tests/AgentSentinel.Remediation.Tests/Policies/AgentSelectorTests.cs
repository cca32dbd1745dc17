using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Spans;
using AgentSentinel.Remediation.Policies;

namespace AgentSentinel.Remediation.Tests.Policies;

public sealed class AgentSelectorTests
{
    private static ResourceAttributes Resource(params (string Key, string Value)[] attributes) =>
        ResourceAttributes.Create(attributes.Select(a => new KeyValuePair<string, string>(a.Key, a.Value)));

    [Theory]
    [InlineData("support-*", "support-eu-1", true)]
    [InlineData("support-*", "support-", true)]
    [InlineData("support-*", "Support-eu-1", false)]   // case-sensitive
    [InlineData("support-*", "my-support-1", false)]
    [InlineData("*-bot", "sales-bot", true)]
    [InlineData("*-bot", "sales-bots", false)]
    [InlineData("a*b*c", "axxbyyc", true)]
    [InlineData("a*b*c", "axxbyy", false)]
    [InlineData("a*b*c", "abcbc", true)]
    [InlineData("agent-??", "agent-07", true)]
    [InlineData("agent-??", "agent-7", false)]
    [InlineData("agent-??", "agent-007", false)]
    [InlineData("*", "", true)]
    [InlineData("**", "x", true)]
    [InlineData("planner", "planner", true)]
    [InlineData("planner", "planner-1", false)]
    [InlineData("p.anner", "planner", false)]          // only * and ? are special
    [InlineData("", "", true)]
    public void Globs_match_star_and_question_mark_ordinally(string pattern, string text, bool expected) =>
        Assert.Equal(expected, Glob.IsMatch(pattern, text));

    [Fact]
    public void Agents_and_except_agents_both_apply()
    {
        var selector = new AgentSelector(agents: ["support-*", "billing"], exceptAgents: ["support-canary*"]);

        Assert.True(selector.Matches("support-eu", ResourceAttributes.Empty, AnomalyKinds.TokenSpike));
        Assert.True(selector.Matches("billing", ResourceAttributes.Empty, AnomalyKinds.TokenSpike));
        Assert.False(selector.Matches("billing-2", ResourceAttributes.Empty, AnomalyKinds.TokenSpike));
        Assert.False(selector.Matches("support-canary-1", ResourceAttributes.Empty, AnomalyKinds.TokenSpike));
        Assert.False(selector.MatchesEverything);
    }

    [Fact]
    public void Resource_selectors_need_every_attribute_to_match_its_glob()
    {
        var selector = new AgentSelector(resource: [new("deployment.environment", "prod*"), new("team", "payments")]);

        Assert.True(selector.Matches("a", Resource(("deployment.environment", "prod-eu"), ("team", "payments"), ("x", "y")), AnomalyKinds.CostSpike));
        Assert.False(selector.Matches("a", Resource(("deployment.environment", "staging"), ("team", "payments")), AnomalyKinds.CostSpike));
        Assert.False(selector.Matches("a", Resource(("deployment.environment", "prod")), AnomalyKinds.CostSpike)); // team missing
        Assert.False(selector.Matches("a", ResourceAttributes.Empty, AnomalyKinds.CostSpike));
        Assert.False(selector.Matches("a", null, AnomalyKinds.CostSpike));
    }

    [Fact]
    public void Kinds_restrict_and_a_star_means_every_kind()
    {
        var loops = new AgentSelector(kinds: [AnomalyKinds.ToolLoop, AnomalyKinds.RunawayDepth]);
        Assert.True(loops.Matches("a", ResourceAttributes.Empty, AnomalyKinds.ToolLoop));
        Assert.False(loops.Matches("a", ResourceAttributes.Empty, AnomalyKinds.TokenSpike));
        Assert.Equal([AnomalyKinds.ToolLoop, AnomalyKinds.RunawayDepth], loops.Kinds);

        var star = new AgentSelector(kinds: ["*"]);
        Assert.True(star.MatchesEverything);
        Assert.All(AnomalyKinds.All, k => Assert.True(star.Matches("anyone", ResourceAttributes.Empty, k)));
        Assert.Equal(AgentSelector.All, star);
    }

    [Fact]
    public void Selectors_with_the_same_content_are_equal_whatever_the_order()
    {
        var a = new AgentSelector(agents: ["x"], resource: [new("b", "1"), new("a", "2")], kinds: [AnomalyKinds.Silence, AnomalyKinds.TokenSpike]);
        var b = new AgentSelector(agents: ["x", "x"], resource: [new("a", "2"), new("b", "1")], kinds: [AnomalyKinds.TokenSpike, AnomalyKinds.Silence]);
        var c = new AgentSelector(agents: ["y"], resource: [new("a", "2"), new("b", "1")], kinds: [AnomalyKinds.TokenSpike, AnomalyKinds.Silence]);

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, c);
        Assert.Equal("agents=[\"x\"] resource={\"a\":\"2\",\"b\":\"1\"} kinds=[token_spike,silence]", a.ToString());
    }

    [Fact]
    public void The_first_matching_policy_wins_in_file_order()
    {
        var set = PolicyLoader.Parse(PolicySamples.Yaml, PolicyFormat.Yaml, "t");
        var prod = Resource(("deployment.environment", "prod-us"));

        // A support agent's silence: the silence policy comes first.
        Assert.Equal("silence-alerts-only", set.Resolve("support-1", prod, AnomalyKinds.Silence)?.Name);
        // A support agent's loop in prod: loops-to-human comes before prod-token-burn (which does not cover loops anyway).
        Assert.Equal("loops-to-human", set.Resolve("support-1", prod, AnomalyKinds.ToolLoop)?.Name);
        // A support agent's token spike in prod: not a loop, so prod-token-burn.
        Assert.Equal("prod-token-burn", set.Resolve("support-1", prod, AnomalyKinds.TokenSpike)?.Name);
        // The same outside prod, and any other agent's loop: the catch-all.
        Assert.Equal("everything-else", set.Resolve("support-1", Resource(("deployment.environment", "dev")), AnomalyKinds.TokenSpike)?.Name);
        Assert.Equal("everything-else", set.Resolve("planner-1", prod, AnomalyKinds.ToolLoop)?.Name);
    }

    [Fact]
    public void No_matching_policy_means_no_action()
    {
        var set = PolicyLoader.Parse("policies:\n  - name: only-loops\n    match: { kinds: [tool_loop] }\n", PolicyFormat.Yaml, "t");

        Assert.Null(set.Resolve("a", ResourceAttributes.Empty, AnomalyKinds.TokenSpike));
        Assert.NotNull(set.Resolve("a", ResourceAttributes.Empty, AnomalyKinds.ToolLoop));
    }

    [Fact]
    public void Resolving_allocates_nothing()
    {
        var set = PolicyLoader.Parse(PolicySamples.Yaml, PolicyFormat.Yaml, "t");
        var prod = Resource(("deployment.environment", "prod-us"), ("team", "x"));
        RemediationPolicy? last = null;
        for (var i = 0; i < 10; i++)
        {
            last = set.Resolve("support-1", prod, AnomalyKinds.TokenSpike); // warm up
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            last = set.Resolve("support-1", prod, AnomalyKinds.TokenSpike);
            last = set.Resolve("planner-7", ResourceAttributes.Empty, AnomalyKinds.ToolLoop);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal("everything-else", last?.Name);
    }
}
