#!/usr/bin/env bash
# Installs what burnbook and its tests need on a fresh Debian machine: Prometheus, promtool,
# Alertmanager, Chromium, PostgreSQL, VictoriaMetrics (with vmalert) and wrk (for the benchmarks) from
# Debian's packages, then the locked npm dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(prometheus prometheus-alertmanager chromium postgresql victoria-metrics wrk)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "Installing Debian packages: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "Installing npm dependencies (npm ci)" >&2
npm ci --no-audit --no-fund --loglevel=error
