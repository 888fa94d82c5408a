#!/usr/bin/env bash
# `npm run chaos` (issue 8): the full fault-injection run. The short variant of the same suites runs inside
# `npm test`; this one sets UCID_CHAOS=full: 20 SIGKILLs in the crash loop, long uplink outages behind the TCP
# fault proxy (4 rounds), an hour of soak at 1,000 sensors at 1 Hz, and 10× the fast-check runs. The files run
# one after another (the soak's RSS and CPU figures need the machine to itself). About 1.5 h on 2 cores.
# Results: test-artifacts/chaos.json (vitest), test-artifacts/soak-full.json; ends with `tests: N passed, N failed`.
#   npm run chaos [-- vitest args]      e.g. npm run chaos -- test/chaos/crash-loop.test.ts
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup-test-deps.sh || { echo "tests: 0 passed, 1 failed"; exit 1; }
npm run -s build || { echo "tests: 0 passed, 1 failed"; exit 1; }

export UCID_KAFKA_STATE="$(mktemp -d)/kafka.state"
kafka_out=$(bash scripts/kafka.sh start --port 0) || { echo "$kafka_out"; echo "tests: 0 passed, 1 failed"; exit 1; }
export UCID_TEST_KAFKA="$(sed -n 's/^bootstrap=//p' <<<"$kafka_out")"
export UCID_TEST_KAFKA_DIR="$(sed -n 's/^dir=//p' <<<"$kafka_out")"
trap 'bash scripts/kafka.sh stop --dir "$UCID_TEST_KAFKA_DIR" >/dev/null 2>&1 || true' EXIT

export UCID_CHAOS=full UCID_FUZZ_SCALE="${UCID_FUZZ_SCALE:-10}"
mkdir -p test-artifacts
targets=("$@")
((${#targets[@]})) || targets=(test/chaos test/fuzz gateway/mqtt-packet-guard.test.ts gateway/store/space.test.ts gateway/pipeline/pipeline-faults.test.ts)
npx vitest run --no-file-parallelism --reporter=default --reporter=json --outputFile.json=test-artifacts/chaos.json "${targets[@]}"
status=$?
node scripts/test-summary.mjs test-artifacts/chaos.json || status=1
exit $status
