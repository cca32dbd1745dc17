namespace AgentSentinel.Actors.Tests.TestSupport;

/// <summary>
/// Akka's TestKit with its time factor raised: every default and explicit wait (<c>ExpectMsg</c>, <c>AwaitCondition</c>,
/// <c>Within</c>) is stretched ×3, so a loaded 2-core CI machine running test classes in parallel slows these tests
/// down instead of failing them. (It also stretches the few <c>ExpectNoMsg</c> windows, which only costs time.)
/// </summary>
public abstract class SentinelTestKit() : Akka.TestKit.Xunit2.TestKit("akka.test.timefactor = 3");
