#!/usr/bin/env bash
# Bounded fuzzing for `make test`: builds the libFuzzer targets with clang
# (build-fuzz, ccache makes rebuilds cheap) and runs each on its checked-in
# corpus for a few seconds, fuzz_downstream (the whole client request path)
# longest. New inputs go to build-fuzz/corpus, never into the repository.
# A crash, sanitizer report, leak or hang fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_DOWNSTREAM=${FUZZ_SMOKE_SECONDS:-30}
SECONDS_OTHERS=${FUZZ_SMOKE_OTHERS_SECONDS:-10}
JOBS=${JOBS:-2}

if ! command -v clang++ >/dev/null; then
  echo "fuzz-smoke: clang++ is missing (scripts/setup-deps.sh installs it)" >&2
  exit 1
fi
if [[ ! -f build-fuzz/build.ninja ]]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DPORTICO_FUZZ=ON >/dev/null
fi
ninja -C build-fuzz -j"$JOBS" fuzz_downstream fuzz_request_target fuzz_snapshot fuzz_manifests

run() {
  local name=$1 seconds=$2 extra=${3:-}
  mkdir -p "build-fuzz/corpus/$name"
  echo "fuzz-smoke: fuzz_$name for ${seconds}s"
  # shellcheck disable=SC2086
  "build-fuzz/bin/fuzz_$name" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    $extra "build-fuzz/corpus/$name" "fuzz/corpus/$name" 2>"build-fuzz/fuzz_$name.log" ||
    { tail -40 "build-fuzz/fuzz_$name.log" >&2; exit 1; }
  grep -E "^stat::number_of_executed_units" "build-fuzz/fuzz_$name.log" || true
}
run downstream "$SECONDS_DOWNSTREAM" "-dict=fuzz/downstream.dict"
run request_target "$SECONDS_OTHERS"
run snapshot "$SECONDS_OTHERS"
run manifests "$SECONDS_OTHERS"
