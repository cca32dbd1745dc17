using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Spans;
using AgentSentinel.Remediation.Policies;
using AgentSentinel.Tests.Shared;

namespace AgentSentinel.Remediation.Tests.Policies;

public sealed class PolicyLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("policy-loader-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ResourceAttributes Resource(params (string Key, string Value)[] attributes) =>
        ResourceAttributes.Create(attributes.Select(a => new KeyValuePair<string, string>(a.Key, a.Value)));

    private static IReadOnlyList<string> ErrorsOf(string text, PolicyFormat format = PolicyFormat.Yaml) =>
        Assert.Throws<PolicyValidationException>(() => PolicyLoader.Parse(text, format, "test.yaml")).Errors;

    [Fact]
    public void The_shipped_default_policy_parses_and_routes_silence_to_alert_only()
    {
        var set = PolicySet.Default;

        Assert.Equal("default", set.Source);
        var silence = set.Resolve("any-agent", ResourceAttributes.Empty, AnomalyKinds.Silence);
        Assert.NotNull(silence);
        Assert.Equal(PolicyAction.AlertOnly, silence.Action);

        var spike = set.Resolve("planner-05", ResourceAttributes.Empty, AnomalyKinds.TokenSpike);
        Assert.NotNull(spike);
        Assert.Equal(PolicyAction.Fallback, spike.Action);
        Assert.Equal("safe-model", spike.Fallback);
        Assert.Equal(new TriggerSettings(1, TimeSpan.FromMinutes(10)), spike.Trigger);

        // Every kind the detectors emit is covered by some policy of the default.
        Assert.All(AnomalyKinds.All, kind => Assert.NotNull(set.Resolve("a", ResourceAttributes.Empty, kind)));
    }

    [Fact]
    public void The_embedded_default_is_exactly_deploy_policies_yaml()
    {
        var path = Path.Combine(SharedData.RepositoryRoot, "deploy", "policies.yaml");
        var fromFile = PolicyLoader.LoadFile(path);

        Assert.Equal(fromFile.Fingerprint, PolicySet.Default.Fingerprint);
        Assert.Equal(fromFile.Policies, PolicySet.Default.Policies);
        Assert.Equal(Path.GetFullPath(path), fromFile.Source);
        Assert.Equal(PolicyFormat.Yaml, PolicyLoader.DetectFormat(path, File.ReadAllText(path)));

        using var embedded = typeof(PolicySet).Assembly.GetManifestResourceStream(PolicySet.DefaultResourceName)!;
        using var copy = new MemoryStream();
        embedded.CopyTo(copy);
        Assert.Equal(File.ReadAllBytes(path), copy.ToArray());
    }

    [Fact]
    public void The_schema_example_resolves_every_policy_over_the_defaults()
    {
        var set = PolicyLoader.Parse(PolicySamples.Yaml, PolicyFormat.Yaml, "sample");

        Assert.Equal(["silence-alerts-only", "loops-to-human", "prod-token-burn", "everything-else"], set.Policies.Select(p => p.Name));
        Assert.Equal(new SafetySettings(0.25, 1, 6, false), set.Safety);

        var burn = set.Find("prod-token-burn")!;
        Assert.Equal(PolicyAction.Fallback, burn.Action);
        Assert.Equal("gpt-4o-mini", burn.Fallback);
        Assert.Equal(AnomalySeverity.Critical, burn.MinSeverity);
        Assert.Equal(new TriggerSettings(3, TimeSpan.FromMinutes(10)), burn.Trigger);
        Assert.Equal(TimeSpan.FromMinutes(5), burn.FlagTtl);
        // probe: ratio and backoff.max overridden, everything else inherited key by key.
        Assert.Equal(
            new ProbeSettings(TimeSpan.FromMinutes(5), 0.25, 20, TimeSpan.FromMinutes(10), new BackoffSettings(2, TimeSpan.FromHours(2)), 0),
            burn.Probe);
        Assert.Equal(new RecoverySettings(0.05, 0.1, 4, 0.1), burn.Recovery);

        var human = set.Find("loops-to-human")!;
        Assert.Equal("human", human.Fallback);
        Assert.Equal(AnomalySeverity.Warning, human.MinSeverity);
        Assert.Equal(set.Defaults.Probe, human.Probe);
        Assert.Equal(PolicyAction.AlertOnly, set.Find("silence-alerts-only")!.Action);
        Assert.True(set.Find("everything-else")!.Selector.MatchesEverything);
        Assert.Null(set.Find("nope"));
    }

    [Fact]
    public void File_defaults_override_the_built_in_ones_and_policies_override_the_file_defaults()
    {
        var set = PolicyLoader.Parse(
            """
            defaults:
              fallback: cached
              flag_ttl: 2m
              probe: { min_traces: 50 }
            policies:
              - name: a
                match: { kinds: [tool_loop] }
                flag_ttl: 30s
              - name: b
                match: {}
                action: ignore
            """,
            PolicyFormat.Yaml,
            "t");

        var a = set.Policies[0];
        Assert.Equal("cached", a.Fallback);
        Assert.Equal(TimeSpan.FromSeconds(30), a.FlagTtl);
        Assert.Equal(50, a.Probe.MinTraces);
        Assert.Equal(0.1, a.Probe.Ratio);              // built in
        Assert.Equal(TimeSpan.FromMinutes(2), set.Policies[1].FlagTtl);
        Assert.Equal(PolicyAction.Ignore, set.Policies[1].Action);
        Assert.Equal(new SafetySettings(0.25, 1, 6, false), set.Safety); // no safety section: built in
        Assert.Equal("cached", set.Defaults.Fallback);
    }

    [Fact]
    public void Yaml_and_json_give_identical_policy_sets()
    {
        var yaml = PolicyLoader.Parse(PolicySamples.Yaml, PolicyFormat.Yaml, "a.yaml");
        var json = PolicyLoader.Parse(PolicySamples.Json, PolicyFormat.Json, "a.json");

        Assert.Equal(yaml.Policies, json.Policies);
        Assert.Equal(yaml.Defaults, json.Defaults);
        Assert.Equal(yaml.Safety, json.Safety);
        Assert.Equal(yaml.Fingerprint, json.Fingerprint);
        Assert.Equal(yaml.ToCanonicalString(), json.ToCanonicalString());
        Assert.Matches("^[0-9a-f]{16}$", yaml.Fingerprint);
    }

    [Fact]
    public void The_fingerprint_changes_with_the_policies_and_not_with_comments()
    {
        var original = PolicyLoader.Parse(PolicySamples.Yaml, PolicyFormat.Yaml, "a");
        var commented = PolicyLoader.Parse("# a new comment\n" + PolicySamples.Yaml.Replace("  dry_run: false", "  dry_run: false   # still off"), PolicyFormat.Yaml, "b");
        var changed = PolicyLoader.Parse(PolicySamples.Yaml.Replace("ratio: 0.25", "ratio: 0.3"), PolicyFormat.Yaml, "a");

        Assert.Equal(original.Fingerprint, commented.Fingerprint);
        Assert.NotEqual(original.Fingerprint, changed.Fingerprint);
    }

    [Fact]
    public void LoadFile_picks_the_format_by_extension_or_by_content()
    {
        var json = Path.Combine(_dir, "p.json");
        var sniffed = Path.Combine(_dir, "policies.conf");
        var yml = Path.Combine(_dir, "p.yml");
        File.WriteAllText(json, PolicySamples.Json);
        File.WriteAllText(sniffed, "\n  " + PolicySamples.Json);
        File.WriteAllText(yml, "\uFEFF" + PolicySamples.Yaml); // a BOM is fine

        var expected = PolicyLoader.Parse(PolicySamples.Yaml, PolicyFormat.Yaml, "x").Fingerprint;
        Assert.Equal(expected, PolicyLoader.LoadFile(json).Fingerprint);
        Assert.Equal(expected, PolicyLoader.LoadFile(sniffed).Fingerprint);
        Assert.Equal(expected, PolicyLoader.LoadFile(yml).Fingerprint);
        Assert.Equal(PolicyFormat.Json, PolicyLoader.DetectFormat(sniffed, File.ReadAllText(sniffed)));
    }

    [Fact]
    public void A_missing_file_names_its_path()
    {
        var path = Path.Combine(_dir, "absent.yaml");
        var ex = Assert.Throws<FileNotFoundException>(() => PolicyLoader.LoadFile(path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_with_the_path_of_its_key()
    {
        var errors = ErrorsOf(
            """
            version: 1
            defaults:
              trigger: { anomalous_traces: 0, window: 10 }
              recovery: { alpha: 0.7 }
            safety:
              max_fallback_share: 0
              dry_run: maybe
            policies:
              - name: first
                mtch: { kinds: [silence] }
                match: { kinds: [silence, tokn_spike] }
              - name: second
                match: { agents: ["a-*"] }
                action: fallback_now
                probe: { ratio: 1.5, after: 5 minutes }
                flag_ttl: 0s
              - name: first
                match: {}
            """);

        Assert.Contains("defaults.trigger.anomalous_traces: must be between 1 and 1000 (was 0) (line 3)", errors);
        Assert.Contains("defaults.trigger.window: must be a duration such as 90s, 5m, 1h, 1d or 00:05:00 (was '10') (line 3)", errors);
        Assert.Contains("defaults.recovery.alpha: must be in (0, 0.5) (was 0.7) (line 4)", errors);
        Assert.Contains("safety.max_fallback_share: must be in (0, 1] (was 0) (line 6)", errors);
        Assert.Contains("safety.dry_run: must be true or false (was 'maybe') (line 7)", errors);
        Assert.Contains(errors, e => e.StartsWith("policies[0].mtch: unknown key (did you mean 'match'?) (known: name, description, match,", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("policies[0].match.kinds[1]: unknown anomaly kind 'tokn_spike' (did you mean 'token_spike'?) (known: token_spike, latency_spike,", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("policies[1].action: must be one of fallback, alert_only, ignore (was 'fallback_now')", StringComparison.Ordinal));
        Assert.Contains("policies[1].probe.ratio: must be in (0, 1] (was 1.5) (line 15)", errors);
        Assert.Contains("policies[1].probe.after: must be a duration such as 90s, 5m, 1h, 1d or 00:05:00 (was '5 minutes') (line 15)", errors);
        Assert.Contains("policies[1].flag_ttl: must be between 1s and 1d (was 0s) (line 16)", errors);
        Assert.Contains("policies[2].name: duplicate policy name 'first' (also policies[0]) (line 17)", errors);
        Assert.Equal(12, errors.Count);
    }

    [Fact]
    public void The_exception_message_lists_every_problem()
    {
        var ex = Assert.Throws<PolicyValidationException>(() => PolicyLoader.Parse(
            "policies:\n  - name: x\n    match: { kinds: [nope] }\n    probe: { ratio: 2 }\n", PolicyFormat.Yaml, "/etc/p.yaml"));

        Assert.Equal(2, ex.Errors.Count);
        Assert.Equal("/etc/p.yaml", ex.PolicySource);
        Assert.StartsWith("Policy file '/etc/p.yaml' is invalid (2 problems):", ex.Message, StringComparison.Ordinal);
        Assert.All(ex.Errors, e => Assert.Contains(e, ex.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Json_problems_name_their_keys_too()
    {
        var errors = ErrorsOf(
            """{ "policies": [ { "name": "x", "match": { "kinds": "silence", "resource": { "k8s.namespace.name": 5 } }, "probe": { "min_traces": 2.5, "backoff": { "multiplier": 0.5 } }, "safety": {} } ] }""",
            PolicyFormat.Json);

        Assert.Contains("policies[0].probe.min_traces: must be a whole number (was '2.5')", errors);
        Assert.Contains("policies[0].probe.backoff.multiplier: must be in [1, 100] (was 0.5)", errors);
        Assert.Contains(errors, e => e.StartsWith("policies[0].safety: unknown key", StringComparison.Ordinal));
        Assert.Equal(3, errors.Count); // a single kind as a string is fine; a number is a fine glob text
    }

    [Fact]
    public void Yaml_syntax_errors_give_line_and_column()
    {
        var errors = ErrorsOf("policies:\n  - name: x\n    match: { kinds: [silence }\n");

        var error = Assert.Single(errors);
        Assert.StartsWith("YAML syntax error at line 3, column ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_syntax_errors_give_line_and_column()
    {
        var error = Assert.Single(ErrorsOf("{\n  \"policies\": [\n    { \"name\": \"x\" \"match\": {} }\n  ]\n}", PolicyFormat.Json));
        Assert.StartsWith("JSON syntax error at line 3, column ", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    public void An_empty_file_is_an_error(string text) => Assert.NotEmpty(ErrorsOf(text));

    [Fact]
    public void Policies_are_required_but_may_be_an_empty_list()
    {
        Assert.Contains(ErrorsOf("version: 1\nsafety: { dry_run: true }\n"), e => e.StartsWith("policies: required", StringComparison.Ordinal));

        var none = PolicyLoader.Parse("policies: []", PolicyFormat.Yaml, "t");
        Assert.Empty(none.Policies);
        Assert.Null(none.Resolve("a", ResourceAttributes.Empty, AnomalyKinds.TokenSpike));
    }

    [Fact]
    public void Duplicate_keys_and_unsupported_versions_are_errors()
    {
        var errors = ErrorsOf("version: 2\npolicies:\n  - name: a\n    match: {}\n    fallback: x\n    fallback: y\n");

        Assert.Contains("version: unsupported version 2 (this AgentSentinel reads version 1) (line 1)", errors);
        Assert.Contains("policies[0].fallback: duplicate key (line 6)", errors);
    }

    [Fact]
    public void A_policy_behind_a_catch_all_is_reported_as_never_reached()
    {
        var errors = ErrorsOf("policies:\n  - name: all\n    match: {}\n  - name: late\n    match: { kinds: [silence] }\n");

        Assert.Equal("policies[1]: never reached: policies[0] ('all') matches every agent and kind, and the first match wins (line 4)", Assert.Single(errors));
    }

    [Fact]
    public void Backoff_max_below_probe_after_is_an_error_where_it_is_set()
    {
        var inDefaults = ErrorsOf("defaults:\n  probe: { after: 2h }\npolicies: []\n");
        Assert.Equal("defaults.probe.backoff.max: must be at least probe.after (2h) (was 1h) (line 2)", Assert.Single(inDefaults));

        var inPolicy = ErrorsOf("policies:\n  - name: a\n    match: {}\n    probe: { after: 10m, backoff: { max: 5m } }\n");
        Assert.Equal("policies[0].probe.backoff.max: must be at least probe.after (10m) (was 5m) (line 2)", Assert.Single(inPolicy));
    }

    [Fact]
    public void Names_fallbacks_and_selectors_are_checked()
    {
        var errors = ErrorsOf(
            """
            policies:
              - name: "bad name!"
                match: { agents: [], kinds: [] }
                fallback: " padded "
              - match: { resource: { team: "" } }
            """);

        Assert.Contains(errors, e => e.StartsWith("policies[0].name: must be 1 to 64 letters, digits", StringComparison.Ordinal));
        Assert.Contains("policies[0].match.agents: must not be empty (leave the key out to match every agent) (line 3)", errors);
        Assert.Contains(errors, e => e.StartsWith("policies[0].match.kinds: must not be empty", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("policies[0].fallback: must be a name of 1 to 128 characters", StringComparison.Ordinal));
        Assert.Contains("policies[1].name: required (line 5)", errors);
        Assert.Contains("policies[1].match.resource.team: a name or glob must be 1 to 256 characters (was 0) (line 5)", errors);
        Assert.Equal(6, errors.Count);
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("5m", 300)]
    [InlineData("1h", 3600)]
    [InlineData("1d", 86400)]
    [InlineData("1h30m", 5400)]
    [InlineData("1.5h", 5400)]
    [InlineData("00:05:00", 300)]
    [InlineData("1.00:00:00", 86400)]
    [InlineData("1500ms", 1.5)]
    public void Durations_take_units_or_time_spans(string text, double seconds)
    {
        Assert.True(PolicyDurations.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
        Assert.True(PolicyDurations.TryParse(PolicyDurations.Format(value), out var again));
        Assert.Equal(value, again);
    }

    [Theory]
    [InlineData("5")]
    [InlineData("5 minutes")]
    [InlineData("-5m")]
    [InlineData("5M")]
    [InlineData("m")]
    [InlineData("-00:05:00")]
    [InlineData("")]
    public void Durations_without_a_unit_or_negative_are_refused(string text) => Assert.False(PolicyDurations.TryParse(text, out _));

    [Fact]
    public void Yaml_anchors_and_aliases_are_resolved()
    {
        var set = PolicyLoader.Parse(
            """
            policies:
              - name: a
                match: { kinds: [tool_loop] }
                probe: &slow { after: 30m, backoff: { max: 4h } }
              - name: b
                match: {}
                probe: *slow
            """,
            PolicyFormat.Yaml,
            "t");

        Assert.Equal(set.Policies[0].Probe, set.Policies[1].Probe);
        Assert.Equal(TimeSpan.FromMinutes(30), set.Policies[1].Probe.After);
    }
}
