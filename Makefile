# Thin wrapper: the real build is CMake. `make bench` is the main job,
# `make test` runs every test. Both install what is missing (scripts/deps.sh).
JOBS ?= 2
BUILD ?= build

.PHONY: all build bench test test-quick clean deps-test deps-bench

all: build

deps-test:
	@scripts/deps.sh test

deps-bench:
	@scripts/deps.sh bench

build: deps-test
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DHAK_WERROR=ON
	cmake --build $(BUILD) -j $(JOBS)

# Every test: the Release build's ctest (unit, stress, valgrind runs, drop-in
# programs, smoke runs), then the sanitizer builds.
test: deps-test
	scripts/test.sh

# The Release build's ctest only.
test-quick: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

bench: deps-bench
	scripts/bench.sh

clean:
	rm -rf build build-* 
