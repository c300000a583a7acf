#!/usr/bin/env bash
# Every benchmark of the project in one command: builds the server, the bare Kestrel baseline and the benches
# in Release, runs each figure against its baseline in the same run, and prints one markdown table.
#   bash bench/run.sh            the full run (about 5 minutes)
#   bash bench/run.sh --smoke    a short run that only checks every bench works (CI runs it)
#   bash bench/run.sh --only status|submits|cluster|discord|local
# Add --no-build when everything is already built in Release.
# The cluster rows (SQLite vs PostgreSQL, 1 vs 2 nodes) use the PostgreSQL of FACESWAP_TEST_POSTGRES; a full run
# without it starts its own with scripts/postgres.sh (stopped at the end); a smoke run without it skips those rows.
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
smoke=0
only=""
for ((i = 0; i < ${#args[@]}; i++)); do
  [ "${args[$i]}" = "--smoke" ] && smoke=1
  [ "${args[$i]}" = "--only" ] && only="${args[$((i + 1))]:-}"
done
if [ -z "${FACESWAP_TEST_POSTGRES:-}" ] && [ $smoke = 0 ] && { [ -z "$only" ] || [ "$only" = cluster ]; }; then
  pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/faceswap-bench-pg.XXXXXX")"
  if pg_env="$(bash scripts/postgres.sh start "$pg_dir")"; then
    eval "$pg_env"
    export FACESWAP_TEST_POSTGRES
    trap 'bash scripts/postgres.sh stop "$pg_dir" >/dev/null 2>&1' EXIT
  else
    echo "bench: PostgreSQL did not start; the cluster bench skips its PostgreSQL rows" >&2
  fi
fi
dotnet bench/FaceSwap.Bench/bin/Release/net10.0/FaceSwap.Bench.dll "${args[@]}"
