#!/usr/bin/env bash
# Writes a before/after contact sheet of the local engine's classical swap: one face (the astronaut, or
# the image given as $2) onto every face of the six face-api demo photos, and prints the quality figures
# (docs/local-engine-quality.md). The PNGs go to $1 (default: a temporary folder) and their paths are
# printed. They show real people: look at them, never commit them.
# Usage: scripts/contact-sheet.sh [output-dir] [source-image]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-${TMPDIR:-/tmp}/faceswap-contact-sheet}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
dotnet build tools/FaceSwap.ContactSheet -c Release -nologo -v quiet
dotnet run --no-build -c Release --project tools/FaceSwap.ContactSheet -- "$out" ${2:+"$(realpath "$2")"}
