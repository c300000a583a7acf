#!/usr/bin/env bash
# Every benchmark of the project in one command: builds the server, the bare Kestrel baseline and the benches
# in Release, runs each figure against its baseline in the same run, and prints one markdown table.
#   bash bench/run.sh            the full run (about 5 minutes)
#   bash bench/run.sh --smoke    a short run that only checks every bench works (CI runs it)
#   bash bench/run.sh --only status|submits|discord|local
# Add --no-build when everything is already built in Release.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null; then
  echo "bench: installing wrk (the HTTP load generator)" >&2
  as_root=""
  [ "$(id -u)" = 0 ] || as_root="sudo"
  $as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
# 10,000 waiters need as many sockets on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

build=1
args=()
for arg in "$@"; do
  if [ "$arg" = "--no-build" ]; then build=0; else args+=("$arg"); fi
done
if [ $build = 1 ]; then
  for project in src/FaceSwap.Server bench/FaceSwap.Bench.Baseline bench/FaceSwap.Bench bench/FaceSwap.Local.Bench; do
    dotnet build "$project" -c Release -nologo -v quiet >&2
  done
fi
exec dotnet bench/FaceSwap.Bench/bin/Release/net10.0/FaceSwap.Bench.dll "${args[@]}"
