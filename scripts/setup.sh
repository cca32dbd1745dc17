#!/usr/bin/env bash
# Sets up a fresh machine for AgentSentinel: Debian's redis-server (for the embedded demo and the tests),
# the NuGet packages, and a Release build of the `agentsentinel` executable. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

need_redis=0
command -v redis-server >/dev/null 2>&1 || need_redis=1
if [ "$need_redis" = 1 ]; then
  echo "setup: installing Debian's redis-server"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq redis-server >/dev/null
  # The package starts a system-wide server on 6379; AgentSentinel starts its own private ones on free ports.
fi
command -v redis-server >/dev/null 2>&1 || { echo "setup: redis-server is still missing" >&2; exit 1; }

command -v dotnet >/dev/null 2>&1 || { echo "setup: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet restore AgentSentinel.sln --verbosity quiet
dotnet build src/AgentSentinel.Cli/AgentSentinel.Cli.csproj -c Release --no-restore --verbosity quiet -nologo
echo "setup: ready ($(redis-server --version | cut -d' ' -f1-3), dotnet $(dotnet --version))"
