#!/usr/bin/env bash
# Shared by scripts/test.sh (`npm test`, .ci/run) and scripts/chaos.sh: sets up what is missing, builds,
# starts a local Apache Kafka for the run, runs vitest with a JSON report, and ends with
# `tests: N passed, N failed[, N skipped]`.
#   bash scripts/run-vitest.sh REPORT.json [vitest args...]
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
report="$1"
shift

bash scripts/setup-test-deps.sh || { echo "tests: 0 passed, 1 failed"; exit 1; }
npm run -s build || { echo "tests: 0 passed, 1 failed"; exit 1; }

export UCID_KAFKA_STATE="$(mktemp -d)/kafka.state"
kafka_out=$(bash scripts/kafka.sh start --port 0) || { echo "$kafka_out"; echo "tests: 0 passed, 1 failed"; exit 1; }
export UCID_TEST_KAFKA="$(sed -n 's/^bootstrap=//p' <<<"$kafka_out")"
export UCID_TEST_KAFKA_DIR="$(sed -n 's/^dir=//p' <<<"$kafka_out")"
trap 'bash scripts/kafka.sh stop --dir "$UCID_TEST_KAFKA_DIR" >/dev/null 2>&1 || true' EXIT

mkdir -p "$(dirname "$report")"
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
status=$?
node scripts/test-summary.mjs "$report" || status=1
exit $status
