namespace AgentSentinel.Kafka.Native;

/// <summary>
/// Asks librdkafka whether it accepts a configuration property and value, without creating a client or
/// connecting anywhere, so that <c>check-config</c> can name a misspelt pass-through key.
/// </summary>
internal static class NativeConfigCheck
{
    // Setting these has side effects (plugin.library.paths loads shared libraries on set): never probe them.
    private static readonly HashSet<string> Unprobed = new(StringComparer.OrdinalIgnoreCase) { "plugin.library.paths" };

    private static readonly Lazy<bool> Available = new(static () =>
    {
        try
        {
            LibRdKafka.EnsureResolver();
            LibRdKafka.ConfDestroy(LibRdKafka.ConfNew());
            return true;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    });

    /// <summary>librdkafka's complaint about <paramref name="key"/>=<paramref name="value"/>, or null if accepted (or if librdkafka cannot be loaded).</summary>
    public static string? Check(string key, string? value)
    {
        if (Unprobed.Contains(key) || !Available.Value)
        {
            return null;
        }

        var conf = LibRdKafka.ConfNew();
        try
        {
            var errstr = new byte[512];
            var result = LibRdKafka.ConfSet(conf, key, value ?? string.Empty, errstr, (nuint)errstr.Length);
            return result == LibRdKafka.ConfOk ? null : LibRdKafka.ErrorText(errstr);
        }
        finally
        {
            LibRdKafka.ConfDestroy(conf);
        }
    }
}
