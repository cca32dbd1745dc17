#!/usr/bin/env bash
# Sets up a fresh machine for AgentSentinel: Debian's packages (redis-server, prometheus, prometheus-alertmanager,
# python3-redis), the NuGet packages, and a Release build of the `agentsentinel` executable. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: redis-server (demo and tests), promtool and Alertmanager (alerting tests), python3-redis (the Python
# flag client's tests, run by Debian's /usr/bin/python3).
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import redis' >/dev/null 2>&1 || missing+=(python3 python3-redis)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The packages start system-wide services on their default ports; AgentSentinel's demo and tests start private
  # servers on free loopback ports and never use those.
fi
for tool in redis-server promtool prometheus-alertmanager; do
  command -v "$tool" >/dev/null 2>&1 || { echo "setup: $tool is still missing" >&2; exit 1; }
done
/usr/bin/python3 -c 'import redis' >/dev/null 2>&1 || { echo "setup: Debian's python3-redis is still missing" >&2; exit 1; }

command -v dotnet >/dev/null 2>&1 || { echo "setup: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet restore AgentSentinel.sln --verbosity quiet
dotnet build src/AgentSentinel.Cli/AgentSentinel.Cli.csproj -c Release --no-restore --verbosity quiet -nologo
echo "setup: ready ($(redis-server --version | cut -d' ' -f1-3), dotnet $(dotnet --version))"
