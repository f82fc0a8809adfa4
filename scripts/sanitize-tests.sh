#!/usr/bin/env bash
# Runs every test of a -DKCAU_SANITIZE=ON build and fails on any sanitizer report.
#   scripts/sanitize-tests.sh BUILD_DIR [JOBS]
# Unit and integration test binaries run with leak checking on: a leak in kcau's code fails
# them. The end-to-end suites' kcau-sim and kcau-controller processes are stopped by signals
# mid-flight, where "still reachable at exit" means nothing, so they run with leak checking
# off but every other check on; each process writes its reports under BUILD_DIR/sanitizer-logs,
# which must stay empty.
set -uo pipefail
build=${1:?usage: sanitize-tests.sh BUILD_DIR [JOBS]}
jobs=${2:-2}
logs="$(cd "$build" && pwd)/sanitizer-logs"
rm -rf "$logs" && mkdir -p "$logs"

here="$(cd "$(dirname "$0")" && pwd)"
common="halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=0:log_path=$logs/asan"
# The leak suppressions cover third-party libraries only (lsan.supp says why).
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan"
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
e2e='^(e2e|integration\.kubectl)'
# The images are made of the release binaries and Debian's runtime libraries: an
# instrumented binary needs libasan, which no image carries (make test checks the images).
not_here='^e2e\.Image$'

status=0
(cd "$build" && ASAN_OPTIONS="detect_leaks=1:$common" ctest --output-on-failure -j"$jobs" -E "$e2e") ||
  status=1
(cd "$build" && ASAN_OPTIONS="detect_leaks=0:$common" ctest --output-on-failure -j"$jobs" -R "$e2e" \
  -E "$not_here") ||
  status=1

reports=$(find "$logs" -type f | sort)
if [ -n "$reports" ]; then
  echo "sanitizer reports:"
  for f in $reports; do
    echo "==== $f"
    head -n 60 "$f"
  done
  status=1
fi
if [ $status -eq 0 ]; then
  echo "sanitizers: every test ran clean (AddressSanitizer, UBSan; leak checking in unit and integration tests)"
fi
exit $status
