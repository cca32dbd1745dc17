using StackExchange.Redis;

namespace AgentSentinel.Redis.Flags;

/// <summary>
/// The one Lua script behind every flag write, run atomically by Redis: compare <c>version</c>, then (only if newer)
/// replace the hash, save or remove the agent's remediation state, raise the prefix's highest version and PUBLISH the
/// notice, then XADD the audit entry. Versions are compared as decimal strings
/// (length, then lexically), so the full <see cref="long"/> range compares exactly; Lua numbers are doubles and would not.
/// </summary>
internal static class FlagWriteScript
{
    /// <summary>Prepared once; StackExchange.Redis sends EVALSHA and falls back to EVAL when the server lacks the
    /// script (e.g. after a Redis restart).</summary>
    public static readonly LuaScript Script = LuaScript.Prepare("""
        local function canonical(v)
          if not v or not string.match(v, '^%d+$') then return nil end
          local s = string.gsub(v, '^0+', '')
          if s == '' then return '0' end
          return s
        end
        local function greater(a, b)
          if #a ~= #b then return #a > #b end
          return a > b
        end

        local stored = canonical(redis.call('HGET', @flagKey, 'version'))
        local applied = stored == nil or greater(@version, stored)
        local outcome = 'stale'
        if applied then
          outcome = 'applied'
          redis.call('DEL', @flagKey)
          redis.call('HSET', @flagKey,
            'route', @route, 'fallback', @fallback, 'reason', @reason, 'detail', @detail,
            'trace_ids', @traceIds, 'incident', @incident, 'version', @version,
            'updated_at', @updatedAt, 'expires_at', @expiresAt, 'schema', '1')
          if @probeRatio ~= '' then
            redis.call('HSET', @flagKey, 'probe_ratio', @probeRatio)
          end
          if @hasState == '1' then
            redis.call('HSET', @stateKey, @agent, @state)
          else
            redis.call('HDEL', @stateKey, @agent)
          end
          local highest = canonical(redis.call('GET', @versionKey))
          if highest == nil or greater(@version, highest) then
            redis.call('SET', @versionKey, @version)
          end
          redis.call('PUBLISH', @channel, @notice)
        end

        if applied or @auditStale == '1' then
          local entry = {'agent', @agent, 'route', @route, 'fallback', @fallback}
          if @probeRatio ~= '' then
            table.insert(entry, 'probe_ratio'); table.insert(entry, @probeRatio)
          end
          for _, v in ipairs({'reason', @reason, 'detail', @detail, 'trace_ids', @traceIds, 'incident', @incident,
                              'version', @version, 'updated_at', @updatedAt, 'expires_at', @expiresAt,
                              'actor', @actor, 'transition', @transition, 'policy', @policy, 'outcome', outcome}) do
            table.insert(entry, v)
          end
          if stored ~= nil then
            table.insert(entry, 'stored_version'); table.insert(entry, stored)
          end
          redis.call('XADD', @auditKey, 'MAXLEN', '~', @auditMaxLength, '*', unpack(entry))
        end

        if applied then return 1 end
        return 0
        """);
}
