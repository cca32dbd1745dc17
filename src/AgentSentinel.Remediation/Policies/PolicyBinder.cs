using System.Globalization;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Spans;

namespace AgentSentinel.Remediation.Policies;

/// <summary>
/// Validates a policy document and builds the <see cref="PolicySet"/>: every problem is collected (never just the first),
/// each prefixed with the path of its key (<c>policies[2].probe.ratio</c>) and, for YAML, its line.
/// </summary>
internal sealed class PolicyBinder
{
    /// <summary>The version of the schema this code reads.</summary>
    public const int SchemaVersion = 1;

    /// <summary>Most policies in one file (resolution is a linear scan).</summary>
    public const int MaxPolicies = 1000;

    public const int MaxNameLength = 64;
    public const int MaxFallbackLength = 128;
    public const int MaxGlobLength = 256;

    /// <summary>Built-in defaults: what a key left out of both the policy and the file's <c>defaults</c> means.</summary>
    public static readonly RemediationPolicy BuiltInDefaults = new(
        "defaults",
        AgentSelector.All,
        PolicyAction.Fallback,
        "safe-model",
        AnomalySeverity.Warning,
        new TriggerSettings(1, TimeSpan.FromMinutes(10)),
        TimeSpan.FromMinutes(5),
        new ProbeSettings(TimeSpan.FromMinutes(5), 0.1, 20, TimeSpan.FromMinutes(10), new BackoffSettings(2, TimeSpan.FromHours(1)), 0),
        new RecoverySettings(0.05, 0.1, 4, 0.1));

    /// <summary>Built-in safety limits.</summary>
    public static readonly SafetySettings BuiltInSafety = new(0.25, 1, 6, false);

    private static readonly string[] TopKeys = ["version", "defaults", "safety", "policies"];
    private static readonly string[] SettingKeys = ["action", "fallback", "min_severity", "trigger", "flag_ttl", "probe", "recovery"];
    private static readonly string[] PolicyKeys = ["name", "description", "match", .. SettingKeys];
    private static readonly string[] TriggerKeys = ["anomalous_traces", "window"];
    private static readonly string[] ProbeKeys = ["after", "ratio", "min_traces", "max_duration", "backoff", "max_trips"];
    private static readonly string[] BackoffKeys = ["multiplier", "max"];
    private static readonly string[] RecoveryKeys = ["alpha", "beta", "fault_rate_multiplier", "min_rate_increase"];
    private static readonly string[] SafetyKeys = ["max_fallback_share", "min_agents_always_allowed", "max_flips_per_agent_per_hour", "dry_run"];
    private static readonly string[] MatchKeys = ["agents", "except_agents", "resource", "kinds"];
    private static readonly string[] ActionNames = ["fallback", "alert_only", "ignore"];
    private static readonly string[] SeverityNames = ["warning", "critical"];

    private readonly List<string> _errors = [];

    private PolicyBinder()
    {
    }

    /// <summary>The wire name of an action (<c>fallback</c>, <c>alert_only</c>, <c>ignore</c>).</summary>
    public static string ActionName(PolicyAction action) => action switch
    {
        PolicyAction.AlertOnly => "alert_only",
        PolicyAction.Ignore => "ignore",
        _ => "fallback",
    };

    /// <summary>Binds <paramref name="root"/>; null with the errors when it is invalid.</summary>
    public static PolicySet? Bind(PolicyNode root, string source, out IReadOnlyList<string> errors)
    {
        var binder = new PolicyBinder();
        var set = binder.BindRoot(root, source);
        errors = binder._errors;
        return binder._errors.Count == 0 ? set : null;
    }

