using AgentSentinel.Core.Spans;

namespace AgentSentinel.Core.Tests.Spans;

public sealed class AgentIdentityTests
{
    [Theory]
    [InlineData("f9f77d1a-437f-4ba6-890e-b592a50cbd21")]
    [InlineData("171105B7-59DD-49C0-9677-0B95395AA46A")]
    [InlineData("{171105b7-59dd-49c0-9677-0b95395aa46a}")]
    [InlineData("171105b759dd49c096770b95395aa46a")]
    [InlineData("0123456789abcdef")]
    public void Uuids_and_long_hex_runs_look_like_instance_ids(string name) =>
        Assert.True(AgentIdentity.LooksLikeInstanceId(name));

    [Theory]
    [InlineData("billing-agent")]
    [InlineData("Hello world")]
    [InlineData("asst_5j66UpCpwteGg4YSxUnt7lPY")]
    [InlineData("cafe")]
    [InlineData("f9f77d1a-437f-4ba6-890e-b592a50cbd2x")]
    [InlineData("agent-f9f77d1a-437f-4ba6-890e-b592a50cbd21")]
    [InlineData("")]
    public void Names_do_not_look_like_instance_ids(string name) =>
        Assert.False(AgentIdentity.LooksLikeInstanceId(name));
}
