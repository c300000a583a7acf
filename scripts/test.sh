#!/usr/bin/env bash
# Runs every test of the solution and ends with one line: "N passed, N failed, N skipped",
# counted from the test results (TRX), not from dotnet test's console summary.
# A PostgreSQL of its own (scripts/postgres.sh, under artifacts/postgres) serves every test project through
# FACESWAP_TEST_POSTGRES, and is stopped at the end. The endpoint suite then runs a second time with every
# server's stores on it (FACESWAP_TEST_STORAGE=postgres), in its own TRX file counted with the rest.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -f scripts/fetch-fixtures.sh ]; then
  bash scripts/fetch-fixtures.sh || echo "fixtures could not be fetched: the tests that need them will skip and say why"
fi

results="$(pwd)/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"
dotnet build FaceSwap.slnx -c Release -nologo -v quiet
build=$?
if [ $build -ne 0 ]; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
pg_dir="$(pwd)/artifacts/postgres"
bash scripts/postgres.sh stop "$pg_dir" 2>/dev/null
rm -rf "$pg_dir"
# Every temporary file of the run (each test server's data folder, browser profiles, the bench's logs) in one folder,
# removed at the end: a machine that runs the suite again and again does not fill its disk.
run_tmp="$(pwd)/artifacts/tmp"
rm -rf "$run_tmp"
mkdir -p "$run_tmp"
export TMPDIR="$run_tmp"
trap 'bash scripts/postgres.sh stop "$pg_dir"; rm -rf "$run_tmp"' EXIT
if pg_env="$(bash scripts/postgres.sh start "$pg_dir")"; then
  eval "$pg_env"
  postgres_started=1
else
  echo "PostgreSQL did not start: the tests that need it skip, and the run fails"
  postgres_started=0
fi

dotnet test FaceSwap.slnx -c Release --no-build --nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results"
status=$?

if [ $postgres_started -eq 1 ]; then
  FACESWAP_TEST_STORAGE=postgres dotnet test tests/FaceSwap.Server.Tests -c Release --no-build --nologo \
    --logger "trx;LogFileName=FaceSwap.Server.Tests.postgres.trx" --logger "console;verbosity=normal" --results-directory "$results"
  [ $? -eq 0 ] || status=1
fi

# The benchmarks' smoke run (bench/run.sh --smoke): each bench runs briefly, only to check that it works;
# it counts as one test (figures are never judged here, only that every bench ran).
bench_log="$results/bench-smoke.log"
timeout 300 bash bench/run.sh --smoke --no-build >"$bench_log" 2>&1
bench=$?

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  value() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(value passed)))
  failed=$((failed + $(value failed) + $(value error) + $(value timeout) + $(value aborted)))
  # A skipped test is counted in total but not in executed (TRX leaves notExecuted at 0 for skips).
  skipped=$((skipped + $(value total) - $(value executed)))
done
if [ $bench -eq 0 ]; then
  passed=$((passed + 1))
else
  echo "bench smoke run failed (exit $bench); its output ($bench_log) ends with:"
  tail -n 30 "$bench_log"
  failed=$((failed + 1))
  status=1
fi
if [ $postgres_started -eq 0 ]; then
  failed=$((failed + 1))
  status=1
fi
if [ $status -ne 0 ] && [ $failed -eq 0 ]; then failed=1; fi
# What failed, named at the end of the log (a CI log may keep only its tail).
if [ $failed -gt 0 ] && command -v python3 >/dev/null; then
  python3 scripts/failed-tests.py "$results"/*.trx
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
