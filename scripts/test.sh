#!/usr/bin/env bash
# The test command (./dev test, and .ci/run): build, typecheck, lint and every package's tests
# through turbo (cached per package), then one totals line summed from vitest's own JSON reports.
set -uo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
find apps packages devkit -maxdepth 2 -name test-results.json -delete 2>/dev/null

npx biome check . ; lint_rc=$?
# bench/ is no workspace (nothing ships from it), so turbo's typecheck does not reach it.
npx tsc -p bench --noEmit ; bench_rc=$?
npx turbo run build typecheck test --concurrency=2 --continue --output-logs=new-only "$@"; turbo_rc=$?

node scripts/test-totals.ts; totals_rc=$?
if [ $turbo_rc -ne 0 ] && [ $totals_rc -eq 0 ]; then
  # Every test passed, yet a task failed: a build/typecheck error, or vitest's "Unhandled
  # Errors" (an error outside any test also fails the run). turbo's "Failed:" line names it.
  echo "a task failed outside the test counts (build, typecheck or an unhandled error): see turbo's 'Failed:' line above"
fi
if [ $bench_rc -ne 0 ]; then echo "bench/ does not typecheck: see tsc's errors above"; fi
if [ $lint_rc -ne 0 ] || [ $bench_rc -ne 0 ] || [ $turbo_rc -ne 0 ] || [ $totals_rc -ne 0 ]; then exit 1; fi
