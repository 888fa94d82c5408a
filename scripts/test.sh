#!/usr/bin/env bash
# The test command (README quick start, `npm test`, .ci/run): sets up what is missing, starts a local
# Apache Kafka, builds, runs every test, and ends with `tests: N passed, N failed[, N skipped]`.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup-test-deps.sh || { echo "tests: 0 passed, 1 failed"; exit 1; }
npm run -s build || { echo "tests: 0 passed, 1 failed"; exit 1; }

export UCID_KAFKA_STATE="$(mktemp -d)/kafka.state"
kafka_out=$(bash scripts/kafka.sh start --port 0) || { echo "$kafka_out"; echo "tests: 0 passed, 1 failed"; exit 1; }
export UCID_TEST_KAFKA="$(sed -n 's/^bootstrap=//p' <<<"$kafka_out")"
export UCID_TEST_KAFKA_DIR="$(sed -n 's/^dir=//p' <<<"$kafka_out")"
trap 'bash scripts/kafka.sh stop --dir "$UCID_TEST_KAFKA_DIR" >/dev/null 2>&1 || true' EXIT

mkdir -p test-artifacts
npx vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json "$@"
status=$?
node scripts/test-summary.mjs test-artifacts/vitest.json || status=1
exit $status
