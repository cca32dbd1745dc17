using AgentSentinel.Evaluation.Nab;

namespace AgentSentinel.Evaluation.Tests.Nab;

public sealed class NabCorpusTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "nab-corpus-tests-" + Guid.NewGuid().ToString("N"));

    public NabCorpusTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "data", "cat"));
        Directory.CreateDirectory(Path.Combine(_root, "labels"));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void A_malformed_row_is_reported_with_its_file_and_line()
    {
        File.WriteAllText(Path.Combine(_root, "data", "cat", "a.csv"), "timestamp,value\n2020-01-01 00:00:00,1\n2020-01-01 00:05:00,abc\n");
        File.WriteAllText(Path.Combine(_root, "labels", "combined_windows.json"), """{"cat/a.csv": []}""");
        var error = Assert.Throws<InvalidDataException>(() => NabCorpus.Load(_root));
        Assert.Contains("a.csv:3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_window_that_does_not_start_on_a_row_is_rejected_naming_the_file()
    {
        File.WriteAllText(Path.Combine(_root, "data", "cat", "a.csv"), "timestamp,value\n2020-01-01 00:00:00,1\n2020-01-01 00:05:00,2\n");
        File.WriteAllText(Path.Combine(_root, "labels", "combined_windows.json"), """{"cat/a.csv": [["2020-01-01 00:01:00.000000", "2020-01-01 00:05:00.000000"]]}""");
        var error = Assert.Throws<InvalidDataException>(() => NabCorpus.Load(_root));
        Assert.Contains("cat/a.csv", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Files_windows_and_default_profiles_load()
    {
        File.WriteAllText(Path.Combine(_root, "data", "cat", "a.csv"), "timestamp,value\n2020-01-01 00:00:00,1\n2020-01-01 00:05:00,2.5\n");
        File.WriteAllText(Path.Combine(_root, "labels", "combined_windows.json"), """{"cat/a.csv": [["2020-01-01 00:05:00.000000", "2020-01-01 00:05:00.000000"]]}""");
        var corpus = NabCorpus.Load(_root);
        var file = Assert.Single(corpus.Files);
        Assert.Equal("cat/a.csv", file.RelativePath);
        Assert.Equal([1.0, 2.5], file.Values);
        Assert.Equal(1, corpus.WindowCount);
        Assert.Equal(["standard", "reward_low_FP_rate", "reward_low_FN_rate"], corpus.Profiles.Select(p => p.Name));
    }
}
