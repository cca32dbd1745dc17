namespace AgentSentinel.Cli.Tests.Support;

/// <summary>A fresh directory under the system temp folder, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "agentsentinel-tests-" + Guid.NewGuid().ToString("N")[..12]);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes record values as 0000.pb, 0001.pb, ... (the replay's directory layout).</summary>
    public string WriteRecords(string folder, IEnumerable<byte[]> records)
    {
        var dir = System.IO.Path.Combine(Path, folder);
        Directory.CreateDirectory(dir);
        var i = 0;
        foreach (var record in records)
        {
            System.IO.File.WriteAllBytes(System.IO.Path.Combine(dir, $"{i++:0000}.pb"), record);
        }

        return dir;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
