using System.Reflection;
using System.Runtime.InteropServices;

namespace AgentSentinel.Kafka.Native;

/// <summary>
/// The few librdkafka entry points Confluent.Kafka does not expose: the mock cluster API
/// (<c>rdkafka_mock.h</c>, 2.16.0; marked experimental upstream, so the package version is pinned) and
/// configuration checks. The imports resolve to the same native file Confluent.Kafka loaded, so the
/// process holds one copy of librdkafka.
/// </summary>
internal static partial class LibRdKafka
{
    /// <summary>The logical name in every import below; <see cref="Resolve"/> maps it to a file.</summary>
    private const string Library = "librdkafka";

    internal const int RdKafkaProducer = 0;
    internal const int ConfOk = 0;

    private static readonly Lock InitLock = new();
    private static bool _resolverInstalled;

    /// <summary>Installs the import resolver once. Safe to call from any thread, any number of times.</summary>
    internal static void EnsureResolver()
    {
        lock (InitLock)
        {
            if (_resolverInstalled)
            {
                return;
            }

            NativeLibrary.SetDllImportResolver(typeof(LibRdKafka).Assembly, Resolve);
            _resolverInstalled = true;
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != Library)
        {
            return IntPtr.Zero;
        }

        // 1. Let Confluent.Kafka load librdkafka its own way (it picks centos8-librdkafka.so on Debian, where
        //    the generic build's libsasl2.so.3 is missing), then open exactly that file again: dlopen of a path
        //    that is already mapped returns the same handle, so there is one librdkafka in the process.
        try
        {
            _ = Confluent.Kafka.Library.Version;
        }
        catch (DllNotFoundException)
        {
            // Fall through to our own probing below; it gives the clearer error if that fails too.
        }

        if (LoadedPath() is { } loaded && NativeLibrary.TryLoad(loaded, out var same))
        {
            return same;
        }

        // 2. Probe the files the Confluent runtimes folder ships, in both the runtimes/<rid>/native layout
        //    (dotnet run/test) and flat (RID-specific publish).
        foreach (var candidate in Candidates())
        {
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var handle))
            {
                return handle;
            }
        }

        // 3. A system-wide librdkafka, if any.
        return NativeLibrary.TryLoad(libraryName, assembly, searchPath, out var system) ? system : IntPtr.Zero;
    }

    /// <summary>The librdkafka file already mapped into this process (Linux only), else null.</summary>
    private static string? LoadedPath()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                var slash = line.IndexOf('/', StringComparison.Ordinal);
                if (slash < 0)
                {
                    continue;
                }

                var path = line[slash..].TrimEnd();
                if (Path.GetFileName(path).EndsWith("librdkafka.so", StringComparison.Ordinal)
                    || Path.GetFileName(path).StartsWith("librdkafka.so.", StringComparison.Ordinal))
                {
                    return path;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    private static IEnumerable<string> Candidates()
    {
        string[] names = OperatingSystem.IsWindows() ? ["librdkafka.dll"]
            : OperatingSystem.IsMacOS() ? ["librdkafka.dylib"]
            : ["centos8-librdkafka.so", "librdkafka.so", "alpine-librdkafka.so"];
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        var rid = $"{os}-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}";

        var roots = new List<string> { AppContext.BaseDirectory };
        var confluentDir = Path.GetDirectoryName(typeof(Confluent.Kafka.Library).Assembly.Location);
        if (!string.IsNullOrEmpty(confluentDir) && !roots.Contains(confluentDir))
        {
            roots.Add(confluentDir);
        }

        foreach (var root in roots)
        {
            foreach (var name in names)
            {
                yield return Path.Combine(root, "runtimes", rid, "native", name);
                yield return Path.Combine(root, name);
            }
        }
    }

    // ---- core ---------------------------------------------------------------------------------------------

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_new")]
    internal static partial IntPtr ConfNew();

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_destroy")]
    internal static partial void ConfDestroy(IntPtr conf);

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_set", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ConfSet(IntPtr conf, string name, string value, byte[] errstr, nuint errstrSize);

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_set_log_cb")]
    internal static partial void ConfSetLogCallback(IntPtr conf, IntPtr logCallback);

    [LibraryImport(Library, EntryPoint = "rd_kafka_new")]
    internal static partial IntPtr New(int type, IntPtr conf, byte[] errstr, nuint errstrSize);

    [LibraryImport(Library, EntryPoint = "rd_kafka_destroy")]
    internal static partial void Destroy(IntPtr rk);

    // ---- mock cluster (rdkafka_mock.h) -------------------------------------------------------------------

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_new")]
    internal static partial IntPtr MockClusterNew(IntPtr rk, int brokerCount);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_destroy")]
    internal static partial void MockClusterDestroy(IntPtr mcluster);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_bootstraps")]
    internal static partial IntPtr MockClusterBootstraps(IntPtr mcluster);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_topic_create", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MockTopicCreate(IntPtr mcluster, string topic, int partitionCount, int replicationFactor);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_push_request_errors_array")]
    internal static partial void MockPushRequestErrorsArray(IntPtr mcluster, short apiKey, nuint count, int[] errors);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_clear_request_errors")]
    internal static partial void MockClearRequestErrors(IntPtr mcluster, short apiKey);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_broker_set_down")]
    internal static partial int MockBrokerSetDown(IntPtr mcluster, int brokerId);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_broker_set_up")]
    internal static partial int MockBrokerSetUp(IntPtr mcluster, int brokerId);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_broker_set_rtt")]
    internal static partial int MockBrokerSetRtt(IntPtr mcluster, int brokerId, int rttMs);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_partition_set_leader", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MockPartitionSetLeader(IntPtr mcluster, string topic, int partition, int brokerId);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_coordinator_set", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MockCoordinatorSet(IntPtr mcluster, string keyType, string key, int brokerId);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_group_initial_rebalance_delay_ms")]
    internal static partial void MockGroupInitialRebalanceDelayMs(IntPtr mcluster, int delayMs);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_start_request_tracking")]
    internal static partial void MockStartRequestTracking(IntPtr mcluster);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_stop_request_tracking")]
    internal static partial void MockStopRequestTracking(IntPtr mcluster);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_clear_requests")]
    internal static partial void MockClearRequests(IntPtr mcluster);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_get_requests")]
    internal static partial IntPtr MockGetRequests(IntPtr mcluster, out nuint count);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_request_api_key")]
    internal static partial short MockRequestApiKey(IntPtr request);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_request_destroy_array")]
    internal static partial void MockRequestDestroyArray(IntPtr requests, nuint count);

    /// <summary>The NUL-terminated text librdkafka wrote into an error buffer.</summary>
    internal static string ErrorText(byte[] errstr)
    {
        var end = Array.IndexOf(errstr, (byte)0);
        return System.Text.Encoding.UTF8.GetString(errstr, 0, end < 0 ? errstr.Length : end);
    }
}