    private PolicySet? BindRoot(PolicyNode root, string source)
    {
        if (root is not MapNode map)
        {
            Error("(root)", root, $"must be a mapping with the keys {string.Join(", ", TopKeys)} (was {root.Describe})");
            return null;
        }

        var entries = Entries(map, string.Empty, TopKeys);
        if (entries.TryGetValue("version", out var versionNode))
        {
            var version = Integer(versionNode, "version");
            if (version is not null && version != SchemaVersion)
            {
                Error("version", versionNode, $"unsupported version {version} (this AgentSentinel reads version {SchemaVersion})");
            }
        }

        var defaults = BuiltInDefaults;
        if (entries.TryGetValue("defaults", out var defaultsNode) && MapOrEmpty(defaultsNode, "defaults") is { } defaultsMap)
        {
            defaults = ReadSettings("defaults", BuiltInDefaults, Entries(defaultsMap, "defaults", SettingKeys));
            CheckCrossField(defaults, "defaults", defaultsMap);
        }

        var safety = BuiltInSafety;
        if (entries.TryGetValue("safety", out var safetyNode) && MapOrEmpty(safetyNode, "safety") is { } safetyMap)
        {
            safety = ReadSafety(safetyMap);
        }

        var policies = new List<RemediationPolicy>();
        if (!entries.TryGetValue("policies", out var policiesNode))
        {
            Error("policies", map, "required: the list of policies, first match wins (an empty list [] turns remediation off)");
        }
        else if (policiesNode is not SeqNode list)
        {
            Error("policies", policiesNode, $"must be a list of policies (was {policiesNode.Describe})");
        }
        else if (list.Items.Count > MaxPolicies)
        {
            Error("policies", list, $"at most {MaxPolicies} policies (was {list.Items.Count})");
        }
        else
        {
            ReadPolicies(list, defaults, policies);
        }

        return _errors.Count == 0 ? PolicySet.FromValidated([.. policies], defaults, safety, source) : null;
    }

    private void ReadPolicies(SeqNode list, RemediationPolicy defaults, List<RemediationPolicy> policies)
    {
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        string? catchAll = null;
        for (var i = 0; i < list.Items.Count; i++)
        {
            var path = $"policies[{i}]";
            var item = list.Items[i];
            if (item is not MapNode map)
            {
                Error(path, item, $"must be a mapping with at least name and match (was {item.Describe})");
                continue;
            }

            var entries = Entries(map, path, PolicyKeys);
            string? name = null;
            if (!entries.TryGetValue("name", out var nameNode))
            {
                Error(path + ".name", map, "required");
            }
            else if (Text(nameNode, path + ".name") is { } text)
            {
                if (!IsValidName(text))
                {
                    Error(path + ".name", nameNode, $"must be 1 to {MaxNameLength} letters, digits, '.', '_' or '-', starting with a letter or digit (was '{text}')");
                }
                else if (names.TryGetValue(text, out var first))
                {
                    Error(path + ".name", nameNode, $"duplicate policy name '{text}' (also policies[{first}])");
                }
                else
                {
                    names[text] = i;
                    name = text;
                }
            }

            if (entries.TryGetValue("description", out var description))
            {
                Text(description, path + ".description");
            }

            AgentSelector? selector = null;
            if (!entries.TryGetValue("match", out var matchNode))
            {
                Error(path + ".match", map, "required (use {} to match every agent and kind)");
            }
            else if (MapOrEmpty(matchNode, path + ".match") is { } matchMap)
            {
                selector = ReadMatch(matchMap, path + ".match");
            }

            if (catchAll is not null)
            {
                Error(path, map, $"never reached: {catchAll} matches every agent and kind, and the first match wins");
            }

            var policy = ReadSettings(path, defaults, entries);
            CheckCrossField(policy, path, map, defaults);
            if (name is not null && selector is not null)
            {
                policies.Add(policy with { Name = name, Selector = selector });
                if (selector.MatchesEverything && catchAll is null)
                {
                    catchAll = $"{path} ('{name}')";
                }
            }
        }
    }

