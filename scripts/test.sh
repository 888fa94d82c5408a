#!/usr/bin/env bash
# The test command (README quick start, `npm test`, .ci/run): sets up what is missing, starts a local
# Apache Kafka, builds, runs every test, and ends with `tests: N passed, N failed[, N skipped]`.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec bash scripts/run-vitest.sh test-artifacts/vitest.json "$@"
