using AgentSentinel.Core.Anomalies;

namespace AgentSentinel.Alerting.Tests;

public sealed class AlertLabelsTests
{
    [Fact]
    public void A_plain_agent_name_is_kept()
    {
        Assert.Equal("checkout-bot.prod", AlertLabels.Agent("checkout-bot.prod"));
        Assert.Equal("unknown", AlertLabels.Agent(""));
    }

    [Fact]
    public void Control_characters_and_broken_surrogates_are_replaced()
    {
        Assert.Equal("a_b_c_d", AlertLabels.Agent("a\nb\u0000c\ud800d"));
        Assert.Equal("ok-\ud83d\ude00", AlertLabels.Agent("ok-\ud83d\ude00"));
    }

    [Fact]
    public void Long_agent_names_are_capped_and_stay_distinct()
    {
        var prefix = new string('a', 200);
        var one = AlertLabels.Agent(prefix + "one");
        var two = AlertLabels.Agent(prefix + "two");

        Assert.Equal(AlertLabels.MaxAgentLength, one.Length);
        Assert.Equal(AlertLabels.MaxAgentLength, two.Length);
        Assert.NotEqual(one, two);
        Assert.StartsWith(new string('a', 100), one, StringComparison.Ordinal);
        Assert.Matches("~[0-9a-f]{8}$", one);
        Assert.Equal(one, AlertLabels.Agent(prefix + "one"));
        Assert.Equal(new string('b', 128), AlertLabels.Agent(new string('b', 128)));
    }

    [Fact]
    public void A_cap_does_not_split_a_surrogate_pair()
    {
        var label = AlertLabels.Agent(new string('a', 118) + string.Concat(Enumerable.Repeat("\ud83d\ude00", 20)));
        Assert.True(label.Length <= AlertLabels.MaxAgentLength);
        Assert.False(char.IsHighSurrogate(label[label.IndexOf('~', StringComparison.Ordinal) - 1]));
    }

    [Fact]
    public void Kinds_and_severities_stay_in_their_closed_sets()
    {
        Assert.All(AnomalyKinds.All, k => Assert.Equal(k, AlertLabels.Kind(k)));
        Assert.Equal("other", AlertLabels.Kind("Token_Spike"));
        Assert.Equal("other", AlertLabels.Kind(null));
        Assert.Equal("critical", AlertLabels.Severity(AnomalySeverity.Critical));
        Assert.Equal("warning", AlertLabels.Severity(AnomalySeverity.Warning));
        Assert.Equal("warning", AlertLabels.Severity((AnomalySeverity)42));
    }

    [Fact]
    public void Only_hex_trace_ids_are_kept_up_to_ten()
    {
        Assert.Equal("ab,cd", AlertLabels.TraceIds(["AB", "x y", "", "cd", new string('a', 33)]));
        var many = Enumerable.Range(0, 20).Select(i => i.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(AlertLabels.MaxTraceIds, AlertLabels.TraceIds(many).Split(',').Length);
    }

    [Fact]
    public void Annotations_are_one_bounded_line()
    {
        Assert.Equal("a_b", AlertLabels.Annotation("a\nb"));
        var long_ = AlertLabels.Annotation(new string('x', 5000));
        Assert.Equal(AlertLabels.MaxAnnotationLength, long_.Length);
        Assert.EndsWith("…", long_, StringComparison.Ordinal);
    }
}