    private AgentSelector ReadMatch(MapNode map, string path)
    {
        var entries = Entries(map, path, MatchKeys);
        List<string>? agents = null, exceptAgents = null, kinds = null;
        List<KeyValuePair<string, string>>? resource = null;
        if (entries.TryGetValue("agents", out var agentsNode))
        {
            agents = Globs(agentsNode, path + ".agents", allowEmpty: false);
        }

        if (entries.TryGetValue("except_agents", out var exceptNode))
        {
            exceptAgents = Globs(exceptNode, path + ".except_agents", allowEmpty: true);
        }

        if (entries.TryGetValue("resource", out var resourceNode) && MapOrEmpty(resourceNode, path + ".resource") is { } resourceMap)
        {
            resource = [];
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in resourceMap.Entries)
            {
                var keyPath = Child(path + ".resource", entry.Key);
                if (!seen.Add(entry.Key))
                {
                    Error(keyPath, entry.Value, "duplicate key", entry.Line);
                    continue;
                }

                if (entry.Key.Length is 0 or > ResourceAttributes.MaxKeyLength)
                {
                    Error(keyPath, entry.Value, $"resource attribute names are 1 to {ResourceAttributes.MaxKeyLength} characters", entry.Line);
                    continue;
                }

                if (Glob(entry.Value, keyPath) is { } glob)
                {
                    resource.Add(new(entry.Key, glob));
                }
            }
        }

        if (entries.TryGetValue("kinds", out var kindsNode))
        {
            kinds = Kinds(kindsNode, path + ".kinds");
        }

