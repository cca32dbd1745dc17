using AgentSentinel.Actors.Agents;
using Akka.Actor;

namespace AgentSentinel.Actors.Tests.Agents;

public sealed class AgentActorNamesTests
{
    [Theory]
    [InlineData("checkout-agent", "agent-checkout-agent-")]
    [InlineData("Support Bot/EU #2", "agent-support-bot-eu-2-")]
    [InlineData("$system", "agent-system-")]
    [InlineData("ünïcødé 🤖", "agent-n-c-d-")]
    [InlineData("", "agent-")]
    [InlineData("../../user", "agent-user-")]
    public void Names_are_valid_bounded_actor_names(string agent, string prefix)
    {
        var name = AgentActorNames.For(agent);

        Assert.StartsWith(prefix, name, StringComparison.Ordinal);
        Assert.Matches("^agent-([a-z0-9]+(-[a-z0-9]+)*-)?[0-9a-f]{16}$", name);
        Assert.True(ActorPath.IsValidPathElement(name));
    }

    [Fact]
    public void Long_ids_give_bounded_names_and_ids_with_the_same_slug_differ()
    {
        var long1 = new string('x', 10_000) + "1";
        var long2 = new string('x', 10_000) + "2";

        Assert.True(AgentActorNames.For(long1).Length <= 6 + 32 + 1 + 16);
        Assert.NotEqual(AgentActorNames.For(long1), AgentActorNames.For(long2));
        Assert.NotEqual(AgentActorNames.For("a b"), AgentActorNames.For("a-b"));
    }
}
