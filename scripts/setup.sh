#!/usr/bin/env bash
# Installs what the server needs on a fresh Debian machine (idempotent): GTK for OpenCV's native runtime.
# The tests' fixtures come from scripts/fetch-fixtures.sh, which scripts/test.sh runs.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! ldconfig -p | grep -q 'libgtk-3.so.0'; then
  echo "setup: installing libgtk-3-0 (needed by OpenCV's native library)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libgtk-3-0 >/dev/null
fi
