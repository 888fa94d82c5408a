#!/usr/bin/env bash
# `npm run chaos` (issue 8): the full fault-injection run. The short variant of the same suites runs inside
# `npm test`; this one sets UCID_CHAOS=full: 20 SIGKILLs in the crash loop, long uplink outages behind the TCP
# fault proxy (4 rounds), an hour of soak at 1,000 sensors at 1 Hz, and 10× the fast-check runs. The files run
# one after another (the soak's RSS and CPU figures need the machine to itself). About 1.5 h on 2 cores.
# Results: test-artifacts/chaos.json (vitest), test-artifacts/soak-full.json; ends with `tests: N passed, N failed`.
#   npm run chaos [-- vitest args]      e.g. npm run chaos -- test/chaos/crash-loop.test.ts
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export UCID_CHAOS=full UCID_FUZZ_SCALE="${UCID_FUZZ_SCALE:-10}"
targets=("$@")
((${#targets[@]})) || targets=(test/chaos test/fuzz gateway/mqtt-packet-guard.test.ts gateway/store/space.test.ts gateway/pipeline/pipeline-faults.test.ts)
exec bash scripts/run-vitest.sh test-artifacts/chaos.json --no-file-parallelism "${targets[@]}"