        return new AgentSelector(agents, exceptAgents, resource, kinds);
    }

    private List<string>? Globs(PolicyNode node, string path, bool allowEmpty)
    {
        if (node is ScalarNode { Text: not null })
        {
            return Glob(node, path) is { } single ? [single] : null;
        }

        if (node is not SeqNode seq)
        {
            Error(path, node, $"must be a list of agent names or globs (was {node.Describe})");
            return null;
        }

        if (seq.Items.Count == 0 && !allowEmpty)
        {
            Error(path, node, "must not be empty (leave the key out to match every agent)");
            return null;
        }

        var globs = new List<string>();
        for (var i = 0; i < seq.Items.Count; i++)
        {
            if (Glob(seq.Items[i], $"{path}[{i}]") is { } glob)
            {
                globs.Add(glob);
            }
        }

        return globs;
    }

    private string? Glob(PolicyNode node, string path)
    {
        var text = Text(node, path);
        if (text is null)
        {
            return null;
        }

        if (text.Length is 0 or > MaxGlobLength)
        {
            Error(path, node, $"a name or glob must be 1 to {MaxGlobLength} characters (was {text.Length})");
            return null;
        }

        return text;
    }

    private List<string>? Kinds(PolicyNode node, string path)
    {
        List<PolicyNode> items;
        var single = node is ScalarNode { Text: not null };
        if (single)
        {
            items = [node];
        }
        else if (node is SeqNode seq)
        {
            if (seq.Items.Count == 0)
            {
                Error(path, node, "must not be empty (leave the key out, or write [\"*\"], to match every kind)");
                return null;
            }

            items = seq.Items;
        }
        else
        {
            Error(path, node, $"must be a list of anomaly kinds or \"*\" (was {node.Describe})");
            return null;
        }

        var kinds = new List<string>();
        for (var i = 0; i < items.Count; i++)
        {
            var itemPath = single ? path : $"{path}[{i}]";
            var text = Text(items[i], itemPath);
            if (text is null)
            {
                continue;
            }

            if (text == "*" || AnomalyKinds.All.Contains(text, StringComparer.Ordinal))
            {
                kinds.Add(text);
                continue;
            }

            Error(itemPath, items[i], $"unknown anomaly kind '{text}'{Suggest(text, AnomalyKinds.All)} (known: {string.Join(", ", AnomalyKinds.All)}, or *)");
        }

        return kinds;
    }

    private RemediationPolicy ReadSettings(string path, RemediationPolicy basis, Dictionary<string, PolicyNode> entries)
    {
        var result = basis;
        if (entries.TryGetValue("action", out var actionNode) && OneOf(actionNode, path + ".action", ActionNames) is { } action)
        {
            result = result with
            {
                Action = action switch
                {
                    "alert_only" => PolicyAction.AlertOnly,
                    "ignore" => PolicyAction.Ignore,
                    _ => PolicyAction.Fallback,
                },
            };
        }

        if (entries.TryGetValue("fallback", out var fallbackNode) && Text(fallbackNode, path + ".fallback") is { } fallback)
        {
            if (fallback.Length is 0 or > MaxFallbackLength || fallback.Trim().Length != fallback.Length || fallback.Any(char.IsControl))
            {
                Error(path + ".fallback", fallbackNode, $"must be a name of 1 to {MaxFallbackLength} characters without control characters or surrounding spaces (was '{fallback}')");
            }
            else
            {
                result = result with { Fallback = fallback };
            }
        }

        if (entries.TryGetValue("min_severity", out var severityNode) && OneOf(severityNode, path + ".min_severity", SeverityNames) is { } severityName)
        {
            if (AnomalySeverities.TryParse(severityName, out var severity))
            {
                result = result with { MinSeverity = severity };
            }
        }

        if (entries.TryGetValue("trigger", out var triggerNode) && MapOrEmpty(triggerNode, path + ".trigger") is { } triggerMap)
        {
            var p = path + ".trigger";
            var e = Entries(triggerMap, p, TriggerKeys);
            var trigger = result.Trigger;
            if (e.TryGetValue("anomalous_traces", out var n) && IntegerIn(n, p + ".anomalous_traces", 1, 1000) is { } count)
            {
                trigger = trigger with { AnomalousTraces = count };
            }

            if (e.TryGetValue("window", out var w) && DurationIn(w, p + ".window", TimeSpan.FromSeconds(1), TimeSpan.FromDays(1)) is { } window)
            {
                trigger = trigger with { Window = window };
            }

            result = result with { Trigger = trigger };
        }

        if (entries.TryGetValue("flag_ttl", out var ttlNode) && DurationIn(ttlNode, path + ".flag_ttl", TimeSpan.FromSeconds(1), TimeSpan.FromDays(1)) is { } ttl)
        {
            result = result with { FlagTtl = ttl };
        }

        if (entries.TryGetValue("probe", out var probeNode) && MapOrEmpty(probeNode, path + ".probe") is { } probeMap)
        {
            result = result with { Probe = ReadProbe(probeMap, path + ".probe", result.Probe) };
        }

        if (entries.TryGetValue("recovery", out var recoveryNode) && MapOrEmpty(recoveryNode, path + ".recovery") is { } recoveryMap)
        {
            var p = path + ".recovery";
            var e = Entries(recoveryMap, p, RecoveryKeys);
            var r = result.Recovery;
            if (e.TryGetValue("alpha", out var a) && NumberIn(a, p + ".alpha", 0, false, 0.5, false) is { } alpha)
            {
                r = r with { Alpha = alpha };
            }

            if (e.TryGetValue("beta", out var b) && NumberIn(b, p + ".beta", 0, false, 0.5, false) is { } beta)
            {
                r = r with { Beta = beta };
            }

            if (e.TryGetValue("fault_rate_multiplier", out var m) && NumberIn(m, p + ".fault_rate_multiplier", 1, true, 1000, true) is { } multiplier)
            {
                r = r with { FaultRateMultiplier = multiplier };
            }

            if (e.TryGetValue("min_rate_increase", out var inc) && NumberIn(inc, p + ".min_rate_increase", 0, false, 1, false) is { } increase)
            {
                r = r with { MinRateIncrease = increase };
            }

            result = result with { Recovery = r };
        }

        return result;
    }

    private ProbeSettings ReadProbe(MapNode map, string path, ProbeSettings probe)
    {
        var e = Entries(map, path, ProbeKeys);
        if (e.TryGetValue("after", out var after) && DurationIn(after, path + ".after", TimeSpan.FromSeconds(1), TimeSpan.FromDays(7)) is { } afterValue)
        {
            probe = probe with { After = afterValue };
        }

        if (e.TryGetValue("ratio", out var ratio) && NumberIn(ratio, path + ".ratio", 0, false, 1, true) is { } ratioValue)
        {
            probe = probe with { Ratio = ratioValue };
        }

        if (e.TryGetValue("min_traces", out var minTraces) && IntegerIn(minTraces, path + ".min_traces", 1, 100_000) is { } minTracesValue)
        {
            probe = probe with { MinTraces = minTracesValue };
        }

        if (e.TryGetValue("max_duration", out var maxDuration) && DurationIn(maxDuration, path + ".max_duration", TimeSpan.FromSeconds(1), TimeSpan.FromDays(1)) is { } maxDurationValue)
        {
            probe = probe with { MaxDuration = maxDurationValue };
        }

        if (e.TryGetValue("max_trips", out var maxTrips) && IntegerIn(maxTrips, path + ".max_trips", 0, 1000) is { } maxTripsValue)
        {
            probe = probe with { MaxTrips = maxTripsValue };
        }

        if (e.TryGetValue("backoff", out var backoffNode) && MapOrEmpty(backoffNode, path + ".backoff") is { } backoffMap)
        {
            var p = path + ".backoff";
            var be = Entries(backoffMap, p, BackoffKeys);
            var backoff = probe.Backoff;
            if (be.TryGetValue("multiplier", out var m) && NumberIn(m, p + ".multiplier", 1, true, 100, true) is { } multiplier)
            {
                backoff = backoff with { Multiplier = multiplier };
            }

            if (be.TryGetValue("max", out var max) && DurationIn(max, p + ".max", TimeSpan.FromSeconds(1), TimeSpan.FromDays(30)) is { } maxValue)
            {
                backoff = backoff with { Max = maxValue };
            }

            probe = probe with { Backoff = backoff };
        }

        return probe;
    }

    private void CheckCrossField(RemediationPolicy resolved, string path, MapNode map, RemediationPolicy? defaults = null)
    {
        var probe = resolved.Probe;
        if (probe.Backoff.Max < probe.After && (defaults is null || probe.After != defaults.Probe.After || probe.Backoff.Max != defaults.Probe.Backoff.Max))
        {
            Error(
                path + ".probe.backoff.max",
                map,
                $"must be at least probe.after ({PolicyDurations.Format(probe.After)}) (was {PolicyDurations.Format(probe.Backoff.Max)})");
        }
    }

    private SafetySettings ReadSafety(MapNode map)
    {
        const string P = "safety";
        var e = Entries(map, P, SafetyKeys);
        var safety = BuiltInSafety;
        if (e.TryGetValue("max_fallback_share", out var share) && NumberIn(share, P + ".max_fallback_share", 0, false, 1, true) is { } shareValue)
        {
            safety = safety with { MaxFallbackShare = shareValue };
        }

        if (e.TryGetValue("min_agents_always_allowed", out var min) && IntegerIn(min, P + ".min_agents_always_allowed", 0, 100_000) is { } minValue)
        {
            safety = safety with { MinAgentsAlwaysAllowed = minValue };
        }

        if (e.TryGetValue("max_flips_per_agent_per_hour", out var flips) && IntegerIn(flips, P + ".max_flips_per_agent_per_hour", 1, 3600) is { } flipsValue)
        {
            safety = safety with { MaxFlipsPerAgentPerHour = flipsValue };
        }

        if (e.TryGetValue("dry_run", out var dryRun) && Boolean(dryRun, P + ".dry_run") is { } dryRunValue)
        {
            safety = safety with { DryRun = dryRunValue };
        }

        return safety;
    }

    // ---- keys ---------------------------------------------------------------------------------------------------

    /// <summary>The entries of <paramref name="map"/> by key; unknown and duplicate keys are reported (and dropped).</summary>
    private Dictionary<string, PolicyNode> Entries(MapNode map, string path, string[] known)
    {
        var result = new Dictionary<string, PolicyNode>(StringComparer.Ordinal);
        foreach (var entry in map.Entries)
        {
            var keyPath = Child(path, entry.Key);
            if (!known.Contains(entry.Key, StringComparer.Ordinal))
            {
                Error(keyPath, entry.Value, $"unknown key{Suggest(entry.Key, known)} (known: {string.Join(", ", known)})", entry.Line);
            }
            else if (!result.TryAdd(entry.Key, entry.Value))
            {
                Error(keyPath, entry.Value, "duplicate key", entry.Line);
            }
        }

        return result;
    }

    private static string Child(string path, string key)
    {
        var simple = key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');
        return simple ? (path.Length == 0 ? key : path + "." + key) : $"{path}[\"{key}\"]";
    }

    private static string Suggest(string text, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var d = Distance(text, candidate);
            if (d < bestDistance)
            {
                bestDistance = d;
                best = candidate;
            }
        }

        return best is not null && bestDistance <= Math.Max(1, Math.Min(3, best.Length / 3)) ? $" (did you mean '{best}'?)" : string.Empty;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    private static bool IsValidName(string name) =>
        name.Length is > 0 and <= MaxNameLength
        && char.IsAsciiLetterOrDigit(name[0])
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    // ---- values ---------------------------------------------------------------------------------------------------

    private MapNode? MapOrEmpty(PolicyNode node, string path)
    {
        switch (node)
        {
            case MapNode map:
                return map;
            case ScalarNode { Text: null }:
                return new MapNode(node.Line, []);
            default:
                Error(path, node, $"must be a mapping (was {node.Describe})");
                return null;
        }
    }

    private string? Text(PolicyNode node, string path)
    {
        if (node is ScalarNode { Text: { } text })
        {
            return text;
        }

        Error(path, node, $"must be a string (was {node.Describe})");
        return null;
    }

    private string? OneOf(PolicyNode node, string path, string[] allowed)
    {
        var text = Text(node, path);
        if (text is null || allowed.Contains(text, StringComparer.Ordinal))
        {
            return text;
        }

        Error(path, node, $"must be one of {string.Join(", ", allowed)} (was '{text}'){Suggest(text, allowed)}");
        return null;
    }

    private double? Number(PolicyNode node, string path)
    {
        if (node is ScalarNode { Text: { } text }
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            && double.IsFinite(value))
        {
            return value;
        }

        Error(path, node, $"must be a number (was {node.Describe})");
        return null;
    }

    private double? NumberIn(PolicyNode node, string path, double lo, bool loInclusive, double hi, bool hiInclusive)
    {
        if (Number(node, path) is not { } value)
        {
            return null;
        }

        if ((loInclusive ? value >= lo : value > lo) && (hiInclusive ? value <= hi : value < hi))
        {
            return value;
        }

        var range = $"{(loInclusive ? '[' : '(')}{PolicyDocument.Num(lo)}, {PolicyDocument.Num(hi)}{(hiInclusive ? ']' : ')')}";
        Error(path, node, $"must be in {range} (was {PolicyDocument.Num(value)})");
        return null;
    }

    private long? Integer(PolicyNode node, string path)
    {
        if (node is ScalarNode { Text: { } text } && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        Error(path, node, $"must be a whole number (was {node.Describe})");
        return null;
    }

    private int? IntegerIn(PolicyNode node, string path, int lo, int hi)
    {
        if (Integer(node, path) is not { } value)
        {
            return null;
        }

        if (value >= lo && value <= hi)
        {
            return (int)value;
        }

        Error(path, node, $"must be between {lo} and {hi} (was {value})");
        return null;
    }

    private bool? Boolean(PolicyNode node, string path)
    {
        if (node is ScalarNode { Text: { } text } scalar)
        {
            if (string.Equals(text, "true", StringComparison.Ordinal) || (!scalar.Quoted && text is "True" or "TRUE"))
            {
                return true;
            }

            if (string.Equals(text, "false", StringComparison.Ordinal) || (!scalar.Quoted && text is "False" or "FALSE"))
            {
                return false;
            }
        }

        Error(path, node, $"must be true or false (was {node.Describe})");
        return null;
    }

    private TimeSpan? DurationIn(PolicyNode node, string path, TimeSpan lo, TimeSpan hi)
    {
        if (node is not ScalarNode { Text: { } text } || !PolicyDurations.TryParse(text, out var value))
        {
            Error(path, node, $"must be a duration such as 90s, 5m, 1h, 1d or 00:05:00 (was {node.Describe})");
            return null;
        }

        if (value >= lo && value <= hi)
        {
            return value;
        }

        Error(path, node, $"must be between {PolicyDurations.Format(lo)} and {PolicyDurations.Format(hi)} (was {PolicyDurations.Format(value)})");
        return null;
    }

    private void Error(string path, PolicyNode? node, string message, int line = 0)
    {
        line = line > 0 ? line : node?.Line ?? 0;
        _errors.Add(line > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{path}: {message} (line {line})")
            : $"{path}: {message}");
    }
}
