#!/usr/bin/env bash
# Installs what burnbook and its tests need on a fresh Debian machine: Prometheus, promtool,
# Alertmanager and Chromium from Debian's packages, then the locked npm dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(prometheus prometheus-alertmanager chromium)
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
log=$(mktemp)
if ! npm ci --no-audit --no-fund --loglevel=error 2>"$log"; then
  # npm bug npm/cli#9846: optional platform packages the registry does not serve (here, Biome's
  # non-Linux binaries) are left out of the lockfile by `npm install`, and `npm ci` then rejects
  # that lockfile with "Missing: <name>@ from lock file" (no version). Only for that error, install
  # from the same lockfile with `npm install`, which resolves the same versions.
  if grep -q 'Missing: .*@ from lock file' "$log" && ! grep -q 'Missing: .*@[0-9].* from lock file' "$log"; then
    echo "npm ci hit npm/cli#9846 (optional packages this registry does not serve); using npm install" >&2
    npm install --no-audit --no-fund --no-save --loglevel=error
  else
    cat "$log" >&2
    exit 1
  fi
fi
rm -f "$log"
