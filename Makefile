# The two commands of the README, and a few more for developers.
#   make demo   installs what is missing, builds, runs a two-party call, reports quality
#   make check  installs, builds (warnings are errors), runs every test, then again under ASan+UBSan
#   make fuzz   builds the libFuzzer targets with clang and runs each for FUZZ_SECONDS
#   make bench  builds and runs the benchmarks in tests/bench/
#   make install PREFIX=/usr/local   installs libparley, parley.h, parley.pc, the CMake
#               package, the parley program and its man page
JOBS ?= $(shell nproc)
BUILD ?= build
FUZZ_SECONDS ?= 20
PREFIX ?= /usr/local

.PHONY: all deps test-deps build install demo check test asan fuzz bench clean

all: build

deps:
	@scripts/install-deps.sh build

test-deps:
	@scripts/install-deps.sh test data

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

demo: deps
	@$(MAKE) --no-print-directory build
	@scripts/demo.sh $(BUILD)/bin/parley

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

asan:
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPL_SANITIZE=ON
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS) -LE 'slow|realtime'

check: test-deps
	@$(MAKE) --no-print-directory test
	@$(MAKE) --no-print-directory asan

fuzz: test-deps
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPL_FUZZ=ON
	cmake --build build-fuzz -j $(JOBS)
	@scripts/run-fuzzers.sh build-fuzz/fuzz $(FUZZ_SECONDS)

bench: build
	@scripts/run-benches.sh $(BUILD)/bench

clean:
	rm -rf $(BUILD) build-asan build-fuzz
