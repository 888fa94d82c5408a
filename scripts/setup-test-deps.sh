#!/usr/bin/env bash
# Installs, when missing, what the tests need: Debian packages, the npm packages, a Python venv with the
# independent protocol peers (pymodbus, asyncua, paho-mqtt), and Apache Kafka's jars. Idempotent.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

APT_PACKAGES=(mosquitto-clients mosquitto kcat socat chromium systemd openssl python3-venv maven)
PY_PACKAGES=(pymodbus==3.11.4 pyserial==3.5 asyncua==1.1.8 paho-mqtt==2.1.0)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund >/dev/null
fi

stamp=".venv/.ucid-peers"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "${PY_PACKAGES[*]}" ]]; then
  echo "setup: Python venv with ${PY_PACKAGES[*]}" >&2
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check "${PY_PACKAGES[@]}"
  echo "${PY_PACKAGES[*]}" > "$stamp"
fi

bash scripts/kafka.sh fetch
