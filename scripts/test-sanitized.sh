#!/usr/bin/env bash
# The sanitized half of `make test`: one clang build (build-fuzz, with
# address+undefined sanitizers and libFuzzer coverage on every target) of the
# data plane only, then
#   1. the data-plane, TLS, load-balancing and health-check unit and scenario
#      tests under ASan+UBSan, and
#   2. bounded fuzzing of the client request path (fuzz_downstream, 30 s),
#      the request-target, snapshot, rule and ClientHello parsers (10 s each), on their
#      checked-in corpora; new inputs go to build-fuzz/corpus only.
# A test failure, sanitizer report, crash, leak or hang fails the run.
# `make fuzz` runs every fuzzer (the manifest one too) for longer.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_DOWNSTREAM=${FUZZ_SMOKE_SECONDS:-30}
SECONDS_OTHERS=${FUZZ_SMOKE_OTHERS_SECONDS:-10}
JOBS=${JOBS:-2}

if ! command -v clang++ >/dev/null; then
  echo "test-sanitized: clang++ is missing (scripts/setup-deps.sh installs it)" >&2
  exit 1
fi
# Configured every time (a few seconds): the options below must hold even if
# build-fuzz was configured differently before.
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DPORTICO_FUZZ=ON \
  -DPORTICO_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build-fuzz -j"$JOBS" dataplane_tests tls_tests balancing_tests health_tests l4_tests common_tests \
  fuzz_downstream fuzz_request_target \
  fuzz_snapshot fuzz_snapshot_delta fuzz_rules fuzz_client_hello

echo "test-sanitized: data-plane tests under address+undefined sanitizers"
build-fuzz/bin/dataplane_tests
build-fuzz/bin/tls_tests
build-fuzz/bin/balancing_tests
build-fuzz/bin/health_tests
build-fuzz/bin/l4_tests
build-fuzz/bin/common_tests

run() {
  local name=$1 seconds=$2 extra=${3:-}
  mkdir -p "build-fuzz/corpus/$name"
  echo "test-sanitized: fuzz_$name for ${seconds}s"
  # shellcheck disable=SC2086
  if ! "build-fuzz/bin/fuzz_$name" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
      $extra "build-fuzz/corpus/$name" "fuzz/corpus/$name" >"build-fuzz/fuzz_$name.log" 2>&1; then
    # The finding's own message sits above a long stack: show enough of it.
    tail -120 "build-fuzz/fuzz_$name.log" >&2
    exit 1
  fi
  grep -E "^stat::number_of_executed_units" "build-fuzz/fuzz_$name.log" || true
}
run downstream "$SECONDS_DOWNSTREAM" "-dict=fuzz/downstream.dict"
run request_target "$SECONDS_OTHERS"
run snapshot "$SECONDS_OTHERS"
run snapshot_delta "$SECONDS_OTHERS"
run rules "$SECONDS_OTHERS"
run client_hello "$SECONDS_OTHERS"
