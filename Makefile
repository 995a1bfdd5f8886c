# Portico's everyday commands (see README.md). Builds use CMake + Ninja;
# `make run` and `make test` first install missing Debian packages.
JOBS ?= 2
FUZZ_SECONDS ?= 60
# ccache hits across checkouts in different folders.
export CCACHE_BASEDIR := $(CURDIR)

.PHONY: all deps build run test sanitize tsan fuzz bench format clean

all: build

deps:
	scripts/setup-deps.sh

# Each build folder is configured once; after that ninja re-runs CMake itself
# whenever a CMakeLists.txt changes.
build/build.ninja: | deps
	cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
build-asan/build.ninja: | deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPORTICO_SANITIZE=address,undefined
build-tsan/build.ninja: | deps
	cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPORTICO_SANITIZE=thread
build-fuzz/build.ninja: | deps
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DPORTICO_FUZZ=ON \
	  -DPORTICO_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: build/build.ninja
	ninja -C build -j$(JOBS)

run: build
	scripts/demo.sh

# Every test of the Release build, then the data-plane tests under ASan+UBSan
# and bounded fuzzing of the request path (scripts/test-sanitized.sh).
test: build
	ctest --test-dir build --output-on-failure -j$(JOBS)
	JOBS=$(JOBS) scripts/test-sanitized.sh

sanitize: build-asan/build.ninja
	ninja -C build-asan -j$(JOBS)
	ctest --test-dir build-asan --output-on-failure -j$(JOBS)

tsan: build-tsan/build.ninja
	ninja -C build-tsan -j$(JOBS)
	ctest --test-dir build-tsan --output-on-failure -j$(JOBS)

# Builds every fuzz target, then runs each for FUZZ_SECONDS on its corpus
# (fuzz/corpus/<name>); new inputs go to build-fuzz/corpus, not the repository.
fuzz: build-fuzz/build.ninja
	ninja -C build-fuzz -j$(JOBS)
	for fuzzer in build-fuzz/bin/fuzz_*; do \
	  name=$${fuzzer##*/fuzz_}; mkdir -p build-fuzz/corpus/$$name; \
	  $$fuzzer -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus/$$name fuzz/corpus/$$name || exit 1; \
	done

# portico-proxy beside nginx, HAProxy and Caddy in the shared harness, then
# the endpoint-picking micro-benchmark (bench/README.md). bench/run builds
# build-bench/ (Release) first; BENCH_ARGS go to the harness, e.g.
# make bench BENCH_ARGS="--reps 5".
BENCH_ARGS ?=
bench:
	bench/run $(BENCH_ARGS)
	build-bench/bin/pick_bench

format:
	git ls-files -z '*.cc' '*.h' | xargs -0 -r clang-format -i

clean:
	rm -rf build build-asan build-tsan build-fuzz
