#!/usr/bin/env bash
# Sets up the machine (scripts/setup.sh) and runs every test project. Prints a closing line
# "Tests: N passed, N failed, N skipped" and exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh || exit 1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log=$(mktemp)
dotnet build AgentSentinel.sln -c Release --no-restore --verbosity quiet -nologo || exit 1
dotnet test AgentSentinel.sln -c Release --no-build --verbosity minimal -nologo 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# VSTest prints one summary per test project: "Passed!  - Failed: 0, Passed: 12, Skipped: 0, Total: 12, ..."
read -r passed failed skipped < <(grep -E '(Passed|Failed)! +- +Failed:' "$log" | awk -F'[:,]' '
  { for (i = 1; i <= NF; i++) { gsub(/ /, "", $i) }
    for (i = 1; i < NF; i++) {
      if ($i ~ /Failed$/) f += $(i+1); if ($i == "Passed") p += $(i+1); if ($i == "Skipped") s += $(i+1) } }
  END { printf "%d %d %d\n", p, f, s }')
rm -f "$log"
echo "Tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
if [ "$rc" != 0 ] || [ "${passed:-0}" = 0 ]; then exit 1; fi
