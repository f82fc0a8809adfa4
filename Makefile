# The two commands of the README: `make demo` and `make test`. Both install what is missing
# (Debian packages, through scripts/install-deps.sh), build, then do their job.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)

SANITIZE_DIR ?= build-sanitize

.PHONY: all deps build test test-sanitize demo image bench format clean

all: build

deps:
	bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD_DIR) -j$(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)

# Every test again on an AddressSanitizer + UBSan build; any report fails (CI runs it too).
test-sanitize: deps
	cmake -S . -B $(SANITIZE_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKCAU_SANITIZE=ON
	cmake --build $(SANITIZE_DIR) -j$(JOBS)
	bash scripts/sanitize-tests.sh $(SANITIZE_DIR) $(JOBS)

demo: build
	bash scripts/demo.sh $(BUILD_DIR)

# OCI images of kcau-controller and kcau-agent in $(BUILD_DIR)/images (docs/images.md): the two
# binaries on a Debian root made with mmdebstrap (cached in /var/cache/kcau-test), packed with
# umoci. The first run makes that root from Debian's mirror (about a minute); later runs take
# seconds and work offline.
image: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD_DIR) -j$(JOBS) --target kcau-controller kcau-agent
	bash scripts/build-images.sh $(BUILD_DIR) $(BUILD_DIR)/images

# Benchmarks (docs/bench.md): whole UpdateRuns of kcau-controller against kcau-sim at 100,
# 1,000 and 5,000 nodes; figures and ratios to the goals printed and written to
# bench/results/<date>-<commit>.md. Never part of `make test`. BENCH=quick: 100 and 1,000 nodes
# only (18 minutes on 2 cores; the full matrix about an hour: docs/bench.md).
BENCH ?= full
bench: build
	python3 bench/controller_bench.py $(BUILD_DIR) . $(if $(filter quick,$(BENCH)),--quick,)

format:
	git ls-files '*.h' '*.cc' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_DIR)
