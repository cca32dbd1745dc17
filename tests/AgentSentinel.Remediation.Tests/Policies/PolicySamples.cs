namespace AgentSentinel.Remediation.Tests.Policies;

/// <summary>Policy texts shared by the policy tests.</summary>
internal static class PolicySamples
{
    /// <summary>The schema example: defaults, safety and four policies, in YAML.</summary>
    public const string Yaml = """
        version: 1
        defaults:                 # every policy inherits these, field by field
          action: fallback
          fallback: safe-model
          min_severity: warning
          trigger: { anomalous_traces: 1, window: 10m }
          flag_ttl: 5m
          probe:
            after: 5m
            ratio: 0.1
            min_traces: 20
            max_duration: 10m
            backoff: { multiplier: 2, max: 1h }
            max_trips: 0
          recovery:
            alpha: 0.05
            beta: 0.1
            fault_rate_multiplier: 4
            min_rate_increase: 0.1
        safety:
          max_fallback_share: 0.25
          min_agents_always_allowed: 1
          max_flips_per_agent_per_hour: 6
          dry_run: false
        policies:                  # first match wins, in order
          - name: silence-alerts-only
            match: { kinds: [silence] }
            action: alert_only
          - name: loops-to-human
            match: { agents: ["support-*"], kinds: [tool_loop, runaway_depth] }
            fallback: human
          - name: prod-token-burn
            match: { resource: { deployment.environment: "prod*" }, kinds: [token_spike, cost_spike, token_drift, cost_drift] }
            fallback: gpt-4o-mini
            min_severity: critical
            trigger: { anomalous_traces: 3, window: 10m }
            probe: { ratio: 0.25, backoff: { max: 2h } }
          - name: everything-else
            match: {}               # all agents, all kinds
        """;

    /// <summary>The same policies in JSON, written differently (key order, duration forms, defaults left out).</summary>
    public const string Json = """
        {
          // comments are allowed
          "version": 1,
          "safety": { "dry_run": false, "max_fallback_share": 0.25, "min_agents_always_allowed": 1, "max_flips_per_agent_per_hour": 6 },
          "defaults": {
            "fallback": "safe-model",
            "trigger": { "window": "00:10:00", "anomalous_traces": 1 },
            "flag_ttl": "300s",
            "probe": { "after": "5m", "ratio": 0.1, "min_traces": 20, "max_duration": "10m", "backoff": { "multiplier": 2, "max": "60m" }, "max_trips": 0 },
            "recovery": { "alpha": 0.05, "beta": 0.1, "fault_rate_multiplier": 4, "min_rate_increase": 0.1 }
          },
          "policies": [
            { "name": "silence-alerts-only", "action": "alert_only", "match": { "kinds": ["silence"] } },
            { "name": "loops-to-human", "match": { "kinds": ["tool_loop", "runaway_depth"], "agents": ["support-*"] }, "fallback": "human" },
            {
              "name": "prod-token-burn",
              "match": { "kinds": ["token_spike", "cost_spike", "token_drift", "cost_drift"], "resource": { "deployment.environment": "prod*" } },
              "fallback": "gpt-4o-mini",
              "min_severity": "critical",
              "trigger": { "anomalous_traces": 3 },
              "probe": { "backoff": { "max": "2h" }, "ratio": 0.25 },
            },
            { "name": "everything-else", "match": {} }
          ]
        }
        """;
}
