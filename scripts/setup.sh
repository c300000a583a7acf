#!/usr/bin/env bash
# Installs what the server needs on a fresh Debian machine (idempotent): GTK for OpenCV's native runtime,
# and the local engine's classical models from Debian (OpenCV's cascades, dlib's 68-point landmark model).
# The tests' fixtures come from scripts/fetch-fixtures.sh, which scripts/test.sh runs.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
ldconfig -p | grep -q 'libgtk-3.so.0' || missing+=(libgtk-3-0)
[ -d /usr/share/opencv4/haarcascades ] || missing+=(opencv-data)
[ -f /usr/share/dlib/shape_predictor_68_face_landmarks.dat ] || missing+=(libdlib-data)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root=""
  [ "$(id -u)" = 0 ] || as_root="sudo"
  $as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
