#!/usr/bin/env bash
# Packs what a Windows user needs into one zip beside the built executables:
#   tcpchat-windows-x64.zip = tcpchat-server.exe, tcpchat-client.exe,
#   run_server.bat, run_client.bat, run_server.ps1, run_client.ps1, README.md
# The launchers find the exes beside themselves, so the zip is flat.
# Usage: .ci/package_windows.sh <dist folder holding tcpchat-*.exe>
set -euo pipefail
cd "$(dirname "$0")/.."
dist="${1:?usage: package_windows.sh <dist folder>}"
for exe in tcpchat-server.exe tcpchat-client.exe; do
  [ -f "$dist/$exe" ] || { echo "[package] missing $dist/$exe" >&2; exit 1; }
done
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp "$dist/tcpchat-server.exe" "$dist/tcpchat-client.exe" \
  run_server.bat run_client.bat run_server.ps1 run_client.ps1 README.md "$stage/"
out="$(cd "$dist" && pwd)/tcpchat-windows-x64.zip"
rm -f "$out"
(cd "$stage" && zip -q -X "$out" ./*)
echo "[package] $out"
