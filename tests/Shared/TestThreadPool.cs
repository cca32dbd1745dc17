using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace AgentSentinel.Tests.Shared;

/// <summary>
/// Raises the thread pool's floor before any test runs. xUnit runs test classes in parallel and Akka's TestKit
/// (<c>ExpectMsg</c>), Redis and Kafka tests block pool threads while they wait; on a 2-core CI machine the pool then
/// grows by about one thread a second and an actor that should answer in a millisecond misses a 3 s expectation.
/// </summary>
internal static class TestThreadPool
{
    private const int Floor = 32;

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "Test assemblies: the floor must be set before xUnit starts running tests.")]
    internal static void RaiseFloor()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, Floor), Math.Max(io, Floor));
    }
}
